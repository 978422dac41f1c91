//! ACME HTTP-01 with `instant-acme` (a maintained, async, pure-Rust client): one
//! order per hostname; the challenge answer is a file nginx serves from the webroot
//! on the HTTP port of every published hostname.

use std::path::PathBuf;
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use nsm_core::domain::Hostname;
use tokio::sync::Mutex;

use super::certs;

/// How long an order may take from creation to the certificate.
const ORDER_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("{0}")]
    Acme(#[from] instant_acme::Error),
    #[error("the ACME account file {0}: {1}")]
    AccountFile(String, String),
    #[error("the ACME server offers no HTTP-01 challenge for {0}")]
    NoHttp01(String),
    #[error("the ACME server sent an unusable challenge token")]
    BadToken,
    #[error("validation failed: {0}")]
    Invalid(String),
    #[error("writing the challenge answer: {0}")]
    Io(#[from] std::io::Error),
    #[error("the issued certificate: {0}")]
    Certificate(#[from] certs::CertError),
    #[error("no certificate within {} s", ORDER_TIMEOUT.as_secs())]
    Timeout,
}

/// A certificate chain and its key, as one PEM, with what it says.
pub struct Issued {
    pub pem: String,
    pub info: certs::CertInfo,
}

pub struct AcmeClient {
    directory: String,
    email: Option<String>,
    root_ca: Option<PathBuf>,
    account_file: PathBuf,
    challenges: PathBuf,
    account: Mutex<Option<Account>>,
}

impl AcmeClient {
    pub fn new(
        directory: String,
        email: Option<String>,
        root_ca: Option<PathBuf>,
        account_file: PathBuf,
        challenges: PathBuf,
    ) -> Self {
        Self { directory, email, root_ca, account_file, challenges, account: Mutex::new(None) }
    }

    pub fn directory(&self) -> &str {
        &self.directory
    }

    /// Obtains a certificate for `hostname`. nginx must already answer
    /// `http://<hostname>/.well-known/acme-challenge/` from the webroot.
    #[tracing::instrument(name = "acme_order", skip_all, fields(hostname = %hostname))]
    pub async fn obtain(&self, hostname: &Hostname) -> Result<Issued, AcmeError> {
        let account = self.account().await?;
        let result = tokio::time::timeout(ORDER_TIMEOUT, self.order(&account, hostname)).await;
        match result {
            Ok(result) => result,
            Err(_) => Err(AcmeError::Timeout),
        }
    }

    async fn order(&self, account: &Account, hostname: &Hostname) -> Result<Issued, AcmeError> {
        let identifiers = [Identifier::Dns(hostname.to_string())];
        let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
        let mut written = Vec::new();
        let answered = self.answer_challenges(&mut order, &mut written).await;
        let ready = match answered {
            Ok(()) => order.poll_ready(&RetryPolicy::new().timeout(ORDER_TIMEOUT)).await.map_err(AcmeError::from),
            Err(e) => Err(e),
        };
        let ready = match ready {
            Ok(OrderStatus::Ready) => Ok(()),
            Ok(status) => {
                Err(AcmeError::Invalid(failure_details(&mut order).await.unwrap_or(format!("order is {status:?}"))))
            }
            Err(e) => Err(match failure_details(&mut order).await {
                Some(details) => AcmeError::Invalid(format!("{e}: {details}")),
                None => e,
            }),
        };
        for file in written {
            if let Err(error) = tokio::fs::remove_file(&file).await {
                tracing::warn!(%error, file = %file.display(), "cannot remove a challenge answer");
            }
        }
        ready?;
        let key_pem = order.finalize().await?;
        let chain = order.poll_certificate(&RetryPolicy::new().timeout(ORDER_TIMEOUT)).await?;
        let info = certs::info_of_pem(chain.as_bytes())?;
        let separator = if chain.ends_with('\n') { "" } else { "\n" };
        Ok(Issued { pem: format!("{chain}{separator}{key_pem}"), info })
    }

    async fn answer_challenges(
        &self,
        order: &mut instant_acme::Order,
        written: &mut Vec<PathBuf>,
    ) -> Result<(), AcmeError> {
        tokio::fs::create_dir_all(&self.challenges).await?;
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz?;
            match authz.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => return Err(AcmeError::Invalid(format!("authorization is {other:?}"))),
            }
            let name = authz.identifier().to_string();
            let mut challenge = authz.challenge(ChallengeType::Http01).ok_or(AcmeError::NoHttp01(name))?;
            // The token becomes a file name: base64url only (RFC 8555 §8.3).
            let token = challenge.token.clone();
            if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(AcmeError::BadToken);
            }
            let file = self.challenges.join(&token);
            tokio::fs::write(&file, challenge.key_authorization().as_str()).await?;
            written.push(file);
            challenge.set_ready().await?;
        }
        Ok(())
    }

    /// The account, created once per directory URL and kept in a file.
    async fn account(&self) -> Result<Account, AcmeError> {
        let mut cached = self.account.lock().await;
        if let Some(account) = cached.as_ref() {
            return Ok(account.clone());
        }
        let file_error = |e: String| AcmeError::AccountFile(self.account_file.display().to_string(), e);
        let account = match tokio::fs::read(&self.account_file).await {
            Ok(bytes) => {
                let credentials: AccountCredentials =
                    serde_json::from_slice(&bytes).map_err(|e| file_error(e.to_string()))?;
                self.builder()?.from_credentials(credentials).await?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let contact: Vec<String> = self.email.iter().map(|e| format!("mailto:{e}")).collect();
                let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
                let new = NewAccount { contact: &contact, terms_of_service_agreed: true, only_return_existing: false };
                let (account, credentials) = self.builder()?.create(&new, self.directory.clone(), None).await?;
                let json = serde_json::to_vec(&credentials).map_err(|e| file_error(e.to_string()))?;
                certs::write_private(&self.account_file, &json).map_err(|e| file_error(e.to_string()))?;
                tracing::info!(directory = %self.directory, "ACME account created");
                account
            }
            Err(e) => return Err(file_error(e.to_string())),
        };
        *cached = Some(account.clone());
        Ok(account)
    }

    fn builder(&self) -> Result<instant_acme::AccountBuilder, AcmeError> {
        Ok(match &self.root_ca {
            Some(root) => Account::builder_with_root(root)?,
            None => Account::builder()?,
        })
    }
}

/// Why an order did not become ready, in the ACME server's words.
async fn failure_details(order: &mut instant_acme::Order) -> Option<String> {
    let mut reasons = Vec::new();
    if let Ok(state) = order.refresh().await {
        if let Some(problem) = &state.error {
            reasons.push(problem.to_string());
        }
    }
    let mut authorizations = order.authorizations();
    while let Some(Ok(authz)) = authorizations.next().await {
        for challenge in &authz.challenges {
            if let Some(problem) = &challenge.error {
                reasons.push(problem.to_string());
            }
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}
