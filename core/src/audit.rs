//! The audit log's vocabulary: what kind of event an entry records, what was done,
//! what started a deployment, the entry as the Settings → Audit log page and the JSON
//! export show it, and how a variable's value appears in it (secrets never do).
//! Kinds, actions and triggers are stored and sent as their words ([`text_enum!`]).

mod filter;

use serde::{Deserialize, Serialize};

pub use filter::{AuditFilter, AuditFilterForm, KindFilter, DEFAULT_PAGE, MAX_PAGE};

use crate::variables::{Reference, VariableValue};

/// What every secret value reads as in the audit log.
pub use crate::words::MASK;

crate::text_enum!(
    /// What an audit entry is about; the filter's vocabulary.
    pub enum AuditKind {
        SignIn = "sign_in",
        SignInFailed = "sign_in_failed",
        Project = "project",
        Domain = "domain",
        Resource = "resource",
        Variable = "variable",
        Service = "service",
        Worker = "worker",
        /// A worker's policy (what its projects' compose files may do to the node).
        Policy = "policy",
        Settings = "settings",
        Certificate = "certificate",
        Deployment = "deployment",
        /// A token created or revoked.
        Token = "token",
        /// A token's first use in an hour (one entry per token and hour at most).
        TokenUse = "token_use",
        /// Refused CI/CD calls of one project, counted per minute.
        WebhookRefused = "webhook_refused",
        /// Created, disabled, enabled, password reset, signed out everywhere.
        User = "user",
        Role = "role",
        /// An entry written before kinds existed whose action is not known.
        Other = "other",
    }
);

crate::text_enum!(
    /// What was done to the entry's target.
    pub enum AuditAction {
        Created = "created",
        Changed = "changed",
        Deleted = "deleted",
        Moved = "moved",
        Revealed = "revealed",
        Rotated = "rotated",
        Revoked = "revoked",
        Requested = "requested",
        Cancelled = "cancelled",
        Synced = "synced",
        TornDown = "torn_down",
        Succeeded = "succeeded",
        Failed = "failed",
        Refused = "refused",
        Used = "used",
        Enabled = "enabled",
        Disabled = "disabled",
        PasswordReset = "password_reset",
        PasswordChanged = "password_changed",
        SignedOut = "signed_out",
        Other = "other",
    }
);

crate::text_enum!(
    /// What asked for a deployment, as the audit log tells it.
    pub enum DeployTrigger {
        /// The Deploy button, in a browser session.
        Ui = "ui",
        /// An API token (a server function or `/api/v1`).
        Api = "api",
        /// The CI/CD deploy route with the project's deploy key.
        Webhook = "webhook",
        /// A signed GitHub push.
        Github = "github",
    }
);

impl AuditKind {
    /// The kinds that are configuration changes ("who changed what, before → after").
    pub const CONFIGURATION: [AuditKind; 8] = [
        Self::Project,
        Self::Domain,
        Self::Resource,
        Self::Variable,
        Self::Service,
        Self::Worker,
        Self::Policy,
        Self::Settings,
    ];

    pub fn is_configuration(self) -> bool {
        Self::CONFIGURATION.contains(&self)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SignIn => "Sign-in",
            Self::SignInFailed => "Sign-in failure",
            Self::Project => "Project",
            Self::Domain => "Domain",
            Self::Resource => "Resource",
            Self::Variable => "Variable",
            Self::Service => "Service",
            Self::Worker => "Worker",
            Self::Policy => "Worker policy",
            Self::Settings => "Settings",
            Self::Certificate => "Certificate",
            Self::Deployment => "Deployment",
            Self::Token => "API token",
            Self::TokenUse => "Token use",
            Self::WebhookRefused => "Webhook refusal",
            Self::User => "User",
            Self::Role => "Role",
            Self::Other => "Other",
        }
    }
}

impl AuditAction {
    pub fn label(self) -> &'static str {
        match self {
            Self::TornDown => "torn down",
            Self::PasswordReset => "password reset",
            Self::PasswordChanged => "password changed",
            Self::SignedOut => "signed out everywhere",
            other => other.as_str(),
        }
    }
}

impl DeployTrigger {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ui => "UI",
            Self::Api => "API",
            Self::Webhook => "webhook",
            Self::Github => "GitHub",
        }
    }
}

/// One event to record: built by the service that did it, stamped with the time and
/// the acting user by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub kind: AuditKind,
    pub action: AuditAction,
    /// The thing acted on, in words: `shop/DATABASE_URL`, `worker local`, `alice`.
    pub target: String,
    pub project: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: Option<String>,
    pub trigger: Option<DeployTrigger>,
}

impl AuditEvent {
    pub fn new(kind: AuditKind, action: AuditAction, target: impl Into<String>) -> Self {
        Self {
            kind,
            action,
            target: target.into(),
            project: None,
            before: None,
            after: None,
            detail: None,
            trigger: None,
        }
    }

    /// The project the event belongs to (what the project filter matches).
    pub fn project(mut self, project: impl std::fmt::Display) -> Self {
        self.project = Some(project.to_string());
        self
    }

    /// Before → after; `None` where there was nothing (a creation, a deletion).
    pub fn change(mut self, before: Option<String>, after: Option<String>) -> Self {
        self.before = before;
        self.after = after;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn trigger(mut self, trigger: DeployTrigger) -> Self {
        self.trigger = Some(trigger);
        self
    }
}

/// An entry as the audit page and the export show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// When it happened (the first of an aggregated entry's events).
    pub at: String,
    /// Who did it; `None` for the command line, a deploy key or GitHub.
    pub user: Option<String>,
    pub kind: AuditKind,
    pub action: AuditAction,
    pub target: String,
    pub project: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: Option<String>,
    pub trigger: Option<DeployTrigger>,
    /// How many events the entry stands for (webhook refusals of one minute); 1 otherwise.
    pub count: i64,
}

/// A page of entries, newest first; `next_before` continues with older ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_before: Option<i64>,
}

/// A variable's value as the audit log shows it: a plain value is always the mask
/// (never its text, nor its length); a reference is its kind and what it points at
/// (`label`, e.g. `shop.example.com/api (api)`).
pub fn describe_value(value: &VariableValue, label: Option<&str>) -> String {
    match value {
        VariableValue::Plain(_) => format!("plain {MASK}"),
        VariableValue::Reference(reference) => describe_reference(reference, label),
    }
}

fn describe_reference(reference: &Reference, label: Option<&str>) -> String {
    match (reference.target_id(), label) {
        (None, _) => reference.kind().to_owned(),
        (Some(_), Some(label)) => format!("{} → {label}", reference.kind()),
        (Some(id), None) => format!("{} → #{id} (missing)", reference.kind()),
    }
}

/// The fields that differ between two descriptions of the same thing, as
/// `name: value` lines: what a configuration change's before → after shows.
/// `None` on both sides when nothing changed.
pub fn changed_fields(before: &[(&str, String)], after: &[(&str, String)]) -> (Option<String>, Option<String>) {
    let mut old = Vec::new();
    let mut new = Vec::new();
    for (name, value) in after {
        let previous = before.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if previous != Some(value) {
            if let Some(previous) = previous {
                old.push(format!("{name}: {previous}"));
            }
            new.push(format!("{name}: {value}"));
        }
    }
    for (name, value) in before {
        if !after.iter().any(|(n, _)| n == name) {
            old.push(format!("{name}: {value}"));
        }
    }
    let join = |lines: Vec<String>| (!lines.is_empty()).then(|| lines.join("\n"));
    (join(old), join(new))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_word_round_trips_and_words_are_distinct() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(*kind));
            assert_eq!(serde_json::to_string(kind).unwrap(), format!("\"{}\"", kind.as_str()));
        }
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), *action);
            assert!(!action.label().is_empty());
        }
        for trigger in DeployTrigger::ALL {
            assert_eq!(DeployTrigger::parse(trigger.as_str()), Some(*trigger));
        }
        let words: std::collections::BTreeSet<_> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(words.len(), AuditKind::ALL.len());
        assert_eq!(AuditKind::parse("user.sign_in"), None, "the old dotted actions are not kinds");
    }

    #[test]
    fn configuration_kinds_are_the_eight_configured_things() {
        let configuration: Vec<_> =
            AuditKind::ALL.iter().filter(|k| k.is_configuration()).map(|k| k.as_str()).collect();
        assert_eq!(
            configuration,
            ["project", "domain", "resource", "variable", "service", "worker", "policy", "settings"]
        );
        assert!(!AuditKind::SignIn.is_configuration() && !AuditKind::Deployment.is_configuration());
    }

    #[test]
    fn a_secret_value_is_never_described() {
        let secret = VariableValue::Plain("hunter2-secret".into());
        let shown = describe_value(&secret, Some("ignored"));
        assert_eq!(shown, format!("plain {MASK}"));
        assert!(!shown.contains("hunter2"));
        assert_eq!(describe_value(&VariableValue::Plain(String::new()), None), shown, "not even its length");
        let port = VariableValue::Reference(Reference::Port { resource: 7 });
        assert_eq!(describe_value(&port, Some("shop.example.com/api (api)")), "port → shop.example.com/api (api)");
        assert_eq!(describe_value(&port, None), "port → #7 (missing)");
        assert_eq!(describe_value(&VariableValue::Reference(Reference::Volume), None), "volume");
    }

    #[test]
    fn changed_fields_show_only_what_changed() {
        let before = [("branch", "main".to_owned()), ("worker", "local".to_owned()), ("old", "x".to_owned())];
        let after = [("branch", "dev".to_owned()), ("worker", "local".to_owned()), ("new", "y".to_owned())];
        let (old, new) = changed_fields(&before, &after);
        assert_eq!(old.as_deref(), Some("branch: main\nold: x"));
        assert_eq!(new.as_deref(), Some("branch: dev\nnew: y"));
        assert_eq!(changed_fields(&before, &before), (None, None));
    }

    #[test]
    fn events_are_built_in_steps() {
        let event = AuditEvent::new(AuditKind::Deployment, AuditAction::Requested, "shop #3")
            .project("shop")
            .trigger(DeployTrigger::Github)
            .detail("push");
        assert_eq!(event.project.as_deref(), Some("shop"));
        assert_eq!(event.trigger, Some(DeployTrigger::Github));
        assert_eq!((event.before, event.after), (None, None));
    }
}
