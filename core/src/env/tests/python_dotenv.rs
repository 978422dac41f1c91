//! A model of how `docker-compose` 1.29 reads a `.env` file: python-dotenv 0.21 with
//! interpolation on, the file opened as UTF-8 text with universal newlines. Written from
//! the documented behaviour and checked against the real program by
//! `worker/tests/dotenv_roundtrip.rs`; the patterns mirror the parser's, so the renderer
//! is tested against the same leftmost-first matching.

use std::collections::BTreeMap;

use regex::Regex;

struct Patterns {
    key: Regex,
    equals: Regex,
    single: Regex,
    double: Regex,
    unquoted: Regex,
    comment: Regex,
    end_of_line: Regex,
    rest_of_line: Regex,
    double_escapes: Regex,
    single_escapes: Regex,
    inline_comment: Regex,
    variable: Regex,
}

fn re(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(re) => re,
        Err(e) => panic!("bad model pattern {pattern}: {e}"),
    }
}

impl Patterns {
    fn new() -> Self {
        Self {
            key: re(r"\A(?:export[^\S\r\n]+)?([^=#\s]+)[^\S\r\n]*"),
            equals: re(r"\A=[^\S\r\n]*"),
            single: re(r#"\A'((?:\\'|[^'])*)'"#),
            double: re(r#"\A"((?:\\"|[^"])*)""#),
            unquoted: re(r"\A[^\r\n]*"),
            comment: re(r"\A(?:[^\S\r\n]*#[^\r\n]*)?"),
            end_of_line: re(r"\A[^\S\r\n]*(?:\r\n|\n|\r|\z)"),
            rest_of_line: re(r"\A[^\r\n]*(?:\r|\n|\r\n)?"),
            double_escapes: re(r#"\\[\\'"abfnrtv]"#),
            single_escapes: re(r"\\[\\']"),
            inline_comment: re(r"\s+#.*"),
            variable: re(r"\$\{([^}:]*)(?::-([^}]*))?\}"),
        }
    }
}

fn decode(escapes: &Regex, raw: &str) -> String {
    escapes
        .replace_all(raw, |caps: &regex::Captures<'_>| match caps[0].chars().nth(1) {
            Some('a') => "\u{7}".to_owned(),
            Some('b') => "\u{8}".to_owned(),
            Some('f') => "\u{c}".to_owned(),
            Some('n') => "\n".to_owned(),
            Some('r') => "\r".to_owned(),
            Some('t') => "\t".to_owned(),
            Some('v') => "\u{b}".to_owned(),
            Some(other) => other.to_string(),
            None => String::new(),
        })
        .into_owned()
}

/// One `KEY=value` statement: `Ok(None)` for blank or comment lines, `Err` for a line
/// the parser skips as invalid. Advances `pos` past what it consumed.
fn binding(p: &Patterns, text: &str, pos: &mut usize) -> Result<Option<(String, Option<String>)>, ()> {
    let rest = &text[*pos..];
    if rest.starts_with('#') {
        let consumed = p.comment.find(rest).map_or(0, |m| m.end());
        let after = &rest[consumed..];
        let eol = p.end_of_line.find(after).ok_or(())?;
        *pos += consumed + eol.end();
        return Ok(None);
    }
    let key = p.key.captures(rest).ok_or(())?;
    let key_name = key[1].to_owned();
    let mut at = key.get(0).map_or(0, |m| m.end());
    let mut value = None;
    if let Some(eq) = p.equals.find(&rest[at..]) {
        at += eq.end();
        let tail = &rest[at..];
        let (raw, consumed) = if tail.starts_with('\'') {
            let caps = p.single.captures(tail).ok_or(())?;
            (decode(&p.single_escapes, &caps[1]), caps[0].len())
        } else if tail.starts_with('"') {
            let caps = p.double.captures(tail).ok_or(())?;
            (decode(&p.double_escapes, &caps[1]), caps[0].len())
        } else {
            let m = p.unquoted.find(tail).ok_or(())?;
            let stripped = p.inline_comment.replace(m.as_str(), "");
            (stripped.trim_end().to_owned(), m.end())
        };
        at += consumed;
        value = Some(raw);
    }
    at += p.comment.find(&rest[at..]).map_or(0, |m| m.end());
    at += p.end_of_line.find(&rest[at..]).ok_or(())?.end();
    *pos += at;
    Ok(Some((key_name, value)))
}

fn interpolate(p: &Patterns, value: &str, env: &BTreeMap<String, String>) -> String {
    p.variable
        .replace_all(value, |caps: &regex::Captures<'_>| {
            let default = caps.get(2).map_or("", |m| m.as_str());
            env.get(&caps[1]).cloned().unwrap_or_else(|| default.to_owned())
        })
        .into_owned()
}

/// The variables docker-compose 1.x takes from `text`, given the process environment.
pub fn read(text: &str, process_env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let p = Patterns::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut pos = 0;
    let mut values = BTreeMap::new();
    while pos < text.len() {
        let skipped = text[pos..].len() - text[pos..].trim_start().len();
        pos += skipped;
        if pos >= text.len() {
            break;
        }
        match binding(&p, &text, &mut pos) {
            Ok(Some((key, Some(raw)))) => {
                let mut env = process_env.clone();
                env.extend(values.clone());
                values.insert(key, interpolate(&p, &raw, &env));
            }
            Ok(_) => {}
            Err(()) => pos += p.rest_of_line.find(&text[pos..]).map_or(1, |m| m.end().max(1)),
        }
    }
    values
}
