use proptest::prelude::*;

use super::*;
use crate::domain::{ApiTimeout, BodySize, RedirectTarget, ResourceKind};
use crate::project::{GitUrl, RepoName, RepoOwner};

fn hostname(s: &str) -> Hostname {
    Hostname::parse(s).unwrap()
}

fn path(s: &str) -> ResourcePath {
    ResourcePath::parse(s).unwrap()
}

fn name(s: &str) -> EnvName {
    EnvName::parse(s).unwrap()
}

fn config() -> ProjectConfig {
    ProjectConfig {
        id: ProjectId::parse("hello").unwrap(),
        repository: Repository::Url { url: GitUrl::parse("/srv/nsm-hello").unwrap() },
        branch: Branch::parse("main").unwrap(),
        worker: WorkerId::local(),
        timeout: DeployTimeout::default(),
        allow_ci_cd: false,
    }
}

fn api() -> ResourceKind {
    ResourceKind::Api { websocket: true, timeout_secs: ApiTimeout::default(), max_body: BodySize::default() }
}

/// hello.localhost (3): / static (10), /api api (11); go.localhost (5): /x redirect (12).
fn topology() -> Topology {
    Topology {
        domains: vec![DomainEntry::new(3, hostname("hello.localhost")), DomainEntry::new(5, hostname("go.localhost"))],
        resources: vec![
            ResourceEntry {
                id: 10,
                domain_id: 3,
                config: ResourceConfig {
                    path: path("/"),
                    kind: ResourceKind::Static { spa: false, cors_origins: vec![] },
                },
            },
            ResourceEntry { id: 11, domain_id: 3, config: ResourceConfig { path: path("/api"), kind: api() } },
            ResourceEntry {
                id: 12,
                domain_id: 5,
                config: ResourceConfig {
                    path: path("/x"),
                    kind: ResourceKind::Redirect { target: RedirectTarget::parse("https://example.com/").unwrap() },
                },
            },
        ],
    }
}

fn variables() -> Vec<Variable> {
    let r = |n: &str, reference| Variable { name: name(n), value: VariableValue::Reference(reference) };
    vec![
        Variable { name: name("GREETING"), value: VariableValue::Plain("hi \"there\"\n$x # y".into()) },
        r("API_PORT", Reference::Port { resource: 11 }),
        r("SITE_DIR", Reference::Directory { resource: 10 }),
        r("HOST", Reference::Domain { domain: 5 }),
        r("OLD", Reference::Target { resource: 12 }),
        r("WORKER", Reference::WorkerNodeId),
    ]
}

fn services() -> Vec<ServiceSetting> {
    vec![
        ServiceSetting { name: "site".into(), expected: ServiceState::Exited, collect_logs: false },
        ServiceSetting { name: "api".into(), expected: ServiceState::Running, collect_logs: true },
    ]
}

fn exported(with_secrets: bool) -> ConfigFile {
    ConfigFile::export(&config(), &topology(), &variables(), &services(), with_secrets).unwrap()
}

#[test]
fn export_names_targets_not_ids() {
    let text = exported(false).to_toml().unwrap();
    assert!(text.starts_with("# NSM project configuration"));
    assert!(!text.contains("hi \\\"there"), "no secret without asking:\n{text}");
    assert!(
        text.contains("name = \"API_PORT\"\ntype = \"port\"\ndomain = \"hello.localhost\"\npath = \"/api\""),
        "{text}"
    );
    let back = ConfigFile::from_toml(&text).unwrap();
    assert_eq!(back, exported(false));
    assert_eq!(back.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["api", "site"]);
    // Its own topology resolves the references to the file's ids, by position.
    let file_topology = back.topology();
    let port = back.variables.iter().find(|v| v.name.as_str() == "API_PORT").unwrap();
    assert_eq!(port.value(&file_topology), Ok(Some(VariableValue::Reference(Reference::Port { resource: 2 }))));
    let secret = back.variables.iter().find(|v| v.name.as_str() == "GREETING").unwrap();
    assert_eq!(secret.value(&file_topology), Ok(None));
}

#[test]
fn secrets_only_when_asked() {
    let text = exported(true).to_toml().unwrap();
    let back = ConfigFile::from_toml(&text).unwrap();
    let secret = back.variables.iter().find(|v| v.name.as_str() == "GREETING").unwrap();
    assert_eq!(secret.value.as_deref(), Some("hi \"there\"\n$x # y"));
    assert_eq!(back.to_toml().unwrap(), text);
}

#[test]
fn dangling_references_cannot_be_exported() {
    let mut vars = variables();
    vars.push(Variable { name: name("GONE"), value: VariableValue::Reference(Reference::Url { resource: 99 }) });
    let result = ConfigFile::export(&config(), &topology(), &vars, &[], false);
    assert_eq!(result, Err(ConfigError::Dangling(name("GONE"))));
}

#[test]
fn checks_what_toml_cannot() {
    let base = exported(false).to_toml().unwrap();
    let refused = |text: &str| ConfigFile::from_toml(text).unwrap_err();
    assert!(matches!(refused(&base.replace("format = 1", "format = 2"))[..], [ConfigError::Format(2)]));
    assert!(matches!(refused("format = 1")[..], [ConfigError::Syntax(_)]));
    assert!(matches!(refused(&format!("{base}\nsurprise = 1\n"))[..], [ConfigError::Syntax(_)]));
    let wrong = base.replace("path = \"/api\"\n\n[[variables]]", "path = \"/nope\"\n\n[[variables]]");
    let errors = refused(&wrong);
    assert!(
        errors.iter().any(|e| matches!(e, ConfigError::Variable { name, .. } if name.as_str() == "API_PORT")),
        "{errors:?}"
    );
    let mut file = exported(false);
    file.variables.push(file.variables[0].clone());
    file.domains.push(file.domains[0].clone());
    file.variables[1].kind = VariableKind::Directory; // a Directory of an API Service
    let errors = file.check().unwrap_err();
    assert!(errors.contains(&ConfigError::DuplicateVariable(name("GREETING"))));
    assert!(errors.contains(&ConfigError::DuplicateDomain(hostname("hello.localhost"))));
    assert!(errors.iter().any(|e| matches!(e, ConfigError::Variable { name, .. } if name.as_str() == "API_PORT")));
    assert!(ConfigFile::from_toml("format = 1\n[project]\nid = \"Bad Id\"").is_err());
}

#[test]
fn changes_against_the_current_configuration() {
    let current = exported(true);
    assert_eq!(config_changes(&current, &current), vec![]);
    // A file without secrets keeps them: no change.
    assert_eq!(config_changes(&current, &exported(false)), vec![]);
    let mut file = exported(false);
    file.project.branch = Branch::parse("dev").unwrap();
    file.domains.remove(1);
    file.domains[0].resources.remove(0);
    file.domains[0].hsts = false;
    file.variables.retain(|v| v.name.as_str() != "OLD" && v.name.as_str() != "HOST");
    file.variables[0].value = Some("new".into());
    file.variables.push(VariableSection {
        name: name("NEW"),
        kind: VariableKind::Volume,
        value: None,
        domain: None,
        path: None,
    });
    file.services[0].expected = ServiceState::Exited;
    let changes: Vec<(ChangeAction, String, String)> =
        config_changes(&current, &file).into_iter().map(|c| (c.action, c.what, c.subject)).collect();
    let expect = |a, w: &str, s: &str| (a, w.to_owned(), s.to_owned());
    use ChangeAction::*;
    assert_eq!(
        changes,
        vec![
            expect(Changed, "project", "branch"),
            expect(Changed, "domain", "hello.localhost"),
            expect(Removed, "resource", "hello.localhost/"),
            expect(Removed, "domain", "go.localhost"),
            expect(Changed, "variable", "GREETING"),
            expect(Added, "variable", "NEW"),
            expect(Removed, "variable", "HOST"),
            expect(Removed, "variable", "OLD"),
            expect(Changed, "service", "api"),
        ]
    );
    let details = config_changes(&current, &file);
    assert!(details.iter().all(|c| !c.detail.contains("new") && !c.detail.contains("there")), "{details:?}");
}

fn any_resource() -> impl Strategy<Value = ResourceKind> {
    prop_oneof![
        (any::<bool>(), prop::sample::subsequence(vec!["https://a.example", "*"], 0..=1)).prop_map(|(spa, origins)| {
            ResourceKind::Static {
                spa,
                cors_origins: origins
                    .into_iter()
                    .map(|o| crate::domain::CorsOrigin::try_from(o.to_owned()).unwrap())
                    .collect(),
            }
        }),
        (any::<bool>(), 1u32..600, prop::sample::select(vec!["1m", "10m", "512k"])).prop_map(|(websocket, t, b)| {
            ResourceKind::Api {
                websocket,
                timeout_secs: ApiTimeout::try_from(t).unwrap(),
                max_body: BodySize::try_from(b.to_owned()).unwrap(),
            }
        }),
        prop::sample::select(vec!["https://example.com/", "https://x.example/a?b=c"])
            .prop_map(|t| ResourceKind::Redirect { target: RedirectTarget::parse(t).unwrap() }),
    ]
}

fn any_file() -> impl Strategy<Value = ConfigFile> {
    let domains = prop::collection::vec((any::<bool>(), prop::collection::vec(any_resource(), 0..3)), 0..3);
    let secrets = prop::collection::vec(prop::option::of("(?s)[^\0]{0,24}"), 0..4);
    let services = prop::collection::vec((prop::sample::select(ServiceState::ALL.to_vec()), any::<bool>()), 0..3);
    (domains, secrets, services, any::<bool>(), 10u32..3600, any::<bool>()).prop_map(
        |(domains, secrets, services, ci, timeout, hosted)| {
            let domains: Vec<DomainSection> = domains
                .into_iter()
                .enumerate()
                .map(|(i, (hsts, kinds))| DomainSection {
                    hostname: hostname(&format!("d{i}.example.com")),
                    hsts,
                    resources: kinds
                        .into_iter()
                        .enumerate()
                        .map(|(j, kind)| ResourceConfig { path: path(&format!("/p{j}")), kind })
                        .collect(),
                })
                .collect();
            let mut variables: Vec<VariableSection> = secrets
                .into_iter()
                .enumerate()
                .map(|(i, value)| VariableSection {
                    name: name(&format!("S{i}")),
                    kind: VariableKind::Secret,
                    value,
                    domain: None,
                    path: None,
                })
                .collect();
            for (i, domain) in domains.iter().enumerate() {
                variables.push(VariableSection {
                    name: name(&format!("H{i}")),
                    kind: VariableKind::Domain,
                    value: None,
                    domain: Some(domain.hostname.clone()),
                    path: None,
                });
                for (j, resource) in domain.resources.iter().enumerate() {
                    let kind = match resource.kind.resource_type() {
                        ResourceType::Api => VariableKind::Port,
                        ResourceType::Static => VariableKind::Directory,
                        ResourceType::Redirect => VariableKind::Target,
                        ResourceType::Custom => VariableKind::Path,
                    };
                    variables.push(VariableSection {
                        name: name(&format!("R{i}_{j}")),
                        kind,
                        value: None,
                        domain: Some(domain.hostname.clone()),
                        path: Some(resource.path.clone()),
                    });
                }
            }
            let repository = if hosted {
                Repository::Hosted { owner: RepoOwner::parse("acme").unwrap(), name: RepoName::parse("shop").unwrap() }
            } else {
                Repository::Url { url: GitUrl::parse("https://git.example.com/a/b.git").unwrap() }
            };
            ConfigFile {
                format: CONFIG_FORMAT,
                project: ProjectSection {
                    id: ProjectId::parse("shop").unwrap(),
                    branch: Branch::parse("main").unwrap(),
                    worker: WorkerId::local(),
                    timeout_secs: DeployTimeout::new(timeout).unwrap(),
                    allow_ci_cd: ci,
                    repository,
                },
                domains,
                variables,
                services: services
                    .into_iter()
                    .enumerate()
                    .map(|(i, (expected, collect_logs))| ServiceSection {
                        name: format!("svc{i}"),
                        expected,
                        collect_logs,
                    })
                    .collect(),
            }
        },
    )
}

proptest! {
    /// file → TOML → file is exact, and TOML → file → TOML is byte-identical.
    #[test]
    fn round_trips_exactly(file in any_file()) {
        let text = file.to_toml().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = ConfigFile::from_toml(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(&back, &file);
        prop_assert_eq!(back.to_toml().unwrap(), text);
        prop_assert_eq!(config_changes(&file, &back), vec![]);
    }

    /// Export from a project's parts, then rebuild its parts from the file's topology
    /// and export again: the same file.
    #[test]
    fn export_of_the_files_own_topology_is_the_same(file in any_file()) {
        let topology = file.topology();
        let variables: Vec<Variable> = file
            .variables
            .iter()
            .map(|v| Variable { name: v.name.clone(), value: v.value(&topology).unwrap().unwrap_or(VariableValue::Plain(String::new())) })
            .collect();
        let services: Vec<ServiceSetting> = file.services.iter().map(|s| ServiceSetting { name: s.name.clone(), expected: s.expected, collect_logs: s.collect_logs }).collect();
        let again = ConfigFile::export(&file.project_config(file.project.id.clone()), &topology, &variables, &services, true).unwrap();
        prop_assert_eq!(again.domains, file.domains);
        prop_assert_eq!(again.variables.len(), file.variables.len());
    }
}
