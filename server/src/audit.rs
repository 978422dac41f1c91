//! What the audit log is told besides the services' own changes: API token use (one
//! entry per token and hour, never a write per call), the CI/CD calls the activity
//! writer sees (webhook deployments with their trigger; refusals counted per project
//! and minute), and the hourly purge of entries older than the retention setting.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use nsm_core::activity::{ActivityOutcome, ActivitySource};
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind, DeployTrigger};

use crate::activity::Activity;
use crate::db::{self, Db};

/// Tokens already written down this hour, so a busy token costs one look-up in memory.
#[derive(Default)]
pub struct TokenUse {
    noted: Mutex<HashMap<i64, i64>>,
}

impl TokenUse {
    /// Whether `token`'s use in hour `hour` (hours since the epoch) is new to us.
    fn first_in(&self, token: i64, hour: i64) -> bool {
        let mut noted = self.noted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if noted.get(&token) == Some(&hour) {
            return false;
        }
        // Hours gone by are of no more use.
        noted.retain(|_, h| *h >= hour);
        noted.insert(token, hour);
        true
    }

    /// Notes a use of `token` now: the first of each hour is written (the store's
    /// bucket also holds across restarts). Failures are logged, never the caller's.
    pub async fn note(&self, db: &Db, token: i64) {
        let now = chrono::Utc::now();
        let hour = now.timestamp().div_euclid(3600);
        if !self.first_in(token, hour) {
            return;
        }
        let Some(start) = chrono::DateTime::from_timestamp(hour * 3600, 0) else {
            return;
        };
        if let Err(error) = db::audit::record_token_use(db, token, &db::timestamp(start)).await {
            tracing::error!(%error, token, "cannot record an API token's use");
        }
    }
}

fn trigger(source: ActivitySource) -> DeployTrigger {
    match source {
        ActivitySource::DeployKey => DeployTrigger::Webhook,
        ActivitySource::Github => DeployTrigger::Github,
    }
}

/// Mirrors a batch of CI/CD activity (`(at, activity)`, as the activity writer
/// stored it): each accepted call is a deployment request with its trigger; the
/// refused ones become one counted entry per project and minute.
pub async fn mirror_activity(db: &Db, batch: &[(String, Activity)]) -> sqlx::Result<()> {
    let mut refused: BTreeMap<(&str, &str), (i64, Vec<&str>)> = BTreeMap::new();
    for (at, activity) in batch {
        match activity.outcome {
            ActivityOutcome::Accepted => {
                let target = match activity.deployment {
                    Some(deployment) => format!("{} #{deployment}", activity.project),
                    None => activity.project.clone(),
                };
                let event = AuditEvent::new(AuditKind::Deployment, AuditAction::Requested, target)
                    .project(&activity.project)
                    .trigger(trigger(activity.source))
                    .detail(&activity.detail);
                db::audit::record_at(db, at, None, &event).await?;
            }
            ActivityOutcome::Refused => {
                let minute = at.get(..16).unwrap_or(at);
                let (count, reasons) = refused.entry((&activity.project, minute)).or_default();
                *count += 1;
                if !reasons.contains(&activity.detail.as_str()) {
                    reasons.push(&activity.detail);
                }
            }
            ActivityOutcome::Skipped => {}
        }
    }
    for ((project, minute), (count, reasons)) in refused {
        db::audit::add_webhook_refusals(db, project, minute, count, &reasons.join("; ")).await?;
    }
    Ok(())
}

/// Removes entries older than `days` every hour, the first time at once; `0` keeps
/// them forever.
pub fn start_purge(db: Db, flag: Option<nsm_core::settings::RetentionDays>) -> tokio::task::JoinHandle<()> {
    crate::periodic::hourly("audit entries past retention", move || {
        let db = db.clone();
        async move {
            // Read each time: the Settings page may have changed it.
            let retention = crate::runtime_settings::audit_retention(&db, flag).await.map_err(PurgeError::from)?;
            let Some(days) = retention.cutoff_days() else { return Ok::<u64, PurgeError>(0) };
            let cutoff = db::timestamp(chrono::Utc::now() - chrono::Duration::days(i64::from(days)));
            Ok(db::audit::delete_before(&db, &cutoff).await?)
        }
    })
}

/// Why an hourly audit purge did not run.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("{0}")]
    Settings(#[from] crate::runtime_settings::RuntimeSettingsError),
    #[error("{0}")]
    Database(#[from] sqlx::Error),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_is_noted_once_an_hour() {
        let uses = TokenUse::default();
        assert!(uses.first_in(1, 100));
        assert!(!uses.first_in(1, 100), "the same hour again");
        assert!(uses.first_in(2, 100), "another token");
        assert!(uses.first_in(1, 101), "the next hour");
        assert!(!uses.first_in(1, 101));
        assert_eq!(uses.noted.lock().unwrap().len(), 1, "the past hour is forgotten");
    }
}
