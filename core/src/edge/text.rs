//! Text that is safe to place into nginx configuration, and the indenting writer the
//! renderer uses. Every user value passes one of these checks before it is written.

use super::error::NginxError;

/// How `proxy_pass` names the worker: IPv6 addresses go in brackets.
pub(super) fn upstream_host(host: &str) -> Result<String, NginxError> {
    let inner = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if inner.contains(':') {
        if inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Ok(format!("[{inner}]"));
        }
    } else if !host.is_empty()
        && !host.starts_with(['-', '.'])
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Ok(host.to_owned());
    }
    Err(unsafe_value("upstream host", host))
}

/// An unquoted word: printable ASCII, none of nginx's separators, quotes, escapes,
/// variables or comments.
pub(super) fn word<'v>(what: &str, value: &'v str) -> Result<&'v str, NginxError> {
    checked(what, value, |c| c != '#')
}

/// The inside of a `"…"` string: as a word, except that `#` is harmless in quotes.
pub(super) fn quotable<'v>(what: &str, value: &'v str) -> Result<&'v str, NginxError> {
    checked(what, value, |_| true)
}

fn checked<'v>(what: &str, value: &'v str, also: impl Fn(char) -> bool) -> Result<&'v str, NginxError> {
    let safe = |c: char| c.is_ascii_graphic() && !matches!(c, ';' | '{' | '}' | '"' | '\'' | '\\' | '$') && also(c);
    if !value.is_empty() && value.chars().all(safe) {
        Ok(value)
    } else {
        Err(unsafe_value(what, value))
    }
}

pub(super) fn absolute_path<'v>(what: &str, value: &'v str) -> Result<&'v str, NginxError> {
    if !value.starts_with('/') {
        return Err(unsafe_value(&format!("{what} (not absolute)"), value));
    }
    word(what, value)
}

pub(super) fn unsafe_value(what: &str, value: &str) -> NginxError {
    NginxError::Unsafe { what: what.to_owned(), value: value.to_owned() }
}

/// Indented text, four spaces a level.
#[derive(Default)]
pub(super) struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    pub(super) fn finish(self) -> String {
        self.out
    }

    pub(super) fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    pub(super) fn blank(&mut self) {
        self.out.push('\n');
    }

    pub(super) fn open(&mut self, head: &str) {
        self.line(&format!("{head} {{"));
        self.depth += 1;
    }

    pub(super) fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line("}");
    }

    pub(super) fn block(&mut self, head: &str, lines: &[String]) {
        self.open(head);
        for line in lines {
            self.line(line);
        }
        self.close();
    }

    /// Text placed as is (a Custom body: re-indenting could change its strings).
    pub(super) fn raw(&mut self, text: &str) {
        self.out.push_str(text);
        if !text.ends_with('\n') {
            self.out.push('\n');
        }
    }
}
