//! A variable as the Environment tab edits it: a name and a plain value or a reference.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::env::EnvName;
use crate::validation::{FieldError, FieldErrors};

/// Longest plain value accepted: room for keys and certificates, not for files.
pub const MAX_PLAIN_LEN: usize = 64 * 1024;

/// A variable of the project's `.env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub name: EnvName,
    pub value: VariableValue,
}

/// JSON: `{"kind": "plain", "value": "s3cret"}` or
/// `{"kind": "reference", "value": {"type": "port", "resource": 7}}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum VariableValue {
    /// A secret, stored encrypted; any text without NUL, written to `.env` exactly.
    Plain(String),
    Reference(Reference),
}

/// Secrets stay out of logs and panic messages.
impl fmt::Debug for VariableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(_) => f.write_str("Plain(********)"),
            Self::Reference(reference) => f.debug_tuple("Reference").field(reference).finish(),
        }
    }
}

/// A value NSM computes at deploy time, pointing at ids (never at names, so renaming a
/// domain or moving a resource keeps the reference right).
///
/// JSON: `{"type": "worker_node_id"}`, `{"type": "volume"}`, `{"type": "domain",
/// "domain": 3}`, `{"type": "url" | "path" | "directory" | "port" | "target",
/// "resource": 7}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reference {
    /// The id of the project's worker.
    WorkerNodeId,
    /// `<worker data dir>/projects/<project>/volume`, kept across deploys.
    Volume,
    /// The bare hostname.
    Domain { domain: i64 },
    /// `https://<hostname><path>`.
    Url { resource: i64 },
    /// The resource's path.
    Path { resource: i64 },
    /// A Static Page's directory on the worker, recreated on every deploy.
    Directory { resource: i64 },
    /// An API Service's leased port on the worker.
    Port { resource: i64 },
    /// A Redirect Link's target.
    Target { resource: i64 },
}

/// The reference types without their ids: the form's `kind` values besides `plain`.
pub const REFERENCE_KINDS: [&str; 8] =
    ["worker_node_id", "volume", "domain", "url", "path", "directory", "port", "target"];

impl Reference {
    /// The form's `kind` value.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WorkerNodeId => "worker_node_id",
            Self::Volume => "volume",
            Self::Domain { .. } => "domain",
            Self::Url { .. } => "url",
            Self::Path { .. } => "path",
            Self::Directory { .. } => "directory",
            Self::Port { .. } => "port",
            Self::Target { .. } => "target",
        }
    }

    /// The domain or resource id pointed at, if any.
    pub fn target_id(&self) -> Option<i64> {
        match *self {
            Self::WorkerNodeId | Self::Volume => None,
            Self::Domain { domain } => Some(domain),
            Self::Url { resource }
            | Self::Path { resource }
            | Self::Directory { resource }
            | Self::Port { resource }
            | Self::Target { resource } => Some(resource),
        }
    }

    fn from_form(kind: &str, id: Option<i64>) -> Option<Self> {
        Some(match (kind, id) {
            ("worker_node_id", _) => Self::WorkerNodeId,
            ("volume", _) => Self::Volume,
            ("domain", Some(domain)) => Self::Domain { domain },
            ("url", Some(resource)) => Self::Url { resource },
            ("path", Some(resource)) => Self::Path { resource },
            ("directory", Some(resource)) => Self::Directory { resource },
            ("port", Some(resource)) => Self::Port { resource },
            ("target", Some(resource)) => Self::Target { resource },
            _ => return None,
        })
    }
}

/// Checks a plain value: any text up to 64 KiB without NUL, which no environment
/// variable can hold. Everything else reaches `.env` exactly (the renderer quotes it).
pub fn check_plain_value(value: &str) -> Result<(), FieldError> {
    if value.contains('\0') {
        return Err(FieldError::new("Value cannot contain a NUL character"));
    }
    if value.len() > MAX_PLAIN_LEN {
        return Err(FieldError::new("Value must be at most 64 KiB"));
    }
    Ok(())
}

/// The variable form as typed. Fields: `name`; `kind` (`plain` or one of
/// [`REFERENCE_KINDS`]); `value` for plain values (kept exactly, never trimmed);
/// `target_id`, the domain id (for `domain`) or resource id the reference points at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableForm {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub target_id: String,
}

impl VariableForm {
    /// Validates the form's shape. Whether the target exists and has the right type is
    /// checked against the project's topology by [`super::resolve`] (or
    /// [`super::check_reference`] for one row).
    pub fn validate(&self) -> Result<Variable, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", EnvName::parse(self.name.trim()));
        let value = match self.kind.trim() {
            "plain" => {
                errors.check("value", check_plain_value(&self.value)).map(|()| VariableValue::Plain(self.value.clone()))
            }
            kind if REFERENCE_KINDS.contains(&kind) => {
                let id = match self.target_id.trim() {
                    "" if matches!(kind, "worker_node_id" | "volume") => Some(None),
                    "" => {
                        let what = if kind == "domain" { "a domain" } else { "a resource" };
                        errors.add("target_id", FieldError::new(format!("Choose {what}")));
                        None
                    }
                    text => errors.check("target_id", parse_id(text)).map(Some),
                };
                id.and_then(|id| Reference::from_form(kind, id)).map(VariableValue::Reference)
            }
            _ => {
                errors.add("kind", FieldError::new("Choose a plain value or a reference type"));
                None
            }
        };
        match (name, value) {
            (Some(name), Some(value)) if errors.is_empty() => Ok(Variable { name, value }),
            _ => Err(errors),
        }
    }

    /// The form pre-filled from a saved variable.
    pub fn from_variable(variable: &Variable) -> Self {
        let (kind, value, target_id) = match &variable.value {
            VariableValue::Plain(value) => ("plain", value.clone(), String::new()),
            VariableValue::Reference(reference) => {
                (reference.kind(), String::new(), reference.target_id().map(|id| id.to_string()).unwrap_or_default())
            }
        };
        Self { name: variable.name.to_string(), kind: kind.to_owned(), value, target_id }
    }
}

fn parse_id(text: &str) -> Result<i64, FieldError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| FieldError::new("Invalid choice"))
}
