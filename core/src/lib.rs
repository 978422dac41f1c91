//! NSM's shared model: the nouns users configure, their validation, and (in later
//! modules) the renderers and the worker protocol. Pure logic only: no I/O, no Leptos,
//! so the browser and the server run the very same checks.

#[macro_use]
pub mod words;

pub mod access;
pub mod account;
pub mod activity;
pub mod attention;
pub mod audit;
pub mod certificate;
pub mod changes;
pub mod compose;
pub mod config_file;
pub mod deployment;
pub mod domain;
pub mod edge;
pub mod env;
pub mod events;
pub mod logs;
pub(crate) mod nginx_lexer;
pub mod plan;
pub mod project;
pub mod protocol;
pub mod service;
pub mod settings;
pub mod stats;
pub mod team;
pub mod time;
pub mod validation;
pub mod variables;
pub mod view;
pub mod worker;
pub mod worker_policy;

pub use deployment::{DeploymentId, DeploymentState, Trigger};
pub use domain::{DomainId, ResourceId};
pub use project::{
    Branch, DeployTimeout, GitUrl, ProjectConfig, ProjectForm, ProjectId, RepoName, RepoOwner, Repository,
};
pub use validation::{FieldError, FieldErrors};
pub use worker::WorkerId;
