//! Bringing the new checkout up with Docker Compose.

use std::path::Path;

use nsm_core::compose::OVERRIDE_FILE_NAME;
use nsm_core::protocol::{DeployOutcome, DeploySpec, LogStream};

use super::failed;
use super::guard::{run_stop, Guard};
use super::narrator::Narrator;
use super::prepare::Prepared;
use crate::compose::run_streaming;
use crate::docker::compose_project_name;
use crate::host::Host;

const UP_ARGS: [&str; 4] = ["up", "-d", "--build", "--remove-orphans"];

pub(crate) async fn start(
    host: &Host,
    spec: &DeploySpec,
    current: &Path,
    prepared: &Prepared,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<(), DeployOutcome> {
    let Some(cli) = host.compose() else {
        return Err(failed("Docker Compose is not installed on this worker"));
    };
    let files = [current.join(&prepared.compose_file), current.join(OVERRIDE_FILE_NAME)];
    let command = cli.command(&compose_project_name(&spec.project), current, &files, &UP_ARGS);
    // Over the running deployment: Compose recreates every service (the deployment
    // label differs) and removes orphans, which replaces the previous deployment.
    narr.system(format!("Replacing the previous deployment: compose {}", UP_ARGS.join(" ")));
    match run_streaming(command, guard.limits(), |stream, line| narr.line(stream, line)).await {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            narr.line(LogStream::System, format!("Compose `up` failed: {status}"));
            Err(failed(format!("starting the services failed: compose `up` ended with {status}")))
        }
        Err(error) => match run_stop(&error) {
            Some(stop) => Err(guard.outcome(stop, "starting the services")),
            None => Err(failed(error.to_string())),
        },
    }
}
