use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::env::EnvName;

fn vars(names: &[&str]) -> BTreeSet<EnvName> {
    names
        .iter()
        .map(|n| match EnvName::parse(n) {
            Ok(n) => n,
            Err(e) => panic!("{n}: {e}"),
        })
        .collect()
}

fn names(text: &str) -> BTreeSet<EnvName> {
    interpolated_names(text).unwrap()
}

fn service_strs(services: &[ServiceName]) -> Vec<&str> {
    services.iter().map(ServiceName::as_str).collect()
}

#[test]
fn compose_file_priority() {
    assert_eq!(pick_compose_file(&["docker-compose.yml", "compose.yaml", "README.md"]), Some("compose.yaml"));
    assert_eq!(pick_compose_file(&["docker-compose.yml", "docker-compose.yaml"]), Some("docker-compose.yaml"));
    assert_eq!(pick_compose_file(&["compose.yml", "docker-compose.yaml"]), Some("compose.yml"));
    assert_eq!(pick_compose_file(&["Compose.yaml", "compose.yaml.bak"]), None);
    assert_eq!(pick_compose_file::<&str>(&[]), None);
}

#[test]
fn service_names() {
    for ok in ["api", "web-1", "a", "0", "my_svc.v2", "API"] {
        assert!(ServiceName::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "-api", "_api", ".api", "a b", "a/b", "é", "a:b"] {
        assert!(ServiceName::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn services_in_file_order() -> Result<(), ComposeError> {
    let yaml = "services:\n  web:\n    image: nginx\n  api:\n    build: .\n  1:\n    image: x\nvolumes:\n  data: {}\n";
    assert_eq!(service_strs(&parse_services(yaml)?), ["web", "api", "1"]);
    Ok(())
}

#[test]
fn merged_services() -> Result<(), ComposeError> {
    let yaml = "x-base: &base\n  db:\n    image: pg\nservices:\n  <<: *base\n  api:\n    image: x\n";
    assert_eq!(service_strs(&parse_services(yaml)?), ["db", "api"]);
    Ok(())
}

#[test]
fn empty_services_section() -> Result<(), ComposeError> {
    assert!(parse_services("services:\n")?.is_empty());
    assert!(parse_services("services: {}\n")?.is_empty());
    Ok(())
}

#[test]
fn compose_errors() {
    assert!(matches!(parse_services("services: [a"), Err(ComposeError::InvalidYaml(_))));
    assert_eq!(parse_services(""), Err(ComposeError::Empty));
    assert_eq!(parse_services("# only a comment\n"), Err(ComposeError::Empty));
    assert_eq!(parse_services("- a\n- b\n"), Err(ComposeError::NotAMapping));
    assert_eq!(parse_services("version: '3'\nvolumes: {}\n"), Err(ComposeError::MissingServices));
    assert_eq!(parse_services("services:\n  - web\n"), Err(ComposeError::ServicesNotAMapping));
    assert!(matches!(
        parse_services("services:\n  bad name:\n    image: x\n"),
        Err(ComposeError::InvalidServiceName { name, .. }) if name == "bad name"
    ));
    assert!(matches!(parse_services("services:\n  web: {}\n  web: {}\n"), Err(ComposeError::InvalidYaml(_))));
}

#[test]
fn yaml_error_says_where() {
    match parse_services("services:\n  web:\n    image: [x\n") {
        Err(ComposeError::InvalidYaml(message)) => assert!(message.contains("line"), "{message}"),
        other => panic!("expected a YAML error, got {other:?}"),
    }
}

#[test]
fn every_interpolation_form() {
    let text = "${A} ${B:-x} ${C-x} ${D:?err} ${E?err} ${F:+alt} ${G+alt} $H ${I:-${J}} ${K:-${L:-$M}}";
    assert_eq!(names(text), vars(&["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M"]));
}

#[test]
fn escaped_and_malformed_references() {
    assert!(names("$$A $${B} $$$$").is_empty());
    assert_eq!(names("$$$A"), vars(&["A"]));
    assert!(names("$ $1 ${} ${1A} ${A B} ${A:-unclosed $").is_empty());
    assert_eq!(names("price: 5$, ${lower_case}x, $_u-rest"), vars(&["_u", "lower_case"]));
    assert_eq!(names("${A:-{literal}}${B}"), vars(&["A", "B"]));
    assert!(names(&format!("${}", "X".repeat(129))).is_empty());
}

#[test]
fn compose_variables_come_from_values_only() -> Result<(), ComposeError> {
    let yaml = "# ${IN_COMMENT}\nservices:\n  web:\n    image: \"app:${TAG:-latest}\"\n    environment:\n      KEY: $SECRET\n      ${NOT_A_KEY}: x\n    command: [\"echo\", \"$$HOME\", \"${ARG}\"]\n";
    assert_eq!(parse_compose(yaml)?.variables, vars(&["ARG", "SECRET", "TAG"]));
    Ok(())
}

#[test]
fn dotenv_definitions() {
    let text = "\u{feff}# comment\nA=1\n\nexport B=two\n  C = \"spaced\"\nD='multi\nNOT_A=line\n'\nE=\"esc \\\" NOT_B=x\nNOT_C=y\"\nF # trailing\nG\nH:yaml\nbad.name=1\n=novalue\nI=x # comment\n\tJ=\"\"\n";
    assert_eq!(dotenv_names(text), vars(&["A", "B", "C", "D", "E", "G", "H", "I", "J"]));
}

#[test]
fn unterminated_quote_skips_its_line() {
    // python-dotenv skips the broken line and reads on; compose v2 refuses the file.
    assert_eq!(dotenv_names("A=1\nB=\"open\nC=2\n"), vars(&["A", "C"]));
}

#[test]
fn discovery_from_root_files() -> Result<(), DiscoveryError> {
    let files = [
        ("docker-compose.yml".to_owned(), "services:\n  web:\n    image: \"${IMAGE}\"\n".to_owned()),
        (
            "compose.yaml".to_owned(),
            "services:\n  api:\n    image: x\n    environment:\n      T: ${TOKEN}\n".to_owned(),
        ),
        (".env".to_owned(), "PORT=1\n".to_owned()),
        (".env.example".to_owned(), "SECRET=\n".to_owned()),
        ("env.txt".to_owned(), "IGNORED=1\n".to_owned()),
    ];
    let found = discover(&files)?;
    assert_eq!(found.compose_file.as_deref(), Some("compose.yaml"));
    assert_eq!(service_strs(&found.services), ["api"]);
    assert_eq!(found.variables, vars(&["PORT", "SECRET", "TOKEN"]));
    Ok(())
}

#[test]
fn discovery_without_compose_file() -> Result<(), DiscoveryError> {
    let found = discover(&[(".env".to_owned(), "A=1\n".to_owned())])?;
    assert_eq!(found, Discovery { compose_file: None, services: vec![], variables: vars(&["A"]) });
    Ok(())
}

#[test]
fn discovery_names_the_broken_file() {
    let files = [("compose.yml".to_owned(), "volumes: {}\n".to_owned())];
    let error = discover(&files).err();
    assert_eq!(
        error.map(|e| e.to_string()).as_deref(),
        Some("compose.yml: the compose file has no `services:` section")
    );
}

fn env_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,12}"
}

proptest! {
    #[test]
    fn every_reference_form_is_found(name in env_name(), form in 0usize..8, nested in env_name()) {
        let text = match form {
            0 => format!("${{{name}}}"),
            1 => format!("${{{name}:-${{{nested}}}}}"),
            2 => format!("${{{name}-${nested}}}"),
            3 => format!("${{{name}:?missing ${{{nested}}}}}"),
            4 => format!("${{{name}?x}}"),
            5 => format!("${{{name}:+${{{nested}:-d}}}}"),
            6 => format!("pre ${name} post"),
            _ => format!("x${{{name}+y}}z"),
        };
        let found = names(&text);
        prop_assert!(found.iter().any(|n| n.as_str() == name), "{} in {}", name, text);
        if [1, 2, 3, 5].contains(&form) {
            prop_assert!(found.iter().any(|n| n.as_str() == nested), "{} in {}", nested, text);
        }
    }

    #[test]
    fn escaped_dollars_reference_nothing(name in env_name()) {
        let escaped = format!("$${name} $${{{name}}}");
        prop_assert!(names(&escaped).is_empty());
    }

    #[test]
    fn interpolation_scan_never_panics(text in "[$a-zA-Z_{}:?+\\-0-9 ]{0,40}") {
        for name in names(&text) {
            prop_assert!(text.contains(name.as_str()));
        }
    }

    #[test]
    fn rendered_env_files_define_exactly_their_names(
        values in prop::collection::btree_map(env_name(), "[^\0]{0,20}", 0..6),
    ) {
        let vars: Vec<(EnvName, String)> = values
            .iter()
            .filter_map(|(n, v)| EnvName::parse(n).ok().map(|n| (n, v.clone())))
            .collect();
        for dialect in [crate::env::ComposeDialect::V1, crate::env::ComposeDialect::V2] {
            let text = crate::env::render_dotenv(&vars, dialect).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected: BTreeSet<EnvName> = vars.iter().map(|(n, _)| n.clone()).collect();
            prop_assert_eq!(dotenv_names(&text), expected);
        }
    }

    #[test]
    fn parsed_service_names_are_the_keys(names in prop::collection::btree_set("[a-z0-9][a-z0-9_.-]{0,10}", 0..6)) {
        let mut yaml = String::from("services:\n");
        for name in &names {
            yaml.push_str(&format!("  \"{name}\":\n    image: x\n"));
        }
        let parsed = parse_services(&yaml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed: BTreeSet<String> = parsed.iter().map(|s| s.as_str().to_owned()).collect();
        prop_assert_eq!(parsed, names);
    }
}
