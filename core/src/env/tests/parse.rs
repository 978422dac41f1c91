//! The import parser: Compose 2.x's dialect, its errors, and export → import round trips.

use proptest::prelude::*;

use super::compose_go::{self, Generation};
use super::{hostile_value, name, HOSTILE};
use crate::env::{parse_dotenv, render_dotenv, ComposeDialect, ParseErrorKind};

fn pairs(text: &str) -> Vec<(String, String)> {
    match parse_dotenv(text) {
        Ok(vars) => vars.into_iter().map(|v| (v.name.to_string(), v.value)).collect(),
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

fn error(text: &str) -> (usize, ParseErrorKind) {
    match parse_dotenv(text) {
        Ok(vars) => panic!("{text:?} should be refused, read {vars:?}"),
        Err(e) => (e.line, e.kind),
    }
}

fn p(n: &str, v: &str) -> (String, String) {
    (n.to_owned(), v.to_owned())
}

#[test]
fn comments_blank_lines_and_export() {
    let text = "\u{feff}# a comment\n\n   # indented comment\nexport A=1\n  B = two \n\texport\tC=3\nexported=4\n";
    assert_eq!(pairs(text), vec![p("A", "1"), p("B", "two"), p("C", "3"), p("exported", "4")]);
    assert_eq!(pairs(""), vec![]);
    assert_eq!(pairs("\n\n# only comments\n"), vec![]);
}

#[test]
fn unquoted_values() {
    let text = "A=a # comment\nB=a#b\nC=  spaced   \nD=\nE=x=y\nF: yaml style\nG=ends\r\n";
    assert_eq!(
        pairs(text),
        vec![
            p("A", "a"),
            p("B", "a#b"),
            p("C", "spaced"),
            p("D", ""),
            p("E", "x=y"),
            p("F", "yaml style"),
            p("G", "ends")
        ]
    );
}

#[test]
fn single_quotes_are_literal() {
    let text = "A='$HOME \\n \"x\" # not a comment'\nB='it\\'s'\nC='multi\nline'\nD='a\\\\b' # comment\n";
    assert_eq!(
        pairs(text),
        vec![p("A", "$HOME \\n \"x\" # not a comment"), p("B", "it's"), p("C", "multi\nline"), p("D", "a\\\\b")]
    );
}

#[test]
fn double_quotes_decode_escapes_and_span_lines() {
    let text = "A=\"l1\\nl2\\tt\\r\"\nB=\"say \\\"hi\\\" \\\\ done\"\nC=\"raw\nnewline\"\nD=\"\\$x $$y\"\nE=\"\\0134\\0101\\q\"\n";
    assert_eq!(
        pairs(text),
        vec![
            p("A", "l1\nl2\tt\r"),
            p("B", "say \"hi\" \\ done"),
            p("C", "raw\nnewline"),
            p("D", "$x $y"),
            p("E", "\\A\\q")
        ]
    );
}

#[test]
fn interpolation_reads_earlier_variables() {
    let text = "H=host\nA=${H}:1\nB=\"$H/x\"\nC='${H}'\nD=${NOPE:-fallback}\nE=${H:+alt}\nF=${NOPE+alt}\nG=${EMPTY-x}\nEMPTY=\nI=${EMPTY:-d}${EMPTY-e}\nJ=${A:-${NOPE:-deep}}\nK=cost 5$ or $5\n";
    assert_eq!(
        pairs(text),
        vec![
            p("H", "host"),
            p("A", "host:1"),
            p("B", "host/x"),
            p("C", "${H}"),
            p("D", "fallback"),
            p("E", "alt"),
            p("F", ""),
            p("G", "x"),
            p("EMPTY", ""),
            p("I", "d"),
            p("J", "host:1"),
            p("K", "cost 5$ or $5"),
        ]
    );
}

#[test]
fn a_repeated_name_keeps_the_last_value_at_its_first_place() {
    let vars = parse_dotenv("A=1\nB=2\nA=3\n").unwrap();
    assert_eq!(
        vars.iter().map(|v| (v.name.as_str(), v.value.as_str(), v.line)).collect::<Vec<_>>(),
        vec![("A", "3", 1), ("B", "2", 2)]
    );
}

#[test]
fn lines_are_counted_across_multi_line_values() {
    let vars = parse_dotenv("# c\nA=\"x\ny\nz\"\n\nB='p\nq'\nC=1\n").unwrap();
    let lines: Vec<usize> = vars.iter().map(|v| v.line).collect();
    assert_eq!(lines, vec![2, 6, 8]);
}

#[test]
fn errors_name_their_line() {
    assert_eq!(error("A=1\nB=\"open\nstill open\n"), (2, ParseErrorKind::Unterminated("double")));
    assert_eq!(error("A='x"), (1, ParseErrorKind::Unterminated("single")));
    assert_eq!(error("A=1\n\nJUST_A_NAME\n"), (3, ParseErrorKind::NoValue("JUST_A_NAME".into())));
    assert_eq!(error("A.B=1"), (1, ParseErrorKind::InvalidName("A.B".into())));
    assert_eq!(error("1A=1"), (1, ParseErrorKind::InvalidName("1A".into())));
    assert_eq!(error("A=1\nA B=1"), (2, ParseErrorKind::UnexpectedCharacter('B')));
    assert_eq!(error("=1"), (1, ParseErrorKind::UnexpectedCharacter('=')));
    assert_eq!(error("A=\"x\" y"), (1, ParseErrorKind::TextAfterQuote("y".into())));
    assert_eq!(error("A=\"x\ny\" trailing"), (2, ParseErrorKind::TextAfterQuote("trailing".into())));
    assert_eq!(error("A=$UNDEFINED"), (1, ParseErrorKind::Undefined("UNDEFINED".into())));
    assert_eq!(
        error("A=x\nB=${NOPE:?must be set}"),
        (2, ParseErrorKind::Required { name: "NOPE".into(), message: "must be set".into() })
    );
    assert!(matches!(error("A=${"), (1, ParseErrorKind::BadInterpolation(_))));
    assert!(matches!(error("A=${1}"), (1, ParseErrorKind::BadInterpolation(_))));
    assert!(matches!(error("A=${B*x}"), (1, ParseErrorKind::BadInterpolation(_))));
    assert_eq!(error("A=\"\\0000\""), (1, ParseErrorKind::Nul("A".into())));
    let message = parse_dotenv("OK=1\nB=\"x").unwrap_err().to_string();
    assert!(message.starts_with("line 2: "), "{message}");
}

#[test]
fn exported_hostile_values_import_back() {
    let vars: Vec<_> = HOSTILE.iter().enumerate().map(|(i, v)| (name(&format!("V{i}")), (*v).to_owned())).collect();
    let text = render_dotenv(&vars, ComposeDialect::V2).unwrap();
    let back: Vec<_> = parse_dotenv(&text).unwrap().into_iter().map(|v| (v.name, v.value)).collect();
    assert_eq!(back, vars);
}

/// Files compose-go's model reads, this parser reads the same way.
#[test]
fn agrees_with_the_compose_go_model() {
    let files = [
        "A=1\nexport B='x y'\n# c\nC=\"q\\\"\\n\"\nD=a # c\n",
        "A=\"$$ \\$\"\nB='\\''\nC=\"\\0134\"\n",
        "A=\"multi\nline\"\nB=z\n",
    ];
    for text in files {
        let model = compose_go::read(text, Generation::EscapePairs).unwrap();
        let ours: std::collections::BTreeMap<String, String> = pairs(text).into_iter().collect();
        assert_eq!(ours, model, "{text:?}");
    }
}

proptest! {
    /// Export (the V2 rendering) → import gives back every value exactly.
    #[test]
    fn export_then_import_round_trips(values in prop::collection::vec(hostile_value(), 0..8)) {
        let vars: Vec<_> = values.iter().enumerate().map(|(i, v)| (name(&format!("V{i}")), v.clone())).collect();
        let text = render_dotenv(&vars, ComposeDialect::V2).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Vec<_> = parse_dotenv(&text).map_err(|e| TestCaseError::fail(e.to_string()))?
            .into_iter().map(|v| (v.name, v.value)).collect();
        prop_assert_eq!(back, vars);
    }

    #[test]
    fn arbitrary_text_round_trips(value in "[^\0]{0,60}") {
        let vars = vec![(name("V"), value)];
        let text = render_dotenv(&vars, ComposeDialect::V2).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Vec<_> = parse_dotenv(&text).map_err(|e| TestCaseError::fail(e.to_string()))?
            .into_iter().map(|v| (v.name, v.value)).collect();
        prop_assert_eq!(back, vars);
    }

    /// Whatever the input, the parser answers (no panic), and errors carry a real line.
    #[test]
    fn never_panics(text in "(?s)[A-Z=\"'\\\\$#{}:+?\\- \n\t.a-z0-9]{0,60}") {
        match parse_dotenv(&text) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.line >= 1 && e.line <= text.matches('\n').count() + 1),
        }
    }
}
