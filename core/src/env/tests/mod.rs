use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

mod compose_go;
mod parse;
mod python_dotenv;

use compose_go::Generation;

fn name(s: &str) -> EnvName {
    match EnvName::parse(s) {
        Ok(n) => n,
        Err(e) => panic!("{s:?} should be a valid name: {e}"),
    }
}

fn render(vars: &[(&str, &str)], dialect: ComposeDialect) -> String {
    let vars: Vec<_> = vars.iter().map(|(n, v)| (name(n), (*v).to_owned())).collect();
    match render_dotenv(&vars, dialect) {
        Ok(text) => text,
        Err(e) => panic!("render failed: {e}"),
    }
}

fn one(value: &str, dialect: ComposeDialect) -> String {
    render(&[("V", value)], dialect)
}

/// Everything each model reads back from `text`, keyed by reader.
fn read_back(text: &str, dialect: ComposeDialect) -> Vec<(&'static str, BTreeMap<String, String>)> {
    match dialect {
        ComposeDialect::V1 => vec![("python-dotenv", python_dotenv::read(text, &BTreeMap::new()))],
        ComposeDialect::V2 => [Generation::PreviousByte, Generation::EscapePairs]
            .into_iter()
            .map(|g| match compose_go::read(text, g) {
                Ok(map) => ("compose-go", map),
                Err(e) => panic!("compose-go ({g:?}) refused {text:?}: {e}"),
            })
            .collect(),
    }
}

const HOSTILE: &[&str] = &[
    "",
    "plain",
    "it's",
    "say \"hi\"",
    "'single'",
    "\"double\"",
    "$",
    "$$",
    "$HOME",
    "${HOME}",
    "${HOME:-x}",
    "${:-}",
    "$${:-}{",
    "${A:-${B}}",
    "a # not a comment",
    "#",
    "  padded  ",
    "\\",
    "\\\\",
    "ends with \\",
    "C:\\path\\",
    "\\n is not a newline",
    "\\\"",
    "\\$",
    "\\0134",
    "tab\there",
    "line\nbreak",
    "crlf\r\nline",
    "\r",
    "ünïcødé ✓ 🚀 \u{2028} \u{85} \u{a0}",
    "=",
    "export X=1",
    "\u{1}\u{1b}[31m\u{7f}",
];

#[test]
fn names() {
    for ok in ["A", "_", "a1", "_PRIVATE", "DATABASE_URL", &"X".repeat(128)] {
        assert!(EnvName::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "1A", "A-B", "A.B", "A B", "É", "A=", "$A", &"X".repeat(129)] {
        assert!(EnvName::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn plain_values_are_double_quoted() {
    for dialect in [ComposeDialect::V1, ComposeDialect::V2] {
        assert_eq!(render(&[("A", "1"), ("B", "x y")], dialect), "A=\"1\"\nB=\"x y\"\n");
        assert_eq!(render(&[], dialect), "");
    }
}

#[test]
fn escapes_shared_by_both_dialects() {
    for dialect in [ComposeDialect::V1, ComposeDialect::V2] {
        assert_eq!(one("a\"b\\c", dialect), "V=\"a\\\"b\\\\c\"\n");
        assert_eq!(one("l1\nl2\r", dialect), "V=\"l1\\nl2\\r\"\n");
        assert_eq!(one(" # '\t ", dialect), "V=\" # '\t \"\n");
    }
}

#[test]
fn dollar_per_dialect() {
    assert_eq!(one("$A ${B} $$", ComposeDialect::V1), "V=\"$A $${:-}{B} $$\"\n");
    assert_eq!(one("$A ${B} $$", ComposeDialect::V2), "V=\"$$A $${B} $$$$\"\n");
}

#[test]
fn final_backslash_per_dialect() {
    assert_eq!(one("a\\", ComposeDialect::V1), "V=\"a\\\\${:-}\"\n");
    assert_eq!(one("a\\", ComposeDialect::V2), "V=\"a\\0134\"\n");
    assert_eq!(one("\\\\", ComposeDialect::V2), "V=\"\\\\\\0134\"\n");
}

#[test]
fn nul_and_duplicates_are_refused() {
    for dialect in [ComposeDialect::V1, ComposeDialect::V2] {
        let nul = [(name("A"), "a\0b".to_owned())];
        assert_eq!(render_dotenv(&nul, dialect), Err(EnvError::NulInValue { name: name("A") }));
        let twice = [(name("A"), "1".to_owned()), (name("A"), "2".to_owned())];
        assert_eq!(render_dotenv(&twice, dialect), Err(EnvError::DuplicateName { name: name("A") }));
    }
}

#[test]
fn hostile_values_read_back_exactly() {
    for dialect in [ComposeDialect::V1, ComposeDialect::V2] {
        let vars: Vec<(String, &str)> = HOSTILE.iter().enumerate().map(|(i, v)| (format!("V{i}"), *v)).collect();
        let refs: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let text = render(&refs, dialect);
        for (reader, got) in read_back(&text, dialect) {
            for (n, v) in &vars {
                assert_eq!(got.get(n).map(String::as_str), Some(*v), "{reader} for {n} in\n{text}");
            }
            assert_eq!(got.len(), vars.len(), "{reader} read extra variables from\n{text}");
        }
    }
}

#[test]
fn one_variable_per_line() {
    for dialect in [ComposeDialect::V1, ComposeDialect::V2] {
        let vars: Vec<(String, &str)> = HOSTILE.iter().enumerate().map(|(i, v)| (format!("V{i}"), *v)).collect();
        let refs: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        assert_eq!(render(&refs, dialect).lines().count(), HOSTILE.len());
    }
}

#[test]
fn dialect_from_version_output() {
    use ComposeDialect::*;
    for (output, dialect) in [
        ("docker-compose version 1.29.2, build unknown", Some(V1)),
        ("1.29.2", Some(V1)),
        ("Docker Compose version v2.24.5", Some(V2)),
        ("v2.40.3-desktop.1", Some(V2)),
        ("5.0.0", Some(V2)),
        ("no version here", None),
        ("0.9", None),
    ] {
        assert_eq!(ComposeDialect::from_version_output(output), dialect, "{output}");
    }
}

/// The models must show the hazards the rules avoid, or passing them proves nothing.
/// (The V1 cases were also confirmed with Debian's python3-dotenv 0.21.)
#[test]
fn models_reproduce_the_hazards() {
    let v1 = |text: &str| python_dotenv::read(text, &BTreeMap::new());
    // A quoted value ending in an escaped backslash runs on to the next quote.
    assert_ne!(v1("A=\"x\\\\\"\nB=\"y\"\n").get("A").map(String::as_str), Some("x\\"));
    // Universal newlines turn a raw CR into LF.
    assert_eq!(v1("A=\"a\rb\"\n").get("A").map(String::as_str), Some("a\nb"));
    // `${...}` expands in every quoting; `$$`, `\$` and `$NAME` do not.
    let env = BTreeMap::from([("H".to_owned(), "home".to_owned())]);
    let read = python_dotenv::read("A='${H}'\nB=\"$$ \\$ $H\"\n", &env);
    assert_eq!(read.get("A").map(String::as_str), Some("home"));
    assert_eq!(read.get("B").map(String::as_str), Some("$$ \\$ $H"));

    let v2 = |text: &str, g| compose_go::read(text, g);
    // Most releases take a backslash before the closing quote as escaping it.
    assert!(v2("A=\"x\\\\\"\n", Generation::PreviousByte).is_err());
    assert_eq!(
        v2("A=\"x\\\\\"\n", Generation::EscapePairs).ok().and_then(|m| m.get("A").cloned()).as_deref(),
        Some("x\\")
    );
    // A lone `$` is interpolation, not text.
    assert!(v2("A=\"$H\"\n", Generation::EscapePairs).is_err());
}

/// Characters that mean something to one of the parsers, mixed with anything else.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec!['$', '{', '}', '\\', '"', '\'', '\n', '\r', '#', ' ', ':', '-', '0', '1', '4', 'n', '\t', '=']),
        1 => any::<char>().prop_filter("NUL is refused", |c| *c != '\0'),
    ]
}

fn hostile_value() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..24).prop_map(|cs| cs.into_iter().collect())
}

fn dialect() -> impl Strategy<Value = ComposeDialect> {
    prop_oneof![Just(ComposeDialect::V1), Just(ComposeDialect::V2)]
}

proptest! {
    #[test]
    fn every_value_reads_back(values in prop::collection::vec(hostile_value(), 1..6), dialect in dialect()) {
        let vars: Vec<(EnvName, String)> =
            values.iter().enumerate().map(|(i, v)| (name(&format!("V{i}")), v.clone())).collect();
        let text = render_dotenv(&vars, dialect).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (reader, got) in read_back(&text, dialect) {
            for (n, v) in &vars {
                prop_assert_eq!(got.get(n.as_str()), Some(v), "{} in {:?}", reader, text);
            }
        }
    }

    #[test]
    fn arbitrary_text_reads_back(value in "[^\0]{0,40}", dialect in dialect()) {
        let text = render_dotenv(&[(name("V"), value.clone())], dialect)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (_, got) in read_back(&text, dialect) {
            prop_assert_eq!(got.get("V"), Some(&value));
        }
    }

    #[test]
    fn dialects_agree_without_dollar_or_final_backslash(value in hostile_value()) {
        prop_assume!(!value.contains('$') && !value.ends_with('\\'));
        let vars = [(name("V"), value)];
        prop_assert_eq!(render_dotenv(&vars, ComposeDialect::V1), render_dotenv(&vars, ComposeDialect::V2));
    }

    #[test]
    fn a_value_is_one_line(value in hostile_value(), dialect in dialect()) {
        let text = render_dotenv(&[(name("V"), value)], dialect).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(text.matches('\n').count(), 1);
        prop_assert!(!text.contains('\r'));
        prop_assert!(text.starts_with("V=\"") && text.ends_with("\"\n"));
    }

    #[test]
    fn nul_is_always_refused(before in "[^\0]{0,8}", after in "[^\0]{0,8}", dialect in dialect()) {
        let vars = [(name("V"), format!("{before}\0{after}"))];
        prop_assert_eq!(render_dotenv(&vars, dialect), Err(EnvError::NulInValue { name: name("V") }));
    }

    #[test]
    fn names_matching_the_pattern_are_accepted(n in "[A-Za-z_][A-Za-z0-9_]{0,127}") {
        prop_assert!(EnvName::parse(&n).is_ok());
    }

    #[test]
    fn accepted_names_match_the_pattern(n in "\\PC{0,130}") {
        if EnvName::parse(&n).is_ok() {
            prop_assert!(n.len() <= MAX_ENV_NAME_LEN);
            prop_assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            prop_assert!(!n.starts_with(|c: char| c.is_ascii_digit()));
        }
    }
}
