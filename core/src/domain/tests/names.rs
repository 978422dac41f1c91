//! Hostnames, paths and the option types.

use proptest::prelude::*;

use crate::domain::*;

#[test]
fn good_hostnames() {
    for (input, normal) in [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("localhost", "localhost"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("*.example.com", "*.example.com"),
        ("*.Example.com.", "*.example.com"),
        ("1.2.3.example", "1.2.3.example"),
        ("3com.net", "3com.net"),
    ] {
        assert_eq!(Hostname::parse(input).map(|h| h.to_string()), Ok(normal.to_owned()), "{input}");
    }
    let longest = [&"a".repeat(63)[..], &"b".repeat(63), &"c".repeat(63), &"d".repeat(61)].join(".");
    assert_eq!(longest.len(), 253);
    assert!(Hostname::parse(&longest).is_ok());
}

#[test]
fn bad_hostnames() {
    for bad in [
        "",
        ".",
        "..",
        ".example.com",
        "example..com",
        "-example.com",
        "example-.com",
        "exa_mple.com",
        "example.com/path",
        "https://example.com",
        "example.com:8080",
        "exa mple.com",
        "example.com\n",
        "example.com;",
        "example.com{",
        "example.com}",
        "\"example.com\"",
        "'example.com'",
        "$host",
        "bücher.example",
        "*",
        "*.com",
        "a.*.example.com",
        "*example.com",
        "**.example.com",
        "127.0.0.1",
        "example.123",
        &format!("{}.com", "a".repeat(64)),
        &[&"a".repeat(63)[..], &"b".repeat(63), &"c".repeat(63), &"d".repeat(62)].join("."),
    ] {
        assert!(Hostname::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn hostname_messages_say_what_to_do() {
    let message = |s: &str| Hostname::parse(s).err().map(|e| e.0).unwrap_or_default();
    assert!(message("bücher.de").contains("punycode"));
    assert!(message("https://example.com").contains("without http"));
    assert!(message("example.com:443").contains("port"));
    assert!(message("10.0.0.1").contains("IP address"));
}

#[test]
fn hostname_helpers() {
    let wild = Hostname::parse("*.example.com").unwrap();
    assert!(wild.is_wildcard());
    assert_eq!(wild.file_stem(), "_.example.com");
    let plain = Hostname::parse("example.com").unwrap();
    assert!(!plain.is_wildcard());
    assert_eq!(plain.file_stem(), "example.com");
    assert_eq!(serde_json::to_string(&plain).unwrap(), "\"example.com\"");
    assert_eq!(serde_json::from_str::<Hostname>("\"EXAMPLE.com.\"").unwrap(), plain);
    assert!(serde_json::from_str::<Hostname>("\"bad;name\"").is_err());
}

#[test]
fn paths() {
    for ok in ["/", "/api", "/api/", "/a/b-c/d_e.f~g", "/v1.2/", "/.well-known"] {
        assert!(ResourcePath::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "api",
        "//",
        "/a//b",
        "/..",
        "/a/../b",
        "/./a",
        "/a/.",
        "/a b",
        "/a?b",
        "/a#b",
        "/a;b",
        "/a{b",
        "/a}b",
        "/a%20b",
        "/a\"b",
        "/$uri",
        "/é",
        "/a\n",
        &format!("/{}", "a".repeat(200)),
    ] {
        assert!(ResourcePath::parse(bad).is_err(), "{bad:?} should be refused");
    }
    assert!(ResourcePath::parse(&format!("/{}", "a".repeat(199))).is_ok());
}

#[test]
fn path_helpers() {
    let p = |s: &str| ResourcePath::parse(s).unwrap();
    assert_eq!(p("/").base(), "");
    assert_eq!(p("/").location_key(), "/");
    assert_eq!(p("/api").base(), "/api");
    assert_eq!(p("/api/").base(), "/api");
    assert_eq!(p("/api").location_key(), p("/api/").location_key());
    assert!(p("/").is_root() && !p("/api").is_root());
    assert_eq!(ResourcePath::root(), p("/"));
}

#[test]
fn cors_origins() {
    let ok = |s: &str| CorsOrigin::parse(s).map(|o| o.to_string());
    assert_eq!(ok("*"), Ok("*".into()));
    assert_eq!(ok("https://App.Example.com/"), Ok("https://app.example.com".into()));
    assert_eq!(ok("http://localhost:5173"), Ok("http://localhost:5173".into()));
    assert_eq!(ok("http://127.0.0.1:8080"), Ok("http://127.0.0.1:8080".into()));
    for bad in [
        "",
        "example.com",
        "ftp://example.com",
        "https://",
        "https://example.com/path",
        "https://*.example.com",
        "https://example.com:0",
        "https://example.com:99999",
        "https://exa mple.com",
        "https://example.com;",
        "null",
        "https://300.1.1.1",
        "https://\"x\"",
    ] {
        assert!(CorsOrigin::parse(bad).is_err(), "{bad:?} should be refused");
    }
    let list = parse_cors_origins("https://a.example.com, https://b.example.com\nhttps://a.example.com").unwrap();
    assert_eq!(list.len(), 2);
    assert!(parse_cors_origins("").unwrap().is_empty());
    assert!(parse_cors_origins("* https://a.example.com").is_err());
    assert_eq!(parse_cors_origins(" * ").unwrap().len(), 1);
}

#[test]
fn api_timeouts() {
    assert_eq!(ApiTimeout::parse("").unwrap().secs(), 60);
    assert_eq!(ApiTimeout::parse(" 1 ").unwrap().secs(), 1);
    assert_eq!(ApiTimeout::parse("3600").unwrap().secs(), 3600);
    for bad in ["0", "3601", "-1", "1.5", "60s", "x"] {
        assert!(ApiTimeout::parse(bad).is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<ApiTimeout>("0").is_err());
}

#[test]
fn body_sizes() {
    let size = |s: &str| BodySize::parse(s).map(|b| (b.to_string(), b.bytes()));
    assert_eq!(size(""), Ok(("10m".into(), 10 << 20)));
    assert_eq!(size("512"), Ok(("512".into(), 512)));
    assert_eq!(size("64K"), Ok(("64k".into(), 64 << 10)));
    assert_eq!(size("010m"), Ok(("10m".into(), 10 << 20)));
    assert_eq!(size("10g"), Ok(("10g".into(), 10 << 30)));
    assert_eq!(size("10240m"), Ok(("10240m".into(), 10 << 30)));
    for bad in ["0", "0m", "11g", "10241m", "10t", "m", "1.5m", "-1", "1 m", "10mb", "99999999999999g", "1m;"] {
        assert!(BodySize::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(serde_json::to_string(&BodySize::default()).unwrap(), "\"10m\"");
}

#[test]
fn redirect_targets() {
    for ok in [
        "https://example.com",
        "http://example.com/a/b?c=d&e=f#frag",
        "HTTPS://Example.com/",
        "https://example.com:8443/x",
        "https://[::1]:8080/",
        "https://127.0.0.1/%20x",
    ] {
        assert!(RedirectTarget::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "/relative",
        "example.com",
        "ftp://example.com",
        "https://",
        "https:///path",
        "https://user@example.com/",
        "https://example.com/a b",
        "https://example.com/\"",
        "https://example.com/'",
        "https://example.com/$uri",
        "https://example.com/;",
        "https://example.com/{",
        "https://example.com/}",
        "https://example.com/\\",
        "https://example.com/\n",
        "https://bücher.de",
        "https://example.com:0/",
        "https://example.com:x/",
        "javascript:alert(1)",
        "https://[zz]/",
    ] {
        assert!(RedirectTarget::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn custom_bodies() {
    for ok in [
        "return 200 \"ok\";",
        "add_header X-A \"}\";\nreturn 204;",
        "# a comment with { and }\nreturn 204;",
        "if ($request_method = POST) {\n    return 405;\n}",
        "set $x \"${host}\";",
        "return 200 ${host};",
        "add_header X-A 'a\\'}';\nreturn 204;",
        "location /x/y {\n  return 204;\n}",
        "return 200 a}b;",
        "return 204; # trailing comment",
    ] {
        assert!(CustomBody::parse(ok).is_ok(), "{ok:?}: {:?}", CustomBody::parse(ok));
    }
    for bad in [
        "",
        "   \n",
        "}",
        "return 204; }\nserver { listen 1; }\nlocation /z {",
        "# {\n}",
        "if ($a) {\nreturn 204;",
        "return 204",
        "add_header X \"unclosed;",
        "add_header X 'unclosed;",
        "return 204; \\",
        "return ${ };\n}",
        "return 204;\0",
        "return 204;\u{7}",
        "return \"a\"b;",
        ";",
        "{",
        &format!("return 200 \"{}\";", "a".repeat(16 * 1024)),
    ] {
        assert!(CustomBody::parse(bad).is_err(), "{bad:?} should be refused");
    }
    let message = CustomBody::parse("return 204;\n}\n").unwrap_err().0;
    assert!(message.contains("line 2"), "{message}");
}

proptest! {
    #[test]
    fn valid_hostnames_are_normal_and_safe(s in "[a-zA-Z0-9.*_:/;{}\"' -]{0,80}") {
        if let Ok(h) = Hostname::parse(&s) {
            prop_assert!(h.as_str().len() <= MAX_HOSTNAME_LEN);
            prop_assert!(h.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.*".contains(c)));
            prop_assert_eq!(Hostname::parse(h.as_str()), Ok(h.clone()));
        }
    }

    #[test]
    fn generated_hostnames_are_accepted(labels in prop::collection::vec("[a-z]([a-z0-9-]{0,10}[a-z0-9])?", 1..5), wild in any::<bool>()) {
        let name = labels.join(".");
        let name = if wild && labels.len() >= 2 { format!("*.{name}") } else { name };
        prop_assert_eq!(Hostname::parse(&name.to_uppercase()).map(String::from), Ok(name));
    }

    #[test]
    fn valid_paths_are_safe(s in "[a-z/.~_;{}\" -]{0,40}") {
        if let Ok(p) = ResourcePath::parse(&s) {
            prop_assert!(p.as_str().starts_with('/'));
            prop_assert!(!p.as_str().contains("//"));
            prop_assert!(p.as_str().chars().all(|c| c.is_ascii_alphanumeric() || "-._~/".contains(c)));
            prop_assert!(p.location_key().ends_with('/'));
        }
    }

    #[test]
    fn valid_targets_have_no_breaking_characters(s in "https?://[a-z.:@\\[\\]0-9]{0,12}[/?#a-z;{}$\"' \\\\]{0,12}") {
        if let Ok(t) = RedirectTarget::parse(&s) {
            let breaking = t.as_str().chars().any(|c| c.is_whitespace() || "\"'\\$;{}".contains(c));
            prop_assert!(!breaking);
        }
    }

    #[test]
    fn body_sizes_round_trip(amount in 1u64..=10240, unit in prop::sample::select(vec!["", "k", "m", "K", "M"])) {
        let size = BodySize::parse(&format!("{amount}{unit}")).unwrap();
        prop_assert_eq!(BodySize::parse(&size.to_string()), Ok(size));
        prop_assert!(size.bytes() <= MAX_BODY_BYTES);
    }

    #[test]
    fn any_body_size_within_cap(s in "[0-9]{1,14}[kmgtKMG]?") {
        if let Ok(size) = BodySize::parse(&s) {
            prop_assert!((1..=MAX_BODY_BYTES).contains(&size.bytes()));
        }
    }
}
