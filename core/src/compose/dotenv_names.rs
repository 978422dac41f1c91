//! Variable names defined by a `.env`-style file in a repository.

use std::collections::BTreeSet;

use crate::env::EnvName;

/// Names defined in a `.env` file: `NAME=value`, `export NAME=value`, and a bare `NAME`
/// line (a variable Compose takes from its environment). Comments and blank lines are
/// skipped, and a quoted value may span lines without its lines being read as names.
/// Names NSM cannot configure (such as `my.var`) are left out.
pub fn dotenv_names(text: &str) -> BTreeSet<EnvName> {
    let mut names = BTreeSet::new();
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return names;
        }
        if rest.starts_with('#') {
            rest = skip_line(rest);
            continue;
        }
        let (statement, after) = statement(rest);
        if let Some(name) = statement.and_then(|name| EnvName::parse(name).ok()) {
            names.insert(name);
        }
        rest = after;
    }
}

/// Reads one statement at the start of `text` (which starts with a non-space): the name
/// it defines, if it is well formed, and the text after it.
fn statement(text: &str) -> (Option<&str>, &str) {
    let text = strip_export(text);
    let key_end = text.find(|c: char| c == '=' || c == ':' || c == '#' || c.is_whitespace()).unwrap_or(text.len());
    let (key, after_key) = text.split_at(key_end);
    let after_key = after_key.trim_start_matches(is_blank);
    if key.is_empty() {
        return (None, skip_line(text));
    }
    if after_key.is_empty() || after_key.starts_with(['\n', '\r']) {
        // A bare name: its value comes from the environment Compose runs in.
        return (Some(key), after_key);
    }
    let Some(value) = after_key.strip_prefix(['=', ':']) else {
        return (None, skip_line(after_key));
    };
    let value = value.trim_start_matches(is_blank);
    match value.chars().next() {
        Some(quote @ ('"' | '\'')) => match closing_quote(&value[1..], quote) {
            Some(end) => (Some(key), skip_line(&value[1 + end + 1..])),
            // An unterminated quote: python-dotenv skips the line, compose v2 refuses the file.
            None => (None, skip_line(value)),
        },
        _ => (Some(key), skip_line(value)),
    }
}

fn strip_export(text: &str) -> &str {
    match text.strip_prefix("export") {
        Some(after) if after.starts_with(is_blank) => after.trim_start_matches(is_blank),
        _ => text,
    }
}

/// Byte index in `text` of the quote closing a value; a backslash escapes the next
/// character, as in both Compose parsers.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

fn skip_line(text: &str) -> &str {
    text.find('\n').map_or("", |i| &text[i + 1..])
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}
