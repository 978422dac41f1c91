//! A model of how `docker compose` 2.x reads a `.env` file (compose-go's dotenv parser),
//! written from its documented behaviour. Two generations differ in how a quoted value
//! ends; the renderer must satisfy both.
//!
//! Only `$$` is modelled in expansion: the V2 rendering never emits any other `$`, so a
//! lone `$` here means the renderer is wrong and the model reports an error.

use std::collections::BTreeMap;

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Most releases: a quote ends the value unless the byte before it is `\`.
    PreviousByte,
    /// Newer releases: backslashes pair up, `\\"` ends the value.
    EscapePairs,
}

fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}')
}

fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphanumeric()
}

/// Finds the closing quote; returns the text between the quotes and the rest.
fn quoted(src: &str, quote: char, generation: Generation) -> Option<(String, &str)> {
    let bytes = src.as_bytes();
    let q = quote as u8;
    match generation {
        Generation::PreviousByte => {
            for i in 1..bytes.len() {
                if bytes[i] == q && bytes[i - 1] != b'\\' {
                    return Some((src[1..i].to_owned(), &src[i + 1..]));
                }
            }
            None
        }
        Generation::EscapePairs => {
            let mut chars: Vec<u8> = Vec::new();
            let mut escaped = false;
            for i in 1..bytes.len() {
                let b = bytes[i];
                if escaped {
                    escaped = false;
                    if b != q {
                        chars.push(b'\\');
                    }
                    chars.push(b);
                    continue;
                }
                if b == b'\\' {
                    escaped = true;
                } else if b == q {
                    return Some((String::from_utf8(chars).ok()?, &src[i + 1..]));
                } else {
                    chars.push(b);
                }
            }
            None
        }
    }
}

fn expand_escapes(value: &str) -> String {
    let escapes = match Regex::new(r#"\\(?:[abcfnrtv$"\\]|0\d{0,3})"#) {
        Ok(re) => re,
        Err(e) => panic!("bad model pattern: {e}"),
    };
    escapes
        .replace_all(value, |caps: &regex::Captures<'_>| {
            let m = &caps[0];
            if m == "\\$" {
                return "$$".to_owned();
            }
            if let Some(digits) = m.strip_prefix("\\0") {
                // Rewritten to a Go octal escape, which needs exactly three octal digits;
                // anything else fails to unquote and the rewritten text stays.
                let octal = u32::from_str_radix(digits, 8).ok().filter(|v| digits.len() == 3 && *v <= 255);
                return match octal.and_then(char::from_u32) {
                    Some(c) => c.to_string(),
                    None => format!("\\{digits}"),
                };
            }
            match m.chars().nth(1) {
                Some('a') => "\u{7}".to_owned(),
                Some('b') => "\u{8}".to_owned(),
                Some('f') => "\u{c}".to_owned(),
                Some('n') => "\n".to_owned(),
                Some('r') => "\r".to_owned(),
                Some('t') => "\t".to_owned(),
                Some('v') => "\u{b}".to_owned(),
                Some('"') => "\"".to_owned(),
                Some('\\') => "\\".to_owned(),
                _ => m.to_owned(),
            }
        })
        .into_owned()
}

fn expand_variables(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('$') => out.push('$'),
            _ => return Err(format!("unmodelled interpolation in {value:?}")),
        }
    }
    Ok(out)
}

/// The variables docker compose 2.x takes from `text`.
pub fn read(text: &str, generation: Generation) -> Result<BTreeMap<String, String>, String> {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = BTreeMap::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('#') {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
            continue;
        }
        if let Some(after) = rest.strip_prefix("export") {
            if after.starts_with(char::is_whitespace) {
                rest = after.trim_start_matches(is_space);
            }
        }
        let end = rest.char_indices().find(|&(_, c)| !is_space(c) && !is_key_char(c)).ok_or("statement without `=`")?;
        if end.1 != '=' {
            return Err(format!("unexpected {:?} in a variable name", end.1));
        }
        let key = rest[..end.0].trim_end().to_owned();
        let value_src = rest[end.0 + 1..].trim_start_matches(is_space);
        let (value, after) = match value_src.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let (raw, after) = quoted(value_src, q, generation).ok_or("unterminated quoted value")?;
                if q == '"' {
                    (expand_variables(&expand_escapes(&raw))?, after)
                } else {
                    (raw, after)
                }
            }
            _ => {
                let (line, after) = value_src.split_once('\n').unwrap_or((value_src, ""));
                let line = line.split(" #").next().unwrap_or("");
                (expand_variables(line.trim_end())?, after)
            }
        };
        out.insert(key, value);
        rest = after;
    }
    Ok(out)
}
