use proptest::prelude::*;

use super::*;
use crate::nginx_lexer::{tokenize, Token};

#[test]
fn lexer_models_nginx_quirks() {
    let words = |s: &str| tokenize(s).unwrap();
    assert_eq!(words("a b;"), vec![Token::Word("a".into()), Token::Word("b".into()), Token::End]);
    assert_eq!(words("a}b;").len(), 2, "a brace inside a word is part of it");
    assert_eq!(words("a ${x};")[1], Token::Word("${x}".into()));
    assert_eq!(words("a \"b;}{\";")[1], Token::Word("b;}{".into()));
    assert_eq!(words("a#b;")[0], Token::Word("a#b".into()), "# starts a comment only at a token start");
    assert_eq!(words("# x;\n}"), vec![Token::Close(2)]);
    assert!(tokenize("a \"b\"c;").is_err());
    assert!(tokenize("a b }").is_err());
    assert!(tokenize(";").is_err());
    assert!(tokenize("\"open").is_err());
    assert!(tokenize("a \\").is_err());
}

/// A rendered file read back as nginx reads it.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Directive(Vec<String>),
    Block(Vec<String>, Vec<Node>),
}

fn parse_config(text: &str) -> Vec<Node> {
    let tokens = tokenize(text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    let mut position = 0;
    let nodes = parse_nodes(&tokens, &mut position, text);
    assert_eq!(position, tokens.len(), "a stray }} closes more than was opened:\n{text}");
    nodes
}

fn parse_nodes(tokens: &[Token], position: &mut usize, text: &str) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut words = Vec::new();
    while let Some(token) = tokens.get(*position) {
        *position += 1;
        match token {
            Token::Word(word) => words.push(word.clone()),
            Token::End => nodes.push(Node::Directive(std::mem::take(&mut words))),
            Token::Open => {
                let children = parse_nodes(tokens, position, text);
                assert!(matches!(tokens.get(*position - 1), Some(Token::Close(_))), "unclosed block:\n{text}");
                nodes.push(Node::Block(std::mem::take(&mut words), children));
            }
            Token::Close(_) => {
                assert!(words.is_empty());
                return nodes;
            }
        }
    }
    assert!(words.is_empty(), "unterminated directive:\n{text}");
    nodes
}

/// Directives NSM writes into the locations it generates.
const LOCATION_DIRECTIVES: [&str; 14] = [
    "root",
    "alias",
    "try_files",
    "open_file_cache",
    "open_file_cache_valid",
    "add_header",
    "absolute_redirect",
    "return",
    "proxy_pass",
    "proxy_set_header",
    "proxy_read_timeout",
    "proxy_send_timeout",
    "client_max_body_size",
    "proxy_http_version",
];

/// Checks that `text` has exactly the structure the topology calls for: whatever the
/// values, none of them opened, closed or ended anything.
fn assert_structure(site: &NginxInput, text: &str) {
    let nodes = parse_config(text);
    let maps = nodes.iter().filter(|n| matches!(n, Node::Block(h, _) if h[0] == "map")).count();
    let servers: Vec<&Vec<Node>> = nodes
        .iter()
        .filter_map(|n| match n {
            Node::Block(h, children) if h == &["server"] => Some(children),
            _ => None,
        })
        .collect();
    let domains = site.topology.domains.len();
    assert_eq!(nodes.len(), maps + servers.len(), "only maps and servers at the top:\n{text}");
    assert_eq!(servers.len(), if domains == 0 { 0 } else { domains + 1 });
    let mut sorted: Vec<_> = site.topology.domains.iter().collect();
    sorted.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    for (domain, server) in sorted.iter().zip(servers.iter().skip(1)) {
        let hsts = domain.hsts && site.issued.contains(&domain.hostname);
        let mut expected: Vec<Vec<String>> = Vec::new();
        let mut bodies = Vec::new();
        let mut resources: Vec<_> = site.topology.resources_on(domain.id).collect();
        resources.sort_by_key(|r| r.path().location_key());
        for r in &resources {
            let base = r.path().base().to_owned();
            if let ResourceKind::Custom { body } = &r.config.kind {
                expected.push(vec!["location".into(), r.path().to_string()]);
                let mut own = parse_config(body.as_str());
                if hsts && crate::edge::policy::adds_headers(body.as_str()) {
                    own.insert(0, parse_config(&crate::edge::policy::hsts_header()).remove(0));
                }
                bodies.push(Some(own));
                continue;
            }
            expected.push(vec!["location".into(), format!("{base}/")]);
            bodies.push(None);
            if !r.path().is_root() {
                expected.push(vec!["location".into(), "=".into(), base]);
                bodies.push(None);
            }
        }
        if !resources.iter().any(|r| r.path().is_root()) {
            expected.push(vec!["location".into(), "/".into()]);
            bodies.push(None);
        }
        let locations: Vec<(&Vec<String>, &Vec<Node>)> = server
            .iter()
            .filter_map(|n| match n {
                Node::Block(h, c) => Some((h, c)),
                Node::Directive(_) => None,
            })
            .collect();
        let heads: Vec<Vec<String>> = locations.iter().map(|(h, _)| (*h).clone()).collect();
        assert_eq!(heads, expected, "{text}");
        for ((_, children), body) in locations.iter().zip(bodies) {
            match body {
                Some(body) => assert_eq!(*children, &body, "a Custom body is exactly its own directives"),
                None => {
                    for child in children.iter() {
                        let Node::Directive(words) = child else { panic!("nested block:\n{text}") };
                        assert!(LOCATION_DIRECTIVES.contains(&words[0].as_str()), "{words:?}");
                    }
                }
            }
        }
        let server_directives = server.iter().filter(|n| matches!(n, Node::Directive(_))).count();
        assert_eq!(
            server_directives,
            4 + usize::from(hsts),
            "listen, server_name, ssl_certificate, ssl_certificate_key, HSTS when on"
        );
    }
}

/// Directives with the characters that matter hidden in quotes, comments and words.
fn custom_directive() -> impl Strategy<Value = String> {
    let arg = prop_oneof![
        "[a-z0-9_/.]{1,6}",
        "[a-z]{1,3}\\}[a-z]{0,3}",
        "\\$\\{[a-z]{1,4}\\}",
        "\"([a-z {};#'$]|\\\\\"){0,8}\"",
        "'([a-z {};#\"]|\\\\'){0,8}'",
    ];
    // Names Custom bodies may use (any other is refused before these checks matter).
    let name = prop::sample::select(vec!["return", "add_header", "set", "proxy_set_header", "default_type", "expires"])
        .prop_map(str::to_owned);
    (name, prop::collection::vec(arg, 0..3), prop::option::of("[a-z {};\"'#]{0,10}")).prop_map(
        |(name, args, comment)| {
            let mut line = std::iter::once(name).chain(args).collect::<Vec<_>>().join(" ");
            line.push(';');
            if let Some(comment) = comment {
                line.push_str(" #");
                line.push_str(&comment);
            }
            line
        },
    )
}

fn custom_body() -> impl Strategy<Value = String> {
    let leaf = custom_directive();
    leaf.prop_recursive(3, 12, 4, |inner| {
        (prop::sample::select(vec!["if", "location", "limit_except"]), prop::collection::vec(inner, 0..4))
            .prop_map(|(head, lines)| format!("{head} ($x) {{\n{}\n}}", lines.join("\n")))
    })
}

/// Fragments of nginx syntax in any order, so that a fair share parses.
fn soup() -> impl Strategy<Value = String> {
    let pieces = vec![
        "a", "a ", " ", "\n", ";", "a;\n", " {", "a {\n", "}", "}\n", "\"", "'", "\"}\"", "#", "# }\n", "\\", "$",
        "${", "a}", "(",
    ];
    prop::collection::vec(prop::sample::select(pieces), 1..14).prop_map(|p| p.concat())
}

fn any_kind() -> impl Strategy<Value = ResourceKind> {
    let origins =
        prop::sample::subsequence(vec!["https://a.example.com", "http://localhost:5173", "https://b.example"], 0..3);
    prop_oneof![
        (any::<bool>(), origins, any::<bool>()).prop_map(|(spa, origins, star)| ResourceKind::Static {
            spa,
            cors_origins: if star {
                vec![CorsOrigin::parse("*").unwrap()]
            } else {
                origins.iter().map(|o| CorsOrigin::parse(o).unwrap()).collect()
            },
        }),
        (any::<bool>(), 1u32..=3600, 1u64..=10240, prop::sample::select(vec!["", "k", "m"])).prop_map(
            |(ws, t, n, u)| {
                ResourceKind::Api {
                    websocket: ws,
                    timeout_secs: ApiTimeout::new(t).unwrap(),
                    max_body: BodySize::parse(&format!("{n}{u}")).unwrap(),
                }
            }
        ),
        "https://[a-z]{1,8}\\.example(:[1-9][0-9]{0,3})?/[a-zA-Z0-9/._~%?=&#-]{0,20}"
            .prop_map(|t| ResourceKind::Redirect { target: RedirectTarget::parse(&t).unwrap() }),
        custom_body().prop_map(|b| ResourceKind::Custom { body: CustomBody::parse(&b).unwrap() }),
    ]
}

fn any_site() -> impl Strategy<Value = NginxInput> {
    let hosts =
        prop::collection::btree_set("(\\*\\.)?[a-z]{1,10}(\\.[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?)?\\.example", 0..4);
    let resources = prop::collection::vec((0usize..4, "(/[A-Za-z0-9._~-]{1,6}){0,3}/?", any_kind()), 0..8);
    (hosts, resources, 1u16..=65535)
        .prop_map(|(hosts, resources, https)| {
            let domains: Vec<DomainEntry> =
                hosts.iter().enumerate().map(|(i, h)| DomainEntry::new(i as i64 + 1, hostname(h))).collect();
            let mut topology = Topology { domains, resources: Vec::new() };
            for (i, (d, path, kind)) in resources.into_iter().enumerate() {
                let (Some(domain), Ok(path)) =
                    (topology.domains.get(d), ResourcePath::parse(if path.is_empty() { "/" } else { &path }))
                else {
                    continue;
                };
                let resource = ResourceEntry {
                    id: i as i64 + 1,
                    domain_id: domain.id,
                    config: ResourceConfig { path: path.clone(), kind },
                };
                if topology.check_path_free(domain.id, &path, None).is_ok() {
                    topology.resources.push(resource);
                }
            }
            let mut site = input(topology);
            site.listen = ListenPorts { http: if https == 80 { 81 } else { 80 }, https };
            site
        })
        .prop_flat_map(|site| {
            let n = site.topology.resources.len();
            let d = site.topology.domains.len();
            (
                Just(site),
                prop::collection::vec((any::<bool>(), 1u16..=65535), n),
                prop::collection::vec((any::<bool>(), any::<bool>()), d),
            )
        })
        .prop_map(|(mut site, choices, tls)| {
            // HSTS on or off, over a placeholder or a CA's certificate.
            for (domain, (hsts, issued)) in site.topology.domains.iter_mut().zip(tls) {
                domain.hsts = hsts;
                if issued {
                    site.issued.insert(domain.hostname.clone());
                }
            }
            let ids: Vec<(i64, bool)> = site
                .topology
                .resources
                .iter()
                .map(|r| (r.id, matches!(r.config.kind, ResourceKind::Api { .. })))
                .collect();
            for ((id, is_api), (resolved, port)) in ids.into_iter().zip(choices) {
                if !resolved {
                    site.directories.remove(&id);
                } else if is_api {
                    site.ports.insert(id, port);
                }
            }
            site
        })
}

proptest! {
    #[test]
    fn every_valid_site_renders_with_its_structure_intact(site in any_site()) {
        let text = render_nginx(&site).unwrap();
        assert_structure(&site, &text);
    }

    #[test]
    fn generated_custom_bodies_are_accepted(body in custom_body()) {
        prop_assert!(CustomBody::parse(&body).is_ok(), "{:?}", body);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Arbitrary text made of nginx's special characters: whatever the validator lets
    /// through stays inside its location.
    #[test]
    fn accepted_custom_soup_stays_inside(body in soup()) {
        if let Ok(body) = CustomBody::parse(&body) {
            let site = one_domain(vec![entry(1, 1, "/x", ResourceKind::Custom { body })]);
            assert_structure(&site, &render_nginx(&site).unwrap());
        }
    }
}
