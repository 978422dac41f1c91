//! The Domain and Resource forms.

use proptest::prelude::*;

use crate::domain::*;

fn form(path: &str, kind: &str) -> ResourceForm {
    ResourceForm { path: path.into(), kind: kind.into(), ..ResourceForm::default() }
}

#[test]
fn domain_form() {
    let ok = DomainForm { hostname: "  App.Example.com ".into() }.validate().unwrap();
    assert_eq!(ok.as_str(), "app.example.com");
    let errors = DomainForm { hostname: "exa mple".into() }.validate().unwrap_err();
    assert!(errors.get("hostname").is_some());
}

#[test]
fn static_form_with_defaults() {
    let config = form("/", "static").validate().unwrap();
    assert_eq!(config.path, ResourcePath::root());
    assert_eq!(config.kind, ResourceKind::Static { spa: false, cors_origins: vec![] });
    assert!(!config.requires_admin());
}

#[test]
fn static_form_with_options() {
    let f = ResourceForm {
        spa: Some("on".into()),
        cors_origins: "https://a.example.com,https://b.example.com".into(),
        ..form(" /app ", "static")
    };
    let config = f.validate().unwrap();
    let ResourceKind::Static { spa, cors_origins } = &config.kind else { panic!("{config:?}") };
    assert!(spa);
    assert_eq!(cors_origins.len(), 2);
    assert_eq!(ResourceForm::from_config(&config).validate().unwrap(), config);
}

#[test]
fn api_form() {
    let f = ResourceForm {
        websocket: Some("on".into()),
        timeout_secs: "120".into(),
        max_body: "1G".into(),
        ..form("/api", "api")
    };
    let config = f.validate().unwrap();
    let ResourceKind::Api { websocket, timeout_secs, max_body } = config.kind.clone() else { panic!() };
    assert!(websocket);
    assert_eq!(timeout_secs.secs(), 120);
    assert_eq!(max_body.to_string(), "1g");
    assert_eq!(ResourceForm::from_config(&config).validate().unwrap(), config);
    let defaults = form("/api", "api").validate().unwrap();
    assert_eq!(
        defaults.kind,
        ResourceKind::Api { websocket: false, timeout_secs: ApiTimeout::default(), max_body: BodySize::default() }
    );
}

#[test]
fn every_error_is_reported_under_its_field() {
    let f = ResourceForm { timeout_secs: "0".into(), max_body: "11g".into(), ..form("api", "api") };
    let errors = f.validate().unwrap_err();
    assert!(errors.get("path").is_some());
    assert!(errors.get("timeout_secs").is_some());
    assert!(errors.get("max_body").is_some());
    assert!(form("/", "proxy").validate().unwrap_err().get("kind").is_some());
    assert!(form("/", "redirect").validate().unwrap_err().get("target").is_some());
    assert!(form("/", "custom").validate().unwrap_err().get("body").is_some());
    let cors = ResourceForm { cors_origins: "example.com".into(), ..form("/", "static") };
    assert!(cors.validate().unwrap_err().get("cors_origins").is_some());
}

#[test]
fn redirect_and_custom_forms() {
    let r = ResourceForm { target: " https://example.com/new ".into(), ..form("/old", "redirect") }.validate().unwrap();
    assert_eq!(r.kind, ResourceKind::Redirect { target: RedirectTarget::parse("https://example.com/new").unwrap() });
    let body = "  return 204;\n";
    let c = ResourceForm { body: body.into(), ..form("/x", "custom") }.validate().unwrap();
    assert!(c.requires_admin());
    let ResourceKind::Custom { body: kept } = &c.kind else { panic!() };
    assert_eq!(kept.as_str(), body, "the admin's text is kept as written");
    assert_eq!(ResourceForm::from_config(&c).validate().unwrap(), c);
}

#[test]
fn options_of_other_types_are_ignored() {
    let f = ResourceForm { timeout_secs: "nonsense".into(), target: "bad".into(), ..form("/", "static") };
    assert!(f.validate().is_ok());
}

#[test]
fn serde_shapes() {
    let config = ResourceConfig {
        path: ResourcePath::parse("/api").unwrap(),
        kind: ResourceKind::Api { websocket: true, timeout_secs: ApiTimeout::default(), max_body: BodySize::default() },
    };
    let json = serde_json::to_value(&config).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"path": "/api", "kind": {"type": "api", "websocket": true, "timeout_secs": 60, "max_body": "10m"}})
    );
    let sparse: ResourceConfig = serde_json::from_str(r#"{"path": "/", "kind": {"type": "static"}}"#).unwrap();
    assert_eq!(sparse.kind, ResourceKind::Static { spa: false, cors_origins: vec![] });
    let bad = r#"{"path": "/", "kind": {"type": "custom", "body": "}"}}"#;
    assert!(serde_json::from_str::<ResourceConfig>(bad).is_err());
    let redirect = serde_json::json!({"path": "/r", "kind": {"type": "redirect", "target": "https://x.example/"}});
    assert!(serde_json::from_value::<ResourceConfig>(redirect).is_ok());
}

#[test]
fn resource_types() {
    for t in ResourceType::ALL {
        assert_eq!(ResourceType::from_form(t.as_str()), Some(t));
    }
    assert_eq!(ResourceType::Api.to_string(), "API Service");
}

proptest! {
    #[test]
    fn forms_never_panic_and_round_trip(
        path in "[/a-z.]{0,8}",
        kind in prop::sample::select(vec!["static", "api", "redirect", "custom", "x"]),
        text in "[ -~\n]{0,30}",
        flag in any::<bool>(),
    ) {
        let flag = flag.then(|| "on".to_owned());
        let f = ResourceForm {
            path, kind: kind.into(), spa: flag.clone(), cors_origins: text.clone(), websocket: flag,
            timeout_secs: text.clone(), max_body: text.clone(), target: text.clone(), body: text,
        };
        if let Ok(config) = f.validate() {
            prop_assert_eq!(ResourceForm::from_config(&config).validate(), Ok(config.clone()));
            let json = serde_json::to_string(&config).unwrap();
            prop_assert_eq!(serde_json::from_str::<ResourceConfig>(&json).unwrap(), config);
        }
    }
}
