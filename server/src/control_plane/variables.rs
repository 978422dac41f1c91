//! The Environment tab: variables (plain values sealed at rest) and references.

use app::backend::{VariableSave, Variables};
use app::error::{AppError, AppResult};
use app::model::{CurrentUser, ReferenceTarget, TargetKind, VariableView};
use async_trait::async_trait;
use nsm_core::audit::{changed_fields, describe_value, AuditAction, AuditEvent, AuditKind};
use nsm_core::domain::Topology;
use nsm_core::variables::{
    check_reference, EnvironmentChanges, EnvironmentView, ImportPlan, Reference, Variable, VariableValue,
};
use nsm_core::ProjectId;

use super::Plane;
use crate::db;
use crate::deploy::spec;
use crate::error::{field, internal};

fn resource_label(topology: &Topology, resource: i64) -> Option<String> {
    let entry = topology.resource(resource)?;
    let domain = topology.domain(entry.domain_id)?;
    Some(format!("{}{} ({})", domain.hostname, entry.path(), entry.config.kind.resource_type()))
}

/// What a reference points at, in words (a hostname or a resource).
fn reference_label(topology: &Topology, reference: &Reference) -> Option<String> {
    let target = reference.target_id()?;
    match reference {
        Reference::Domain { .. } => topology.domain(target).map(|d| d.hostname.to_string()),
        _ => resource_label(topology, target),
    }
}

/// A variable as the audit log shows it: its name and its value masked, or the
/// reference; `changed` marks a plain value replaced by another (never which).
fn audit_fields(topology: &Topology, name: &str, value: &VariableValue, changed: bool) -> Vec<(&'static str, String)> {
    let label = match value {
        VariableValue::Reference(reference) => reference_label(topology, reference),
        VariableValue::Plain(_) => None,
    };
    let mut shown = describe_value(value, label.as_deref());
    if changed {
        shown.push_str(" (new value)");
    }
    vec![("name", name.to_owned()), ("value", shown)]
}

impl Plane {
    async fn topology(&self, id: &ProjectId) -> AppResult<Topology> {
        db::domains::topology(&self.db, id.as_str()).await.map_err(internal)
    }

    /// The stored variable `name` with its value, for the audit log's before. A
    /// stored variable that cannot be read must not stop the change that repairs it:
    /// the entry then has no before.
    async fn stored_variable(&self, id: &ProjectId, name: &str) -> AppResult<Option<Variable>> {
        match spec::variables(&self.deployer, id.as_str()).await {
            Ok(variables) => Ok(variables.into_iter().find(|v| v.name.as_str() == name)),
            Err(error) => {
                tracing::warn!(%error, project = %id, "the audit entry of a variable change has no before");
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl Variables for Plane {
    async fn list_variables(&self, id: &ProjectId) -> AppResult<Vec<VariableView>> {
        self.require_project(id).await?;
        let topology = self.topology(id).await?;
        let unused: std::collections::HashSet<String> = db::variables::list_variables(&self.db, id.as_str())
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|r| r.unused)
            .map(|r| r.name)
            .collect();
        let variables = spec::variables(&self.deployer, id.as_str()).await.map_err(internal)?;
        Ok(variables
            .into_iter()
            .map(|v| {
                let name = v.name.to_string();
                let unused = unused.contains(&name);
                match &v.value {
                    VariableValue::Plain(value) => VariableView {
                        name,
                        kind: "plain".into(),
                        target: None,
                        target_id: None,
                        error: None,
                        unused,
                        empty: value.is_empty(),
                    },
                    VariableValue::Reference(reference) => {
                        let target = reference_label(&topology, reference);
                        VariableView {
                            name,
                            kind: reference.kind().into(),
                            target,
                            target_id: reference.target_id(),
                            error: check_reference(&v.name, reference, &topology).err().map(|e| e.to_string()),
                            unused,
                            empty: false,
                        }
                    }
                }
            })
            .collect())
    }

    async fn list_reference_targets(&self, id: &ProjectId) -> AppResult<Vec<ReferenceTarget>> {
        self.require_project(id).await?;
        let topology = self.topology(id).await?;
        let domains = topology.domains.iter().map(|d| ReferenceTarget {
            kind: TargetKind::Domain,
            id: d.id,
            label: d.hostname.to_string(),
        });
        let resources = topology.resources.iter().filter_map(|r| {
            Some(ReferenceTarget {
                kind: TargetKind::of_resource(r.config.kind.resource_type()),
                id: r.id,
                label: resource_label(&topology, r.id)?,
            })
        });
        Ok(domains.chain(resources).collect())
    }

    async fn reveal_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<String> {
        let variables = spec::variables(&self.deployer, id.as_str()).await.map_err(internal)?;
        let value = variables.into_iter().find(|v| v.name.as_str() == name).map(|v| v.value);
        match value {
            Some(VariableValue::Plain(value)) => {
                let event =
                    AuditEvent::new(AuditKind::Variable, AuditAction::Revealed, format!("{id}/{name}")).project(id);
                self.audit(by, event).await?;
                Ok(value)
            }
            Some(VariableValue::Reference(_)) => Err(AppError::Conflict(format!("{name} is a reference, not a value"))),
            None => Err(AppError::NotFound(format!("Variable {name}"))),
        }
    }

    async fn save_variable(&self, by: &CurrentUser, id: &ProjectId, save: VariableSave) -> AppResult<()> {
        let VariableSave { original, variable } = save;
        let original = original.as_deref();
        self.require_project(id).await?;
        let existing = db::variables::names(&self.db, id.as_str()).await.map_err(internal)?;
        let name = variable.name.as_str();
        let previous = self.stored_variable(id, original.unwrap_or(name)).await?;
        // Without an original name this is "add or replace"; a rename must not
        // overwrite another variable.
        let renamed = original.is_some_and(|o| o != name);
        if renamed && existing.iter().any(|e| e == name) {
            return Err(field("name", format!("{name} already exists")));
        }
        if let Some(original) = original {
            if !existing.iter().any(|e| e == original) {
                return Err(AppError::NotFound(format!("Variable {original}")));
            }
        }
        let (kind, sealed, reference) = match &variable.value {
            VariableValue::Plain(value) => {
                let sealed = self.secrets.seal(value).map_err(internal)?;
                ("plain", Some(sealed), None)
            }
            VariableValue::Reference(reference) => {
                let topology = self.topology(id).await?;
                check_reference(&variable.name, reference, &topology).map_err(|e| field("target_id", e.to_string()))?;
                let json = serde_json::to_string(reference).map_err(internal)?;
                ("reference", None, Some(json))
            }
        };
        if let (Some(original), true) = (original, renamed) {
            db::variables::delete_variable(&self.db, id.as_str(), original).await.map_err(internal)?;
        }
        db::variables::save_variable(&self.db, id.as_str(), name, kind, sealed.as_deref(), reference.as_deref())
            .await
            .map_err(internal)?;
        // Values never reach the audit log: plain ones are masked, references named.
        let topology = self.topology(id).await?;
        let before = previous.as_ref().map(|p| audit_fields(&topology, p.name.as_str(), &p.value, false));
        let replaced = matches!(
            (previous.as_ref().map(|p| &p.value), &variable.value),
            (Some(VariableValue::Plain(old)), VariableValue::Plain(new)) if old != new
        );
        let after = audit_fields(&topology, name, &variable.value, replaced);
        let (before, after) = changed_fields(before.as_deref().unwrap_or_default(), &after);
        let replacing = existing.iter().any(|e| e == original.unwrap_or(name));
        let action = if replacing { AuditAction::Changed } else { AuditAction::Created };
        let mut event =
            AuditEvent::new(AuditKind::Variable, action, format!("{id}/{name}")).project(id).change(before, after);
        if replacing && event.after.is_none() {
            event = event.detail("saved unchanged");
        }
        self.audit(by, event).await
    }

    async fn delete_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<()> {
        let previous = self.stored_variable(id, name).await?;
        if !db::variables::delete_variable(&self.db, id.as_str(), name).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Variable {name}")));
        }
        let topology = self.topology(id).await?;
        let before = previous.map(|p| audit_fields(&topology, p.name.as_str(), &p.value, false));
        let (before, _) = changed_fields(before.as_deref().unwrap_or_default(), &[]);
        let event = AuditEvent::new(AuditKind::Variable, AuditAction::Deleted, format!("{id}/{name}"))
            .project(id)
            .change(before, None);
        self.audit(by, event).await
    }

    async fn get_environment(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<EnvironmentView> {
        self.environment_view(by, id).await
    }

    async fn reveal_environment(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<Vec<(String, String)>> {
        self.reveal_all(by, id).await
    }

    async fn save_environment(&self, by: &CurrentUser, id: &ProjectId, changes: EnvironmentChanges) -> AppResult<()> {
        self.apply_environment(by, id, changes).await
    }

    async fn export_dotenv(&self, by: &CurrentUser, id: &ProjectId, with_secrets: bool) -> AppResult<String> {
        self.dotenv_export(by, id, with_secrets).await
    }

    async fn plan_dotenv_import(&self, id: &ProjectId, text: &str) -> AppResult<ImportPlan> {
        self.dotenv_plan(id, text).await
    }

    async fn apply_dotenv_import(&self, by: &CurrentUser, id: &ProjectId, text: &str) -> AppResult<ImportPlan> {
        self.dotenv_apply(by, id, text).await
    }
}
