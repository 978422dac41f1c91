//! Settings → GitHub sign-in (admin): what is in force, and saving what no flag gives.

use app::api::github::{GithubSave, GithubSettingsView, CALLBACK_PATH};
use app::error::AppResult;
use app::model::CurrentUser;
use async_trait::async_trait;
use nsm_core::audit::{changed_fields, AuditAction, AuditEvent, AuditKind};
use nsm_core::{FieldError, FieldErrors};

use super::config::{self, keys, load_stored, DEFAULT_API_URL, DEFAULT_WEB_URL};
use super::rules;
use crate::control_plane::Plane;
use crate::db;
use crate::error::internal;

fn valid_client_id(id: &str) -> bool {
    id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Plane {
    fn github_flags_given(&self) -> Vec<String> {
        let flags = &self.settings.github;
        [
            ("client_id", flags.client_id.is_some()),
            ("client_secret", flags.client_secret.is_some()),
            ("web_url", flags.web_url.is_some()),
            ("api_url", flags.api_url.is_some()),
            ("allow", !flags.allow.is_empty()),
        ]
        .into_iter()
        .filter(|(_, given)| *given)
        .map(|(name, _)| name.to_owned())
        .collect()
    }

    /// The callback URL: under the public URL, else where this request came in.
    pub fn github_callback_url(&self, origin: &str) -> String {
        let base = self.settings.public_url.as_deref().unwrap_or(origin).trim_end_matches('/');
        format!("{base}{CALLBACK_PATH}")
    }
}

/// The audit's view of the settings: the secret only as set or not.
fn described(view: &GithubSettingsView) -> Vec<(&'static str, String)> {
    vec![
        ("client id", view.client_id.clone()),
        ("client secret", if view.secret_set { "••••".into() } else { "not set".into() }),
        ("web URL", view.web_url.clone()),
        ("API URL", view.api_url.clone()),
        ("allowed", view.allow.replace('\n', ", ")),
    ]
}

#[async_trait]
impl app::backend::Github for Plane {
    async fn github_sign_in_enabled(&self) -> AppResult<bool> {
        Ok(self.github_config().await.map_err(internal)?.is_some())
    }

    async fn get_github_settings(&self, origin: &str) -> AppResult<GithubSettingsView> {
        let stored = load_stored(&self.db).await.map_err(internal)?;
        let flags = &self.settings.github;
        let allow = if flags.allow.is_empty() { &stored.allow } else { &flags.allow };
        Ok(GithubSettingsView {
            enabled: self.github_config().await.map_err(internal)?.is_some(),
            client_id: flags.client_id.clone().or(stored.client_id).unwrap_or_default(),
            secret_set: flags.client_secret.is_some() || stored.sealed_secret.is_some(),
            web_url: flags.web_url.clone().or(stored.web_url).unwrap_or_else(|| DEFAULT_WEB_URL.into()),
            api_url: flags.api_url.clone().or(stored.api_url).unwrap_or_else(|| DEFAULT_API_URL.into()),
            allow: allow.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            callback_url: self.github_callback_url(origin),
            from_flags: self.github_flags_given(),
        })
    }

    async fn save_github_settings(&self, by: &CurrentUser, save: GithubSave) -> AppResult<()> {
        let mut errors = FieldErrors::new();
        let client_id = save.client_id.trim().to_owned();
        if !valid_client_id(&client_id) {
            errors.add("client_id", FieldError::new("A client id has up to 100 letters, digits, '.', '_' or '-'"));
        }
        let url = |field: &'static str, text: &str, default: &str, errors: &mut FieldErrors| {
            let text = if text.trim().is_empty() { default } else { text };
            config::base_url(text).map_err(|e| errors.add(field, FieldError::new(format!("{text:?}: {e}")))).ok()
        };
        let web_url = url("web_url", &save.web_url, DEFAULT_WEB_URL, &mut errors);
        let api_url = url("api_url", &save.api_url, DEFAULT_API_URL, &mut errors);
        let allow = match rules::parse_list(&save.allow) {
            Ok(allow) => Some(allow),
            Err(bad) => {
                let message = bad.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                errors.add("allow", FieldError::new(message));
                None
            }
        };
        let (Some(web_url), Some(api_url), Some(allow)) = (web_url, api_url, allow) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let before = self.get_github_settings("").await?;
        let db = &self.db;
        let set = |key: &'static str, value: String| async move { db::settings::set(db, key, &value).await };
        // Only what no flag gives is stored (the flags would hide it anyway).
        let flags = &self.settings.github;
        if flags.client_id.is_none() {
            set(keys::CLIENT_ID, client_id).await.map_err(internal)?;
        }
        let secret = save.client_secret.trim();
        if flags.client_secret.is_none() && !secret.is_empty() {
            let sealed = self.secrets.seal(secret).map_err(internal)?;
            set(keys::CLIENT_SECRET, hex::encode(sealed)).await.map_err(internal)?;
        }
        if flags.web_url.is_none() {
            set(keys::WEB_URL, web_url).await.map_err(internal)?;
        }
        if flags.api_url.is_none() {
            set(keys::API_URL, api_url).await.map_err(internal)?;
        }
        if flags.allow.is_empty() {
            let lines = allow.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
            set(keys::ALLOW, lines).await.map_err(internal)?;
        }
        let after = self.get_github_settings("").await?;
        let (old, new) = changed_fields(&described(&before), &described(&after));
        // A new secret shows as a change even though both sides read "••••".
        let (old, new) = match (old, new, !secret.is_empty() && flags.client_secret.is_none()) {
            (None, None, true) => (Some("client secret: ••••".into()), Some("client secret: •••• (new)".into())),
            (old, new, _) => (old, new),
        };
        if old.is_none() && new.is_none() {
            return Ok(());
        }
        let event = AuditEvent::new(AuditKind::Settings, AuditAction::Changed, "GitHub sign-in").change(old, new);
        self.audit(by, event).await
    }
}
