//! The Domain and Resource forms as a browser submits them.

use serde::{Deserialize, Serialize};

use super::{
    parse_cors_origins, ApiTimeout, BodySize, CustomBody, Hostname, RedirectTarget, ResourceConfig, ResourceKind,
    ResourcePath, ResourceType,
};
use crate::validation::{FieldError, FieldErrors};

/// The Domain form: one field, `hostname`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainForm {
    pub hostname: String,
}

impl DomainForm {
    pub fn validate(&self) -> Result<Hostname, FieldErrors> {
        let mut errors = FieldErrors::new();
        errors.check("hostname", Hostname::parse(self.hostname.trim())).ok_or(errors)
    }
}

/// The Resource form: every field a string, named as the form's inputs. Only the
/// fields of the chosen `kind` are read; the others are ignored, so switching type in
/// the UI need not clear them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceForm {
    pub path: String,
    /// `static`, `api`, `redirect` or `custom`.
    pub kind: String,
    /// Checkbox semantics: present (any value) means on.
    #[serde(default)]
    pub spa: Option<String>,
    /// Origins separated by spaces, commas or line breaks; or `*`.
    #[serde(default)]
    pub cors_origins: String,
    #[serde(default)]
    pub websocket: Option<String>,
    /// Seconds; empty means 60.
    #[serde(default)]
    pub timeout_secs: String,
    /// Like `10m`; empty means 10m.
    #[serde(default)]
    pub max_body: String,
    #[serde(default)]
    pub target: String,
    /// Not trimmed: the admin's text is kept as written.
    #[serde(default)]
    pub body: String,
}

impl ResourceForm {
    /// Validates every field of the chosen type, collecting all errors at once.
    pub fn validate(&self) -> Result<ResourceConfig, FieldErrors> {
        let mut errors = FieldErrors::new();
        let path = errors.check("path", ResourcePath::parse(self.path.trim()));
        let kind = match ResourceType::from_form(self.kind.trim()) {
            Some(resource_type) => self.kind(resource_type, &mut errors),
            None => {
                errors.add("kind", FieldError::new("Choose a type: Static Page, API Service, Redirect Link or Custom"));
                None
            }
        };
        match (path, kind) {
            (Some(path), Some(kind)) if errors.is_empty() => Ok(ResourceConfig { path, kind }),
            _ => Err(errors),
        }
    }

    fn kind(&self, resource_type: ResourceType, errors: &mut FieldErrors) -> Option<ResourceKind> {
        match resource_type {
            ResourceType::Static => {
                let cors_origins = errors.check("cors_origins", parse_cors_origins(&self.cors_origins))?;
                Some(ResourceKind::Static { spa: self.spa.is_some(), cors_origins })
            }
            ResourceType::Api => {
                let timeout_secs = errors.check("timeout_secs", ApiTimeout::parse(&self.timeout_secs));
                let max_body = errors.check("max_body", BodySize::parse(&self.max_body));
                Some(ResourceKind::Api {
                    websocket: self.websocket.is_some(),
                    timeout_secs: timeout_secs?,
                    max_body: max_body?,
                })
            }
            ResourceType::Redirect => {
                let target = errors.check("target", RedirectTarget::parse(self.target.trim()))?;
                Some(ResourceKind::Redirect { target })
            }
            ResourceType::Custom => {
                let body = errors.check("body", CustomBody::parse(&self.body))?;
                Some(ResourceKind::Custom { body })
            }
        }
    }

    /// The form pre-filled from a saved resource (for editing).
    pub fn from_config(config: &ResourceConfig) -> Self {
        let mut form = Self {
            path: config.path.to_string(),
            kind: config.kind.resource_type().as_str().to_owned(),
            ..Self::default()
        };
        match &config.kind {
            ResourceKind::Static { spa, cors_origins } => {
                form.spa = spa.then(|| "on".to_owned());
                form.cors_origins = cors_origins.iter().map(|o| o.as_str()).collect::<Vec<_>>().join("\n");
            }
            ResourceKind::Api { websocket, timeout_secs, max_body } => {
                form.websocket = websocket.then(|| "on".to_owned());
                form.timeout_secs = timeout_secs.secs().to_string();
                form.max_body = max_body.to_string();
            }
            ResourceKind::Redirect { target } => form.target = target.to_string(),
            ResourceKind::Custom { body } => form.body = body.to_string(),
        }
        form
    }
}
