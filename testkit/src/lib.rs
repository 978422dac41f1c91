//! Helpers for NSM's tests against real components: the guard that skips — or, with
//! `NSM_REQUIRE_SERVICES` set, fails — a test whose Docker, nginx or pebble is missing;
//! a local Docker image built from Debian's static busybox, git repositories made with
//! the system `git` (isolated from the host's configuration), a smart-HTTP git server,
//! a small compose app, polling until something holds, free ports, log text, and what
//! the code under test logs through `tracing`; for fault tests, a Docker daemon of the
//! test's own (to restart) and a TCP proxy that cuts a link.

mod app;
mod docker;
mod dockerd;
mod github_stub;
mod http;
pub mod log;
pub mod net;
mod proxy;
mod repo;
pub mod services;
pub mod trace;
pub mod wait;

pub use app::{fixture_app_files, FixtureApp, FIXTURE_SERVICES, FIXTURE_VARIABLES};
pub use docker::{docker_available, docker_ids, ensure_busybox_image, BUSYBOX_IMAGE};
pub use dockerd::PrivateDockerd;
pub use github_stub::GithubStub;
pub use http::GitHttpServer;
pub use log::deployment_log_text;
pub use net::free_port;
pub use proxy::CutProxy;
pub use repo::FixtureRepo;
pub use services::{
    command_or_skip, docker_or_skip, gixy_or_skip, nginx_or_skip, pebble_or_skip, services_required, Missing,
};
pub use trace::{capture_warnings, CapturedLog};
pub use wait::{eventually, eventually_blocking};

#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}): {stderr}")]
    Command { command: String, status: String, stderr: String },
    #[error("another global tracing subscriber was installed first; the log cannot be captured")]
    SubscriberTaken,
}

pub type Result<T, E = TestkitError> = std::result::Result<T, E>;

pub(crate) fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestkitError {
    let what = what.into();
    move |source| TestkitError::Io { what, source }
}

/// Runs a prepared command, failing with its stderr when it does not succeed.
pub(crate) fn run(command: &mut std::process::Command) -> Result<std::process::Output> {
    let shown = format!("{command:?}");
    let output = command.output().map_err(io_error(format!("running {shown}")))?;
    if !output.status.success() {
        return Err(TestkitError::Command {
            command: shown,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(output)
}
