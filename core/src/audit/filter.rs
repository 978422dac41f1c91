//! Which audit entries to show: by user, project, kind and time range, a page at a
//! time (newest first). The form is what a browser or a query string sends; the
//! filter is what it means, checked here for the page and the export alike.

use serde::{Deserialize, Serialize};

use super::AuditKind;
use crate::time::UnixTime;
use crate::{FieldError, FieldErrors, ProjectId};

/// Entries on a page unless the caller asks for another number.
pub const DEFAULT_PAGE: u32 = 100;
/// The most entries one request answers (the export pages with `before` beyond it).
pub const MAX_PAGE: u32 = 10_000;

/// The filter as typed: every field a string, empty meaning "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(default)]
pub struct AuditFilterForm {
    /// A username (the acting user; for a failed sign-in, the name that was tried).
    pub user: String,
    pub project: String,
    /// A kind's word, or `configuration` for every configuration change.
    pub kind: String,
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (UTC) or RFC 3339; inclusive.
    pub from: String,
    /// As `from`; inclusive (a bare date means up to the end of that day).
    pub to: String,
    /// Only entries older than this id: the next page.
    pub before: String,
    pub limit: String,
}

/// The kinds a filter lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    Any,
    One(AuditKind),
    /// Every kind of [`AuditKind::CONFIGURATION`].
    Configuration,
}

impl KindFilter {
    /// The word a form sends for [`KindFilter::Configuration`].
    pub const CONFIGURATION: &'static str = "configuration";

    /// The kinds to match; empty means any.
    pub fn kinds(self) -> Vec<AuditKind> {
        match self {
            Self::Any => Vec::new(),
            Self::One(kind) => vec![kind],
            Self::Configuration => AuditKind::CONFIGURATION.to_vec(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub project: Option<ProjectId>,
    pub kind: KindFilter,
    pub from: Option<UnixTime>,
    pub to: Option<UnixTime>,
    pub before: Option<i64>,
    pub limit: u32,
}

impl Default for AuditFilter {
    fn default() -> Self {
        Self {
            user: None,
            project: None,
            kind: KindFilter::Any,
            from: None,
            to: None,
            before: None,
            limit: DEFAULT_PAGE,
        }
    }
}

/// A time bound as typed; `end` reads a bare date or minute up to its last second.
fn time_bound(text: &str, end: bool) -> Result<UnixTime, FieldError> {
    let refused = || FieldError::new("A date (2026-05-31), a UTC time (2026-05-31T14:30) or an RFC 3339 timestamp");
    let text = text.trim();
    if let Some(time) = UnixTime::parse(text) {
        return Ok(time);
    }
    let (completed, rest) = match text.len() {
        10 => (format!("{text}T00:00:00Z"), 86_399),
        16 => (format!("{text}:00Z"), 59),
        19 => (format!("{text}Z"), 0),
        _ => return Err(refused()),
    };
    let time = UnixTime::parse(&completed).ok_or_else(refused)?;
    Ok(if end { UnixTime(time.0 + rest) } else { time })
}

fn optional(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

impl AuditFilterForm {
    /// Checks every field; the errors are keyed by the form's field names.
    pub fn parse(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let user = optional(&self.user).map(str::to_owned);
        if let Some(user) = &user {
            if user.chars().count() > 64 || user.chars().any(char::is_control) {
                errors.add("user", FieldError::new("A username of at most 64 characters"));
            }
        }
        let project = optional(&self.project).and_then(|p| {
            errors.check("project", ProjectId::parse(p).map_err(|_| FieldError::new("Not a project id")))
        });
        let kind = match optional(&self.kind) {
            None => KindFilter::Any,
            Some(KindFilter::CONFIGURATION) => KindFilter::Configuration,
            Some(word) => match AuditKind::parse(word) {
                Some(kind) => KindFilter::One(kind),
                None => {
                    errors.add("kind", FieldError::new(format!("Unknown kind {word:?}")));
                    KindFilter::Any
                }
            },
        };
        let from = optional(&self.from).and_then(|t| errors.check("from", time_bound(t, false)));
        let to = optional(&self.to).and_then(|t| errors.check("to", time_bound(t, true)));
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.add("to", FieldError::new("The end is before the start"));
            }
        }
        let before = optional(&self.before).and_then(|b| {
            errors
                .check("before", b.parse::<i64>().ok().filter(|b| *b > 0).ok_or_else(|| FieldError::new("An entry id")))
        });
        let limit = match optional(&self.limit) {
            None => DEFAULT_PAGE,
            Some(limit) => errors
                .check(
                    "limit",
                    limit
                        .parse::<u32>()
                        .ok()
                        .filter(|l| (1..=MAX_PAGE).contains(l))
                        .ok_or_else(|| FieldError::new(format!("From 1 to {MAX_PAGE} entries"))),
                )
                .unwrap_or(DEFAULT_PAGE),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AuditFilter { user, project, kind, from, to, before, limit })
    }

    /// The filled-in fields as a query string (`user=alice&kind=variable`), without
    /// the page position: what the export link carries.
    pub fn query(&self) -> String {
        [("user", &self.user), ("project", &self.project), ("kind", &self.kind), ("from", &self.from), ("to", &self.to)]
            .into_iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| format!("{name}={}", percent_encode(value.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl AuditFilter {
    /// The bounds as the store compares them (its timestamps are RFC 3339 UTC
    /// strings, which sort as text).
    pub fn from_text(&self) -> Option<String> {
        self.from.map(UnixTime::to_rfc3339)
    }

    pub fn to_text(&self) -> Option<String> {
        self.to.map(UnixTime::to_rfc3339)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> AuditFilterForm {
        let json: serde_json::Map<String, serde_json::Value> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned()))).collect();
        serde_json::from_value(serde_json::Value::Object(json)).unwrap()
    }

    #[test]
    fn an_empty_form_matches_everything() {
        assert_eq!(AuditFilterForm::default().parse().unwrap(), AuditFilter::default());
        assert_eq!(form(&[("user", "  "), ("kind", "")]).parse().unwrap(), AuditFilter::default());
    }

    #[test]
    fn every_field_is_read() {
        let filter = form(&[
            ("user", "alice"),
            ("project", "shop"),
            ("kind", "variable"),
            ("from", "2026-05-01"),
            ("to", "2026-05-02"),
            ("before", "40"),
            ("limit", "5"),
        ])
        .parse()
        .unwrap();
        assert_eq!(filter.user.as_deref(), Some("alice"));
        assert_eq!(filter.project.as_ref().map(ProjectId::as_str), Some("shop"));
        assert_eq!(filter.kind, KindFilter::One(AuditKind::Variable));
        assert_eq!(filter.from_text().as_deref(), Some("2026-05-01T00:00:00Z"));
        assert_eq!(filter.to_text().as_deref(), Some("2026-05-02T23:59:59Z"), "a bare end date is inclusive");
        assert_eq!((filter.before, filter.limit), (Some(40), 5));
    }

    #[test]
    fn times_come_as_dates_minutes_or_timestamps() {
        let at = |from: &str| form(&[("from", from)]).parse().unwrap().from_text().unwrap();
        assert_eq!(at("2026-05-01T14:30"), "2026-05-01T14:30:00Z");
        assert_eq!(at("2026-05-01T14:30:15"), "2026-05-01T14:30:15Z");
        assert_eq!(at("2026-05-01T16:30:00+02:00"), "2026-05-01T14:30:00Z");
        let to = form(&[("to", "2026-05-01T14:30")]).parse().unwrap().to_text().unwrap();
        assert_eq!(to, "2026-05-01T14:30:59Z");
    }

    #[test]
    fn configuration_means_the_eight_kinds() {
        let filter = form(&[("kind", "configuration")]).parse().unwrap();
        assert_eq!(filter.kind, KindFilter::Configuration);
        assert_eq!(filter.kind.kinds(), AuditKind::CONFIGURATION.to_vec());
        assert!(KindFilter::Any.kinds().is_empty());
    }

    #[test]
    fn bad_fields_are_refused_by_name() {
        for (field, value) in [
            ("project", "Not A Slug"),
            ("kind", "user.sign_in"),
            ("from", "yesterday"),
            ("to", "2026-13-01"),
            ("before", "-3"),
            ("before", "x"),
            ("limit", "0"),
            ("limit", "10001"),
            ("user", "a\nb"),
        ] {
            let errors = form(&[(field, value)]).parse().unwrap_err();
            assert!(errors.get(field).is_some(), "{field}={value:?}: {errors:?}");
        }
        let errors = form(&[("from", "2026-05-02"), ("to", "2026-05-01")]).parse().unwrap_err();
        assert!(errors.get("to").is_some(), "{errors:?}");
    }

    #[test]
    fn the_query_carries_the_filter_but_not_the_page() {
        let form = form(&[("user", "a b@c"), ("kind", "role"), ("before", "9"), ("from", "2026-05-01T10:00")]);
        assert_eq!(form.query(), "user=a%20b%40c&kind=role&from=2026-05-01T10%3A00");
        assert_eq!(AuditFilterForm::default().query(), "");
    }
}
