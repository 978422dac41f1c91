// Test helpers fail the test by panicking, on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Integration tests: the real server on port 0, a temporary data directory, real
//! SQLite, the real embedded worker, real git and Docker; one binary, so it links once.

mod access;
mod admission;
mod assets;
mod audit;
mod auth;
mod callers;
mod ci;
mod common;
mod config_file;
mod deploy;
mod drift;
mod edge;
mod faults;
mod github_sign_in;
mod hardening;
mod hostile;
mod limits;
mod live;
mod logs;
mod policy;
mod process;
mod projects;
mod redeploy;
mod repo_token;
mod rest;
mod server_settings;
mod site;
mod stats;
mod sync_findings;
mod team;
mod workers;
