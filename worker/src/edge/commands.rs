//! The control plane's edge requests outside a deployment: applying a project's plan
//! now, forgetting removed hostnames, and this node's half of an ACME order — a new
//! key and its CSR, serving the HTTP-01 answer, installing the issued chain with the
//! key that never left this machine.

use nsm_core::domain::Hostname;
use nsm_core::protocol::{EdgeAnswer, EdgeCommand};

use super::certs::{self, CertInfo};
use super::files;
use super::probe;
use super::{Edge, EdgeError};
use nsm_core::edge::EdgeMode;

impl Edge {
    /// Runs one command; `Err` is the answer's reason, word for word.
    #[tracing::instrument(name = "edge_command", skip_all, fields(command = command_name(&command)))]
    pub async fn run_command(&self, command: EdgeCommand) -> Result<EdgeAnswer, EdgeError> {
        if !self.is_on() {
            return Err(EdgeError::Off);
        }
        match command {
            EdgeCommand::Apply { project, plan } => Ok(EdgeAnswer::Applied(self.apply_plan(&project, &plan).await?)),
            EdgeCommand::Forget { hostnames } => {
                for hostname in &hostnames {
                    files::remove_file(&self.layout.certificate(hostname)).await?;
                    files::remove_file(&self.layout.pending_key(hostname)).await?;
                }
                Ok(EdgeAnswer::Done)
            }
            EdgeCommand::NewKey { hostname } => {
                let (key, der) = certs::new_key_and_csr(hostname.as_str())?;
                certs::write_private(&self.layout.pending_key(&hostname), key.as_bytes())?;
                Ok(EdgeAnswer::Csr { der })
            }
            EdgeCommand::ServeChallenge { token, key_authorization } => {
                let file = self.layout.challenges().join(checked_token(&token)?);
                tokio::fs::create_dir_all(self.layout.challenges()).await?;
                files::write_file(&file, &key_authorization).await?;
                Ok(EdgeAnswer::Done)
            }
            EdgeCommand::DropChallenge { token } => {
                files::remove_file(&self.layout.challenges().join(checked_token(&token)?)).await?;
                Ok(EdgeAnswer::Done)
            }
            EdgeCommand::InstallCertificate { hostname, chain } => {
                let info = self.install_certificate(&hostname, &chain).await?;
                Ok(EdgeAnswer::Installed(info.fact(&hostname)))
            }
            EdgeCommand::Front { routes } => {
                self.front_routes(&routes).await?;
                Ok(EdgeAnswer::Done)
            }
        }
    }

    /// Puts the issued chain and the key kept aside into the hostname's file, and makes
    /// sure nginx serves it, putting the old file back otherwise. The managed nginx
    /// reads the file at the next handshake, so it needs no reload; a host's nginx
    /// loads it when reloaded.
    async fn install_certificate(&self, hostname: &Hostname, chain: &str) -> Result<CertInfo, EdgeError> {
        let key_path = self.layout.pending_key(hostname);
        let key = match files::read_if_exists(&key_path).await? {
            Some(key) => key,
            None => return Err(EdgeError::NoPendingKey(hostname.to_string())),
        };
        let separator = if chain.ends_with('\n') { "" } else { "\n" };
        let pem = format!("{chain}{separator}{key}");
        let info = certs::info_of_pem(pem.as_bytes())?;
        let leaf = certs::leaf_der(pem.as_bytes())?;
        let path = self.layout.certificate(hostname);
        let config = self.config_lock.lock().await;
        let previous = files::read_if_exists(&path).await?;
        certs::write_certificate(&path, pem.as_bytes(), self.cert_reader)?;
        if let Err(error) = self.serve_certificate(hostname, &leaf).await {
            if let Some(previous) = previous {
                if let Err(e) = certs::write_certificate(&path, previous.as_bytes(), self.cert_reader) {
                    tracing::error!(error = %e, "cannot put the previous certificate back");
                }
            }
            if self.mode == EdgeMode::System {
                if let Err(again) = self.apply().await {
                    tracing::error!(error = %again, "nginx did not take the previous certificate back");
                }
            }
            return Err(error);
        }
        drop(config);
        files::remove_file(&key_path).await?;
        tracing::info!(%hostname, issuer = info.issuer, "certificate installed");
        Ok(info)
    }

    /// The leaf certificate (DER) this edge serves a TLS client asking for
    /// `hostname`, as a browser would see it.
    pub async fn served_certificate(&self, hostname: &str) -> Result<Vec<u8>, probe::ProbeError> {
        probe::served_leaf(self.listen.https, hostname).await
    }

    /// Reloads a host's nginx if needed, then asks for `hostname` over TLS: the managed
    /// nginx reads certificates at handshake, so `nginx -t` cannot tell whether one
    /// loads, and a handshake is what counts anyway.
    async fn serve_certificate(&self, hostname: &Hostname, leaf: &[u8]) -> Result<(), EdgeError> {
        if self.mode == EdgeMode::System {
            self.apply().await?;
        }
        let served = probe::served_leaf(self.listen.https, hostname.as_str()).await.map_err(EdgeError::NotServed)?;
        if served == leaf {
            Ok(())
        } else {
            Err(EdgeError::OtherCertificate)
        }
    }
}

/// The token becomes a file name: base64url only (RFC 8555 §8.3).
fn checked_token(token: &str) -> Result<&str, EdgeError> {
    if !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(token)
    } else {
        Err(EdgeError::BadToken)
    }
}

fn command_name(command: &EdgeCommand) -> &'static str {
    match command {
        EdgeCommand::Apply { .. } => "apply",
        EdgeCommand::Forget { .. } => "forget",
        EdgeCommand::NewKey { .. } => "new_key",
        EdgeCommand::ServeChallenge { .. } => "serve_challenge",
        EdgeCommand::DropChallenge { .. } => "drop_challenge",
        EdgeCommand::InstallCertificate { .. } => "install_certificate",
        EdgeCommand::Front { .. } => "front",
    }
}

#[cfg(test)]
mod tests {
    use super::checked_token;

    #[test]
    fn challenge_tokens_cannot_name_other_files() {
        assert!(checked_token("abc-DEF_123").is_ok());
        for bad in ["", "../x", "a/b", "a.b", "a b"] {
            assert!(checked_token(bad).is_err(), "{bad}");
        }
    }
}
