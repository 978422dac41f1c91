//! The control plane's run-time settings: what an admin edits on the Settings page,
//! checked here so the browser and the server agree. A setting given on the command
//! line (or as its `NSM_*` variable) wins over the stored one; the page says which.

use serde::{Deserialize, Serialize};

use crate::project::DeployTimeout;
use crate::validation::{is_control, FieldError, FieldErrors};
use crate::worker::WorkerId;

crate::text_enum!(
    /// Where the value in force comes from.
    pub enum SettingSource {
        /// `--flag` or its `NSM_*` variable: the page cannot change it.
        Flag = "flag",
        /// Saved on the Settings page.
        Stored = "stored",
        /// Neither: the built-in default.
        Default = "default",
    }
);

/// Let's Encrypt's production directory, the default ACME directory.
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// The `settings` keys the server stores these under.
pub mod keys {
    pub const ACME_DIRECTORY: &str = "acme_directory";
    pub const ACME_EMAIL: &str = "acme_email";
    pub const AUDIT_RETENTION_DAYS: &str = "audit_retention_days";
    pub const DEFAULT_TIMEOUT_SECS: &str = "default_timeout_secs";
    pub const DEFAULT_WORKER: &str = "default_worker";
}

/// Longest ACME directory URL accepted.
const MAX_URL: usize = 2048;
/// RFC 5321's limit on an address.
const MAX_EMAIL: usize = 254;
/// Longest retention accepted (ten years); 0 keeps entries forever.
pub const MAX_RETENTION_DAYS: u32 = 3650;
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 90;

crate::validated_string!(
    /// An ACME directory URL: `https://`, no spaces or control characters.
    AcmeDirectory,
    check_acme_directory
);

impl AcmeDirectory {
    /// Let's Encrypt's production directory, the default.
    pub fn lets_encrypt() -> Self {
        Self(LETS_ENCRYPT_PRODUCTION.to_owned())
    }
}

fn check_acme_directory(value: &str) -> Result<(), FieldError> {
    let Some(rest) = value.strip_prefix("https://") else {
        return Err(FieldError::new("The ACME directory must be an https:// URL"));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(FieldError::new("The ACME directory URL needs a host"));
    }
    if value.len() > MAX_URL {
        return Err(FieldError::new(format!("The ACME directory URL must be at most {MAX_URL} characters")));
    }
    if value.chars().any(|c| c.is_whitespace() || is_control(c) || c == '"' || c == '\\') {
        return Err(FieldError::new("The ACME directory URL may not contain spaces, quotes or control characters"));
    }
    Ok(())
}

crate::validated_string!(
    /// The contact address given to the ACME server: one `@`, a dotted domain.
    ContactEmail,
    check_email
);

fn check_email(value: &str) -> Result<(), FieldError> {
    if value.len() > MAX_EMAIL {
        return Err(FieldError::new(format!("The e-mail address must be at most {MAX_EMAIL} characters")));
    }
    if value.chars().any(|c| c.is_whitespace() || is_control(c) || "\"\\<>,;:()[]".contains(c)) {
        return Err(FieldError::new(
            "The e-mail address may not contain spaces, quotes, brackets or control characters",
        ));
    }
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(())
        }
        _ => Err(FieldError::new("Enter an e-mail address such as ops@example.com")),
    }
}

/// Days an audit entry is kept; 0 keeps entries forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct RetentionDays(u32);

impl RetentionDays {
    pub fn new(days: u32) -> Result<Self, FieldError> {
        if days > MAX_RETENTION_DAYS {
            return Err(FieldError::new(format!(
                "Retention must be at most {MAX_RETENTION_DAYS} days (0 keeps forever)"
            )));
        }
        Ok(Self(days))
    }

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let days: u32 = value
            .trim()
            .parse()
            .map_err(|_| FieldError::new("Retention must be a whole number of days (0 keeps forever)"))?;
        Self::new(days)
    }

    pub fn days(self) -> u32 {
        self.0
    }

    /// `None` keeps entries forever.
    pub fn cutoff_days(self) -> Option<u32> {
        (self.0 > 0).then_some(self.0)
    }
}

impl TryFrom<u32> for RetentionDays {
    type Error = FieldError;
    fn try_from(days: u32) -> Result<Self, Self::Error> {
        Self::new(days)
    }
}

impl From<RetentionDays> for u32 {
    fn from(days: RetentionDays) -> Self {
        days.0
    }
}

/// One setting as the page shows it: the value in force and where it comes from; for a
/// setting that has a flag, the flag's spelling (shown when it wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting<T> {
    pub value: T,
    pub source: SettingSource,
    pub flag: Option<String>,
}

impl<T> Setting<T> {
    /// The flag's value over the stored one over the default.
    pub fn resolve(flag_name: Option<&str>, flag: Option<T>, stored: Option<T>, default: T) -> Self {
        let flag_name = flag_name.map(str::to_owned);
        match (flag, stored) {
            (Some(value), _) => Self { value, source: SettingSource::Flag, flag: flag_name },
            (None, Some(value)) => Self { value, source: SettingSource::Stored, flag: flag_name },
            (None, None) => Self { value: default, source: SettingSource::Default, flag: flag_name },
        }
    }

    pub fn is_locked(&self) -> bool {
        self.source == SettingSource::Flag
    }
}

/// Every run-time setting of the Settings page's "Server" section, in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettings {
    pub acme_directory: Setting<AcmeDirectory>,
    pub acme_email: Setting<Option<ContactEmail>>,
    pub audit_retention: Setting<RetentionDays>,
    pub default_timeout: Setting<DeployTimeout>,
    pub default_worker: Setting<WorkerId>,
}

/// What a new project's form starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDefaults {
    pub timeout: DeployTimeout,
    pub worker: WorkerId,
}

impl ServerSettings {
    pub fn project_defaults(&self) -> ProjectDefaults {
        ProjectDefaults { timeout: self.default_timeout.value, worker: self.default_worker.value.clone() }
    }
}

/// The Server section's form as typed (every field a string, as a form sends it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettingsForm {
    pub acme_directory: String,
    pub acme_email: String,
    pub audit_retention_days: String,
    pub default_timeout_secs: String,
    pub default_worker: String,
}

/// A checked form: what to store. An empty e-mail clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettingsUpdate {
    pub acme_directory: AcmeDirectory,
    pub acme_email: Option<ContactEmail>,
    pub audit_retention: RetentionDays,
    pub default_timeout: DeployTimeout,
    pub default_worker: WorkerId,
}

impl ServerSettingsForm {
    /// The form showing the values in force.
    pub fn from_settings(settings: &ServerSettings) -> Self {
        Self {
            acme_directory: settings.acme_directory.value.to_string(),
            acme_email: settings.acme_email.value.as_ref().map(ToString::to_string).unwrap_or_default(),
            audit_retention_days: settings.audit_retention.value.days().to_string(),
            default_timeout_secs: settings.default_timeout.value.secs().to_string(),
            default_worker: settings.default_worker.value.to_string(),
        }
    }

    /// Every field checked; errors keyed by the field's name.
    pub fn validate(&self) -> Result<ServerSettingsUpdate, FieldErrors> {
        let mut errors = FieldErrors::new();
        let acme_directory = errors.check("acme_directory", AcmeDirectory::parse(self.acme_directory.trim()));
        let email = self.acme_email.trim();
        let acme_email =
            errors.check("acme_email", if email.is_empty() { Ok(None) } else { ContactEmail::parse(email).map(Some) });
        let audit_retention = errors.check("audit_retention_days", RetentionDays::parse(&self.audit_retention_days));
        let default_timeout = errors.check(
            "default_timeout_secs",
            if self.default_timeout_secs.trim().is_empty() {
                Err(FieldError::new("Timeout is required"))
            } else {
                DeployTimeout::parse(&self.default_timeout_secs)
            },
        );
        let default_worker = errors.check("default_worker", WorkerId::parse(self.default_worker.trim()));
        match (acme_directory, acme_email, audit_retention, default_timeout, default_worker) {
            (
                Some(acme_directory),
                Some(acme_email),
                Some(audit_retention),
                Some(default_timeout),
                Some(default_worker),
            ) if errors.is_empty() => Ok(ServerSettingsUpdate {
                acme_directory,
                acme_email,
                audit_retention,
                default_timeout,
                default_worker,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests;
