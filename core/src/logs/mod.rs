//! Container logs: the lines a service prints, as the worker ships them and the server
//! stores them, and the per-service cap that keeps the store bounded.

mod cap;
mod query;

pub use cap::{CapError, LogCap};
pub use query::{LogEntry, LogQuery, QUERY_LIMIT_DEFAULT, QUERY_LIMIT_MAX};

use serde::{Deserialize, Serialize};

/// Longer lines are cut here (a service printing a megabyte without a newline must
/// not make one row or one frame that large).
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// What a cut line ends with, so a reader knows it was cut.
pub const CUT_MARK: &str = " …[cut]";

crate::text_enum!(
    /// Which of the container's output streams a line came from.
    pub enum LogStream {
        Stdout = "stdout",
        Stderr = "stderr",
    }
);

/// One line a container printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerLogLine {
    /// When Docker received it, milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub stream: LogStream,
    pub text: String,
}

impl ContainerLogLine {
    /// A line, cut to [`MAX_LINE_BYTES`] (on a character boundary) and without its
    /// trailing newline.
    pub fn new(at_ms: i64, stream: LogStream, text: &str) -> Self {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        Self { at_ms, stream, text: cut_line(text) }
    }

    /// What the line weighs in the store (its text; the rest is small and fixed).
    pub fn bytes(&self) -> u64 {
        self.text.len() as u64
    }
}

/// `text` cut to [`MAX_LINE_BYTES`] on a character boundary, marked when cut.
pub fn cut_line(text: &str) -> String {
    if text.len() <= MAX_LINE_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_LINE_BYTES - CUT_MARK.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT_MARK}", &text[..end])
}

/// Splits a Docker log line with `timestamps` on (`2026-12-02T20:00:00.123456789Z text`)
/// into milliseconds and text. `None`: no readable timestamp.
pub fn split_timestamp(raw: &str) -> Option<(i64, &str)> {
    let (stamp, text) = raw.split_once(' ').unwrap_or((raw, ""));
    let seconds = crate::time::UnixTime::parse(stamp)?.0;
    // The fraction's first three digits are the milliseconds (Docker sends nanoseconds).
    let millis = stamp
        .split_once('.')
        .map(|(_, fraction)| {
            let digits: String = fraction.chars().take_while(char::is_ascii_digit).take(3).collect();
            format!("{digits:0<3}").parse::<i64>().unwrap_or(0)
        })
        .unwrap_or(0);
    let ms = seconds.checked_mul(1000)?.checked_add(millis)?;
    Some((ms, text))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn newlines_are_dropped_and_short_lines_kept() {
        let line = ContainerLogLine::new(5, LogStream::Stdout, "hello\r\n");
        assert_eq!(line.text, "hello");
        assert_eq!(line.bytes(), 5);
    }

    #[test]
    fn long_lines_are_cut_with_a_mark() {
        let long = "é".repeat(MAX_LINE_BYTES);
        let line = ContainerLogLine::new(0, LogStream::Stderr, &long);
        assert!(line.text.len() <= MAX_LINE_BYTES);
        assert!(line.text.ends_with(CUT_MARK));
    }

    #[test]
    fn docker_timestamps_become_milliseconds() {
        let (ms, text) = split_timestamp("2026-12-02T20:00:00.123456789Z line 1 here").unwrap();
        assert_eq!(ms, 1_796_241_600_123);
        assert_eq!(text, "line 1 here");
        assert_eq!(split_timestamp("2026-12-02T20:00:00Z").unwrap().1, "");
        assert!(split_timestamp("no stamp").is_none());
    }

    proptest! {
        #[test]
        fn no_line_is_longer_than_the_maximum(text in ".{0,40000}") {
            let line = ContainerLogLine::new(0, LogStream::Stdout, &text);
            prop_assert!(line.text.len() <= MAX_LINE_BYTES);
        }
    }
}
