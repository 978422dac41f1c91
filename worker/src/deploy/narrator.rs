//! A deployment telling the server what it does: phases, log lines, the final report.

use chrono::{SecondsFormat, Utc};
use nsm_core::protocol::{DeployPhase, DeployReport, LogLine, LogStream, WorkerMessage};

use crate::host::Outbox;

pub(crate) struct Narrator<'a> {
    deployment: i64,
    out: &'a Outbox,
}

impl<'a> Narrator<'a> {
    pub fn new(deployment: i64, out: &'a Outbox) -> Self {
        Self { deployment, out }
    }

    /// NSM's own narration of a step.
    pub fn system(&self, text: impl Into<String>) {
        let text = text.into();
        tracing::debug!(deployment = self.deployment, "{text}");
        self.line(LogStream::System, text);
    }

    /// A line of a process's output.
    pub fn line(&self, stream: LogStream, text: String) {
        let line = LogLine { at: now(), stream, text };
        self.send(WorkerMessage::DeployLog { deployment: self.deployment, line });
    }

    pub fn phase(&self, phase: DeployPhase) {
        self.send(WorkerMessage::DeployPhase { deployment: self.deployment, phase });
    }

    pub fn finish(&self, report: &DeployReport) {
        self.send(WorkerMessage::DeployFinished { deployment: self.deployment, report: Box::new(report.clone()) });
    }

    fn send(&self, message: WorkerMessage) {
        // Only fails when the worker is shutting down and nobody reads any more.
        let _ = self.out.send(message);
    }
}

/// RFC 3339 UTC with milliseconds, as `LogLine::at` wants.
pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}
