//! Asking nginx, as a TLS client would, which certificate it serves for a name: the
//! check that a new certificate is in use. nginx reads certificate files at handshake,
//! so `nginx -t` can no longer tell whether one loads; a handshake can.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why no certificate could be seen.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Tls(#[from] rustls::Error),
    #[error("{hostname}: {source}")]
    Name { hostname: String, source: rustls::pki_types::InvalidDnsNameError },
    #[error("{0}")]
    Connect(#[source] std::io::Error),
    #[error("{0}")]
    Handshake(#[source] std::io::Error),
    #[error("no TLS handshake on port {port} within {} s", HANDSHAKE_TIMEOUT.as_secs())]
    Timeout { port: u16 },
    #[error("no certificate was served")]
    NoCertificate,
}

/// The leaf certificate (DER) served on `127.0.0.1:port` to a client asking for
/// `hostname`. Nothing is verified but the handshake's signature: the point is which
/// certificate it is, not whether a browser would trust it (placeholders are
/// self-signed).
pub async fn served_leaf(port: u16, hostname: &str) -> Result<Vec<u8>, ProbeError> {
    let stream = connect(port, hostname).await?;
    let (_, session) = stream.get_ref();
    let leaf = session.peer_certificates().and_then(|chain| chain.first()).ok_or(ProbeError::NoCertificate)?;
    Ok(leaf.as_ref().to_vec())
}

/// A TLS connection to this node's edge on `127.0.0.1:port`, asking for `hostname`.
pub async fn connect(
    port: u16,
    hostname: &str,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, ProbeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(hostname.to_owned())
        .map_err(|source| ProbeError::Name { hostname: hostname.to_owned(), source })?;
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(ProbeError::Connect)?;
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(ProbeError::Handshake)
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await.map_err(|_| ProbeError::Timeout { port })?
}

#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
