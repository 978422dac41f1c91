//! Where the edge keeps its files, and the nginx main configuration it writes around
//! the per-project files.
//!
//! Under the edge directory (`<data dir>/edge/` unless `--edge-dir` says otherwise):
//! * `nginx/` — the managed nginx's prefix: `nginx.conf`, `control.conf`, `sites/`
//!   (one `nsm-<project>.conf` per project), `logs/`, `tmp/`; with a stream front,
//!   also `front-http.conf` and `front-stream.conf` (the nodes it fronts) and the
//!   sockets `tls.sock` (this node's HTTPS servers) and `relay.sock`;
//! * `default.pem` — the certificate for names no project claims;
//! * `certs/<hostname>.pem` — each hostname's certificate chain and key in one file,
//!   so a renewal swaps both with a single rename;
//! * `challenges/.well-known/acme-challenge/` — HTTP-01 answers;
//! * `keys/<hostname>.pem` — a private key generated for a certificate order, kept
//!   here until the control plane sends the issued chain (the key never leaves);
//! * `check/` — scratch configurations for checks that must not touch the live one.
//!
//! In system mode the project files and the control file go to the host's include
//! directory instead of `nginx/sites/`.

use std::path::{Path, PathBuf};

use nsm_core::domain::Hostname;
use nsm_core::edge::policy::{hsts_header, SSL_CIPHERS, SSL_PROTOCOLS, WORKER_CONNECTIONS, WORKER_RLIMIT_NOFILE};
use nsm_core::edge::{certificate_map, FrontSockets, NginxError, CERTIFICATE_VARIABLE, FRONT_VARIABLE, RELAY_VARIABLE};
use nsm_core::ProjectId;

/// The prefix of every project file, so NSM recognises its own files in a shared
/// include directory.
const SITE_PREFIX: &str = "nsm-";
/// The control server's file in an include directory (`_` never starts a project id).
const SYSTEM_CONTROL_FILE: &str = "_nsm-control.conf";

#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
    pub prefix: PathBuf,
    pub sites: PathBuf,
    pub certs: PathBuf,
    pub webroot: PathBuf,
    pub keys: PathBuf,
    pub check: PathBuf,
    /// The include directory of system mode; `None` when managed.
    system_dir: Option<PathBuf>,
}

impl Layout {
    /// `root` must be absolute (nginx needs absolute paths).
    pub fn new(root: PathBuf, system_dir: Option<PathBuf>) -> Self {
        let prefix = root.join("nginx");
        let sites = system_dir.clone().unwrap_or_else(|| prefix.join("sites"));
        Self {
            certs: root.join("certs"),
            webroot: root.join("challenges"),
            keys: root.join("keys"),
            check: root.join("check"),
            sites,
            prefix,
            root,
            system_dir,
        }
    }

    pub fn directories(&self) -> Vec<&Path> {
        let mut dirs = vec![&self.root, &self.certs, &self.webroot, &self.keys, &self.check, &self.sites];
        if self.system_dir.is_none() {
            dirs.push(&self.prefix);
        }
        dirs.into_iter().map(PathBuf::as_path).collect()
    }

    pub fn main_conf(&self) -> PathBuf {
        self.prefix.join("nginx.conf")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.prefix.join("nginx.pid")
    }

    /// The fronted nodes' plain HTTP servers (inside `http { }`).
    pub fn front_http(&self) -> PathBuf {
        self.prefix.join("front-http.conf")
    }

    /// The fronted nodes' TLS routes (inside `stream { }`).
    pub fn front_stream(&self) -> PathBuf {
        self.prefix.join("front-stream.conf")
    }

    /// The local sockets behind the stream front.
    pub fn front_sockets(&self) -> FrontSockets {
        FrontSockets {
            own: self.prefix.join("tls.sock").display().to_string(),
            relay: self.prefix.join("relay.sock").display().to_string(),
        }
    }

    pub fn error_log(&self) -> PathBuf {
        self.prefix.join("logs").join("error.log")
    }

    pub fn control_file(&self) -> PathBuf {
        match &self.system_dir {
            Some(dir) => dir.join(SYSTEM_CONTROL_FILE),
            None => self.prefix.join("control.conf"),
        }
    }

    /// For names no project claims (the managed defaults, and every check).
    pub fn default_certificate(&self) -> PathBuf {
        self.root.join("default.pem")
    }

    pub fn challenges(&self) -> PathBuf {
        self.webroot.join(".well-known").join("acme-challenge")
    }

    pub fn site_file(&self, project: &ProjectId) -> PathBuf {
        self.sites.join(format!("{SITE_PREFIX}{project}.conf"))
    }

    /// The project a file in the sites directory belongs to, if it is one of NSM's.
    pub fn project_of(file_name: &str) -> Option<ProjectId> {
        let id = file_name.strip_prefix(SITE_PREFIX)?.strip_suffix(".conf")?;
        ProjectId::parse(id).ok()
    }

    /// Every project file currently installed, sorted.
    pub fn installed(&self) -> std::io::Result<Vec<(ProjectId, PathBuf)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.sites)? {
            let entry = entry?;
            if let Some(project) = entry.file_name().to_str().and_then(Self::project_of) {
                found.push((project, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    pub fn certificate(&self, hostname: &Hostname) -> PathBuf {
        self.certs.join(format!("{}.pem", hostname.file_stem()))
    }

    /// The key kept aside for `hostname`'s next certificate.
    pub fn pending_key(&self, hostname: &Hostname) -> PathBuf {
        self.keys.join(format!("{}.pem", hostname.file_stem()))
    }
}

/// The header the managed edge's default servers add: a request no project's server
/// took (the probe retries, then fails, rather than call such a 404 served).
pub const UNROUTED_HEADER: &str = "X-NSM-Unrouted";

/// What the main configuration needs besides paths.
#[derive(Debug, Clone)]
pub struct MainConf<'a> {
    pub layout: &'a Layout,
    pub http_port: u16,
    pub https_port: u16,
    pub user: Option<&'a str>,
    /// `None`: everything in the sites directory (`*.conf`); `Some`: exactly these
    /// files (checks that swap one project's file for a candidate).
    pub sites: Option<&'a [PathBuf]>,
    /// Where the scratch copy keeps its pid, logs and temp files (checks); the live
    /// prefix when `None`.
    pub scratch: Option<&'a Path>,
    /// `Some`: the HTTPS port is a stream front passing TLS by SNI, to this node's
    /// servers or to the nodes it fronts.
    pub front: Option<&'a Front>,
}

/// The stream front's module: `load_module` this file first, unless compiled in.
#[derive(Debug, Clone)]
pub struct Front {
    pub module: Option<PathBuf>,
}

impl MainConf<'_> {
    /// The managed nginx's `nginx.conf`, also the frame of every check. Its default
    /// HTTPS server does every project's handshake, loading the certificate of the
    /// server SNI chose through the certificate map (`nsm_core::edge::certificate_map`
    /// says why); `Err` for paths nginx cannot take.
    pub fn render(&self) -> Result<String, NginxError> {
        let l = self.layout;
        let certificates =
            certificate_map(&l.certs.display().to_string(), &l.default_certificate().display().to_string())?
                .lines()
                .map(|line| format!("    {line}\n"))
                .collect::<String>();
        let base = self.scratch.unwrap_or(&l.prefix).display().to_string();
        let user = self.user.map(|u| format!("user {u};\n")).unwrap_or_default();
        let sites = match self.sites {
            None => format!("    include {}/*.conf;\n", l.sites.display()),
            Some(files) => files.iter().map(|f| format!("    include {};\n", f.display())).collect(),
        };
        let control = if self.scratch.is_some() {
            String::new()
        } else {
            format!("    include {};\n", l.control_file().display())
        };
        let (http, https) = (self.http_port, self.https_port);
        let hsts = hsts_header();
        let sockets = l.front_sockets();
        let (module, tls_listen, real_ip, front_http, stream) = match self.front {
            None => (String::new(), format!("{https} ssl"), String::new(), String::new(), String::new()),
            Some(front) => (
                front.module.as_ref().map(|m| format!("load_module {};\n", m.display())).unwrap_or_default(),
                format!("unix:{} ssl proxy_protocol", sockets.own),
                "    # Behind the stream front: the client's address comes first, PROXY protocol.\n    \
                 set_real_ip_from unix:;\n    real_ip_header proxy_protocol;\n"
                    .to_owned(),
                format!("    include {};\n", l.front_http().display()),
                stream_block(https, &l.front_stream(), &sockets),
            ),
        };
        Ok(format!(
            "# Generated by NSM at start-up: the managed edge's main configuration. Do not edit.\n\
             {module}{user}worker_processes auto;\n\
             worker_rlimit_nofile {WORKER_RLIMIT_NOFILE};\n\
             pid {base}/nginx.pid;\n\
             error_log {base}/logs/error.log warn;\n\
             \n\
             events {{\n    worker_connections {WORKER_CONNECTIONS};\n}}\n\
             \n\
             http {{\n\
             {MIME_TYPES}\
             \x20   default_type application/octet-stream;\n\
             \x20   sendfile on;\n\
             \x20   tcp_nopush on;\n\
             \x20   server_tokens off;\n\
             \x20   access_log {base}/logs/access.log;\n\
             \x20   client_body_temp_path {base}/tmp/body;\n\
             \x20   proxy_temp_path {base}/tmp/proxy;\n\
             \x20   fastcgi_temp_path {base}/tmp/fastcgi;\n\
             \x20   uwsgi_temp_path {base}/tmp/uwsgi;\n\
             \x20   scgi_temp_path {base}/tmp/scgi;\n\
             \x20   # Room for the longest hostnames, and for thousands of them.\n\
             \x20   server_names_hash_bucket_size 256;\n\
             \x20   server_names_hash_max_size 65536;\n\
             \x20   map_hash_bucket_size 256;\n\
             \x20   # TLS 1.2 with forward-secret AEAD suites only, or 1.3 (nsm_core::edge::policy).\n\
             \x20   ssl_protocols {SSL_PROTOCOLS};\n\
             \x20   ssl_ciphers {SSL_CIPHERS};\n\
             \x20   ssl_prefer_server_ciphers off;\n\
             \x20   ssl_session_cache shared:nsm_ssl:10m;\n\
             {real_ip}\
             \n\
             \x20   # The certificate file of the server a handshake chose (by SNI).\n\
             {certificates}\
             \n\
             \x20   # Names no project owns: refused, rather than served by some project.\n\
             \x20   # The HTTPS one also holds the only TLS context: project servers have\n\
             \x20   # none, so their handshakes stay here and load the mapped file.\n\
             \x20   server {{\n\
             \x20       listen {http} default_server;\n\
             \x20       add_header {UNROUTED_HEADER} 1 always;\n\
             \x20       return 404;\n\
             \x20   }}\n\
             \x20   server {{\n\
             \x20       listen {tls_listen} default_server;\n\
             \x20       ssl_certificate {CERTIFICATE_VARIABLE};\n\
             \x20       ssl_certificate_key {CERTIFICATE_VARIABLE};\n\
             \x20       add_header {UNROUTED_HEADER} 1 always;\n\
             \x20       # The port is HTTPS only. Browsers ignore HSTS over a certificate\n\
             \x20       # they do not trust (RFC 6797 8.1), as this default one is.\n\
             \x20       {hsts}\n\
             \x20       return 404;\n\
             \x20   }}\n\
             \n\
             {control}{front_http}{sites}}}\n{stream}"
        ))
    }
}

/// The stream front on the HTTPS port, and the relay that passes fronted names on
/// without the PROXY header; the routes are in `routes` (`nsm_core::edge::render_front`).
fn stream_block(https: u16, routes: &Path, sockets: &FrontSockets) -> String {
    format!(
        "\nstream {{\n\
         \x20   include {routes};\n\
         \x20   server {{\n\
         \x20       listen {https};\n\
         \x20       ssl_preread on;\n\
         \x20       proxy_pass {FRONT_VARIABLE};\n\
         \x20       proxy_protocol on;\n\
         \x20   }}\n\
         \x20   server {{\n\
         \x20       listen unix:{relay} proxy_protocol;\n\
         \x20       ssl_preread on;\n\
         \x20       proxy_pass {RELAY_VARIABLE};\n\
         \x20   }}\n\
         }}\n",
        routes = routes.display(),
        relay = sockets.relay,
    )
}

/// The control server: answers the configuration generation on loopback, so an
/// install can tell when nginx's workers serve the new configuration.
pub fn control_conf(port: u16, generation: u64) -> String {
    format!(
        "# Generated by NSM: lets it verify that a reload took effect. Do not edit.\n\
         server {{\n    listen 127.0.0.1:{port};\n    access_log off;\n\
         \x20   location = /nsm-generation {{\n        default_type text/plain;\n        return 200 \"{generation}\";\n    }}\n\
         \x20   location / {{\n        return 404;\n    }}\n}}\n"
    )
}

/// What the managed nginx serves files as; Debian's list, trimmed to what web
/// projects ship.
const MIME_TYPES: &str = "    types {
        text/html html htm;
        text/css css;
        text/plain txt;
        text/xml xml;
        text/csv csv;
        text/markdown md;
        application/javascript js mjs;
        application/json json map;
        application/manifest+json webmanifest;
        application/wasm wasm;
        application/pdf pdf;
        application/zip zip;
        application/gzip gz;
        application/octet-stream bin;
        image/svg+xml svg svgz;
        image/png png;
        image/jpeg jpg jpeg;
        image/gif gif;
        image/webp webp;
        image/avif avif;
        image/x-icon ico;
        font/woff woff;
        font/woff2 woff2;
        font/ttf ttf;
        font/otf otf;
        audio/mpeg mp3;
        audio/ogg ogg;
        video/mp4 mp4;
        video/webm webm;
    }
";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_main_configuration_holds_the_tls_and_worker_limits() {
        let layout = Layout::new(PathBuf::from("/var/lib/nsm/edge"), None);
        let conf = MainConf {
            layout: &layout,
            http_port: 8080,
            https_port: 8443,
            user: None,
            sites: None,
            scratch: None,
            front: None,
        }
        .render()
        .unwrap();
        for line in [
            "worker_rlimit_nofile 10240;\n",
            "    worker_connections 4096;\n",
            "    ssl_protocols TLSv1.2 TLSv1.3;\n",
            "    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:",
            "    ssl_prefer_server_ciphers off;\n",
            "        add_header Strict-Transport-Security \"max-age=31536000\" always;\n        return 404;\n",
        ] {
            assert!(conf.contains(line), "{line:?} in\n{conf}");
        }
        // HSTS only on the HTTPS default server.
        assert_eq!(conf.matches("Strict-Transport-Security").count(), 1, "{conf}");
    }
}
