//! A throwaway nginx prefix for checking rendered configurations with the real nginx
//! (found, or the test skipped or failed, by `nsm_testkit::nginx_or_skip`).

#![allow(dead_code)] // Each test file uses a part.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nsm_core::domain::{
    ApiTimeout, BodySize, CorsOrigin, CustomBody, DomainEntry, Hostname, RedirectTarget, ResourceConfig, ResourceEntry,
    ResourceKind, ResourcePath, Topology,
};
use nsm_core::edge::{certificate_map, CertificatePaths, NginxInput, ServerCertificates, CERTIFICATE_VARIABLE};
use nsm_core::ProjectId;

pub struct Prefix {
    pub dir: tempfile::TempDir,
    pub nginx: PathBuf,
}

impl Prefix {
    /// A prefix with a self-signed certificate (`cert.pem`, `key.pem`) made by openssl.
    pub fn new(nginx: PathBuf) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["conf", "tmp", "logs", "acme", "www"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "2", "-subj", "/CN=nsm-test", "-keyout"])
            .arg(dir.path().join("key.pem"))
            .arg("-out")
            .arg(dir.path().join("cert.pem"))
            .output()
            .expect("openssl must be installed to make a test certificate");
        assert!(status.status.success(), "openssl: {}", String::from_utf8_lossy(&status.stderr));
        Self { dir, nginx }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn certificate(&self) -> CertificatePaths {
        CertificatePaths {
            certificate: self.path().join("cert.pem").display().to_string(),
            key: self.path().join("key.pem").display().to_string(),
        }
    }

    /// What NSM's managed nginx puts at `http` level for certificates chosen at
    /// handshake: the certificate map and a default HTTPS server on `https`, with a
    /// certificate per hostname in `certs/` (its CN the hostname, so a client can tell
    /// which one it got) and `default.pem` (CN `default`).
    pub fn handshake_frame(&self, https: u16, hostnames: &[&str]) -> String {
        let certs = self.path().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        let default = self.path().join("default.pem");
        write_combined(&default, "default");
        for name in hostnames {
            write_combined(&certs.join(format!("{}.pem", hostname(name).file_stem())), name);
        }
        let map = certificate_map(&certs.display().to_string(), &default.display().to_string()).unwrap();
        format!(
            "{map}    server {{\n        listen {https} ssl default_server;\n\
             \x20       ssl_certificate {CERTIFICATE_VARIABLE};\n        ssl_certificate_key {CERTIFICATE_VARIABLE};\n\
             \x20       return 404;\n    }}\n"
        )
    }

    /// Writes the main configuration including the given project files.
    pub fn write(&self, projects: &[(&str, &str)]) -> PathBuf {
        self.write_with("", projects)
    }

    /// Writes the main configuration with `http_extra` at `http` level, then the
    /// given project files.
    pub fn write_with(&self, http_extra: &str, projects: &[(&str, &str)]) -> PathBuf {
        let p = self.path().display().to_string();
        let mut includes = String::new();
        for (name, text) in projects {
            let file = self.path().join("conf").join(format!("{name}.conf"));
            std::fs::write(&file, text).unwrap();
            includes.push_str(&format!("    include {};\n", file.display()));
        }
        // What NSM's managed nginx would set around the project files: its own temp
        // paths, and room for the longest hostnames in server_name.
        let main = format!(
            "user root;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n    access_log off;\n    map_hash_bucket_size 128;\n\
             \x20   client_body_temp_path {p}/tmp/body;\n    proxy_temp_path {p}/tmp/proxy;\n\
             \x20   fastcgi_temp_path {p}/tmp/fastcgi;\n    uwsgi_temp_path {p}/tmp/uwsgi;\n    scgi_temp_path {p}/tmp/scgi;\n\
             {http_extra}{includes}}}\n"
        );
        let conf = self.path().join("nginx.conf");
        std::fs::write(&conf, main).unwrap();
        conf
    }

    /// `nginx -t` on the main configuration.
    pub fn test(&self, conf: &Path) -> Output {
        Command::new(&self.nginx).arg("-t").arg("-p").arg(self.path()).arg("-c").arg(conf).output().unwrap()
    }

    /// Asserts that nginx accepts `text` as a project file.
    pub fn assert_valid(&self, name: &str, text: &str) {
        let conf = self.write(&[(name, text)]);
        let out = self.test(&conf);
        assert!(out.status.success(), "nginx -t refused {name}:\n{}\n{text}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A self-signed certificate for `cn` and its key, in one file as NSM writes them.
fn write_combined(path: &Path, cn: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .args(["-days", "2", "-subj", &format!("/CN={cn}"), "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl must be installed to make a test certificate");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    let mut pem = std::fs::read(cert).unwrap();
    pem.extend(std::fs::read(key).unwrap());
    std::fs::write(path, pem).unwrap();
}

pub fn hostname(s: &str) -> Hostname {
    Hostname::parse(s).unwrap()
}

pub fn resource(id: i64, domain_id: i64, path: &str, kind: ResourceKind) -> ResourceEntry {
    ResourceEntry { id, domain_id, config: ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind } }
}

pub fn static_page(spa: bool, cors: &[&str]) -> ResourceKind {
    ResourceKind::Static { spa, cors_origins: cors.iter().map(|o| CorsOrigin::parse(o).unwrap()).collect() }
}

pub fn api(websocket: bool, timeout: u32, max_body: &str) -> ResourceKind {
    ResourceKind::Api {
        websocket,
        timeout_secs: ApiTimeout::new(timeout).unwrap(),
        max_body: BodySize::parse(max_body).unwrap(),
    }
}

pub fn redirect(target: &str) -> ResourceKind {
    ResourceKind::Redirect { target: RedirectTarget::parse(target).unwrap() }
}

pub fn custom(body: &str) -> ResourceKind {
    ResourceKind::Custom { body: CustomBody::parse(body).unwrap() }
}

/// An input for `topology` using the prefix's certificate for every hostname and a
/// directory `www/r<id>` for every Static Page.
pub fn site(prefix: &Prefix, project: &str, domains: &[(i64, &str)], resources: Vec<ResourceEntry>) -> NginxInput {
    let topology =
        Topology { domains: domains.iter().map(|(id, h)| DomainEntry::new(*id, hostname(h))).collect(), resources };
    let acme = prefix.path().join("acme").display().to_string();
    let mut input = NginxInput::new(ProjectId::parse(project).unwrap(), topology, acme);
    let files = input.topology.domains.iter().map(|d| (d.hostname.clone(), prefix.certificate())).collect();
    input.certificates = ServerCertificates::Files(files);
    for r in &input.topology.resources {
        if let ResourceKind::Static { .. } = r.config.kind {
            let dir = prefix.path().join("www").join(format!("r{}", r.id));
            std::fs::create_dir_all(&dir).unwrap();
            input.directories.insert(r.id, dir.display().to_string());
        }
    }
    input
}
