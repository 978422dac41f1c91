//! What the Logs tab filters on, as the query string the logs API reads (see
//! `nsm_core::logs::LogQuery`), and how a line's time is shown.

use nsm_core::time::UnixTime;

/// Lines kept on the page while following; older ones leave the page (Download has all).
pub const KEPT_LINES: usize = 2_000;
/// Lines fetched when the filters change.
pub const FIRST_LINES: u32 = 500;

/// How far back the lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeWindow {
    Minutes15,
    Hour,
    Day,
    #[default]
    All,
}

impl TimeWindow {
    pub const ALL: [TimeWindow; 4] = [Self::Minutes15, Self::Hour, Self::Day, Self::All];

    pub fn value(self) -> &'static str {
        match self {
            Self::Minutes15 => "15m",
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Minutes15 => "last 15 minutes",
            Self::Hour => "last hour",
            Self::Day => "last 24 hours",
            Self::All => "all stored",
        }
    }

    pub fn parse(value: &str) -> Self {
        Self::ALL.into_iter().find(|w| w.value() == value).unwrap_or_default()
    }

    /// The earliest time shown, `now_ms` being now (`None`: no bound).
    pub fn since(self, now_ms: i64) -> Option<i64> {
        let minutes = match self {
            Self::Minutes15 => 15,
            Self::Hour => 60,
            Self::Day => 24 * 60,
            Self::All => return None,
        };
        Some(now_ms - minutes * 60_000)
    }
}

/// The filters the user picked; empty means "everything".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogFilters {
    /// None ticked: every service.
    pub services: Vec<String>,
    pub deployment: Option<i64>,
    pub window: TimeWindow,
    pub q: String,
}

impl LogFilters {
    /// Whether anything narrows the lines (so an empty result is "nothing matched").
    pub fn narrows(&self) -> bool {
        !self.services.is_empty()
            || self.deployment.is_some()
            || self.window != TimeWindow::All
            || !self.q.trim().is_empty()
    }

    /// The query string (without `?`) for the logs API at `now_ms`.
    pub fn query(&self, now_ms: i64) -> String {
        let mut pairs = Vec::new();
        if !self.services.is_empty() {
            pairs.push(("service", self.services.join(",")));
        }
        if let Some(deployment) = self.deployment {
            pairs.push(("deployment", deployment.to_string()));
        }
        if let Some(since) = self.window.since(now_ms) {
            pairs.push(("since", since.to_string()));
        }
        let q = self.q.trim();
        if !q.is_empty() {
            pairs.push(("q", q.to_owned()));
        }
        pairs.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
    }
}

/// `query` with more parameters added (`extra` already encoded).
pub fn with(query: &str, extra: &str) -> String {
    match (query.is_empty(), extra.is_empty()) {
        (_, true) => query.to_owned(),
        (true, false) => extra.to_owned(),
        (false, false) => format!("{query}&{extra}"),
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A line's time of day, UTC, to the millisecond (`13:04:05.120`).
pub fn clock_time(at_ms: i64) -> String {
    let ms = at_ms.rem_euclid(86_400_000);
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// A line's full time, for its tooltip.
pub fn full_time(at_ms: i64) -> String {
    UnixTime(at_ms.div_euclid(1000)).to_rfc3339()
}

/// `/logs` (or `/logs/follow`) of project `id` with `query` and `extra`.
pub(super) fn logs_url(id: &str, path: &str, query: &str, extra: &str) -> String {
    let query = with(query, extra);
    if query.is_empty() {
        format!("/api/v1/projects/{id}/logs{path}")
    } else {
        format!("/api/v1/projects/{id}/logs{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filters_make_an_empty_query() {
        let filters = LogFilters::default();
        assert_eq!(filters.query(1_000_000), "");
        assert!(!filters.narrows());
    }

    #[test]
    fn every_filter_reaches_the_query_encoded() {
        let filters = LogFilters {
            services: vec!["web".into(), "db".into()],
            deployment: Some(7),
            window: TimeWindow::Minutes15,
            q: " tick 5&x ".into(),
        };
        assert_eq!(filters.query(1_000_000), "service=web%2Cdb&deployment=7&since=100000&q=tick%205%26x");
        assert!(filters.narrows());
        assert_eq!(with("a=1", "after=3"), "a=1&after=3");
        assert_eq!(with("", "after=3"), "after=3");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn windows_round_trip_and_bound_the_start() {
        for window in TimeWindow::ALL {
            assert_eq!(TimeWindow::parse(window.value()), window);
        }
        assert_eq!(TimeWindow::parse("nonsense"), TimeWindow::All);
        assert_eq!(TimeWindow::Hour.since(3_600_000), Some(0));
        assert_eq!(TimeWindow::All.since(5), None);
    }

    #[test]
    fn times_show_utc_to_the_millisecond() {
        assert_eq!(clock_time(1_796_241_600_123 + 3_723_000), "21:02:03.123");
        assert_eq!(full_time(1_796_241_600_123), "2026-12-02T20:00:00Z");
    }
}
