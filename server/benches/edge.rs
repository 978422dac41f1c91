//! The edge at scale: render + `nginx -t` + reload (+ verify) for many projects with
//! three domains each, through the same transactional install a deployment uses.
//!
//!     cargo bench -p nsm-server --bench edge              # 1,000 projects × 3 domains
//!     NSM_BENCH_PROJECTS=200 cargo bench -p nsm-server --bench edge
//!
//! Needs nginx (Debian's); prints the timings and exits 0 without it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure is a failed run.

use std::io::Write;
use std::time::Instant;

use nsm_core::domain::{
    ApiTimeout, BodySize, DomainEntry, Hostname, RedirectTarget, ResourceConfig, ResourceEntry, ResourceKind,
    ResourcePath, Topology,
};
use nsm_core::edge::{render_nginx, NginxInput};
use nsm_core::ProjectId;
use nsm_server::edge::Edge;
use nsm_server::settings::{EdgeMode, Settings};
use nsm_testkit::free_port;

fn report(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Project `p`: three domains, each with a Static Page at `/`, an API Service and a
/// Redirect Link.
fn topology(p: usize) -> Topology {
    let mut topology = Topology::default();
    for d in 0..3 {
        let domain = (p * 3 + d + 1) as i64;
        let hostname = Hostname::parse(&format!("site{d}.project{p}.bench.test")).unwrap();
        topology.domains.push(DomainEntry { id: domain, hostname });
        let resources = [
            ("/", ResourceKind::Static { spa: d == 0, cors_origins: Vec::new() }),
            (
                "/api",
                ResourceKind::Api {
                    websocket: d == 1,
                    timeout_secs: ApiTimeout::default(),
                    max_body: BodySize::default(),
                },
            ),
            ("/old", ResourceKind::Redirect { target: RedirectTarget::parse("https://example.com/new").unwrap() }),
        ];
        for (r, (path, kind)) in resources.into_iter().enumerate() {
            let id = domain * 10 + r as i64;
            let config = ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind };
            topology.resources.push(ResourceEntry { id, domain_id: domain, config });
        }
    }
    topology
}

#[tokio::main]
async fn main() {
    let nginx = match nsm_testkit::services::nginx() {
        Ok(nginx) => nginx,
        Err(missing) => {
            report(&format!("{missing}: nothing to measure"));
            return;
        }
    };
    let projects: usize = std::env::var("NSM_BENCH_PROJECTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let temp = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_data_dir(temp.path().to_path_buf());
    settings.edge.mode = EdgeMode::Managed;
    settings.edge.nginx_bin = nginx;
    settings.edge.http_port = Some(free_port());
    settings.edge.https_port = Some(free_port());
    settings.edge.no_acme = true;
    let db = nsm_server::db::open(&settings.database_path()).await.unwrap();
    let edge = Edge::new(&settings, db);
    edge.start().await.unwrap();

    // Set-up, not measured: a placeholder certificate per hostname, as publishing
    // writes once per domain, and the certificates as the edge names them.
    let started = Instant::now();
    let layout = edge.layout().clone();
    let mut inputs = Vec::with_capacity(projects);
    for p in 0..projects {
        let project = ProjectId::parse(&format!("project{p}")).unwrap();
        let mut input = NginxInput::new(project, topology(p), layout.webroot.display().to_string());
        input.listen = edge.listen();
        for domain in &input.topology.domains {
            edge.ensure_placeholder(&domain.hostname).unwrap();
        }
        input.certificates = edge.server_certificates(input.topology.domains.iter().map(|d| &d.hostname));
        for resource in &input.topology.resources {
            match resource.config.kind {
                ResourceKind::Static { .. } => {
                    input.directories.insert(resource.id, format!("/srv/www/project{p}/r{}", resource.id));
                }
                ResourceKind::Api { .. } => {
                    input.ports.insert(resource.id, 20000 + (resource.id % 40000) as u16);
                }
                _ => {}
            }
        }
        inputs.push(input);
    }
    report(&format!("set-up: {} placeholder certificates in {:.2?}", projects * 3, started.elapsed()));

    // Measured: render every project, then one transaction installing them all:
    // write, nginx -t of the whole configuration, reload, verify the new generation.
    let started = Instant::now();
    let changes: Vec<_> = inputs.iter().map(|i| (i.project.clone(), Some(render_nginx(i).unwrap()))).collect();
    let rendered = started.elapsed();
    edge.install(&changes).await.unwrap();
    let total = started.elapsed();
    report(&format!(
        "{projects} projects × 3 domains: render {rendered:.2?}, + write, nginx -t, reload, verify: total {total:.2?}"
    ));

    // What one deployment pays with all of them installed: the candidate checked
    // beside the others before the worker starts (prepare), then the file installed:
    // the whole configuration tested, reloaded, verified (publish).
    let one = &inputs[0];
    let text = render_nginx(one).unwrap() + "\n# changed\n";
    let started = Instant::now();
    edge.check_candidate(&one.project, &text).await.unwrap();
    let prepared = started.elapsed();
    edge.install(&[(one.project.clone(), Some(text))]).await.unwrap();
    report(&format!(
        "one project re-deployed among {projects}: {:.2?} (prepare's nginx -t of the candidate {prepared:.2?}, then publish)",
        started.elapsed()
    ));
    let started = Instant::now();
    edge.check_live().await.unwrap();
    report(&format!("of which nginx -t of the whole configuration alone: {:.2?}", started.elapsed()));

    edge.stop().await;
    if std::env::var_os("NSM_BENCH_KEEP").is_some() {
        report(&format!("kept {}", temp.keep().display()));
    }
}
