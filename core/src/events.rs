//! What the control plane pushes to browsers on `GET /api/v1/events` (server-sent
//! events): one JSON object per event, its kind in `type`. The browser app subscribes
//! once and updates the pages it shows in place.

use serde::{Deserialize, Serialize};

use crate::certificate::CertificateStatus;
use crate::deployment::DeploymentId;
use crate::deployment::DeploymentState;
use crate::project::ProjectId;
use crate::service::{Assessment, ServiceState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A service's observed state changed (the worker follows Docker's events).
    /// A service's containers changed (the worker follows Docker's events), or what
    /// is expected of it did: its state, exit code, restarts, health, since when, and
    /// the verdict with its findings.
    Service {
        project: ProjectId,
        service: String,
        expected: ServiceState,
        #[serde(flatten)]
        assessment: Assessment,
    },
    /// A worker came online or went offline.
    Worker {
        worker: String,
        online: bool,
        version: Option<String>,
        /// RFC 3339 UTC.
        at: String,
    },
    /// A deployment changed state, or wrote lines to its log.
    Deployment {
        id: DeploymentId,
        project: ProjectId,
        state: DeploymentState,
        /// The log lines since the previous event of this deployment.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lines: Vec<String>,
    },
    /// A domain's certificate changed (issued, renewed, failed).
    Certificate {
        project: Option<ProjectId>,
        hostname: String,
        status: CertificateStatus,
        /// RFC 3339 UTC.
        not_after: Option<String>,
        /// Why the last attempt to obtain one failed.
        last_error: Option<String>,
    },
    /// Events were missed (the server restarted, or the browser was away longer than
    /// the server keeps events): reload everything shown.
    Reset,
}

impl LiveEvent {
    /// The project an event is about, for `?project=` filters; `None`: it concerns
    /// every view (workers, resets).
    pub fn project(&self) -> Option<&ProjectId> {
        match self {
            Self::Service { project, .. } | Self::Deployment { project, .. } => Some(project),
            Self::Certificate { project, .. } => project.as_ref(),
            Self::Worker { .. } | Self::Reset => None,
        }
    }

    /// The SSE event name: what `type` says.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Service { .. } => "service",
            Self::Worker { .. } => "worker",
            Self::Deployment { .. } => "deployment",
            Self::Certificate { .. } => "certificate",
            Self::Reset => "reset",
        }
    }
}

/// An event's id on the stream: `<server start>-<sequence>`, so a browser resuming
/// with a `Last-Event-ID` from before a restart is told to reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventId {
    pub boot: u64,
    pub seq: u64,
}

impl EventId {
    pub fn parse(text: &str) -> Option<Self> {
        let (boot, seq) = text.split_once('-')?;
        Some(Self { boot: boot.parse().ok()?, seq: seq.parse().ok()? })
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.boot, self.seq)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_are_typed_json_objects() {
        let event = LiveEvent::Service {
            project: ProjectId::parse("shop").unwrap(),
            service: "api".into(),
            expected: ServiceState::Running,
            assessment: Assessment {
                verdict: crate::service::Verdict::Mismatch,
                actual: Some(ServiceState::Exited),
                exit_code: Some(137),
                restarts: 2,
                health: None,
                since: Some("2026-12-02T04:00:00Z".into()),
                findings: vec![crate::service::Finding::Missing],
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "service");
        assert_eq!(
            (&json["actual"], &json["exit_code"], &json["restarts"]),
            (&"exited".into(), &137.into(), &2.into())
        );
        assert_eq!(json["verdict"], "mismatch");
        assert_eq!(serde_json::from_value::<LiveEvent>(json).unwrap(), event);
        assert_eq!(event.kind(), "service");
        assert_eq!(event.project().map(ProjectId::as_str), Some("shop"));
        assert_eq!(serde_json::to_value(LiveEvent::Reset).unwrap(), serde_json::json!({"type": "reset"}));
    }

    #[test]
    fn ids_round_trip_and_order() {
        let id = EventId { boot: 1_764_000_000_000, seq: 42 };
        assert_eq!(EventId::parse(&id.to_string()), Some(id));
        assert!(EventId::parse("42").is_none() && EventId::parse("a-1").is_none());
        assert!(EventId { boot: 1, seq: 9 } < EventId { boot: 1, seq: 10 });
    }
}
