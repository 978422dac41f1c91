//! Domains and resources: what a project publishes through the edge.
//!
//! Vocabulary, since "domain" is an overloaded word: here a **Domain** is a hostname
//! owned by a project (at most one project per hostname), and a **Resource** is a path
//! on one of its domains served in one of four ways (Static Page, API Service, Redirect
//! Link, Custom). This module is not about "domain model" in general.
//!
//! Every value here can be placed verbatim into nginx configuration, a URL and a
//! `.env` file: the rules are strict on purpose, and each type documents its own.
//! Forms ([`DomainForm`], [`ResourceForm`]) take strings as typed and give typed
//! values or errors keyed by input name; [`Topology`] holds a project's saved domains
//! and resources with the checks that span several of them.

mod custom;
mod form;
mod hostname;
mod ids;
mod options;
mod path;
mod resource;
mod topology;

pub use form::{DomainForm, ResourceForm};
pub use hostname::{Hostname, MAX_HOSTNAME_LEN, MAX_LABEL_LEN};
pub use ids::{parse_resource_key, resource_key, DomainId, ResourceId};
pub use options::{
    parse_cors_origins, ApiTimeout, BodySize, CorsOrigin, CustomBody, RedirectTarget, DEFAULT_API_TIMEOUT_SECS,
    MAX_API_TIMEOUT_SECS, MAX_BODY_BYTES, MAX_CUSTOM_BODY_LEN, MAX_TARGET_LEN,
};
pub use path::{ResourcePath, MAX_PATH_LEN};
pub use resource::{ResourceConfig, ResourceKind, ResourceType};
pub use topology::{DomainEntry, DuplicatePath, ResourceEntry, Topology, TopologyError};

#[cfg(test)]
mod tests;
