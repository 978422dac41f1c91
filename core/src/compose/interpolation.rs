//! Variable names referenced by Compose interpolation in a value.

use std::collections::BTreeSet;

use crate::env::{is_name_char, is_name_start, EnvName};

/// Operators that may follow a name inside `${...}`; the text after them (a default, an
/// alternative or an error message) is itself interpolated.
const OPERATORS: [&str; 6] = [":-", ":?", ":+", "-", "?", "+"];

/// Names referenced by Compose interpolation in `text`: `$VAR`, `${VAR}` and the forms
/// with `:-`, `-`, `:?`, `?`, `:+`, `+`, including references nested in their text
/// (`${A:-${B}}` yields both). `$$` is an escaped dollar and references nothing; malformed
/// references (which Compose refuses) are skipped.
pub fn interpolated_names(text: &str) -> BTreeSet<EnvName> {
    let mut names = BTreeSet::new();
    scan(text, &mut names);
    names
}

fn scan(text: &str, into: &mut BTreeSet<EnvName>) {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        rest = if let Some(escaped) = after.strip_prefix('$') {
            escaped
        } else if let Some(braced) = after.strip_prefix('{') {
            scan_braced(braced, into).unwrap_or(braced)
        } else if after.starts_with(is_name_start) {
            let (name, tail) = split_name(after);
            add(name, into);
            tail
        } else {
            after
        };
    }
}

/// Handles the text after `${`; returns what follows the reference, or `None` when it is
/// malformed.
fn scan_braced<'a>(text: &'a str, into: &mut BTreeSet<EnvName>) -> Option<&'a str> {
    if !text.starts_with(is_name_start) {
        return None;
    }
    let (name, tail) = split_name(text);
    if let Some(after) = tail.strip_prefix('}') {
        add(name, into);
        return Some(after);
    }
    let operator = OPERATORS.into_iter().find(|op| tail.starts_with(op))?;
    let body = &tail[operator.len()..];
    let close = closing_brace(body)?;
    add(name, into);
    scan(&body[..close], into);
    Some(&body[close + 1..])
}

/// Index of the `}` closing a reference whose body starts `text`, counting nested `${`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
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

fn split_name(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    text.split_at(end)
}

fn add(name: &str, into: &mut BTreeSet<EnvName>) {
    // A name too long for NSM cannot be configured; it is not reported.
    if let Ok(name) = EnvName::parse(name) {
        into.insert(name);
    }
}
