//! ACME HTTP-01 with `instant-acme` (a maintained, async, pure-Rust client): one
//! order per hostname, with the control plane's account. The node that serves the
//! hostname answers the challenge from its edge ([`Challenges`]) and made the key:
//! the order is finalized with the node's CSR, and only the issued chain comes back.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use nsm_core::domain::Hostname;
use tokio::sync::Mutex;

/// Where the HTTP-01 answers are served: the edge of the node the hostname's DNS
/// points at.
#[async_trait]
pub trait Challenges: Send + Sync {
    /// Serves `key_authorization` at `/.well-known/acme-challenge/<token>`.
    async fn serve(&self, token: &str, key_authorization: &str) -> Result<(), AcmeError>;
    /// Stops serving it (logged when it cannot).
    async fn drop_answer(&self, token: &str);
}

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
    #[error("validation failed: {0}")]
    Invalid(String),
    #[error("the node cannot serve the challenge answer: {0}")]
    Node(String),
    #[error("no certificate within {} s", ORDER_TIMEOUT.as_secs())]
    Timeout,
}

pub struct AcmeClient {
    directory: String,
    email: Option<String>,
    root_ca: Option<PathBuf>,
    account_file: PathBuf,
    account: Mutex<Option<Account>>,
    /// The contact address changed since the account file was written: send it.
    update_contact: bool,
}

impl AcmeClient {
    pub fn new(
        directory: String,
        email: Option<String>,
        root_ca: Option<PathBuf>,
        account_file: PathBuf,
        update_contact: bool,
    ) -> Self {
        Self { directory, email, root_ca, account_file, account: Mutex::new(None), update_contact }
    }

    pub fn directory(&self) -> &str {
        &self.directory
    }

    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    fn contact(&self) -> Vec<String> {
        self.email.iter().map(|e| format!("mailto:{e}")).collect()
    }

    /// Obtains the chain (PEM) certifying the key of `csr` (DER) for `hostname`; the
    /// node behind `challenges` must answer on `http://<hostname>/`.
    #[tracing::instrument(name = "acme_order", skip_all, fields(hostname = %hostname))]
    pub async fn obtain(
        &self,
        hostname: &Hostname,
        csr: &[u8],
        challenges: &dyn Challenges,
    ) -> Result<String, AcmeError> {
        let account = self.account().await?;
        let result = tokio::time::timeout(ORDER_TIMEOUT, self.order(&account, hostname, csr, challenges)).await;
        match result {
            Ok(result) => result,
            Err(_) => Err(AcmeError::Timeout),
        }
    }

    async fn order(
        &self,
        account: &Account,
        hostname: &Hostname,
        csr: &[u8],
        challenges: &dyn Challenges,
    ) -> Result<String, AcmeError> {
        let identifiers = [Identifier::Dns(hostname.to_string())];
        let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
        let mut written = Vec::new();
        let answered = answer_challenges(&mut order, challenges, &mut written).await;
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
        for token in written {
            challenges.drop_answer(&token).await;
        }
        ready?;
        order.finalize_csr(csr).await?;
        Ok(order.poll_certificate(&RetryPolicy::new().timeout(ORDER_TIMEOUT)).await?)
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
                let account = self.builder()?.from_credentials(credentials).await?;
                if self.update_contact {
                    let contact = self.contact();
                    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
                    account.update_contacts(&contact).await?;
                    tracing::info!(directory = %self.directory, "ACME account contact updated");
                }
                account
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let contact = self.contact();
                let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
                let new = NewAccount { contact: &contact, terms_of_service_agreed: true, only_return_existing: false };
                let (account, credentials) = self.builder()?.create(&new, self.directory.clone(), None).await?;
                let json = serde_json::to_vec(&credentials).map_err(|e| file_error(e.to_string()))?;
                write_private(&self.account_file, &json).map_err(|e| file_error(e.to_string()))?;
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

/// Has the node serve every pending authorization's HTTP-01 answer and tells the ACME
/// server it may look; the tokens served go into `written`, to be dropped after.
async fn answer_challenges(
    order: &mut instant_acme::Order,
    challenges: &dyn Challenges,
    written: &mut Vec<String>,
) -> Result<(), AcmeError> {
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
        let token = challenge.token.clone();
        challenges.serve(&token, challenge.key_authorization().as_str()).await?;
        written.push(token);
        challenge.set_ready().await?;
    }
    Ok(())
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

/// Writes the account's credentials readable by their owner only, beside the target
/// and renamed over it.
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("json.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
