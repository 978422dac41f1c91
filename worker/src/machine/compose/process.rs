//! Running a child process in its own process group, streaming its output line by
//! line, and killing the whole group on timeout or cancellation: Compose starts
//! helpers (the docker CLI for builds) that must not outlive it.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use nsm_core::protocol::LogStream;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

pub use crate::machine::limits::Limits;
use crate::machine::limits::Stop;

/// Longest line passed on; the rest of a longer line is cut (progress bars, minified
/// output), so one line can never flood the deployment log.
const MAX_LINE_BYTES: usize = 8 * 1024;
/// How long output may keep arriving after the process exited (helpers still flushing).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("waiting for `{program}` failed: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("stopped: the deadline passed")]
    TimedOut,
    #[error("stopped: cancelled")]
    Cancelled,
}

impl RunError {
    /// The stop that ended the run, if it was stopped rather than failed.
    pub fn stop(&self) -> Option<Stop> {
        match self {
            Self::Cancelled => Some(Stop::Cancelled),
            Self::TimedOut => Some(Stop::TimedOut),
            Self::Spawn { .. } | Self::Wait { .. } => None,
        }
    }
}

/// Runs `command` to completion, handing each output line to `on_line`, unless the
/// deadline passes or `cancel` fires first: then the process group is killed.
pub async fn run_streaming(
    mut command: Command,
    limits: Limits<'_>,
    mut on_line: impl FnMut(LogStream, String),
) -> Result<ExitStatus, RunError> {
    let program = command.as_std().get_program().to_string_lossy().into_owned();
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0).kill_on_drop(true);
    let mut child = command.spawn().map_err(|source| RunError::Spawn { program: program.clone(), source })?;
    let group = child.id().and_then(|pid| i32::try_from(pid).ok()).map(Pid::from_raw);

    let (tx, mut lines) = mpsc::unbounded_channel();
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(forward_lines(stdout, LogStream::Stdout, tx.clone()));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(forward_lines(stderr, LogStream::Stderr, tx));
    }

    let stopped = loop {
        tokio::select! {
            Some((stream, line)) = lines.recv() => on_line(stream, line),
            status = child.wait() => {
                let status = status.map_err(|source| RunError::Wait { program: program.clone(), source })?;
                break Ok(status);
            }
            () = tokio::time::sleep_until(limits.deadline) => break Err(RunError::TimedOut),
            () = limits.cancel.cancelled() => break Err(RunError::Cancelled),
        }
    };
    if stopped.is_err() {
        kill_group(group);
        if let Err(error) = child.wait().await {
            tracing::warn!(%error, %program, "could not reap a killed process");
        }
    }
    // Output written just before the exit is still in the pipes.
    let drained = tokio::time::timeout(DRAIN_GRACE, async {
        while let Some((stream, line)) = lines.recv().await {
            on_line(stream, line);
        }
    })
    .await;
    if drained.is_err() {
        tracing::debug!(%program, "output kept coming after the process ended; the rest is not shown");
    }
    // Helpers left behind in the group have no one to report to.
    kill_group(group);
    stopped
}

fn kill_group(group: Option<Pid>) {
    if let Some(group) = group {
        match killpg(group, Signal::SIGKILL) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(error) => tracing::warn!(%error, pgid = group.as_raw(), "could not kill a process group"),
        }
    }
}

async fn forward_lines(
    output: impl AsyncRead + Unpin,
    stream: LogStream,
    tx: mpsc::UnboundedSender<(LogStream, String)>,
) {
    let mut reader = BufReader::new(output);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return,
            Err(error) => {
                tracing::debug!(%error, ?stream, "stopped reading a process's output");
                return;
            }
            Ok(_) => {
                if tx.send((stream, clean_line(&buf))).is_err() {
                    return;
                }
            }
        }
    }
}

/// A line as text: lossy UTF-8, no line terminator, at most [`MAX_LINE_BYTES`].
fn clean_line(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_LINE_BYTES)]).into_owned();
    if bytes.len() > MAX_LINE_BYTES {
        text.push_str(" …");
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn lines_are_cleaned() {
        assert_eq!(clean_line(b"a\r\n"), "a");
        assert_eq!(clean_line(b"\xffb\n"), "\u{fffd}b");
        assert!(clean_line(&vec![b'x'; MAX_LINE_BYTES + 10]).ends_with(" …"));
    }

    #[tokio::test]
    async fn streams_both_outputs_and_returns_the_status() {
        let cancel = CancellationToken::new();
        let limits = Limits { deadline: Instant::now() + Duration::from_secs(10), cancel: &cancel };
        let mut seen = Vec::new();
        let status =
            run_streaming(sh("echo out; echo err >&2; exit 3"), limits, |s, l| seen.push((s, l))).await.unwrap();
        assert_eq!(status.code(), Some(3));
        seen.sort_by_key(|(_, l)| l.clone());
        assert_eq!(seen, vec![(LogStream::Stderr, "err".to_owned()), (LogStream::Stdout, "out".to_owned())]);
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group() {
        let marker = tempfile::tempdir().unwrap();
        let pid_file = marker.path().join("grandchild");
        // The grandchild would outlive a plain kill of its parent.
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let cancel = CancellationToken::new();
        let limits = Limits { deadline: Instant::now() + Duration::from_millis(500), cancel: &cancel };
        let started = std::time::Instant::now();
        let result = run_streaming(sh(&script), limits, |_, _| {}).await;
        assert!(matches!(result, Err(RunError::TimedOut)), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let alive = nix::sys::signal::kill(Pid::from_raw(pid), None).is_ok()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ");
        assert!(!alive, "the grandchild survived");
    }

    #[tokio::test]
    async fn cancellation_stops_the_run() {
        let cancel = CancellationToken::new();
        let limits = Limits { deadline: Instant::now() + Duration::from_secs(30), cancel: &cancel };
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            trigger.cancel();
        });
        let result = run_streaming(sh("sleep 30"), limits, |_, _| {}).await;
        assert!(matches!(result, Err(RunError::Cancelled)), "{result:?}");
    }
}
