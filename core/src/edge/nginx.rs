//! Rendering of one project's nginx configuration.
//!
//! The file holds, at nginx's `http` level:
//! * a `map` per Static Page with an explicit CORS list (nginx can only echo one
//!   origin, chosen by the request's `Origin`); its variable is
//!   `$nsm_<project>_r<id>_cors`, unique across projects since project ids are unique
//!   and hold no `_` (their `-` become `_`);
//! * one server on the HTTP port for every hostname: ACME HTTP-01 challenges are
//!   served from `<acme_webroot>/.well-known/acme-challenge/`, everything else gets a
//!   `301` to HTTPS (with the port when it is not 443);
//! * one server per hostname on the HTTPS port with its certificate: named in the
//!   server ([`ServerCertificates::Files`]), or chosen at handshake by the edge's
//!   certificate map ([`ServerCertificates::AtHandshake`], see [`super::certificates`]);
//!   with HSTS when the domain has it on and its certificate was issued by a CA
//!   ([`NginxInput::issued`], [`super::policy`]), repeated in the locations that add
//!   headers of their own.
//!
//! A resource at path `P` owns `P` and everything under `P/`, never a sibling such as
//! `P-old`: it gets `location P/ { … }` plus `location = P { … }` for the bare path
//! (the same handling, except that a Static Page redirects `P` to `P/` so relative
//! links work). `/` gets `location / { … }` alone; a hostname without a resource at `/`
//! answers `404` there rather than nginx's default page. Custom resources are the
//! exception: their body is placed in `location P { … }` exactly as the admin wrote the
//! path, so nested locations keep nginx's usual meaning.
//!
//! * Static Page at `/`: `root <dir>`; elsewhere `alias <dir>/` in `location P/`, both
//!   ending in `/`, which is the form of `alias` with no path-traversal or
//!   missing-slash pitfalls. SPA mode: `try_files $uri $uri/ P/index.html`, the
//!   resource's own `index.html`. Without a directory (no `Directory` was resolved for
//!   it) it answers `503`.
//! * API Service: `proxy_pass http://<upstream host>:<port>` (the request URI is passed
//!   unchanged, prefix included), forwarding headers, timeouts in seconds, body limit,
//!   WebSocket upgrade when enabled. Without a leased port it answers `503`.
//! * Redirect Link: `return 302 "<target>"`.
//!
//! Every value is validated by its type before it gets here; the renderer checks
//! again and refuses, rather than escapes, anything that could leave its directive.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{CorsOrigin, Hostname, ResourceEntry, ResourceKind, ResourcePath, Topology};
use crate::nginx_lexer::check_block_body;
use crate::project::ProjectId;
use crate::validation::is_control;

pub use super::error::NginxError;
use super::policy::{adds_headers, hsts_header, OPEN_FILE_CACHE};
use super::text::{absolute_path, quotable, unsafe_value, upstream_host, word, Writer};

/// Where API Services are reached when nothing else is said: the embedded worker.
pub const DEFAULT_UPSTREAM_HOST: &str = "127.0.0.1";

/// The ports nginx listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenPorts {
    pub http: u16,
    pub https: u16,
}

impl Default for ListenPorts {
    fn default() -> Self {
        Self { http: 80, https: 443 }
    }
}

/// A certificate and its key, as absolute paths on the nginx host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatePaths {
    pub certificate: String,
    pub key: String,
}

/// How a project's HTTPS servers get their certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerCertificates {
    /// `ssl_certificate` naming one hostname's files in its server: nginx loads each
    /// when it reads its configuration. For a host's nginx, whose default server is
    /// not NSM's.
    Files(BTreeMap<Hostname, CertificatePaths>),
    /// No directive in the servers: the edge's own default HTTPS server loads the
    /// file at handshake ([`super::certificate_map`]).
    AtHandshake,
}

/// Everything one project's file is rendered from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NginxInput {
    pub project: ProjectId,
    pub topology: Topology,
    /// API Service resource id → its leased port on the worker.
    pub ports: BTreeMap<i64, u16>,
    /// Static Page resource id → the absolute directory nginx serves.
    pub directories: BTreeMap<i64, String>,
    /// The worker's address as nginx reaches it: a hostname, IPv4 or IPv6 address.
    pub upstream_host: String,
    /// Where each hostname's certificate comes from (a self-signed one until ACME
    /// succeeds).
    pub certificates: ServerCertificates,
    pub listen: ListenPorts,
    /// Where the HTTPS servers listen when the node's stream front passes them the
    /// connections (a socket path, [`super::front`]); `None`: on `listen.https`.
    #[serde(default)]
    pub tls_socket: Option<String>,
    /// Absolute; challenge files live in `<acme_webroot>/.well-known/acme-challenge/`.
    pub acme_webroot: String,
    /// The hostnames whose certificate a CA issued (not the self-signed placeholder):
    /// HSTS is sent only for these, and only if their domain has it on.
    #[serde(default)]
    pub issued: BTreeSet<Hostname>,
}

impl NginxInput {
    /// An input with default ports and upstream host, and nothing resolved yet.
    pub fn new(project: ProjectId, topology: Topology, acme_webroot: impl Into<String>) -> Self {
        Self {
            project,
            topology,
            ports: BTreeMap::new(),
            directories: BTreeMap::new(),
            upstream_host: DEFAULT_UPSTREAM_HOST.to_owned(),
            certificates: ServerCertificates::Files(BTreeMap::new()),
            listen: ListenPorts::default(),
            tls_socket: None,
            acme_webroot: acme_webroot.into(),
            issued: BTreeSet::new(),
        }
    }
}

/// Renders the project's configuration file.
pub fn render_nginx(input: &NginxInput) -> Result<String, NginxError> {
    if let Err(errors) = input.topology.check() {
        if let Some(first) = errors.into_iter().next() {
            return Err(first.into());
        }
    }
    let ListenPorts { http, https } = input.listen;
    if http == 0 || https == 0 || http == https {
        return Err(NginxError::ListenPorts);
    }
    let upstream = upstream_host(&input.upstream_host)?;
    let tls_listen = match &input.tls_socket {
        // The front hands each connection over with the client's address first.
        Some(socket) => format!("listen unix:{} ssl proxy_protocol;", absolute_path("socket path", socket)?),
        None => format!("listen {https} ssl;"),
    };
    let mut domains: Vec<_> = input.topology.domains.iter().collect();
    domains.sort_by(|a, b| a.hostname.cmp(&b.hostname));

    let mut w = Writer::default();
    w.line(&format!("# Generated by NSM for project {}: replaced on every deploy, do not edit.", input.project));
    for resource in &input.topology.resources {
        if let ResourceKind::Static { cors_origins, .. } = &resource.config.kind {
            cors_map(&mut w, &input.project, resource.id, cors_origins)?;
        }
    }
    if domains.is_empty() {
        return Ok(w.finish());
    }

    w.blank();
    w.open("server");
    w.line(&format!("listen {http};"));
    let names: Vec<&str> = domains.iter().map(|d| d.hostname.as_str()).collect();
    for name in &names {
        word("hostname", name)?;
    }
    w.line(&format!("server_name {};", names.join(" ")));
    w.blank();
    w.open("location ^~ /.well-known/acme-challenge/");
    w.line(&format!("root {};", absolute_path("ACME webroot", &input.acme_webroot)?));
    w.line("default_type text/plain;");
    w.close();
    w.blank();
    w.open("location /");
    let port = if https == 443 { String::new() } else { format!(":{https}") };
    w.line(&format!("return 301 https://$host{port}$request_uri;"));
    w.close();
    w.close();

    for domain in domains {
        let hostname = &domain.hostname;
        w.blank();
        w.open("server");
        w.line(&tls_listen);
        w.line(&format!("server_name {hostname};"));
        match &input.certificates {
            ServerCertificates::Files(files) => {
                let cert = files.get(hostname).ok_or_else(|| NginxError::MissingCertificate(hostname.clone()))?;
                w.line(&format!("ssl_certificate {};", absolute_path("certificate path", &cert.certificate)?));
                w.line(&format!("ssl_certificate_key {};", absolute_path("certificate key path", &cert.key)?));
            }
            ServerCertificates::AtHandshake => {
                w.line("# Its certificate is loaded at handshake by the edge's default server.")
            }
        }
        let hsts = domain.hsts && input.issued.contains(hostname);
        if hsts {
            w.line(&hsts_header());
        }
        let mut resources: Vec<&ResourceEntry> = input.topology.resources_on(domain.id).collect();
        resources.sort_by_key(|r| r.path().location_key());
        for resource in &resources {
            w.blank();
            render_resource(&mut w, input, &upstream, resource, hsts)?;
        }
        if !resources.iter().any(|r| r.path().is_root()) {
            w.blank();
            w.open("location /");
            w.line("return 404;");
            w.close();
        }
        w.close();
    }
    Ok(w.finish())
}

/// `hsts`: the server sends HSTS, so a location with headers of its own repeats it.
fn render_resource(
    w: &mut Writer,
    input: &NginxInput,
    upstream: &str,
    resource: &ResourceEntry,
    hsts: bool,
) -> Result<(), NginxError> {
    let path = resource.path();
    word("path", path.as_str())?;
    let base = path.base();
    match &resource.config.kind {
        ResourceKind::Static { spa, cors_origins } => {
            let mut lines = Vec::new();
            match input.directories.get(&resource.id) {
                Some(dir) => {
                    let dir = absolute_path("directory", dir)?.trim_end_matches('/');
                    if dir.is_empty() {
                        return Err(unsafe_value("directory", "/"));
                    }
                    lines.push(if path.is_root() { format!("root {dir};") } else { format!("alias {dir}/;") });
                    if *spa {
                        lines.push(format!("try_files $uri $uri/ {base}/index.html;"));
                        lines.extend(OPEN_FILE_CACHE.map(str::to_owned));
                    }
                    if let Some(origin) = cors_value(&input.project, resource.id, cors_origins) {
                        lines.push(format!("add_header Access-Control-Allow-Origin {origin} always;"));
                        if origin.starts_with('$') {
                            lines.push("add_header Vary Origin always;".to_owned());
                        }
                        if hsts {
                            lines.push(hsts_header());
                        }
                    }
                }
                None => {
                    lines.push("# No directory was resolved for this Static Page.".to_owned());
                    lines.push("return 503;".to_owned());
                }
            }
            w.block(&format!("location {base}/"), &lines);
            if !path.is_root() {
                w.blank();
                let redirect = ["absolute_redirect off;".to_owned(), format!("return 301 {base}/$is_args$args;")];
                w.block(&format!("location = {base}"), &redirect);
            }
        }
        ResourceKind::Api { websocket, timeout_secs, max_body } => {
            let lines = match input.ports.get(&resource.id) {
                Some(0) => return Err(unsafe_value("port", "0")),
                Some(port) => {
                    let max_body = max_body.to_string();
                    word("max body size", &max_body)?;
                    let mut lines = vec![
                        format!("proxy_pass http://{upstream}:{port};"),
                        "proxy_set_header Host $host;".to_owned(),
                        "proxy_set_header X-Real-IP $remote_addr;".to_owned(),
                        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;".to_owned(),
                        "proxy_set_header X-Forwarded-Proto $scheme;".to_owned(),
                        format!("proxy_read_timeout {}s;", timeout_secs.secs()),
                        format!("proxy_send_timeout {}s;", timeout_secs.secs()),
                        format!("client_max_body_size {max_body};"),
                    ];
                    if *websocket {
                        lines.push("proxy_http_version 1.1;".to_owned());
                        lines.push("proxy_set_header Upgrade $http_upgrade;".to_owned());
                        lines.push("proxy_set_header Connection \"upgrade\";".to_owned());
                    }
                    lines
                }
                None => vec!["# No port is leased to this API Service.".to_owned(), "return 503;".to_owned()],
            };
            prefix_and_exact(w, path, &lines);
        }
        ResourceKind::Redirect { target } => {
            quotable("redirect target", target.as_str())?;
            prefix_and_exact(w, path, &[format!("return 302 \"{target}\";")]);
        }
        ResourceKind::Custom { body } => {
            let body = body.as_str();
            if body.chars().any(|c| is_control(c) && !matches!(c, '\t' | '\n' | '\r')) {
                return Err(custom_error(input, resource, "it contains control characters"));
            }
            check_block_body(body).map_err(|e| custom_error(input, resource, &e.to_string()))?;
            w.open(&format!("location {path}"));
            if hsts && adds_headers(body) {
                w.line("# Its own add_header would drop the server's: HSTS again.");
                w.line(&hsts_header());
            }
            w.raw(body);
            w.close();
        }
    }
    Ok(())
}

/// The same handling for `P/…` and the bare `P` (only `location /` for the root).
fn prefix_and_exact(w: &mut Writer, path: &ResourcePath, lines: &[String]) {
    let base = path.base();
    w.block(&format!("location {base}/"), lines);
    if !path.is_root() {
        w.blank();
        w.block(&format!("location = {base}"), lines);
    }
}

fn cors_variable(project: &ProjectId, resource: i64) -> String {
    format!("$nsm_{}_r{resource}_cors", project.as_str().replace('-', "_"))
}

/// The value of `Access-Control-Allow-Origin`, if CORS is on.
fn cors_value(project: &ProjectId, resource: i64, origins: &[CorsOrigin]) -> Option<String> {
    match origins {
        [] => None,
        [one] if one.is_any() => Some("\"*\"".to_owned()),
        _ => Some(cors_variable(project, resource)),
    }
}

fn cors_map(w: &mut Writer, project: &ProjectId, resource: i64, origins: &[CorsOrigin]) -> Result<(), NginxError> {
    if cors_value(project, resource, origins).is_none_or(|v| !v.starts_with('$')) {
        return Ok(());
    }
    w.blank();
    w.open(&format!("map $http_origin {}", cors_variable(project, resource)));
    w.line("default \"\";");
    for origin in origins {
        quotable("CORS origin", origin.as_str())?;
        w.line(&format!("\"{origin}\" \"{origin}\";"));
    }
    w.close();
    Ok(())
}

fn custom_error(input: &NginxInput, resource: &ResourceEntry, reason: &str) -> NginxError {
    NginxError::CustomBody { resource: input.topology.label(resource.id), reason: reason.to_owned() }
}
