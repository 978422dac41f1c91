use proptest::prelude::*;

use super::*;
use crate::domain::{
    ApiTimeout, BodySize, DomainEntry, Hostname, RedirectTarget, ResourceConfig, ResourceEntry, ResourceKind,
    ResourcePath, Topology,
};
use crate::env::{ComposeDialect, EnvName};
use crate::protocol::{JobValue, JobVariable};

fn name(s: &str) -> EnvName {
    EnvName::parse(s).unwrap()
}

fn var(n: &str, value: VariableValue) -> Variable {
    Variable { name: name(n), value }
}

fn reference(n: &str, r: Reference) -> Variable {
    var(n, VariableValue::Reference(r))
}

fn entry(id: i64, domain_id: i64, path: &str, kind: ResourceKind) -> ResourceEntry {
    ResourceEntry { id, domain_id, config: ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind } }
}

/// example.com: / static (1), /api api (2), /old redirect (3); *.example.org: / static (4).
fn topology() -> Topology {
    Topology {
        domains: vec![
            DomainEntry::new(1, Hostname::parse("example.com").unwrap()),
            DomainEntry::new(2, Hostname::parse("*.example.org").unwrap()),
        ],
        resources: vec![
            entry(1, 1, "/", ResourceKind::Static { spa: true, cors_origins: vec![] }),
            entry(
                2,
                1,
                "/api/",
                ResourceKind::Api {
                    websocket: false,
                    timeout_secs: ApiTimeout::default(),
                    max_body: BodySize::default(),
                },
            ),
            entry(
                3,
                1,
                "/old",
                ResourceKind::Redirect { target: RedirectTarget::parse("https://new.example/").unwrap() },
            ),
            entry(4, 2, "/", ResourceKind::Static { spa: false, cors_origins: vec![] }),
        ],
    }
}

fn text(text: &str, secret: bool) -> JobValue {
    JobValue::Text { text: text.into(), secret }
}

#[test]
fn resolves_every_kind_in_order() {
    let vars = vec![
        var("SECRET", VariableValue::Plain("p@ss \"w\" $x\n".into())),
        reference("WORKER", Reference::WorkerNodeId),
        reference("DATA", Reference::Volume),
        reference("HOST", Reference::Domain { domain: 1 }),
        reference("WILD", Reference::Domain { domain: 2 }),
        reference("API_URL", Reference::Url { resource: 2 }),
        reference("API_PATH", Reference::Path { resource: 2 }),
        reference("WWW", Reference::Directory { resource: 1 }),
        reference("WWW_AGAIN", Reference::Directory { resource: 1 }),
        reference("PORT", Reference::Port { resource: 2 }),
        reference("PORT_AGAIN", Reference::Port { resource: 2 }),
        reference("OLD", Reference::Target { resource: 3 }),
    ];
    let leases = PortLeases::from_pairs([(2, 41000), (99, 41001)]).unwrap();
    let resolution = resolve(&vars, &topology(), &leases).unwrap();
    let values: Vec<_> = resolution.variables.iter().map(|v| (v.name.as_str(), v.value.clone())).collect();
    let port = JobValue::Port { resource: "r2".into(), preferred: Some(41000) };
    assert_eq!(
        values,
        vec![
            ("SECRET", text("p@ss \"w\" $x\n", true)),
            ("WORKER", JobValue::WorkerNodeId),
            ("DATA", JobValue::Volume),
            ("HOST", text("example.com", false)),
            ("WILD", text("*.example.org", false)),
            ("API_URL", text("https://example.com/api/", false)),
            ("API_PATH", text("/api/", false)),
            ("WWW", JobValue::Directory { resource: "r1".into() }),
            ("WWW_AGAIN", JobValue::Directory { resource: "r1".into() }),
            ("PORT", port.clone()),
            ("PORT_AGAIN", port),
            ("OLD", text("https://new.example/", false)),
        ]
    );
    assert_eq!(resolution.directories, vec!["r1".to_owned()]);
    assert_eq!(resolution.ports, vec![PortRequest { resource: 2, preferred: Some(41000) }]);
}

#[test]
fn broken_references_are_errors_naming_their_variable() {
    let vars = vec![
        reference("GONE_DOMAIN", Reference::Domain { domain: 9 }),
        reference("GONE", Reference::Url { resource: 9 }),
        reference("NOT_STATIC", Reference::Directory { resource: 2 }),
        reference("NOT_API", Reference::Port { resource: 1 }),
        reference("NOT_REDIRECT", Reference::Target { resource: 2 }),
        reference("WILD_URL", Reference::Url { resource: 4 }),
        var("NUL", VariableValue::Plain("a\0b".into())),
        reference("OK", Reference::Volume),
        reference("OK", Reference::Volume),
    ];
    let errors = resolve(&vars, &topology(), &PortLeases::new()).unwrap_err();
    let named: Vec<&str> = errors.iter().map(|e| e.variable().as_str()).collect();
    assert_eq!(named, ["GONE_DOMAIN", "GONE", "NOT_STATIC", "NOT_API", "NOT_REDIRECT", "WILD_URL", "NUL", "OK"]);
    assert!(matches!(errors[0], ResolveError::MissingDomain { .. }));
    assert!(matches!(errors[1], ResolveError::MissingResource { .. }));
    assert_eq!(
        errors[2].to_string(),
        "NOT_STATIC must refer to a resource of type Static Page, but example.com/api/ is of type API Service"
    );
    assert!(matches!(errors[5], ResolveError::WildcardUrl { .. }));
    assert!(matches!(errors[7], ResolveError::DuplicateName { .. }));
}

#[test]
fn a_resource_whose_domain_is_gone_is_missing() {
    let mut t = topology();
    t.domains.retain(|d| d.id != 1);
    let err = resolve(&[reference("P", Reference::Path { resource: 2 })], &t, &PortLeases::new()).unwrap_err();
    assert!(matches!(err[0], ResolveError::MissingResource { .. }));
    assert!(check_reference(&name("P"), &Reference::Path { resource: 2 }, &topology()).is_ok());
}

#[test]
fn resource_keys() {
    assert_eq!(resource_key(12), "r12");
    assert_eq!(parse_resource_key("r12"), Some(12));
    for bad in ["", "r", "12", "r-1", "r01", "r1x", "R1", "r99999999999999999999"] {
        assert_eq!(parse_resource_key(bad), None, "{bad}");
    }
}

#[test]
fn leases() {
    let mut leases = PortLeases::from_pairs([(1, 4000), (2, 4001), (3, 4002)]).unwrap();
    assert_eq!(leases.lease(4, 4000), Err(LeaseError::Taken { port: 4000, holder: 1 }));
    assert_eq!(leases.lease(1, 0), Err(LeaseError::ZeroPort));
    leases.lease(1, 4005).unwrap();
    assert_eq!(leases.holder(4000), None);
    assert_eq!(leases.reserved_for_others(&[2]), vec![4002, 4005]);
    assert_eq!(leases.reserved_for_others(&[]), vec![4001, 4002, 4005]);
    // Two resources of the report may swap ports; an unknown key changes nothing.
    leases.record_report(&[("r2".into(), 4002), ("r3".into(), 4001)]).unwrap();
    assert_eq!((leases.get(2), leases.get(3)), (Some(4002), Some(4001)));
    let before = leases.clone();
    assert!(leases.record_report(&[("r7".into(), 5000), ("web".into(), 5001)]).is_err());
    assert!(leases.record_report(&[("r7".into(), 4005)]).is_err());
    assert_eq!(leases, before);
    assert_eq!(leases.release(1), Some(4005));
    assert_eq!(leases.len(), 2);
    let json = serde_json::to_string(&leases).unwrap();
    assert_eq!(json, r#"{"2":4002,"3":4001}"#);
    assert_eq!(serde_json::from_str::<PortLeases>(&json).unwrap(), leases);
    assert!(serde_json::from_str::<PortLeases>(r#"{"2":4002,"3":4002}"#).is_err());
}

#[test]
fn variable_form() {
    let form = |n: &str, kind: &str, value: &str, target: &str| VariableForm {
        name: n.into(),
        kind: kind.into(),
        value: value.into(),
        target_id: target.into(),
    };
    let plain = form(" DB_PASS ", "plain", "  spaced  ", "").validate().unwrap();
    assert_eq!(plain, var("DB_PASS", VariableValue::Plain("  spaced  ".into())));
    let port = form("PORT", "port", "", " 7 ").validate().unwrap();
    assert_eq!(port, reference("PORT", Reference::Port { resource: 7 }));
    assert_eq!(form("V", "volume", "", "").validate().unwrap(), reference("V", Reference::Volume));
    for v in [&plain, &port] {
        assert_eq!(&VariableForm::from_variable(v).validate().unwrap(), v);
    }
    let errors = form("1BAD", "port", "", "").validate().unwrap_err();
    assert!(errors.get("name").is_some() && errors.get("target_id").is_some());
    assert!(form("A", "plain", "a\0", "").validate().unwrap_err().get("value").is_some());
    assert!(form("A", "plain", &"x".repeat(MAX_PLAIN_LEN + 1), "").validate().is_err());
    assert!(form("A", "url", "", "-3").validate().unwrap_err().get("target_id").is_some());
    assert!(form("A", "url", "", "x").validate().is_err());
    assert!(form("A", "dotted", "", "").validate().unwrap_err().get("kind").is_some());
}

#[test]
fn serde_shapes_and_masked_debug() {
    let plain = VariableValue::Plain("hunter2".into());
    assert_eq!(serde_json::to_value(&plain).unwrap(), serde_json::json!({"kind": "plain", "value": "hunter2"}));
    let port = VariableValue::Reference(Reference::Port { resource: 7 });
    assert_eq!(
        serde_json::to_value(&port).unwrap(),
        serde_json::json!({"kind": "reference", "value": {"type": "port", "resource": 7}})
    );
    let worker = serde_json::json!({"kind": "reference", "value": {"type": "worker_node_id"}});
    assert_eq!(
        serde_json::from_value::<VariableValue>(worker).unwrap(),
        VariableValue::Reference(Reference::WorkerNodeId)
    );
    let domain = serde_json::json!({"type": "domain", "domain": 3});
    assert_eq!(serde_json::from_value::<Reference>(domain).unwrap(), Reference::Domain { domain: 3 });
    assert!(!format!("{plain:?}").contains("hunter2"));
    assert!(!format!("{:?}", var("X", plain)).contains("hunter2"));
}

#[test]
fn preview_masks_secrets_and_shows_placeholders() {
    let vars = vec![
        var("SECRET", VariableValue::Plain("hunter2".into())),
        reference("HOST", Reference::Domain { domain: 1 }),
        reference("PORT", Reference::Port { resource: 2 }),
        reference("WWW", Reference::Directory { resource: 1 }),
        reference("DATA", Reference::Volume),
        reference("WORKER", Reference::WorkerNodeId),
    ];
    let text = preview_dotenv(&vars, &topology(), ComposeDialect::V2).unwrap();
    assert_eq!(
        text,
        "SECRET=\"********\"\nHOST=\"example.com\"\nPORT=\"<port for example.com/api/>\"\n\
         WWW=\"<directory for example.com/>\"\nDATA=\"<volume directory>\"\nWORKER=\"<worker node id>\"\n"
    );
    let broken = [reference("GONE", Reference::Url { resource: 42 })];
    assert!(
        matches!(preview_dotenv(&broken, &topology(), ComposeDialect::V1), Err(PreviewError::Resolve(e)) if e.len() == 1)
    );
}

fn any_reference() -> impl Strategy<Value = Reference> {
    let id = 0i64..7;
    prop_oneof![
        Just(Reference::WorkerNodeId),
        Just(Reference::Volume),
        id.clone().prop_map(|domain| Reference::Domain { domain }),
        id.clone().prop_map(|resource| Reference::Url { resource }),
        id.clone().prop_map(|resource| Reference::Path { resource }),
        id.clone().prop_map(|resource| Reference::Directory { resource }),
        id.clone().prop_map(|resource| Reference::Port { resource }),
        id.prop_map(|resource| Reference::Target { resource }),
    ]
}

proptest! {
    #[test]
    fn resolution_is_all_or_nothing(
        rows in prop::collection::vec(("[A-D]", prop::option::of(any_reference()), "[ -~]{0,8}"), 0..10),
    ) {
        let vars: Vec<Variable> = rows
            .iter()
            .map(|(n, r, plain)| var(n, match r { Some(r) => VariableValue::Reference(*r), None => VariableValue::Plain(plain.clone()) }))
            .collect();
        let t = topology();
        match resolve(&vars, &t, &PortLeases::new()) {
            Ok(resolution) => {
                prop_assert_eq!(resolution.variables.len(), vars.len());
                for (job, var) in resolution.variables.iter().zip(&vars) {
                    prop_assert_eq!(&job.name, &var.name);
                    let is_secret = matches!(job.value, JobValue::Text { secret: true, .. });
                    prop_assert_eq!(is_secret, matches!(var.value, VariableValue::Plain(_)));
                }
                for key in &resolution.directories {
                    let id = parse_resource_key(key).unwrap();
                    let ok = matches!(t.resource(id).unwrap().config.kind, ResourceKind::Static { .. });
                    prop_assert!(ok);
                }
                for request in &resolution.ports {
                    let ok = matches!(t.resource(request.resource).unwrap().config.kind, ResourceKind::Api { .. });
                    prop_assert!(ok);
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in &errors {
                    prop_assert!(vars.iter().any(|v| &v.name == error.variable()));
                }
            }
        }
    }

    #[test]
    fn preview_matches_resolution(rows in prop::collection::vec(("[A-Z]{1,3}", any_reference()), 0..6)) {
        let vars: Vec<Variable> = rows.iter().map(|(n, r)| reference(n, *r)).collect();
        let t = topology();
        let resolved = resolve(&vars, &t, &PortLeases::new());
        let preview = preview_dotenv(&vars, &t, ComposeDialect::V2);
        prop_assert_eq!(resolved.is_ok(), preview.is_ok());
        if let (Ok(resolution), Ok(text)) = (resolved, preview) {
            prop_assert_eq!(text.lines().count(), resolution.variables.len());
        }
    }

    #[test]
    fn reserved_ports_never_include_own_leases(pairs in prop::collection::vec((1i64..10, 1u16..20), 0..12), own in prop::collection::vec(1i64..10, 0..5)) {
        let mut leases = PortLeases::new();
        for (r, p) in pairs {
            let _ = leases.lease(r, p);
        }
        let reserved = leases.reserved_for_others(&own);
        for (r, p) in leases.iter() {
            prop_assert_eq!(reserved.contains(&p), !own.contains(&r));
        }
        let mut ports: Vec<u16> = leases.iter().map(|(_, p)| p).collect();
        ports.sort_unstable();
        ports.dedup();
        prop_assert_eq!(ports.len(), leases.len(), "no port leased twice");
    }

    #[test]
    fn forms_round_trip(n in "[A-Za-z_][A-Za-z0-9_]{0,10}", kind in prop::sample::select(vec!["plain", "volume", "domain", "url", "port", "target"]), value in "(?s)[^\x00]{0,20}", id in 1i64..1000) {
        let form = VariableForm { name: n, kind: kind.into(), value, target_id: id.to_string() };
        let variable = form.validate().unwrap();
        prop_assert_eq!(VariableForm::from_variable(&variable).validate(), Ok(variable.clone()));
        let json = serde_json::to_string(&variable).unwrap();
        prop_assert_eq!(serde_json::from_str::<Variable>(&json).unwrap(), variable);
    }
}

#[test]
fn job_variables_serialize_as_the_protocol_says() {
    let resolution =
        resolve(&[reference("P", Reference::Port { resource: 2 })], &topology(), &PortLeases::new()).unwrap();
    assert_eq!(
        resolution.variables,
        vec![JobVariable { name: name("P"), value: JobValue::Port { resource: "r2".into(), preferred: None } }]
    );
}

mod editor;
