//! What the code under test logs through `tracing`, for tests that assert something
//! was logged (a refusal, say). One process-wide subscriber records every warning and
//! error as the server's own log would print it, span fields included; tests run in
//! parallel, so a test looks for lines naming its own ids.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::TestkitError;

/// Warnings and errors logged anywhere in this process since the capture started,
/// one entry per event.
#[derive(Clone, Default)]
pub struct CapturedLog {
    lines: Arc<Mutex<Vec<String>>>,
}

impl CapturedLog {
    /// The lines that contain every one of `words`.
    pub fn lines_with(&self, words: &[&str]) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().filter(|line| words.iter().all(|w| line.contains(w))).cloned().collect()
    }
}

/// Writes each formatted event as one entry.
pub struct EventWriter(CapturedLog);

impl io::Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let line = String::from_utf8_lossy(buf).trim_end().to_owned();
        self.0.lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLog {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(self.clone())
    }
}

/// Starts recording (once per process) and returns the record. Fails when another
/// global subscriber was installed first.
pub fn capture_warnings() -> Result<&'static CapturedLog, TestkitError> {
    static CAPTURE: OnceLock<Option<CapturedLog>> = OnceLock::new();
    let capture = CAPTURE.get_or_init(|| {
        let log = CapturedLog::default();
        // Spans down to INFO (the level `#[instrument]` gives them) so the lines carry
        // their ids as in the server's log; events from WARN up.
        let wanted =
            filter_fn(|meta| if meta.is_span() { *meta.level() <= Level::INFO } else { *meta.level() <= Level::WARN });
        let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(log.clone()).with_filter(wanted);
        let installed = tracing_subscriber::registry().with(layer).try_init();
        installed.is_ok().then_some(log)
    });
    capture.as_ref().ok_or(TestkitError::SubscriberTaken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_warnings_with_their_span_fields_and_not_below() -> Result<(), TestkitError> {
        let log = capture_warnings()?;
        let span = tracing::info_span!("link", worker = "w-capture-test");
        let _entered = span.enter();
        tracing::warn!(kind = "deploy_log", "refused for the capture test");
        tracing::info!("not recorded for the capture test");
        let found = log.lines_with(&["refused for the capture test"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("worker=\"w-capture-test\"") || found[0].contains("worker=w-capture-test"),
            "{found:?}"
        );
        assert!(found[0].contains("deploy_log"), "{found:?}");
        assert!(log.lines_with(&["not recorded for the capture test"]).is_empty());
        Ok(())
    }
}
