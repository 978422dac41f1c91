//! Configuration as code: exporting a project as one TOML file and importing one, as
//! a new project or into an existing one after its plan was shown (called by the
//! `Projects` trait in `projects.rs`). Every change goes through the same services as
//! the UI's forms, so each is validated, authorised and audited as if made by hand.

use app::backend::{Deployments, Domains, Projects, ResourceSave, ServiceUpdate, VariableSave, Variables};
use app::error::{AppError, AppResult};
use app::model::CurrentUser;
use nsm_core::access::Permission;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::config_file::{config_changes, ConfigError, ConfigFile, ConfigPlan, ServiceSetting};
use nsm_core::domain::{DomainId, ResourceId, Topology};
use nsm_core::variables::{Variable, VariableValue};
use nsm_core::ProjectId;
use sha2::{Digest, Sha256};

use super::Plane;
use crate::db;
use crate::deploy::spec;
use crate::error::{field, internal};

/// The base of a plan for a new project.
const NEW_PROJECT_BASE: &str = "new";

fn invalid(errors: Vec<ConfigError>) -> AppError {
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    field("text", list.join("; "))
}

impl Plane {
    /// The project's configuration now, secrets included (for plans) or not.
    async fn current_config(&self, id: &ProjectId, with_secrets: bool) -> AppResult<ConfigFile> {
        let project = match db::projects::get_project(&self.db, id).await.map_err(internal)? {
            Some(row) => row.config,
            None => return Err(AppError::NotFound(format!("Project {id}"))),
        };
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        let variables = spec::variables(&self.deployer, id.as_str()).await.map_err(internal)?;
        let services: Vec<ServiceSetting> = db::services::list_services(&self.db, id.as_str())
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|s| !s.missing)
            .map(|s| ServiceSetting { name: s.name, expected: s.expected, collect_logs: s.collect_logs })
            .collect();
        ConfigFile::export(&project, &topology, &variables, &services, with_secrets)
            .map_err(|e| AppError::Conflict(e.to_string()))
    }

    async fn base_of(&self, into: Option<&ProjectId>) -> AppResult<String> {
        let Some(id) = into else { return Ok(NEW_PROJECT_BASE.to_owned()) };
        let text = self.current_config(id, true).await?.to_toml().map_err(internal)?;
        Ok(hex::encode(Sha256::digest(text.as_bytes())))
    }

    pub(super) async fn config_export(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        with_secrets: bool,
    ) -> AppResult<String> {
        if with_secrets && !by.may(Permission::Admin) {
            return Err(AppError::Forbidden("Only an admin may export secret values".into()));
        }
        let text = self.current_config(id, with_secrets).await?.to_toml().map_err(internal)?;
        if with_secrets {
            let event = AuditEvent::new(AuditKind::Variable, AuditAction::Revealed, format!("{id}/*"))
                .project(id)
                .detail("exported in the configuration file with secret values");
            self.audit(by, event).await?;
        }
        Ok(text)
    }

    pub(super) async fn config_plan(
        &self,
        into: Option<&ProjectId>,
        text: &str,
    ) -> AppResult<(ConfigPlan, ConfigFile)> {
        let file = ConfigFile::from_toml(text).map_err(invalid)?;
        let (project, changes) = match into {
            Some(id) => (id.clone(), config_changes(&self.current_config(id, true).await?, &file)),
            None => {
                if db::projects::get_project(&self.db, &file.project.id).await.map_err(internal)?.is_some() {
                    return Err(field(
                        "text",
                        format!("Project {} already exists: import into it instead", file.project.id),
                    ));
                }
                let empty = ConfigFile { domains: vec![], variables: vec![], services: vec![], ..file.clone() };
                let mut changes = config_changes(&empty, &file);
                changes.retain(|c| c.what != "project");
                (file.project.id.clone(), changes)
            }
        };
        for domain in &file.domains {
            if let Some(owner) = db::edge::project_of(&self.db, &domain.hostname).await.map_err(internal)? {
                if Some(&owner) != into {
                    return Err(field("text", format!("{} belongs to project {owner}", domain.hostname)));
                }
            }
        }
        let base = self.base_of(into).await?;
        Ok((ConfigPlan { project, new_project: into.is_none(), changes, base }, file))
    }

    pub(super) async fn config_apply(
        &self,
        by: &CurrentUser,
        into: Option<&ProjectId>,
        text: &str,
        base: &str,
    ) -> AppResult<ProjectId> {
        let (plan, file) = self.config_plan(into, text).await?;
        if plan.base != base {
            return Err(AppError::Conflict(
                "The project changed since this plan was made: review the differences again".into(),
            ));
        }
        let id = plan.project.clone();
        match into {
            None => self.create_project(by, file.project_config(id.clone())).await?,
            Some(_) => {
                let current = db::projects::get_project(&self.db, &id).await.map_err(internal)?.map(|r| r.config);
                let wanted = file.project_config(id.clone());
                if current.as_ref() != Some(&wanted) {
                    self.update_project(by, &id, wanted).await?;
                }
            }
        }
        self.apply_domains(by, &id, &file).await?;
        self.apply_variables(by, &id, &file, into.is_none()).await?;
        self.remove_extra_domains(by, &id, &file).await?;
        self.apply_services(by, &id, &file).await?;
        Ok(id)
    }

    async fn topology_of(&self, id: &ProjectId) -> AppResult<Topology> {
        db::domains::topology(&self.db, id.as_str()).await.map_err(internal)
    }

    /// Adds the file's domains and resources, and changes those that differ.
    async fn apply_domains(&self, by: &CurrentUser, id: &ProjectId, file: &ConfigFile) -> AppResult<()> {
        for domain in &file.domains {
            let mut topology = self.topology_of(id).await?;
            if !topology.domains.iter().any(|d| d.hostname == domain.hostname) {
                self.add_domain(by, id, domain.hostname.clone()).await?;
                topology = self.topology_of(id).await?;
            }
            let Some(entry) = topology.domains.iter().find(|d| d.hostname == domain.hostname).cloned() else {
                return Err(internal(format!("domain {} was not added", domain.hostname)));
            };
            if entry.hsts != domain.hsts {
                self.set_domain_hsts(by, id, DomainId::from(entry.id), domain.hsts).await?;
            }
            let existing: Vec<_> = topology.resources_on(entry.id).cloned().collect();
            for config in &domain.resources {
                let key = config.path.location_key();
                let found = existing.iter().find(|r| r.config.path.location_key() == key);
                if found.is_some_and(|r| &r.config == config) {
                    continue;
                }
                let save = ResourceSave {
                    domain: DomainId::from(entry.id),
                    resource: found.map(|r| ResourceId::from(r.id)),
                    config: config.clone(),
                };
                self.save_resource(by, id, save).await?;
            }
        }
        Ok(())
    }

    /// Sets the file's variables against the project's topology now; removes the others.
    /// A secret the file does not carry keeps its value (a new project: empty).
    async fn apply_variables(&self, by: &CurrentUser, id: &ProjectId, file: &ConfigFile, new: bool) -> AppResult<()> {
        let topology = self.topology_of(id).await?;
        let saved = spec::variables(&self.deployer, id.as_str()).await.map_err(internal)?;
        for section in &file.variables {
            let value =
                section.value(&topology).map_err(|m| field("text", format!("variable {}: {m}", section.name)))?;
            let existing = saved.iter().find(|v| v.name == section.name);
            let value = match (value, existing) {
                (Some(value), _) => value,
                (None, Some(Variable { value: value @ VariableValue::Plain(_), .. })) if !new => value.clone(),
                (None, _) => VariableValue::Plain(String::new()),
            };
            if existing.is_some_and(|v| v.value == value) {
                continue;
            }
            let save = VariableSave {
                original: existing.map(|v| v.name.to_string()),
                variable: Variable { name: section.name.clone(), value },
            };
            self.save_variable(by, id, save).await?;
        }
        for variable in saved.iter().filter(|v| !file.variables.iter().any(|s| s.name == v.name)) {
            self.delete_variable(by, id, variable.name.as_str()).await?;
        }
        Ok(())
    }

    /// Removes the resources and domains the file does not list (after the variables
    /// stopped pointing at them).
    async fn remove_extra_domains(&self, by: &CurrentUser, id: &ProjectId, file: &ConfigFile) -> AppResult<()> {
        let topology = self.topology_of(id).await?;
        for domain in &topology.domains {
            let Some(wanted) = file.domains.iter().find(|d| d.hostname == domain.hostname) else {
                self.remove_domain(by, id, DomainId::from(domain.id)).await?;
                continue;
            };
            for resource in topology.resources_on(domain.id) {
                let key = resource.config.path.location_key();
                if !wanted.resources.iter().any(|r| r.path.location_key() == key) {
                    self.delete_resource(by, id, ResourceId::from(resource.id)).await?;
                }
            }
        }
        Ok(())
    }

    /// The file's services' expected states; a service the project does not know yet
    /// (a new project before its first sync) is added, as a sync would.
    async fn apply_services(&self, by: &CurrentUser, id: &ProjectId, file: &ConfigFile) -> AppResult<()> {
        let known = db::services::list_services(&self.db, id.as_str()).await.map_err(internal)?;
        let missing: Vec<String> =
            file.services.iter().filter(|s| !known.iter().any(|k| k.name == s.name)).map(|s| s.name.clone()).collect();
        if !missing.is_empty() {
            let mut all: Vec<String> = known.iter().filter(|k| !k.missing).map(|k| k.name.clone()).collect();
            all.extend(missing);
            db::services::reconcile(&self.db, id.as_str(), &all).await.map_err(internal)?;
        }
        for service in &file.services {
            let same = known.iter().any(|k| {
                k.name == service.name && k.expected == service.expected && k.collect_logs == service.collect_logs
            });
            if !same {
                let update = ServiceUpdate {
                    service: service.name.clone(),
                    expected: service.expected,
                    collect_logs: service.collect_logs,
                };
                self.update_service(by, id, update).await?;
            }
        }
        Ok(())
    }
}
