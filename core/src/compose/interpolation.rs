//! Variable names referenced by Compose interpolation in a value.

use std::collections::BTreeSet;

use super::limits::{ComposeLimit, MAX_INTERPOLATION_DEPTH};
use crate::env::{is_name_char, is_name_start, EnvName};

/// Operators that may follow a name inside `${...}`; the text after them (a default, an
/// alternative or an error message) is itself interpolated.
const OPERATORS: [&str; 6] = [":-", ":?", ":+", "-", "?", "+"];

/// Names referenced by Compose interpolation in `text`: `$VAR`, `${VAR}` and the forms
/// with `:-`, `-`, `:?`, `?`, `:+`, `+`, including references nested in their text
/// (`${A:-${B}}` yields both). `$$` is an escaped dollar and references nothing; malformed
/// references (which Compose refuses) are skipped.
///
/// References nested deeper than [`MAX_INTERPOLATION_DEPTH`] are refused: with that
/// bound the scan recurses at most that deep and reads each byte a bounded number of
/// times (an unclosed reference is read to the end, and only a bounded number of them
/// can be open at once).
pub fn interpolated_names(text: &str) -> Result<BTreeSet<EnvName>, ComposeLimit> {
    let mut names = BTreeSet::new();
    scan(text, &mut names)?;
    Ok(names)
}

fn scan(text: &str, into: &mut BTreeSet<EnvName>) -> Result<(), ComposeLimit> {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        rest = if let Some(escaped) = after.strip_prefix('$') {
            escaped
        } else if let Some(braced) = after.strip_prefix('{') {
            scan_braced(braced, into)?.unwrap_or(braced)
        } else if after.starts_with(is_name_start) {
            let (name, tail) = split_name(after);
            add(name, into);
            tail
        } else {
            after
        };
    }
    Ok(())
}

/// Handles the text after `${`; returns what follows the reference, or `None` when it is
/// malformed.
fn scan_braced<'a>(text: &'a str, into: &mut BTreeSet<EnvName>) -> Result<Option<&'a str>, ComposeLimit> {
    if !text.starts_with(is_name_start) {
        return Ok(None);
    }
    let (name, tail) = split_name(text);
    if let Some(after) = tail.strip_prefix('}') {
        add(name, into);
        return Ok(Some(after));
    }
    let Some(operator) = OPERATORS.into_iter().find(|op| tail.starts_with(op)) else { return Ok(None) };
    let body = &tail[operator.len()..];
    let Some(close) = closing_brace(body)? else { return Ok(None) };
    add(name, into);
    scan(&body[..close], into)?;
    Ok(Some(&body[close + 1..]))
}

/// Index of the `}` closing a reference whose body starts `text`, counting nested `${`;
/// refuses nesting deeper than the bound before reading further.
fn closing_brace(text: &str) -> Result<Option<usize>, ComposeLimit> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                // The reference being closed is one level too.
                if depth >= MAX_INTERPOLATION_DEPTH {
                    return Err(ComposeLimit::InterpolationDepth);
                }
                i += 1;
            }
            b'}' if depth == 0 => return Ok(Some(i)),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    Ok(None)
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
