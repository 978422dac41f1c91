//! The settings an admin edits on the Settings page, stored in `settings`; a flag (or
//! its `NSM_*` variable) wins over the stored value, which wins over the default.

use nsm_core::project::DeployTimeout;
use nsm_core::settings::{
    keys, AcmeDirectory, ContactEmail, RetentionDays, ServerSettings, ServerSettingsUpdate, Setting,
    DEFAULT_AUDIT_RETENTION_DAYS,
};
use nsm_core::worker::WorkerId;
use nsm_core::FieldError;

use crate::db::{self, Db};
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeSettingsError {
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    /// A stored value the current rules refuse (written by hand, or by an older rule).
    #[error("stored setting {key} is not valid: {reason}")]
    Stored { key: &'static str, reason: FieldError },
}

const ACME_DIRECTORY_FLAG: &str = "--acme-directory / NSM_ACME_DIRECTORY";
const ACME_EMAIL_FLAG: &str = "--acme-email / NSM_ACME_EMAIL";
const AUDIT_RETENTION_FLAG: &str = "--audit-retention-days / NSM_AUDIT_RETENTION_DAYS";

async fn stored<T>(
    db: &Db,
    key: &'static str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, RuntimeSettingsError> {
    match db::settings::get(db, key).await? {
        Some(text) => parse(&text).map(Some).map_err(|reason| RuntimeSettingsError::Stored { key, reason }),
        None => Ok(None),
    }
}

/// Every setting in force, and where each comes from.
pub async fn load(db: &Db, flags: &Settings) -> Result<ServerSettings, RuntimeSettingsError> {
    let edge = &flags.edge;
    // An empty stored address is one the page cleared: no contact.
    let email =
        stored(
            db,
            keys::ACME_EMAIL,
            |text| {
                if text.is_empty() {
                    Ok(None)
                } else {
                    ContactEmail::parse(text).map(Some)
                }
            },
        )
        .await?;
    Ok(ServerSettings {
        acme_directory: Setting::resolve(
            Some(ACME_DIRECTORY_FLAG),
            edge.acme_directory.clone(),
            stored(db, keys::ACME_DIRECTORY, AcmeDirectory::parse).await?,
            AcmeDirectory::lets_encrypt(),
        ),
        acme_email: Setting::resolve(Some(ACME_EMAIL_FLAG), edge.acme_email.clone().map(Some), email, None),
        audit_retention: audit_retention_setting(db, flags.audit_retention_days).await?,
        default_timeout: Setting::resolve(
            None,
            None,
            stored(db, keys::DEFAULT_TIMEOUT_SECS, DeployTimeout::parse).await?,
            DeployTimeout::default(),
        ),
        default_worker: Setting::resolve(
            None,
            None,
            stored(db, keys::DEFAULT_WORKER, WorkerId::parse).await?,
            WorkerId::local(),
        ),
    })
}

async fn audit_retention_setting(
    db: &Db,
    flag: Option<RetentionDays>,
) -> Result<Setting<RetentionDays>, RuntimeSettingsError> {
    let default = RetentionDays::new(DEFAULT_AUDIT_RETENTION_DAYS)
        .map_err(|reason| RuntimeSettingsError::Stored { key: keys::AUDIT_RETENTION_DAYS, reason })?;
    Ok(Setting::resolve(
        Some(AUDIT_RETENTION_FLAG),
        flag,
        stored(db, keys::AUDIT_RETENTION_DAYS, RetentionDays::parse).await?,
        default,
    ))
}

/// The audit retention in force (read by the hourly purge, so a change applies within
/// the hour).
pub async fn audit_retention(db: &Db, flag: Option<RetentionDays>) -> Result<RetentionDays, RuntimeSettingsError> {
    Ok(audit_retention_setting(db, flag).await?.value)
}

/// Stores what the page may change: a setting a flag gives is left as it is.
pub async fn store(db: &Db, update: &ServerSettingsUpdate, current: &ServerSettings) -> sqlx::Result<()> {
    let mut writes: Vec<(&str, String)> = Vec::new();
    if !current.acme_directory.is_locked() {
        writes.push((keys::ACME_DIRECTORY, update.acme_directory.to_string()));
    }
    if !current.acme_email.is_locked() {
        writes.push((keys::ACME_EMAIL, update.acme_email.as_ref().map(ToString::to_string).unwrap_or_default()));
    }
    if !current.audit_retention.is_locked() {
        writes.push((keys::AUDIT_RETENTION_DAYS, update.audit_retention.days().to_string()));
    }
    writes.push((keys::DEFAULT_TIMEOUT_SECS, update.default_timeout.secs().to_string()));
    writes.push((keys::DEFAULT_WORKER, update.default_worker.to_string()));
    let mut tx = db.begin().await?;
    for (key, value) in writes {
        db::settings::set(&mut *tx, key, &value).await?;
    }
    tx.commit().await
}
