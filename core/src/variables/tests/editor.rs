//! The Environment tab's model: preview lines, flags, the menu, changes, export and import.

use proptest::prelude::*;

use super::{any_reference, name, reference, topology, var};
use crate::env::{parse_dotenv, render_dotenv, ComposeDialect};
use crate::protocol::JobValue;
use crate::variables::*;

fn leases() -> PortLeases {
    PortLeases::from_pairs([(2, 41234)]).unwrap()
}

fn context<'a>(t: &'a crate::domain::Topology, l: &'a PortLeases) -> PreviewContext<'a> {
    PreviewContext { topology: t, leases: l, worker: "edge-1", dialect: ComposeDialect::V2 }
}

fn row(n: &str, value: PreviewValue) -> PreviewRow {
    PreviewRow { name: n.into(), value }
}

#[test]
fn preview_lines_show_leases_secrets_and_errors_per_row() {
    let (t, l) = (topology(), leases());
    let rows = vec![
        row("SECRET", PreviewValue::Plain(None)),
        row("SHOWN", PreviewValue::Plain(Some("a $b".into()))),
        row("EMPTY", PreviewValue::Empty),
        row("PORT", PreviewValue::Reference(Reference::Port { resource: 2 })),
        row("WORKER", PreviewValue::Reference(Reference::WorkerNodeId)),
        row("GONE", PreviewValue::Reference(Reference::Url { resource: 42 })),
        row("PORT", PreviewValue::Empty),
        row("1BAD", PreviewValue::Empty),
        row("TYPED", PreviewValue::Invalid("Choose a resource".into())),
    ];
    let lines = preview_lines(&rows, context(&t, &l));
    let got: Vec<Result<&str, &str>> = lines.iter().map(|l| l.line.as_deref().map_err(String::as_str)).collect();
    assert_eq!(
        got[..5],
        [
            Ok("SECRET=\"********\"\n"),
            Ok("SHOWN=\"a $$b\"\n"),
            Ok("EMPTY=\"\"\n"),
            Ok("PORT=\"41234\"\n"),
            Ok("WORKER=\"edge-1\"\n")
        ]
    );
    assert_eq!(got[5], Err("GONE refers to a resource that no longer exists"));
    assert_eq!(got[6], Err("PORT is defined more than once"));
    assert!(got[7].is_err());
    assert_eq!(got[8], Err("Choose a resource"));
    assert_eq!(preview_text(&lines).lines().count(), 5);

    let unleased = preview_lines(&rows[3..4], context(&t, &PortLeases::new()));
    assert_eq!(unleased[0].line.as_deref(), Ok("PORT=\"<assigned on first deploy>\"\n"));
    assert!(unleased[0].note.as_deref().is_some_and(|n| n.contains("example.com/api/")));
}

#[test]
fn flags() {
    let t = topology();
    assert_eq!(row_flags(true, None, false, &t), vec![RowFlag::NoValue]);
    assert_eq!(row_flags(true, None, true, &t), vec![RowFlag::Unused]);
    assert_eq!(row_flags(false, None, false, &t), vec![]);
    let gone = Reference::Port { resource: 99 };
    assert_eq!(row_flags(false, Some(&gone), true, &t), vec![RowFlag::Unused, RowFlag::Dangling]);
    assert!(dangling(&Reference::Domain { domain: 9 }, &t));
    assert!(!dangling(&Reference::Volume, &t));
    assert!(!dangling(&Reference::Port { resource: 2 }, &t));
}

#[test]
fn menu_groups_by_target_and_round_trips_values() {
    let t = topology();
    let menu = reference_menu(&t);
    let labels: Vec<&str> = menu.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "General",
            "Domain example.com",
            "Static Page example.com/",
            "API Service example.com/api/",
            "Redirect Link example.com/old",
            "Domain *.example.org",
            "Static Page *.example.org/"
        ]
    );
    let api: Vec<Reference> = menu[3].items.iter().map(|(r, _)| *r).collect();
    assert_eq!(api, [Reference::Port { resource: 2 }, Reference::Url { resource: 2 }, Reference::Path { resource: 2 }]);
    // No URL for a wildcard domain's resource.
    assert!(!menu[6].items.iter().any(|(r, _)| matches!(r, Reference::Url { .. })));
    for group in &menu {
        for (reference, _) in &group.items {
            assert_eq!(parse_menu_value(&menu_value(reference)), Some(*reference));
            assert!(check_reference(&name("X"), reference, &t).is_ok(), "{reference:?}");
        }
    }
    assert_eq!(parse_menu_value("port:x"), None);
    assert_eq!(parse_menu_value("plain"), None);
}

#[test]
fn describes_references() {
    let t = topology();
    assert_eq!(describe_reference(&Reference::Port { resource: 2 }, &t), "Port of example.com/api/ (API Service)");
    assert_eq!(describe_reference(&Reference::Port { resource: 9 }, &t), "Port of resource #9 (deleted)");
    assert_eq!(describe_reference(&Reference::Domain { domain: 1 }, &t), "Hostname of example.com");
}

fn set(original: Option<&str>, n: &str, value: NewValue) -> SetVariable {
    SetVariable { original: original.map(name), name: name(n), value }
}

#[test]
fn changes_are_checked_together() {
    let t = topology();
    let saved = vec![(name("A"), true), (name("B"), false), (name("C"), true)];
    let ok = EnvironmentChanges {
        set: vec![
            set(Some("A"), "A2", NewValue::Keep),
            set(None, "A", NewValue::Plain("x".into())),
            set(Some("B"), "B", NewValue::Reference(Reference::Port { resource: 2 })),
        ],
        delete: vec![name("C")],
    };
    assert_eq!(ok.check(&saved, &t), Ok(()));
    let bad = EnvironmentChanges {
        set: vec![
            set(None, "C", NewValue::Plain("x".into())),
            set(None, "D", NewValue::Keep),
            set(Some("B"), "B", NewValue::Keep),
            set(Some("Z"), "Z", NewValue::Plain(String::new())),
            set(None, "E", NewValue::Reference(Reference::Port { resource: 1 })),
        ],
        delete: vec![name("Y")],
    };
    let errors = bad.check(&saved, &t).unwrap_err();
    let names: Vec<&str> = errors.iter().map(|e| e.variable().as_str()).collect();
    assert_eq!(names, ["Y", "Z", "C", "D", "B", "E"]);
}

#[test]
fn export_writes_secrets_only_when_asked() {
    let t = topology();
    let vars = vec![
        var("S", VariableValue::Plain("hunter2 \"$x\"\n#".into())),
        var("E", VariableValue::Plain(String::new())),
        reference("P", Reference::Port { resource: 2 }),
    ];
    let without = export_dotenv("shop", &vars, &t, false).unwrap();
    assert!(!without.contains("hunter2"));
    assert!(without.contains("# S: secret, not exported\n"));
    assert!(without.contains("E=\"\"\n"));
    assert!(without.contains("# P: Port of example.com/api/ (API Service), resolved at deploy time\n"));
    let with = export_dotenv("shop", &vars, &t, true).unwrap();
    let back: Vec<(String, String)> =
        parse_dotenv(&with).unwrap().into_iter().map(|v| (v.name.to_string(), v.value)).collect();
    assert_eq!(back, vec![("S".to_owned(), "hunter2 \"$x\"\n#".to_owned()), ("E".to_owned(), String::new())]);
    // Importing the export back changes nothing.
    let (plan, _) = plan_import(&vars, &with, &t).unwrap();
    assert!(plan.entries.iter().all(|e| e.change == ImportChange::Unchanged));
}

#[test]
fn import_plan_and_changes() {
    let t = topology();
    let saved = vec![
        var("SAME", VariableValue::Plain("1".into())),
        var("OLD", VariableValue::Plain("1".into())),
        reference("REF", Reference::Port { resource: 2 }),
        var("UNTOUCHED", VariableValue::Plain("k".into())),
    ];
    let text = "# comment\nSAME=1\nOLD=2\nREF=3\nexport NEW='x'\n";
    let (plan, parsed) = plan_import(&saved, text, &t).unwrap();
    let got: Vec<(&str, ImportChange, usize)> =
        plan.entries.iter().map(|e| (e.name.as_str(), e.change, e.line)).collect();
    assert_eq!(
        got,
        [
            ("SAME", ImportChange::Unchanged, 2),
            ("OLD", ImportChange::Changed, 3),
            ("REF", ImportChange::Changed, 4),
            ("NEW", ImportChange::Added, 5)
        ]
    );
    assert!(plan.entries.iter().all(|e| !e.after.contains('2') && !e.after.contains('x')), "values are masked");
    assert_eq!(plan.count(ImportChange::Changed), 2);
    let changes = import_changes(&plan, &parsed, &saved);
    assert_eq!(
        changes.set,
        vec![
            set(Some("OLD"), "OLD", NewValue::Plain("2".into())),
            set(Some("REF"), "REF", NewValue::Plain("3".into())),
            set(None, "NEW", NewValue::Plain("x".into())),
        ]
    );
    assert!(changes.delete.is_empty());
    let saved_kinds: Vec<_> =
        saved.iter().map(|v| (v.name.clone(), matches!(v.value, VariableValue::Plain(_)))).collect();
    assert_eq!(changes.check(&saved_kinds, &t), Ok(()));
    assert_eq!(plan_import(&saved, "A=\"x", &t).unwrap_err().line, 1);
}

/// What the worker writes for a resolved variable, given its lease and id (the same
/// rules as the worker's completion of a job's values).
fn as_worker_writes(value: &JobValue, worker: &str) -> Option<String> {
    match value {
        JobValue::Text { text, .. } => Some(text.clone()),
        JobValue::Port { preferred: Some(port), .. } => Some(port.to_string()),
        JobValue::WorkerNodeId => Some(worker.to_owned()),
        // Worker paths and new ports are only known on the worker.
        _ => None,
    }
}

proptest! {
    /// With the values revealed, every line the preview shows is what the deployment
    /// writes, for every reference type.
    #[test]
    fn preview_equals_what_the_deploy_writes(
        rows in prop::collection::vec(("[A-F]{1,2}", prop::option::of(any_reference()), "[^\0]{0,12}"), 0..8),
        leased in any::<bool>(),
    ) {
        let t = topology();
        let l = if leased { leases() } else { PortLeases::new() };
        let vars: Vec<Variable> = rows.iter().map(|(n, r, plain)| match r {
            Some(r) => reference(n, *r),
            None => var(n, VariableValue::Plain(plain.clone())),
        }).collect();
        let preview_rows: Vec<PreviewRow> = rows.iter().map(|(n, r, plain)| row(n, match r {
            Some(r) => PreviewValue::Reference(*r),
            None => PreviewValue::Plain(Some(plain.clone())),
        })).collect();
        let lines = preview_lines(&preview_rows, context(&t, &l));
        prop_assert_eq!(lines.len(), vars.len());
        match resolve(&vars, &t, &l) {
            Ok(resolution) => {
                for (line, job) in lines.iter().zip(&resolution.variables) {
                    let text = line.line.as_ref().map_err(|e| TestCaseError::fail(e.clone()))?;
                    if let Some(value) = as_worker_writes(&job.value, "edge-1") {
                        let written = render_dotenv(&[(job.name.clone(), value)], ComposeDialect::V2).unwrap();
                        prop_assert_eq!(text, &written);
                    }
                }
            }
            Err(errors) => {
                for error in errors {
                    let at = lines.iter().position(|l| l.line.is_err() && l.name == error.variable().as_str());
                    prop_assert!(at.is_some(), "{} has no error line", error);
                }
            }
        }
    }

    /// An export with secrets imports back as "nothing changed", whatever the values.
    #[test]
    fn export_import_changes_nothing(values in prop::collection::vec("(?s)[^\0]{0,20}", 0..6)) {
        let t = topology();
        let vars: Vec<Variable> = values.iter().enumerate().map(|(i, v)| var(&format!("V{i}"), VariableValue::Plain(v.clone()))).collect();
        let text = export_dotenv("p", &vars, &t, true).unwrap();
        let (plan, parsed) = plan_import(&vars, &text, &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(plan.entries.len(), vars.len());
        prop_assert!(plan.entries.iter().all(|e| e.change == ImportChange::Unchanged));
        for (p, v) in parsed.iter().zip(&vars) {
            prop_assert_eq!(VariableValue::Plain(p.value.clone()), v.value.clone());
        }
    }
}
