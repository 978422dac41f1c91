//! Reading a `.env` file as Docker Compose 2.x does (compose-go's dotenv parser), for
//! the Environment tab's import.
//!
//! What it accepts, line by line:
//!
//! * blank lines and lines starting with `#` (after spaces) are skipped; a UTF-8 byte
//!   order mark at the start is ignored;
//! * `NAME=value` or `NAME: value`, optionally after `export `; spaces around the name
//!   and before the value are ignored;
//! * an unquoted value runs to the end of the line, stops at ` #` (an inline comment)
//!   and loses its trailing spaces;
//! * a single-quoted value is literal (only `\'` stands for a quote) and may span lines;
//! * a double-quoted value may span lines and decodes `\n`, `\r`, `\t`, `\"`, `\\`,
//!   `\$`, `\a`, `\b`, `\f`, `\v` and octal `\0NNN`; other backslashes stay;
//! * unquoted and double-quoted values are interpolated: `$$` is `$`, and `$NAME`,
//!   `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}`, `${NAME+alt}`,
//!   `${NAME:?message}`, `${NAME?message}` read the variables defined *earlier in the
//!   file*. Compose would also read its process environment; an import has none, so a
//!   name the file does not define before is an error rather than a silent empty value;
//! * after a closing quote only spaces and a `#` comment may follow on that line;
//! * a name given twice keeps the last value (as Compose does), at its first position.
//!
//! Names must be valid [`EnvName`]s (Compose also allows `.`, `-`, `[`, `]`, which NSM
//! cannot store). Every error names the line it was found on (1-based).

use super::{is_name_char, is_name_start, EnvName};

/// One variable read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedVariable {
    pub name: EnvName,
    pub value: String,
    /// The line its name is on (1-based).
    pub line: usize,
}

/// Why a `.env` file cannot be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    pub line: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("`{0}` is not a valid variable name (letters, digits and underscores, not starting with a digit)")]
    InvalidName(String),
    #[error("`{0}` has no `=` and no value (Compose would take it from its own environment; write `{0}=` for an empty value)")]
    NoValue(String),
    #[error("a line must start with a variable name, found {0:?}")]
    UnexpectedCharacter(char),
    #[error("the {0} quote opened here is never closed")]
    Unterminated(&'static str),
    #[error("unexpected text after the closing quote: {0:?}")]
    TextAfterQuote(String),
    #[error("`{0}` is used before this file defines it (write `$$` for a literal `$`)")]
    Undefined(String),
    #[error("`{name}` is not set: {message}")]
    Required { name: String, message: String },
    #[error("invalid interpolation {0:?} (write `$$` for a literal `$`)")]
    BadInterpolation(String),
    #[error("the value of `{0}` contains a NUL character")]
    Nul(String),
}

/// Reads every variable of `text`, in file order, or the first error.
pub fn parse_dotenv(text: &str) -> Result<Vec<ParsedVariable>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser { rest: text, line: 1, out: Vec::new() };
    parser.run()?;
    Ok(parser.out)
}

struct Parser<'a> {
    rest: &'a str,
    line: usize,
    out: Vec<ParsedVariable>,
}

/// Spaces that separate tokens within a line (compose-go's `isSpace` minus line feed).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}' | '\r' | '\u{85}' | '\u{a0}')
}

impl<'a> Parser<'a> {
    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError { line: self.line, kind }
    }

    /// Advances over `n` bytes, counting the line feeds passed.
    fn advance(&mut self, n: usize) {
        self.line += self.rest[..n].matches('\n').count();
        self.rest = &self.rest[n..];
    }

    fn skip_spaces(&mut self) {
        let n = self.rest.len() - self.rest.trim_start_matches(is_space).len();
        self.advance(n);
    }

    fn run(&mut self) -> Result<(), ParseError> {
        loop {
            // Blank lines and comments.
            let n = self.rest.len() - self.rest.trim_start_matches(|c| is_space(c) || c == '\n').len();
            self.advance(n);
            if self.rest.is_empty() {
                return Ok(());
            }
            if self.rest.starts_with('#') {
                let n = self.rest.find('\n').unwrap_or(self.rest.len());
                self.advance(n);
                continue;
            }
            self.statement()?;
        }
    }

    fn statement(&mut self) -> Result<(), ParseError> {
        if let Some(after) = self.rest.strip_prefix("export") {
            if after.starts_with(is_space) {
                self.advance("export".len());
                self.skip_spaces();
            }
        }
        let line = self.line;
        let end = self.rest.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')));
        let end = end.unwrap_or(self.rest.len());
        let key = &self.rest[..end];
        if key.is_empty() {
            let c = self.rest.chars().next().unwrap_or(' ');
            return Err(self.error(ParseErrorKind::UnexpectedCharacter(c)));
        }
        self.advance(end);
        self.skip_spaces();
        match self.rest.chars().next() {
            Some('=' | ':') => self.advance(1),
            None | Some('\n' | '#') => return Err(ParseError { line, kind: ParseErrorKind::NoValue(key.to_owned()) }),
            Some(c) => return Err(self.error(ParseErrorKind::UnexpectedCharacter(c))),
        }
        let name =
            EnvName::parse(key).map_err(|_| ParseError { line, kind: ParseErrorKind::InvalidName(key.to_owned()) })?;
        self.skip_spaces();
        let value = self.value(line)?;
        if value.contains('\0') {
            return Err(ParseError { line, kind: ParseErrorKind::Nul(name.to_string()) });
        }
        match self.out.iter_mut().find(|v| v.name == name) {
            Some(existing) => existing.value = value,
            None => self.out.push(ParsedVariable { name, value, line }),
        }
        Ok(())
    }

    fn value(&mut self, line: usize) -> Result<String, ParseError> {
        let quote = match self.rest.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => {
                let end = self.rest.find('\n').unwrap_or(self.rest.len());
                let raw = &self.rest[..end];
                let raw = raw.find(" #").map_or(raw, |i| &raw[..i]).trim_end();
                let value = self.interpolate(raw, line)?;
                self.advance(end);
                return Ok(value);
            }
        };
        let (raw, consumed) = match quoted(self.rest, quote) {
            Some(found) => found,
            None => {
                let what = if quote == '"' { "double" } else { "single" };
                return Err(ParseError { line, kind: ParseErrorKind::Unterminated(what) });
            }
        };
        self.advance(consumed);
        // Only spaces and a comment may follow on the closing quote's line.
        let end = self.rest.find('\n').unwrap_or(self.rest.len());
        let tail = self.rest[..end].trim_start_matches(is_space);
        if !tail.is_empty() && !tail.starts_with('#') {
            return Err(self.error(ParseErrorKind::TextAfterQuote(tail.to_owned())));
        }
        self.advance(end);
        if quote == '\'' {
            return Ok(raw);
        }
        self.interpolate(&expand_escapes(&raw), line)
    }

    fn lookup(&self, name: &str) -> Option<&str> {
        self.out.iter().find(|v| v.name.as_str() == name).map(|v| v.value.as_str())
    }

    /// Expands `$$` and references to earlier variables.
    fn interpolate(&self, raw: &str, line: usize) -> Result<String, ParseError> {
        let err = |kind| ParseError { line, kind };
        let mut out = String::new();
        let mut rest = raw;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            rest = &rest[i + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                out.push('$');
                rest = after;
            } else if let Some(after) = rest.strip_prefix('{') {
                let close =
                    matching_brace(after).ok_or_else(|| err(ParseErrorKind::BadInterpolation(format!("${rest}"))))?;
                let inner = &after[..close];
                out.push_str(&self.braced(inner, line)?);
                rest = &after[close + 1..];
            } else if rest.starts_with(is_name_start) {
                let end = rest.find(|c| !is_name_char(c)).unwrap_or(rest.len());
                let name = &rest[..end];
                out.push_str(self.lookup(name).ok_or_else(|| err(ParseErrorKind::Undefined(name.to_owned())))?);
                rest = &rest[end..];
            } else {
                // A lone `$` (before a space, a digit, the end…) is kept, as Compose does.
                out.push('$');
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `${...}` without its braces.
    fn braced(&self, inner: &str, line: usize) -> Result<String, ParseError> {
        let err = |kind| ParseError { line, kind };
        let bad = || err(ParseErrorKind::BadInterpolation(format!("${{{inner}}}")));
        let end = inner.find(|c| !is_name_char(c)).unwrap_or(inner.len());
        let name = &inner[..end];
        if !name.starts_with(is_name_start) {
            return Err(bad());
        }
        let value = self.lookup(name);
        let op = &inner[end..];
        if op.is_empty() {
            return value.map(str::to_owned).ok_or_else(|| err(ParseErrorKind::Undefined(name.to_owned())));
        }
        let (colon, op) = match op.strip_prefix(':') {
            Some(op) => (true, op),
            None => (false, op),
        };
        let mut chars = op.chars();
        let symbol = chars.next().ok_or_else(bad)?;
        let word = chars.as_str();
        // With `:`, an empty value counts as unset.
        let set = value.filter(|v| !colon || !v.is_empty());
        match symbol {
            '-' => match set {
                Some(v) => Ok(v.to_owned()),
                None => self.interpolate(word, line),
            },
            '+' => match set {
                Some(_) => self.interpolate(word, line),
                None => Ok(String::new()),
            },
            '?' => match set {
                Some(v) => Ok(v.to_owned()),
                None => Err(err(ParseErrorKind::Required { name: name.to_owned(), message: word.to_owned() })),
            },
            _ => Err(bad()),
        }
    }
}

/// The index of the `}` closing a `${` whose text starts at `text`, nesting included.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The text between `src`'s opening quote and its closing one, and the bytes consumed
/// (both quotes included). A backslash escapes the next character: `\<quote>` is the
/// quote; any other escaped character keeps its backslash (decoded later, for double
/// quotes), so `\\` never ends on the quote after it.
fn quoted(src: &str, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in src.char_indices().skip(1) {
        if escaped {
            escaped = false;
            if c != quote {
                out.push('\\');
            }
            out.push(c);
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some((out, i + c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    None
}

/// Decodes the escapes of a double-quoted value. `\$` becomes `$$`, so that
/// interpolation then leaves a literal `$`.
fn expand_escapes(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&next) = chars.peek() else {
            out.push('\\');
            break;
        };
        let simple = match next {
            'a' => Some("\u{7}"),
            'b' => Some("\u{8}"),
            'f' => Some("\u{c}"),
            'n' => Some("\n"),
            'r' => Some("\r"),
            't' => Some("\t"),
            'v' => Some("\u{b}"),
            '"' => Some("\""),
            '\\' => Some("\\"),
            '$' => Some("$$"),
            _ => None,
        };
        if let Some(text) = simple {
            chars.next();
            out.push_str(text);
            continue;
        }
        if next == '0' {
            chars.next();
            let digits: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_digit)).take(3).collect();
            // Go's octal escape: exactly three octal digits up to 0377; otherwise the text
            // stays as Compose leaves it (with the `0` dropped by its rewrite).
            let octal = u32::from_str_radix(&digits, 8).ok().filter(|v| digits.len() == 3 && *v <= 0o377);
            match octal.and_then(char::from_u32) {
                Some(decoded) => out.push(decoded),
                None => {
                    out.push('\\');
                    out.push_str(&digits);
                }
            }
            continue;
        }
        out.push('\\');
    }
    out
}
