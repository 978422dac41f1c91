use proptest::prelude::*;

use super::*;

fn svc(name: &str) -> ServiceName {
    match ServiceName::parse(name) {
        Ok(n) => n,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn var(name: &str) -> EnvName {
    match EnvName::parse(name) {
        Ok(n) => n,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn saved(services: &[&str], variables: &[&str]) -> SavedShape {
    SavedShape {
        compose_file: true,
        services: services.iter().map(|s| svc(s)).collect(),
        variables: variables.iter().map(|v| var(v)).collect(),
    }
}

fn found(services: &[&str], variables: &[&str]) -> Discovery {
    Discovery {
        compose_file: Some("compose.yaml".to_owned()),
        services: services.iter().map(|s| svc(s)).collect(),
        variables: variables.iter().map(|v| var(v)).collect(),
    }
}

#[test]
fn nothing_changed() {
    let s = saved(&["api", "web"], &["A", "B"]);
    assert!(major_changes(&s, &found(&["web", "api"], &["B", "A"])).is_empty());
}

#[test]
fn services_added_and_removed() {
    let changes = major_changes(&saved(&["api", "db"], &[]), &found(&["api", "web"], &[]));
    assert_eq!(changes, vec![MajorChange::ServiceRemoved(svc("db")), MajorChange::ServiceAdded(svc("web"))]);
}

#[test]
fn new_variable_is_major_but_a_vanished_one_is_not() {
    let s = saved(&[], &["OLD", "KEPT"]);
    let f = found(&[], &["KEPT", "NEW"]);
    assert_eq!(major_changes(&s, &f), vec![MajorChange::VariableAdded(var("NEW"))]);
    assert_eq!(unused_variables(&s, &f), [var("OLD")].into_iter().collect());
}

#[test]
fn compose_file_added_and_removed() {
    let mut s = saved(&[], &[]);
    s.compose_file = false;
    assert_eq!(major_changes(&s, &found(&[], &[])), vec![MajorChange::ComposeFileAdded("compose.yaml".to_owned())]);
    let gone = Discovery { compose_file: None, ..Discovery::default() };
    assert_eq!(
        major_changes(&saved(&["api"], &[]), &gone),
        vec![MajorChange::ComposeFileRemoved, MajorChange::ServiceRemoved(svc("api"))]
    );
}

#[test]
fn renamed_compose_file_is_not_major() {
    let mut f = found(&[], &[]);
    f.compose_file = Some("docker-compose.yml".to_owned());
    assert!(major_changes(&saved(&[], &[]), &f).is_empty());
}

#[test]
fn messages() {
    assert_eq!(MajorChange::ServiceAdded(svc("api")).to_string(), "service `api` was added to the compose file");
    assert_eq!(MajorChange::ServiceRemoved(svc("db")).to_string(), "service `db` was removed from the compose file");
    assert_eq!(
        MajorChange::VariableAdded(var("TOKEN")).to_string(),
        "variable `TOKEN` is used by the repository but is not configured"
    );
    assert_eq!(
        MajorChange::ComposeFileAdded("compose.yml".to_owned()).to_string(),
        "a compose file (`compose.yml`) was added to the repository"
    );
    assert_eq!(MajorChange::ComposeFileRemoved.to_string(), "the compose file was removed from the repository");
}

#[test]
fn serializes_with_a_kind_tag() -> Result<(), serde_json::Error> {
    let json = serde_json::to_string(&MajorChange::ServiceAdded(svc("api")))?;
    assert_eq!(json, r#"{"kind":"service_added","name":"api"}"#);
    let back: MajorChange = serde_json::from_str(&json)?;
    assert_eq!(back, MajorChange::ServiceAdded(svc("api")));
    Ok(())
}

fn names(pattern: &'static str) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(pattern, 0..6)
}

proptest! {
    #[test]
    fn changes_account_for_every_difference(
        saved_svcs in names("[a-d]"), found_svcs in names("[a-d]"),
        saved_vars in names("[A-D]"), found_vars in names("[A-D]"),
        had_file in any::<bool>(), has_file in any::<bool>(),
    ) {
        let s = SavedShape {
            compose_file: had_file,
            services: saved_svcs.iter().map(|n| svc(n)).collect(),
            variables: saved_vars.iter().map(|n| var(n)).collect(),
        };
        let f = Discovery {
            compose_file: has_file.then(|| "compose.yaml".to_owned()),
            services: found_svcs.iter().map(|n| svc(n)).collect(),
            variables: found_vars.iter().map(|n| var(n)).collect(),
        };
        let changes = major_changes(&s, &f);
        let found_set: BTreeSet<_> = f.services.iter().cloned().collect();
        for name in &s.services {
            prop_assert_eq!(changes.contains(&MajorChange::ServiceRemoved(name.clone())), !found_set.contains(name));
        }
        for name in &found_set {
            prop_assert_eq!(changes.contains(&MajorChange::ServiceAdded(name.clone())), !s.services.contains(name));
        }
        for name in &f.variables {
            prop_assert_eq!(changes.contains(&MajorChange::VariableAdded(name.clone())), !s.variables.contains(name));
        }
        prop_assert_eq!(changes.contains(&MajorChange::ComposeFileRemoved), had_file && !has_file);
        prop_assert_eq!(changes.iter().any(|c| matches!(c, MajorChange::ComposeFileAdded(_))), !had_file && has_file);
        let unused = unused_variables(&s, &f);
        prop_assert!(unused.iter().all(|v| s.variables.contains(v) && !f.variables.contains(v)));
        prop_assert!(!changes.iter().any(|c| matches!(c, MajorChange::VariableAdded(v) if unused.contains(v))));
        // Comparing a checkout with its own shape finds nothing.
        let same = SavedShape { compose_file: has_file, services: found_set, variables: f.variables.clone() };
        prop_assert!(major_changes(&same, &f).is_empty());
    }
}
