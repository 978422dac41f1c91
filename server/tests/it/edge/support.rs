//! What the edge tests share: a server with the managed edge on free ports, pebble
//! (the ACME test server) with its DNS companion, and TLS / WebSocket clients that
//! talk to nginx the way browsers do.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nsm_server::settings::{EdgeMode, EdgeSettings};
use nsm_server::Settings;
use nsm_testkit::free_port;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::super::common::{client, TestServer};

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Edge settings for a test: managed nginx on free ports, ACME off unless the test
/// turns it on. As root, nginx's workers run as root too: the test's data directory
/// is private to its owner, and they must read the Static Pages' files.
pub fn edge_settings(nginx: &Path) -> EdgeSettings {
    let mut edge = EdgeSettings::off();
    edge.mode = EdgeMode::Managed;
    edge.nginx_bin = nginx.to_path_buf();
    edge.http_port = Some(free_port());
    edge.https_port = Some(free_port());
    edge.nginx_user = is_root().then(|| "root".to_owned());
    edge.no_acme = true;
    edge
}

/// Starts the server on `data_dir` (kept by the caller) with `edge`.
pub async fn start_with_edge(data_dir: PathBuf, edge: EdgeSettings) -> TestServer {
    let mut settings = Settings::for_data_dir(data_dir.clone());
    settings.edge = edge;
    let server = nsm_server::start(settings).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    TestServer { server: Some(server), base, client: client(), data_dir, _temp: None }
}

/// An HTTPS client that sends every listed hostname to 127.0.0.1 and accepts any
/// certificate (the placeholders are self-signed; ACME tests check chains apart).
pub fn browser(hostnames: &[&str], port: u16) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    for host in hostnames {
        builder = builder.resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    builder.build().expect("https client")
}

/// A certificate verifier that accepts anything: for talking to placeholders.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS connection to `127.0.0.1:port` for `hostname` (SNI). With `root`, the
/// served chain must verify against it for that name, as a browser would check.
pub async fn tls_connect(
    hostname: &str,
    port: u16,
    root: Option<&[u8]>,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match root {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(pem) {
                let cert: CertificateDer<'static> = cert.map_err(|e| e.to_string())?;
                roots.add(cert).map_err(|e| e.to_string())?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny(provider))).with_no_client_auth()
        }
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let name = ServerName::try_from(hostname.to_owned()).map_err(|e| e.to_string())?;
    connector.connect(name, tcp).await.map_err(|e| e.to_string())
}

/// The leaf certificate nginx serves for `hostname`, verified against `root` if given.
pub async fn served_leaf(hostname: &str, port: u16, root: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let stream = tls_connect(hostname, port, root).await?;
    let (_, session) = stream.get_ref();
    let chain = session.peer_certificates().ok_or("no certificate")?;
    Ok(chain.first().ok_or("empty chain")?.as_ref().to_vec())
}

/// Opens a WebSocket at `path` through nginx, sends `message`, returns the echo.
pub async fn websocket_echo(hostname: &str, port: u16, path: &str, message: &str) -> Result<String, String> {
    assert!(message.len() < 126, "short messages only");
    let mut stream = tls_connect(hostname, port, None).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let io = async {
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await?;
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        if !head.starts_with("HTTP/1.1 101") || !head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
            return Ok(Err(format!("no upgrade: {head}")));
        }
        // A masked text frame, as clients must send.
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81, 0x80 | message.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(message.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        stream.write_all(&frame).await?;
        let mut header = [0u8; 2];
        stream.read_exact(&mut header).await?;
        let mut payload = vec![0u8; usize::from(header[1] & 0x7f)];
        stream.read_exact(&mut payload).await?;
        Ok::<_, std::io::Error>(Ok(String::from_utf8_lossy(&payload).to_string()))
    };
    match tokio::time::timeout(Duration::from_secs(10), io).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the WebSocket exchange timed out".into()),
    }
}

/// pebble and pebble-challtestsrv on free loopback ports; every name resolves to
/// 127.0.0.1, and HTTP-01 challenges are checked on `http_port` (the edge's).
pub struct Pebble {
    children: Vec<Child>,
    /// Holds the configuration and certificates for as long as pebble runs.
    _dir: tempfile::TempDir,
    pub directory: String,
    /// The CA of pebble's own HTTPS listener (what NSM must trust to talk to it).
    pub listener_ca: PathBuf,
    management: u16,
}

impl Pebble {
    pub fn start(bins: &(PathBuf, PathBuf), http_port: u16, validity_secs: u64) -> Self {
        let dir = tempfile::tempdir().expect("pebble dir");
        // pebble serves ACME over HTTPS only: a throwaway CA for its listener.
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
        let leaf_key = rcgen::KeyPair::generate().expect("key");
        let mut leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        leaf_params.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
        let leaf = leaf_params.signed_by(&leaf_key, &*ca).expect("leaf");
        let listener_ca = dir.path().join("listener-ca.pem");
        std::fs::write(&listener_ca, ca.pem()).expect("write");
        std::fs::write(dir.path().join("cert.pem"), leaf.pem()).expect("write");
        std::fs::write(dir.path().join("key.pem"), leaf_key.serialize_pem()).expect("write");

        let (acme, management, dns) = (free_port(), free_port(), free_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{acme}"),
                "managementListenAddress": format!("127.0.0.1:{management}"),
                "certificate": dir.path().join("cert.pem"),
                "privateKey": dir.path().join("key.pem"),
                "httpPort": http_port,
                "tlsPort": free_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false,
                "certificateValidityPeriod": validity_secs,
            }
        });
        std::fs::write(dir.path().join("pebble.json"), config.to_string()).expect("write");
        let dns_server = Command::new(&bins.1)
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .arg("-dns01")
            .arg(format!("127.0.0.1:{dns}"))
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .arg("-management")
            .arg(format!("127.0.0.1:{}", free_port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv starts");
        let pebble = Command::new(&bins.0)
            .arg("-config")
            .arg(dir.path().join("pebble.json"))
            .arg("-dnsserver")
            .arg(format!("127.0.0.1:{dns}"))
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble starts");
        // Generous: on a loaded machine (the whole suite on two cores) pebble's start
        // has taken more than 15 s.
        nsm_testkit::eventually_blocking(Duration::from_secs(45), Duration::from_millis(50), || {
            std::net::TcpStream::connect(("127.0.0.1", acme)).map(drop).map_err(|_| "pebble did not start".to_owned())
        });
        let directory = format!("https://127.0.0.1:{acme}/dir");
        Self { children: vec![dns_server, pebble], _dir: dir, directory, listener_ca, management }
    }

    /// The root pebble issues under (regenerated at every start).
    pub async fn issuing_root(&self) -> Vec<u8> {
        let ca = std::fs::read(&self.listener_ca).expect("listener CA");
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
            .build()
            .expect("client");
        let url = format!("https://127.0.0.1:{}/roots/0", self.management);
        client.get(url).send().await.expect("roots").bytes().await.expect("body").to_vec()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
