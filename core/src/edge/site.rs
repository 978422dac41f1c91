//! A project's file for one node: the renderer's input built from what the node said
//! of its edge ([`EdgeFacts`]) and the ports leased on it, and the probes that show
//! the file is served. The control plane sends the result with the deployment; the
//! Domains tab previews the same input.

use std::collections::BTreeMap;

use super::nginx::{render_nginx, CertificatePaths, NginxError, NginxInput, ServerCertificates};
use super::node::{EdgeFacts, Probe, ProbeKind, SiteFile};
use crate::domain::{resource_key, Hostname, ResourceKind, Topology};
use crate::project::ProjectId;

/// The label a wildcard's `*` is replaced with when the node probes it.
const WILDCARD_PROBE_LABEL: &str = "nsm-probe";

/// The input for `project` on a node with `facts`, its API Services on `ports`
/// (resource id → port; an API Service without one answers 503).
pub fn node_input(
    project: &ProjectId,
    topology: Topology,
    facts: &EdgeFacts,
    ports: &BTreeMap<i64, u16>,
) -> NginxInput {
    let mut input = NginxInput::new(project.clone(), topology, facts.acme_webroot.clone());
    input.listen = facts.listen;
    input.tls_socket = facts.tls_socket.clone();
    let www = format!("{}/{}/www", facts.projects_dir.trim_end_matches('/'), project);
    for resource in &input.topology.resources {
        match resource.config.kind {
            ResourceKind::Api { .. } => {
                if let Some(port) = ports.get(&resource.id) {
                    input.ports.insert(resource.id, *port);
                }
            }
            ResourceKind::Static { .. } => {
                input.directories.insert(resource.id, format!("{www}/{}", resource_key(resource.id)));
            }
            _ => {}
        }
    }
    input.certificates = match &facts.certificates_dir {
        None => ServerCertificates::AtHandshake,
        Some(dir) => {
            let dir = dir.trim_end_matches('/');
            let files = input.topology.domains.iter().map(|domain| {
                let path = format!("{dir}/{}.pem", domain.hostname.file_stem());
                (domain.hostname.clone(), CertificatePaths { certificate: path.clone(), key: path })
            });
            ServerCertificates::Files(files.collect())
        }
    };
    input
}

/// Renders the file and lists its probes: every resource of every domain.
pub fn site_file(input: &NginxInput) -> Result<SiteFile, NginxError> {
    let text = render_nginx(input)?;
    let topology = &input.topology;
    let mut probes = Vec::new();
    for domain in &topology.domains {
        let hostname = probe_name(&domain.hostname);
        for resource in topology.resources_on(domain.id) {
            let path = resource.path();
            let (kind, request) = match &resource.config.kind {
                // A Static Page elsewhere than `/` redirects its bare path to `P/`.
                ResourceKind::Static { .. } => {
                    let directory = input.directories.get(&resource.id).cloned().unwrap_or_default();
                    (ProbeKind::Static { directory }, format!("{}/", path.base()))
                }
                ResourceKind::Api { .. } => (ProbeKind::Api, path.to_string()),
                ResourceKind::Redirect { .. } => (ProbeKind::Redirect, path.to_string()),
                ResourceKind::Custom { .. } => (ProbeKind::Custom, path.to_string()),
            };
            probes.push(Probe { hostname: hostname.clone(), path: request, kind, label: topology.label(resource.id) });
        }
    }
    let hostnames = topology.domains.iter().map(|d| d.hostname.clone()).collect();
    Ok(SiteFile { text, hostnames, probes })
}

/// A name the hostname's server answers: a wildcard gets a label of ours.
fn probe_name(hostname: &Hostname) -> Hostname {
    match hostname.as_str().strip_prefix("*.") {
        Some(rest) => Hostname::parse(&format!("{WILDCARD_PROBE_LABEL}.{rest}")).unwrap_or_else(|_| hostname.clone()),
        None => hostname.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::{DomainEntry, RedirectTarget, ResourceConfig, ResourceEntry, ResourcePath};
    use crate::edge::{EdgeMode, ListenPorts};

    fn facts(certificates_dir: Option<&str>) -> EdgeFacts {
        EdgeFacts {
            mode: EdgeMode::Managed,
            listen: ListenPorts { http: 8080, https: 8443 },
            acme_webroot: "/srv/nsm/edge/challenges".into(),
            projects_dir: "/srv/nsm/worker/projects/".into(),
            certificates_dir: certificates_dir.map(str::to_owned),
            tls_socket: None,
        }
    }

    fn topology() -> Topology {
        let resource = |id, path: &str, kind| ResourceEntry {
            id,
            domain_id: 1,
            config: ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind },
        };
        Topology {
            domains: vec![DomainEntry::new(1, Hostname::parse("*.shop.test").unwrap())],
            resources: vec![
                resource(10, "/", ResourceKind::Static { spa: false, cors_origins: vec![] }),
                resource(11, "/docs", ResourceKind::Static { spa: false, cors_origins: vec![] }),
                resource(
                    12,
                    "/api",
                    ResourceKind::Api {
                        websocket: false,
                        timeout_secs: Default::default(),
                        max_body: Default::default(),
                    },
                ),
                resource(
                    13,
                    "/old",
                    ResourceKind::Redirect { target: RedirectTarget::parse("https://example.com/").unwrap() },
                ),
            ],
        }
    }

    #[test]
    fn the_node_decides_paths_ports_and_certificates() {
        let project = ProjectId::parse("shop").unwrap();
        let ports = BTreeMap::from([(12, 20001)]);
        let input = node_input(&project, topology(), &facts(None), &ports);
        assert_eq!(input.listen, ListenPorts { http: 8080, https: 8443 });
        assert_eq!(input.directories[&11], "/srv/nsm/worker/projects/shop/www/r11");
        assert_eq!(input.ports[&12], 20001);
        assert_eq!(input.certificates, ServerCertificates::AtHandshake);
        let file = site_file(&input).unwrap();
        assert!(file.text.contains("proxy_pass http://127.0.0.1:20001;"), "{}", file.text);
        assert!(file.text.contains("alias /srv/nsm/worker/projects/shop/www/r11/;"), "{}", file.text);

        let system = node_input(&project, topology(), &facts(Some("/etc/nsm/certs/")), &ports);
        let text = site_file(&system).unwrap().text;
        assert!(text.contains("ssl_certificate /etc/nsm/certs/_.shop.test.pem;"), "{text}");
        assert!(text.contains("listen 8443 ssl;"), "{text}");

        // Behind the node's stream front, its servers listen on the socket it names.
        let mut fronting = facts(None);
        fronting.tls_socket = Some("/srv/nsm/edge/nginx/tls.sock".into());
        let text = site_file(&node_input(&project, topology(), &fronting, &ports)).unwrap().text;
        assert!(text.contains("listen unix:/srv/nsm/edge/nginx/tls.sock ssl proxy_protocol;"), "{text}");
        assert!(!text.contains("listen 8443"), "{text}");
        assert!(text.contains("return 301 https://$host:8443$request_uri;"), "{text}");
    }

    #[test]
    fn every_resource_gets_a_probe_on_a_name_its_server_answers() {
        let project = ProjectId::parse("shop").unwrap();
        let input = node_input(&project, topology(), &facts(None), &BTreeMap::new());
        let file = site_file(&input).unwrap();
        let probes: Vec<(&str, &str)> = file.probes.iter().map(|p| (p.hostname.as_str(), p.path.as_str())).collect();
        assert_eq!(
            probes,
            [
                ("nsm-probe.shop.test", "/"),
                ("nsm-probe.shop.test", "/docs/"),
                ("nsm-probe.shop.test", "/api"),
                ("nsm-probe.shop.test", "/old")
            ]
        );
        assert_eq!(
            file.probes[1].kind,
            ProbeKind::Static { directory: "/srv/nsm/worker/projects/shop/www/r11".into() }
        );
        assert_eq!(file.probes[2].kind, ProbeKind::Api);
        assert_eq!(file.hostnames, [Hostname::parse("*.shop.test").unwrap()]);
    }
}
