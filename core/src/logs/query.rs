//! What the Logs view asks for and what it gets back, shared by the app and the server.

use serde::{Deserialize, Serialize};

use super::LogStream;
use crate::DeploymentId;

pub const QUERY_LIMIT_DEFAULT: u32 = 500;
pub const QUERY_LIMIT_MAX: u32 = 5000;

/// A filter over one project's stored lines (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct LogQuery {
    /// Comma-separated service names; empty: all.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub deployment: Option<i64>,
    /// Milliseconds since the epoch, inclusive.
    #[serde(default)]
    pub since: Option<i64>,
    #[serde(default)]
    pub until: Option<i64>,
    /// Text the line contains (case-insensitive for ASCII).
    #[serde(default)]
    pub q: Option<String>,
    /// Lines after this id only (for following).
    #[serde(default)]
    pub after: Option<i64>,
    #[serde(default)]
    pub limit: Option<u32>,
}

impl LogQuery {
    /// The services asked for (none: all).
    pub fn services(&self) -> Vec<String> {
        self.service
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The search text, if any is left after trimming.
    pub fn search(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }

    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(QUERY_LIMIT_DEFAULT).clamp(1, QUERY_LIMIT_MAX)
    }
}

/// One stored line, as the API sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    /// The store's order: later lines have larger ids.
    pub id: i64,
    pub service: String,
    /// The project's latest deployment when the line arrived.
    pub deployment: Option<DeploymentId>,
    pub container: String,
    pub at_ms: i64,
    pub stream: LogStream,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_search_are_read_leniently() {
        let query = LogQuery { service: Some(" web, ,db".into()), q: Some("  ".into()), ..Default::default() };
        assert_eq!(query.services(), ["web", "db"]);
        assert_eq!(query.search(), None);
        assert_eq!(query.limit(), QUERY_LIMIT_DEFAULT);
        assert_eq!(LogQuery { limit: Some(10_000_000), ..Default::default() }.limit(), QUERY_LIMIT_MAX);
    }
}
