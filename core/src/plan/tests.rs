#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::domain::{
    ApiTimeout, BodySize, DomainEntry, Hostname, ResourceConfig, ResourceEntry, ResourceKind, ResourcePath,
};
use crate::env::EnvName;
use crate::variables::{Reference, VariableValue};

fn var(name: &str, value: VariableValue) -> Variable {
    Variable { name: EnvName::parse(name).unwrap(), value }
}

fn plain(name: &str, value: &str) -> Variable {
    var(name, VariableValue::Plain(value.to_owned()))
}

fn api() -> ResourceKind {
    ResourceKind::Api { websocket: false, timeout_secs: ApiTimeout::default(), max_body: BodySize::default() }
}

fn entry(id: i64, domain_id: i64, path: &str, kind: ResourceKind) -> ResourceEntry {
    ResourceEntry { id, domain_id, config: ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind } }
}

/// hello.localhost: / static (1), /api api (2).
fn config() -> PlanInput {
    PlanInput {
        commit: Some("aaaa".into()),
        variables: vec![
            plain("GREETING", "hello"),
            var("API_PORT", VariableValue::Reference(Reference::Port { resource: 2 })),
            var("SITE_DIR", VariableValue::Reference(Reference::Directory { resource: 1 })),
        ],
        topology: Topology {
            domains: vec![DomainEntry::new(1, Hostname::parse("hello.localhost").unwrap())],
            resources: vec![
                entry(1, 1, "/", ResourceKind::Static { spa: false, cors_origins: vec![] }),
                entry(2, 1, "/api", api()),
            ],
        },
        services: vec![
            ServiceExpectation { service: "api".into(), expected: ServiceState::Running },
            ServiceExpectation { service: "site".into(), expected: ServiceState::Exited },
        ],
        nginx: Some("server {\n  listen 443;\n  location / {}\n}\n".into()),
    }
}

#[test]
fn the_same_configuration_plans_nothing() {
    let plan = plan(Some(&config()), &config());
    assert!(plan.is_empty(), "{plan:?}");
    assert!(!plan.is_blocked());
}

#[test]
fn a_changed_secret_is_listed_once_and_masked() {
    let mut after = config();
    after.variables[0] = plain("GREETING", "hello there, secret");
    let plan = plan(Some(&config()), &after);
    assert_eq!(plan.variables.len(), 1);
    let change = &plan.variables[0];
    assert_eq!((change.name.as_str(), change.change), ("GREETING", Change::Changed));
    assert_eq!(change.before.as_deref(), Some("plain ••••"));
    assert_eq!(change.after.as_deref(), Some("plain ••••"));
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("hello"), "no secret value in the plan: {json}");
    assert!(plan.domains.is_empty() && plan.resources.is_empty() && plan.services.is_empty() && plan.nginx.is_empty());
    assert!(!plan.commit.changed());
}

#[test]
fn everything_is_added_on_a_first_deployment() {
    let plan = plan(None, &config());
    assert_eq!(plan.variables.iter().filter(|v| v.change == Change::Added).count(), 3);
    assert_eq!(plan.domains.len(), 1);
    assert_eq!(plan.resources.len(), 2);
    assert_eq!(plan.services.len(), 2);
    assert!(plan.nginx.iter().all(|l| l.op == DiffOp::Added));
    assert_eq!(plan.commit, CommitChange { from: None, to: Some("aaaa".into()), branch: None, subjects: vec![] });
}

#[test]
fn references_show_their_target_and_dangling_ones_block() {
    let mut after = config();
    after.topology.resources.retain(|r| r.id != 2);
    after.nginx = Some("server {\n  listen 443;\n}\n".into());
    let plan = plan(Some(&config()), &after);
    let removed = plan.resources.iter().find(|r| r.path == "/api").unwrap();
    assert_eq!(removed.change, Change::Removed);
    assert!(removed.before.as_deref().unwrap().starts_with("API Service"), "{removed:?}");
    let port = plan.variables.iter().find(|v| v.name == "API_PORT").unwrap();
    assert_eq!(port.before.as_deref(), Some("port → hello.localhost/api"));
    assert_eq!(port.after.as_deref(), Some("port → #2 (missing)"));
    assert_eq!(plan.problems.len(), 1);
    assert_eq!(plan.problems[0].variable.as_deref(), Some("API_PORT"));
    assert!(plan.problems[0].message.contains("API_PORT refers to a resource that no longer exists"));
    assert!(plan.nginx.iter().any(|l| l.op == DiffOp::Removed && l.text.contains("location /")));
}

#[test]
fn services_and_domains_changes() {
    let mut after = config();
    after.services[1].expected = ServiceState::Running;
    after.services.push(ServiceExpectation { service: "worker".into(), expected: ServiceState::Unknown });
    after.topology.domains[0].hsts = false;
    after.topology.domains.push(DomainEntry::new(5, Hostname::parse("new.localhost").unwrap()));
    let plan = plan(Some(&config()), &after);
    assert_eq!(
        plan.services,
        vec![
            ServiceChange {
                service: "site".into(),
                change: Change::Changed,
                before: Some(ServiceState::Exited),
                after: Some(ServiceState::Running)
            },
            ServiceChange {
                service: "worker".into(),
                change: Change::Added,
                before: None,
                after: Some(ServiceState::Unknown)
            },
        ]
    );
    assert_eq!(plan.domains.len(), 2);
    assert_eq!(plan.domains[0].detail.as_deref(), Some("HSTS on → HSTS off"));
    assert_eq!(plan.domains[1].change, Change::Added);
}

#[test]
fn line_diff_keeps_context_and_counts_what_it_skips() {
    let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    let new = old.replace("line 10\n", "line ten\n");
    let diff = line_diff(&old, &new, 2);
    let ops: Vec<(DiffOp, &str)> = diff.iter().map(|l| (l.op, l.text.as_str())).collect();
    assert_eq!(
        ops,
        vec![
            (DiffOp::Skipped, "7"),
            (DiffOp::Same, "line 8"),
            (DiffOp::Same, "line 9"),
            (DiffOp::Removed, "line 10"),
            (DiffOp::Added, "line ten"),
            (DiffOp::Same, "line 11"),
            (DiffOp::Same, "line 12"),
            (DiffOp::Skipped, "8"),
        ]
    );
    assert!(line_diff(&old, &old, 3).is_empty());
}

fn any_value() -> impl Strategy<Value = VariableValue> {
    prop_oneof![
        "[a-c]{0,3}".prop_map(VariableValue::Plain),
        (1i64..4).prop_map(|resource| VariableValue::Reference(Reference::Port { resource })),
        Just(VariableValue::Reference(Reference::Volume)),
    ]
}

fn any_variables() -> impl Strategy<Value = Vec<Variable>> {
    prop::collection::btree_map("[A-E]", any_value(), 0..5)
        .prop_map(|map| map.into_iter().map(|(name, value)| var(&name, value)).collect())
}

fn any_lines() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-c]", 0..12).prop_map(|lines| lines.into_iter().map(|l| l + "\n").collect())
}

/// Applies a diff's kept and added lines: what the new text must be (no skipping).
fn apply(diff: &[DiffLine]) -> (Vec<String>, Vec<String>) {
    let old = diff.iter().filter(|l| l.op != DiffOp::Added).map(|l| l.text.clone()).collect();
    let new = diff.iter().filter(|l| l.op != DiffOp::Removed).map(|l| l.text.clone()).collect();
    (old, new)
}

proptest! {
    #[test]
    fn a_plan_of_a_configuration_against_itself_is_empty(variables in any_variables(), nginx in any_lines()) {
        let input = PlanInput { variables, nginx: Some(nginx), ..config() };
        prop_assert!(plan(Some(&input), &input).is_empty());
    }

    #[test]
    fn every_changed_variable_appears_exactly_once(before in any_variables(), after in any_variables()) {
        let a = PlanInput { variables: before.clone(), ..config() };
        let b = PlanInput { variables: after.clone(), ..config() };
        let plan = plan(Some(&a), &b);
        let listed: Vec<&str> = plan.variables.iter().map(|v| v.name.as_str()).collect();
        let unique: BTreeSet<&str> = listed.iter().copied().collect();
        prop_assert_eq!(listed.len(), unique.len(), "no name twice");
        let names: BTreeSet<String> = before.iter().chain(&after).map(|v| v.name.to_string()).collect();
        for name in names {
            let was = before.iter().find(|v| v.name.as_str() == name).map(|v| &v.value);
            let is = after.iter().find(|v| v.name.as_str() == name).map(|v| &v.value);
            prop_assert_eq!(unique.contains(name.as_str()), was != is, "{}", name);
        }
        for change in &plan.variables {
            for side in [&change.before, &change.after].into_iter().flatten() {
                prop_assert!(side == "plain ••••" || !side.starts_with("plain"), "masked: {}", side);
            }
        }
    }

    #[test]
    fn a_full_line_diff_rebuilds_both_texts(old in any_lines(), new in any_lines()) {
        // With context past the text's length nothing is skipped.
        let diff = line_diff(&old, &new, 100);
        if old.lines().eq(new.lines()) {
            prop_assert!(diff.is_empty());
        } else {
            let (a, b) = apply(&diff);
            prop_assert_eq!(a, old.lines().map(str::to_owned).collect::<Vec<_>>());
            prop_assert_eq!(b, new.lines().map(str::to_owned).collect::<Vec<_>>());
        }
    }
}
