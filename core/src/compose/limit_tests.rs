//! Hostile compose files: every one refused with its bound, quickly, never a crash.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;

/// Generous for a debug build on a slow machine; quadratic work on these inputs
/// would take minutes.
const QUICK: Duration = Duration::from_secs(3);

fn refused_with(yaml: &str) -> ComposeLimit {
    let started = Instant::now();
    let result = parse_compose(yaml);
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    match result {
        Err(ComposeError::TooLarge(limit)) => limit,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The classic: ten levels of ten aliases each stand for 10^10 strings.
fn billion_laughs() -> String {
    let mut yaml = String::from("x-0: &l0 \"lol\"\n");
    for level in 1..=10 {
        let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
        yaml.push_str(&format!("x-{level}: &l{level} [{aliases}]\n"));
    }
    yaml.push_str("services:\n  web:\n    image: x\n    command: *l10\n");
    yaml
}

#[test]
fn a_billion_laughs_is_refused_before_it_expands() {
    assert_eq!(refused_with(&billion_laughs()), ComposeLimit::Nodes);
}

#[test]
fn a_long_string_aliased_many_times_is_refused() {
    let big = "a".repeat(512 * 1024);
    let aliases = vec!["*big"; 40].join(", ");
    let yaml = format!("x-big: &big \"{big}\"\nservices:\n  web:\n    image: x\n    command: [{aliases}]\n");
    assert_eq!(refused_with(&yaml), ComposeLimit::ExpandedBytes);
}

#[test]
fn deep_nesting_is_refused_without_recursing() {
    // Block mappings: the scanner has no bound of its own for these.
    let mut block = String::from("services:\n  web:\n    image: x\n");
    for level in 0..500 {
        block.push_str(&" ".repeat(4 + 2 * level));
        block.push_str("k:\n");
    }
    assert_eq!(refused_with(&block), ComposeLimit::Depth);
    // Flow sequences: refused by the depth bound or by the scanner's, never a crash.
    let flow = format!("services: {{}}\nx: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    match parse_compose(&flow) {
        Err(ComposeError::TooLarge(_) | ComposeError::InvalidYaml(_)) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_alias_counts_the_depth_of_what_it_stands_for() {
    // Each anchor is 30 levels deep: fine alone, too deep once used 30 levels down.
    let deep = |name: &str| format!("{}1{}", "[".repeat(30), "]".repeat(30)).replacen('[', &format!("&{name} ["), 1);
    let yaml = format!("x-a: {}\nservices: {{}}\nx-b: {}\n", deep("a"), "[".repeat(40) + "*a" + &"]".repeat(40));
    assert_eq!(refused_with(&yaml), ComposeLimit::Depth);
    assert!(parse_compose(&format!("x-a: {}\nservices: {{}}\nx-b: [[*a]]\n", deep("a"))).is_ok());
}

#[test]
fn oversized_files_are_refused_unread() {
    let yaml = format!("services: {{}}\n# {}\n", "x".repeat(MAX_COMPOSE_BYTES));
    assert_eq!(refused_with(&yaml), ComposeLimit::Bytes);
}

#[test]
fn ordinary_anchors_and_merge_keys_still_read() {
    let yaml = "x-common: &common\n  image: x\n  environment:\n    TAG: ${TAG}\nservices:\n  a:\n    <<: *common\n  \
                b:\n    <<: *common\n    command: ${CMD:-${FALLBACK:-run}}\n";
    let file = parse_compose(yaml).unwrap();
    assert_eq!(file.services.iter().map(ServiceName::as_str).collect::<Vec<_>>(), ["a", "b"]);
    let names: Vec<&str> = file.variables.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["CMD", "FALLBACK", "TAG"]);
}

fn nested_default(levels: usize) -> String {
    let mut value = "end".to_owned();
    for level in 0..levels {
        value = format!("${{V{level}:-{value}}}");
    }
    value
}

#[test]
fn nested_interpolation_is_bounded() {
    assert_eq!(interpolated_names(&nested_default(MAX_INTERPOLATION_DEPTH)).map(|n| n.len()), Ok(16));
    assert_eq!(interpolated_names(&nested_default(MAX_INTERPOLATION_DEPTH + 1)), Err(ComposeLimit::InterpolationDepth));
    let yaml = format!("services:\n  web:\n    image: \"{}\"\n", nested_default(10_000));
    assert_eq!(refused_with(&yaml), ComposeLimit::InterpolationDepth);
}

#[test]
fn adversarial_interpolation_takes_linear_time() {
    let budget = MAX_COMPOSE_BYTES - 100;
    let cases = [
        // Unclosed references that each would be read to the end.
        "${A:-".repeat(budget / 5),
        // A reference left open over many closed ones.
        format!("${{A:-{}", "${B:-x}".repeat(budget / 7)),
        // Names without braces or operators.
        format!("${{{}", "A".repeat(budget)),
        "$$".repeat(budget / 2),
        "${A:-${B}".repeat(budget / 9),
    ];
    for text in cases {
        let started = Instant::now();
        let _ = interpolated_names(&text);
        assert!(started.elapsed() < QUICK, "took {:?} for {}…", started.elapsed(), &text[..20]);
    }
}

proptest! {
    /// `levels` anchors, each a sequence of `fan_out` aliases of the one before: the
    /// file is refused exactly when its expansion holds more values than the bound.
    #[test]
    fn expansion_is_counted_exactly(levels in 1usize..8, fan_out in 1usize..12) {
        let mut yaml = String::from("x-0: &a0 v\n");
        let mut nodes = vec![1u64];
        for level in 1..=levels {
            let aliases = vec![format!("*a{}", level - 1); fan_out].join(", ");
            yaml.push_str(&format!("x-{level}: &a{level} [{aliases}]\n"));
            nodes.push(1 + fan_out as u64 * nodes[level - 1]);
        }
        yaml.push_str("services: {}\n");
        // The root mapping, a key per entry, and the values.
        let keys = levels as u64 + 2;
        let total = 1 + keys + nodes.iter().sum::<u64>() + 1;
        let result = parse_compose(&yaml);
        if total > MAX_COMPOSE_NODES {
            prop_assert_eq!(result.err(), Some(ComposeError::TooLarge(ComposeLimit::Nodes)));
        } else {
            prop_assert!(result.is_ok(), "{:?}", result);
        }
    }

    #[test]
    fn nesting_below_the_bound_reads_and_above_is_refused(depth in 1usize..100) {
        // `x:` sits in the root mapping, one level down.
        let yaml = format!("services: {{}}\nx: {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        let result = parse_compose(&yaml);
        if depth < MAX_COMPOSE_DEPTH {
            prop_assert!(result.is_ok(), "{:?}", result);
        } else {
            prop_assert!(matches!(result, Err(ComposeError::TooLarge(ComposeLimit::Depth))), "{:?}", result);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[\\[\\]{}&*a-c:, \\n-]{0,200}") {
        let _ = parse_compose(&text);
    }
}
