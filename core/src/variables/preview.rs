//! The `.env` preview the Environment tab shows while editing.

use super::{parse_resource_key, resolve, PortLeases, ResolveError, Variable};
use crate::domain::Topology;
use crate::env::{render_dotenv, ComposeDialect, EnvError};
use crate::protocol::JobValue;

/// What a secret is shown as (the same mask as `DeployReport::env_masked`).
pub const SECRET_MASK: &str = "********";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// The variables cannot be deployed as they are; the editor shows these per row.
    #[error("{} variable(s) cannot be resolved", .0.len())]
    Resolve(Vec<ResolveError>),
    #[error(transparent)]
    Env(#[from] EnvError),
}

/// The `.env` a deploy would write, rendered by the same code, with secrets masked and
/// worker-side values as placeholders: `<port for example.com/api>`,
/// `<directory for example.com/app>`, `<volume directory>`, `<worker node id>`.
pub fn preview_dotenv(
    variables: &[Variable],
    topology: &Topology,
    dialect: ComposeDialect,
) -> Result<String, PreviewError> {
    let resolution = resolve(variables, topology, &PortLeases::default()).map_err(PreviewError::Resolve)?;
    let label = |key: &str| match parse_resource_key(key) {
        Some(id) => topology.label(id),
        None => key.to_owned(),
    };
    let shown: Vec<_> = resolution
        .variables
        .into_iter()
        .map(|variable| {
            let text = match variable.value {
                JobValue::Text { secret: true, .. } => SECRET_MASK.to_owned(),
                JobValue::Text { text, secret: false } => text,
                JobValue::Volume => "<volume directory>".to_owned(),
                JobValue::Directory { resource } => format!("<directory for {}>", label(&resource)),
                JobValue::Port { resource, .. } => format!("<port for {}>", label(&resource)),
                JobValue::WorkerNodeId => "<worker node id>".to_owned(),
            };
            (variable.name, text)
        })
        .collect();
    Ok(render_dotenv(&shown, dialect)?)
}
