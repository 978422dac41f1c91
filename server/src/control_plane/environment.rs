//! The Environment tab's editor: its data, batched saves, reveal-all, `.env` export and
//! import (called by the `Variables` trait in `variables.rs`).

use app::backend::{VariableSave, Variables};
use app::error::{AppError, AppResult};
use app::model::CurrentUser;
use nsm_core::access::Permission;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::variables::{
    export_dotenv, import_changes, plan_import, EnvironmentChanges, EnvironmentView, ImportPlan, NewValue, PortLeases,
    SavedRow, SavedValue, Variable, VariableValue,
};
use nsm_core::{FieldError, FieldErrors, ProjectId};

use super::Plane;
use crate::db;
use crate::deploy::spec;
use crate::error::internal;

impl Plane {
    async fn saved_variables(&self, id: &ProjectId) -> AppResult<Vec<Variable>> {
        spec::variables(&self.deployer, id.as_str()).await.map_err(internal)
    }

    /// The saved variables as the editor starts from them (plain values only as
    /// empty or not), each with whether the last sync found it unused.
    pub(super) async fn saved_rows(&self, id: &ProjectId) -> AppResult<Vec<SavedRow>> {
        let unused: std::collections::HashSet<String> = db::variables::list_variables(&self.db, id.as_str())
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|r| r.unused)
            .map(|r| r.name)
            .collect();
        Ok(self
            .saved_variables(id)
            .await?
            .into_iter()
            .map(|v| SavedRow {
                unused: unused.contains(v.name.as_str()),
                value: match &v.value {
                    VariableValue::Plain(value) => SavedValue::Secret { empty: value.is_empty() },
                    VariableValue::Reference(reference) => SavedValue::Reference { reference: *reference },
                },
                name: v.name,
            })
            .collect())
    }

    pub(super) async fn environment_view(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<EnvironmentView> {
        let project = match db::projects::get_project(&self.db, id).await.map_err(internal)? {
            Some(row) => row.config,
            None => return Err(AppError::NotFound(format!("Project {id}"))),
        };
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        let rows = self.saved_rows(id).await?;
        let own: Vec<i64> = topology.resources.iter().map(|r| r.id).collect();
        let pairs = db::domains::leases_on(&self.db, project.worker.as_str()).await.map_err(internal)?;
        let leases = PortLeases::from_pairs(pairs.into_iter().filter(|(r, _)| own.contains(r))).map_err(internal)?;
        Ok(EnvironmentView {
            rows,
            topology,
            leases,
            worker: project.worker.to_string(),
            can_edit: by.may(Permission::Edit),
            can_reveal: by.may(Permission::Admin),
        })
    }

    pub(super) async fn reveal_all(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<Vec<(String, String)>> {
        self.require_project(id).await?;
        let values: Vec<(String, String)> = self
            .saved_variables(id)
            .await?
            .into_iter()
            .filter_map(|v| match v.value {
                VariableValue::Plain(value) => Some((v.name.to_string(), value)),
                VariableValue::Reference(_) => None,
            })
            .collect();
        let event = AuditEvent::new(AuditKind::Variable, AuditAction::Revealed, format!("{id}/*"))
            .project(id)
            .detail(format!("all {} plain values", values.len()));
        self.audit(by, event).await?;
        Ok(values)
    }

    /// Checks every change first, then writes them one by one (each audited as a
    /// variable change): renames, then the other writes, then deletions.
    pub(super) async fn apply_environment(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        changes: EnvironmentChanges,
    ) -> AppResult<()> {
        self.require_project(id).await?;
        let saved = self.saved_variables(id).await?;
        let kinds: Vec<_> =
            saved.iter().map(|v| (v.name.clone(), matches!(v.value, VariableValue::Plain(_)))).collect();
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        if let Err(errors) = changes.check(&kinds, &topology) {
            let mut fields = FieldErrors::new();
            for error in errors {
                fields.add(error.variable().as_str(), FieldError::new(error.to_string()));
            }
            return Err(AppError::Invalid(fields));
        }
        let EnvironmentChanges { set, delete } = changes;
        for name in &delete {
            self.delete_variable(by, id, name.as_str()).await?;
        }
        let (renames, others): (Vec<_>, Vec<_>) =
            set.into_iter().partition(|s| s.original.as_ref().is_some_and(|o| o != &s.name));
        for change in renames.into_iter().chain(others) {
            let value = match change.value {
                NewValue::Plain(value) => VariableValue::Plain(value),
                NewValue::Reference(reference) => VariableValue::Reference(reference),
                NewValue::Keep => {
                    let original = change.original.as_ref().unwrap_or(&change.name);
                    match saved.iter().find(|v| &v.name == original) {
                        Some(v) => v.value.clone(),
                        None => return Err(AppError::NotFound(format!("Variable {original}"))),
                    }
                }
            };
            let save = VariableSave {
                original: change.original.map(|o| o.to_string()),
                variable: Variable { name: change.name, value },
            };
            self.save_variable(by, id, save).await?;
        }
        Ok(())
    }

    pub(super) async fn dotenv_export(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        with_secrets: bool,
    ) -> AppResult<String> {
        if with_secrets && !by.may(Permission::Admin) {
            return Err(AppError::Forbidden("Only an admin may export secret values".into()));
        }
        self.require_project(id).await?;
        let variables = self.saved_variables(id).await?;
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        let text = export_dotenv(id.as_str(), &variables, &topology, with_secrets).map_err(internal)?;
        if with_secrets {
            let event = AuditEvent::new(AuditKind::Variable, AuditAction::Revealed, format!("{id}/*"))
                .project(id)
                .detail("exported as .env with secret values");
            self.audit(by, event).await?;
        }
        Ok(text)
    }

    pub(super) async fn dotenv_plan(&self, id: &ProjectId, text: &str) -> AppResult<ImportPlan> {
        self.require_project(id).await?;
        let saved = self.saved_variables(id).await?;
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        let (plan, _) = plan_import(&saved, text, &topology).map_err(|e| crate::error::field("text", e.to_string()))?;
        Ok(plan)
    }

    pub(super) async fn dotenv_apply(&self, by: &CurrentUser, id: &ProjectId, text: &str) -> AppResult<ImportPlan> {
        self.require_project(id).await?;
        let saved = self.saved_variables(id).await?;
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        let (plan, parsed) =
            plan_import(&saved, text, &topology).map_err(|e| crate::error::field("text", e.to_string()))?;
        self.apply_environment(by, id, import_changes(&plan, &parsed, &saved)).await?;
        Ok(plan)
    }
}
