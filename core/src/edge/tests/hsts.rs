//! HSTS: per domain, only over a CA-issued certificate, and kept in the locations
//! whose own headers would drop it.

use super::*;

const HSTS: &str = "add_header Strict-Transport-Security \"max-age=31536000\" always;";

fn cors(origins: &[&str]) -> ResourceKind {
    let origins = origins.iter().map(|o| CorsOrigin::parse(o).unwrap()).collect();
    ResourceKind::Static { spa: false, cors_origins: origins }
}

fn custom(body: &str) -> ResourceKind {
    ResourceKind::Custom { body: CustomBody::parse(body).unwrap() }
}

/// Two domains with every kind of location; `issued` names those with a CA's certificate.
fn site(issued: &[&str], hsts_off: &[&str]) -> NginxInput {
    let mut topology = Topology {
        domains: vec![DomainEntry::new(1, hostname("example.com")), DomainEntry::new(2, hostname("other.example.com"))],
        resources: vec![
            entry(1, 1, "/", cors(&["https://a.example.net", "https://b.example.net"])),
            entry(2, 1, "/star", cors(&["*"])),
            entry(3, 1, "/plain", ResourceKind::Static { spa: true, cors_origins: vec![] }),
            entry(4, 1, "/api", api(false, 30, "1m")),
            entry(5, 1, "/headers", custom("add_header X-Custom yes;\nreturn 200 \"ok\";")),
            entry(6, 1, "/nested", custom("location /nested/x { add_header X-In 1; }\nreturn 204;")),
            entry(7, 2, "/", custom("return 204;")),
        ],
    };
    for domain in &mut topology.domains {
        domain.hsts = !hsts_off.contains(&domain.hostname.as_str());
    }
    let mut input = input(topology);
    input.ports.insert(4, 41004);
    input.issued = issued.iter().map(|h| hostname(h)).collect();
    input
}

/// The lines of `hostname`'s HTTPS server.
fn https_server(text: &str, hostname: &str) -> String {
    let start = text.find(&format!("    listen 443 ssl;\n    server_name {hostname};\n")).unwrap();
    let end = text[start..].find("\n}\n").map_or(text.len(), |e| start + e);
    text[start..end].to_owned()
}

/// The body of `location <path>` in `server`.
fn location<'a>(server: &'a str, head: &str) -> &'a str {
    let start = server.find(&format!("    location {head} {{\n")).unwrap_or_else(|| panic!("{head}: {server}"));
    let end = server[start..].find("\n    }\n").map_or(server.len(), |e| start + e);
    &server[start..end]
}

#[test]
fn a_ca_issued_certificate_turns_hsts_on_by_default() {
    let text = render_nginx(&site(&["example.com", "other.example.com"], &[])).unwrap();
    for name in ["example.com", "other.example.com"] {
        let server = https_server(&text, name);
        assert!(
            server.contains(&format!("ssl_certificate_key /var/lib/nsm/certs/{name}/key.pem;\n    {HSTS}\n")),
            "{server}"
        );
    }
    // Never on plain HTTP, where browsers ignore it.
    let http = &text[..text.find("listen 443").unwrap()];
    assert!(!http.contains("Strict-Transport-Security"), "{http}");
}

#[test]
fn no_hsts_over_a_placeholder_or_when_the_domain_turned_it_off() {
    let placeholder = render_nginx(&site(&[], &[])).unwrap();
    assert!(!placeholder.contains("Strict-Transport-Security"), "{placeholder}");
    let off = render_nginx(&site(&["example.com", "other.example.com"], &["other.example.com"])).unwrap();
    assert!(https_server(&off, "example.com").contains(HSTS), "{off}");
    assert!(!https_server(&off, "other.example.com").contains("Strict-Transport-Security"), "{off}");
    // Only the issued name of two gets it.
    let one = render_nginx(&site(&["other.example.com"], &[])).unwrap();
    assert!(!https_server(&one, "example.com").contains("Strict-Transport-Security"), "{one}");
    assert!(https_server(&one, "other.example.com").contains(HSTS), "{one}");
}

#[test]
fn locations_with_headers_of_their_own_repeat_it() {
    let text = render_nginx(&site(&["example.com"], &[])).unwrap();
    let server = https_server(&text, "example.com");
    for head in ["/", "/star/", "/headers"] {
        let body = location(&server, head);
        assert!(body.contains("add_header") && body.contains(HSTS), "{head}: {body}");
    }
    // A location without add_header inherits the server's; so does a Custom body
    // whose only add_header is in a nested block (the admin's to repeat).
    for head in ["/plain/", "/api/", "= /api", "/nested"] {
        assert!(!location(&server, head).contains(HSTS), "{head}: {server}");
    }
    let custom = location(&server, "/headers");
    assert!(custom.find(HSTS).unwrap() < custom.find("add_header X-Custom").unwrap(), "{custom}");
    // Without HSTS, nothing is repeated.
    let off = render_nginx(&site(&[], &[])).unwrap();
    assert!(!off.contains("Strict-Transport-Security"), "{off}");
}

#[test]
fn the_spa_fallback_caches_its_lookups() {
    let text = render_nginx(&site(&[], &[])).unwrap();
    let server = https_server(&text, "example.com");
    let spa = location(&server, "/plain/");
    assert!(spa.contains("try_files $uri $uri/ /plain/index.html;\n        open_file_cache max=1000 inactive=20s;\n        open_file_cache_valid 1s;"), "{spa}");
    assert!(!location(&server, "/").contains("open_file_cache"), "{server}");
}

#[test]
fn inputs_saved_before_hsts_existed_still_read() {
    let domain: DomainEntry = serde_json::from_str(r#"{"id": 1, "hostname": "example.com"}"#).unwrap();
    assert!(domain.hsts);
    let mut input = serde_json::to_value(site(&[], &[])).unwrap();
    input.as_object_mut().unwrap().remove("issued");
    let input: NginxInput = serde_json::from_value(input).unwrap();
    assert!(input.issued.is_empty());
}
