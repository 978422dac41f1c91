//! Renderer tests: expected output (`render`), and structure kept for any valid input
//! (`structure`, read back with the nginx tokenizer model).

mod hsts;
mod render;
mod structure;

use super::*;
use crate::domain::*;
use crate::project::ProjectId;

fn hostname(s: &str) -> Hostname {
    Hostname::parse(s).unwrap()
}

fn entry(id: i64, domain_id: i64, path: &str, kind: ResourceKind) -> ResourceEntry {
    ResourceEntry { id, domain_id, config: ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind } }
}

fn api(websocket: bool, timeout: u32, max_body: &str) -> ResourceKind {
    ResourceKind::Api {
        websocket,
        timeout_secs: ApiTimeout::new(timeout).unwrap(),
        max_body: BodySize::parse(max_body).unwrap(),
    }
}

fn cert(h: &Hostname) -> CertificatePaths {
    CertificatePaths {
        certificate: format!("/var/lib/nsm/certs/{}/cert.pem", h.file_stem()),
        key: format!("/var/lib/nsm/certs/{}/key.pem", h.file_stem()),
    }
}

/// An input with a certificate for every hostname and a directory for every Static Page.
fn input(topology: Topology) -> NginxInput {
    let mut input = NginxInput::new(ProjectId::parse("my-shop").unwrap(), topology, "/var/lib/nsm/acme");
    let files = input.topology.domains.iter().map(|d| (d.hostname.clone(), cert(&d.hostname))).collect();
    input.certificates = ServerCertificates::Files(files);
    for resource in &input.topology.resources {
        if let ResourceKind::Static { .. } = resource.config.kind {
            input.directories.insert(resource.id, format!("/srv/nsm/projects/my-shop/www/r{}", resource.id));
        }
    }
    input
}

fn one_domain(resources: Vec<ResourceEntry>) -> NginxInput {
    input(Topology { domains: vec![DomainEntry::new(1, hostname("example.com"))], resources })
}
