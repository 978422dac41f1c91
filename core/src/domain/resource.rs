//! What a resource is: a path on a domain and one of four types.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ApiTimeout, BodySize, CorsOrigin, CustomBody, RedirectTarget, ResourcePath};

/// A validated resource, without its ids (see [`super::Topology`] for those).
///
/// JSON: `{"path": "/api", "kind": {"type": "api", "websocket": true, "timeout_secs": 60,
/// "max_body": "10m"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceConfig {
    pub path: ResourcePath,
    pub kind: ResourceKind,
}

impl ResourceConfig {
    /// Custom resources hold raw nginx configuration: only an admin may create or
    /// change one. The server enforces this; the UI uses it to offer the type.
    pub fn requires_admin(&self) -> bool {
        self.kind.resource_type() == ResourceType::Custom
    }
}

/// A resource's type and its options. Omitted options take their defaults when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResourceKind {
    /// Static Page: serves the resource's `Directory`.
    Static {
        /// Unknown paths fall back to this resource's `index.html`.
        #[serde(default)]
        spa: bool,
        /// Origins sent `Access-Control-Allow-Origin`; empty: no CORS headers.
        #[serde(default)]
        cors_origins: Vec<CorsOrigin>,
    },
    /// API Service: reverse-proxies to the resource's `Port` on the project's worker.
    Api {
        #[serde(default)]
        websocket: bool,
        #[serde(default)]
        timeout_secs: ApiTimeout,
        #[serde(default)]
        max_body: BodySize,
    },
    /// Redirect Link: `302` to `target`.
    Redirect { target: RedirectTarget },
    /// Custom: an nginx `location` body, admin only.
    Custom { body: CustomBody },
}

impl ResourceKind {
    pub fn resource_type(&self) -> ResourceType {
        match self {
            Self::Static { .. } => ResourceType::Static,
            Self::Api { .. } => ResourceType::Api,
            Self::Redirect { .. } => ResourceType::Redirect,
            Self::Custom { .. } => ResourceType::Custom,
        }
    }
}

/// The four resource types, without options: for messages, menus and the form's
/// `kind` field (`static`, `api`, `redirect`, `custom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ResourceType {
    Static,
    Api,
    Redirect,
    Custom,
}

impl ResourceType {
    pub const ALL: [ResourceType; 4] = [Self::Static, Self::Api, Self::Redirect, Self::Custom];

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Api => "api",
            Self::Redirect => "redirect",
            Self::Custom => "custom",
        }
    }

    pub fn from_form(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// The name users see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Static => "Static Page",
            Self::Api => "API Service",
            Self::Redirect => "Redirect Link",
            Self::Custom => "Custom",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
