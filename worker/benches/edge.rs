//! A node's edge at scale: render (the control plane's part, the shared crate) +
//! install (`nginx -t`, reload, verify the generation) for many projects with three
//! domains each, through the same transactional install a deployment uses; then
//! what the post-publish probe of one project adds to a deployment.
//!
//!     cargo bench -p nsm-worker --bench edge              # 1,000 projects × 3 domains
//!     NSM_BENCH_PROJECTS=200 cargo bench -p nsm-worker --bench edge
//!
//! Needs nginx (Debian's); prints the timings and exits 0 without it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure is a failed run.

use std::io::Write;
use std::time::Instant;

use nsm_core::domain::{
    ApiTimeout, BodySize, DomainEntry, Hostname, RedirectTarget, ResourceConfig, ResourceEntry, ResourceKind,
    ResourcePath, Topology,
};
use std::collections::BTreeMap;

use nsm_core::edge::{node_input, site_file, EdgeMode};
use nsm_core::protocol::{EdgePlan, SiteFile};
use nsm_core::ProjectId;
use nsm_testkit::free_port;
use nsm_worker::{Edge, EdgeConfig};
use tokio::io::AsyncWriteExt;

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
        topology.domains.push(DomainEntry::new(domain, hostname));
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
    let mut config = EdgeConfig::off();
    config.mode = EdgeMode::Managed;
    config.nginx_bin = nginx;
    config.http_port = Some(free_port());
    config.https_port = Some(free_port());
    // As root, nginx's workers must read the certificates under the temporary directory.
    config.nginx_user = nix::unistd::geteuid().is_root().then(|| "root".to_owned());
    let edge = std::sync::Arc::new(Edge::new(&config, temp.path()));
    edge.start().await.unwrap();
    let facts = edge.facts();

    // Set-up, not measured: a placeholder certificate per hostname, as publishing
    // writes once per domain.
    let started = Instant::now();
    let mut inputs = Vec::with_capacity(projects);
    for p in 0..projects {
        let project = ProjectId::parse(&format!("project{p}")).unwrap();
        let topology = topology(p);
        let ports: BTreeMap<i64, u16> = topology
            .resources
            .iter()
            .filter(|r| matches!(r.config.kind, ResourceKind::Api { .. }))
            .map(|r| (r.id, 20000 + (r.id % 40000) as u16))
            .collect();
        for domain in &topology.domains {
            edge.ensure_placeholder(&domain.hostname).unwrap();
        }
        inputs.push(node_input(&project, topology, &facts, &ports));
    }
    report(&format!("set-up: {} placeholder certificates in {:.2?}", projects * 3, started.elapsed()));

    // Measured: render every project, then one transaction installing them all:
    // write, nginx -t of the whole configuration, reload, verify the new generation.
    let started = Instant::now();
    let sites: Vec<SiteFile> = inputs.iter().map(|i| site_file(i).unwrap()).collect();
    let rendered = started.elapsed();
    let changes: Vec<_> = inputs.iter().zip(&sites).map(|(i, s)| (i.project.clone(), Some(s.text.clone()))).collect();
    edge.install(&changes).await.unwrap();
    let total = started.elapsed();
    report(&format!(
        "{projects} projects × 3 domains: render {rendered:.2?}, + write, nginx -t, reload, verify: total {total:.2?}"
    ));

    // What one deployment pays with all of them installed: the candidate checked
    // beside the others (prepare), then the file installed: the whole configuration
    // tested, reloaded, verified (publish).
    let one = &inputs[0];
    let mut site = sites[0].clone();
    site.text.push_str("\n# changed\n");
    let plan = EdgePlan::Publish(site.clone());
    let started = Instant::now();
    edge.check_plan(&one.project, &plan).await.unwrap();
    let prepared = started.elapsed();
    edge.apply_plan(&one.project, &plan).await.unwrap();
    let published = started.elapsed();
    report(&format!(
        "one project re-deployed among {projects}: {published:.2?} (prepare's nginx -t of the candidate {prepared:.2?}, then publish)"
    ));

    // The post-publish probe: every resource of the project's three domains asked
    // through the edge (its Static Pages' directories filled, its API Services
    // answered by a local listener), against the deployment's own cost above.
    let upstreams = serve_api_ports(&site).await;
    for dir in one.directories.values() {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/index.html"), "bench").unwrap();
    }
    let mut rounds = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let lines = edge.verify_site(&site, tokio::time::Instant::now() + std::time::Duration::from_secs(30)).await;
        rounds.push(started.elapsed());
        assert_eq!(lines.unwrap().len(), site.probes.len());
    }
    rounds.sort();
    report(&format!(
        "post-publish probe of one project ({} requests): median {:.2?} (min {:.2?}, max {:.2?}, 7 rounds), {:.1}% of its publish",
        site.probes.len(),
        rounds[3],
        rounds[0],
        rounds[6],
        100.0 * rounds[3].as_secs_f64() / published.as_secs_f64()
    ));
    upstreams.abort();
    let started = Instant::now();
    edge.check_live().await.unwrap();
    report(&format!("of which nginx -t of the whole configuration alone: {:.2?}", started.elapsed()));

    edge.stop().await;
    if std::env::var_os("NSM_BENCH_KEEP").is_some() {
        report(&format!("kept {}", temp.keep().display()));
    }
}

/// Answers `200` on every API Service port of the site: an upstream that is up.
async fn serve_api_ports(site: &SiteFile) -> tokio::task::JoinHandle<()> {
    let ports: Vec<u16> = site
        .text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("proxy_pass http://127.0.0.1:"))
        .filter_map(|rest| rest.trim_end_matches(';').parse().ok())
        .collect();
    let mut listeners = Vec::new();
    for port in ports {
        if let Ok(listener) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            listeners.push(listener);
        }
    }
    tokio::spawn(async move {
        let accepts = listeners.into_iter().map(|listener| async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").await;
            }
        });
        futures_util::future::join_all(accepts).await;
    })
}
