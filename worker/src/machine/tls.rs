//! TLS for the worker link and for git over HTTPS: rustls with the ring provider and
//! the system's CA store. No OpenSSL.

use std::sync::Arc;

use rustls::crypto::ring;
use rustls::{ClientConfig, RootCertStore};

use super::MachineError;

/// Installs ring as the process-wide rustls provider, which gix's HTTP client uses.
/// Harmless when a provider is already installed (by the server embedding us).
pub(crate) fn install_default_provider() {
    if ring::default_provider().install_default().is_err() {
        tracing::trace!("a rustls crypto provider was already installed");
    }
}

/// The client configuration for `wss://` links, trusting the system's CA certificates.
pub(crate) fn client_config() -> Result<Arc<ClientConfig>, MachineError> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(%error, "could not read some of the system's CA certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    if ignored > 0 {
        tracing::debug!(added, ignored, "some system CA certificates were not usable");
    }
    if roots.is_empty() {
        return Err(MachineError::NoCaCertificates);
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
