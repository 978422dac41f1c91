//! A deployment telling the server what it does: phases, log lines, the final report.

use chrono::{SecondsFormat, Utc};
use nsm_core::protocol::{DeployPhase, DeployReport, LogLine, LogStream, WorkerMessage};
use nsm_core::DeploymentId;

use crate::outbox::{post, Outbox};

pub(crate) struct Narrator<'a> {
    deployment: DeploymentId,
    out: &'a Outbox,
}

impl<'a> Narrator<'a> {
    pub fn new(deployment: DeploymentId, out: &'a Outbox) -> Self {
        Self { deployment, out }
    }

    /// NSM's own narration of a step (also logged, in the deployment's span).
    pub fn system(&self, text: impl Into<String>) {
        let text = text.into();
        tracing::debug!("{text}");
        self.line(LogStream::System, text);
    }

    /// A line of a process's output.
    pub fn line(&self, stream: LogStream, text: String) {
        let line = LogLine { at: now(), stream, text };
        post(self.out, WorkerMessage::DeployLog { deployment: self.deployment, line });
    }

    pub fn phase(&self, phase: DeployPhase) {
        post(self.out, WorkerMessage::DeployPhase { deployment: self.deployment, phase });
    }

    /// Any other message the deployment has for the server.
    pub fn send(&self, message: WorkerMessage) {
        post(self.out, message);
    }

    pub fn finish(&self, report: &DeployReport) {
        let report = Box::new(report.clone());
        post(self.out, WorkerMessage::DeployFinished { deployment: self.deployment, report });
    }
}

/// RFC 3339 UTC with milliseconds, as `LogLine::at` wants.
pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}
