//! Enforcing the worker's policy in prepare: Compose resolves the staged checkout's
//! configuration (`compose config`: files merged, variables interpolated from the
//! generated `.env`, paths made absolute), and the shared crate's check judges it,
//! with this node's file system saying where each path really leads.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use nsm_core::protocol::DeploySpec;
use nsm_core::worker_policy::{check_compose_config, HostPaths, PolicyError, DEFAULT_DOCKER_SOCKETS};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::error::DeployError;
use super::guard::Guard;
use super::narrator::Narrator;
use crate::machine::compose::ComposeCli;
use crate::machine::docker::compose_project_name;
use crate::machine::layout::Layout;

/// Longest resolved configuration read (the compose file's own bounds keep it far below).
const MAX_CONFIG_BYTES: u64 = 32 * 1024 * 1024;
/// How much of `compose config`'s complaint is kept.
const MAX_STDERR_BYTES: u64 = 16 * 1024;
/// Links followed while resolving one path, as the kernel's own bound.
const MAX_LINK_HOPS: usize = 40;

/// Why the resolved configuration could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("could not run `compose config`: {0}")]
    Run(#[source] std::io::Error),
    #[error("Compose refused the compose file ({status}): {detail}")]
    Refused { status: ExitStatus, detail: String },
    #[error("`compose config` printed more than {} MiB", MAX_CONFIG_BYTES / (1024 * 1024))]
    TooLong,
}

/// Checks the staged checkout (its `.env` and override already written) against the
/// policy the deployment carries.
pub(crate) async fn enforce(
    cli: &ComposeCli,
    spec: &DeploySpec,
    layout: &Layout,
    checkout: &Path,
    compose_file: &str,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<(), DeployError> {
    let files = [checkout.join(compose_file), checkout.join(nsm_core::compose::OVERRIDE_FILE_NAME)];
    let command = cli.command(&compose_project_name(&spec.project), checkout, &files, &["config"]);
    let config = guard.step("resolving the compose configuration", resolved_config(command)).await??;

    let root = layout.root().to_owned();
    let checkout = checkout.to_owned();
    let policy = spec.policy.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let allowed = [resolve(&root)];
        let sockets: Vec<PathBuf> = docker_sockets().iter().map(|s| resolve(s)).collect();
        let host = HostPaths { project_dir: &checkout, allowed: &allowed, docker_sockets: &sockets, resolve: &resolve };
        check_compose_config(&config, &policy, &host)
    })
    .await
    .map_err(|e| DeployError::Machine(crate::machine::MachineError::Blocking(e)))?;
    match checked {
        Ok(()) => {
            let allowed: Vec<&str> = spec.policy.allowed.iter().map(|a| a.label()).collect();
            let allowed =
                if allowed.is_empty() { "nothing beyond the defaults".to_owned() } else { allowed.join(", ") };
            narr.system(format!("The compose file keeps to this worker's policy (allowed: {allowed})"));
            Ok(())
        }
        Err(error @ PolicyError::Refused(_)) => {
            narr.system(format!("Stopped before touching anything: {error}"));
            Err(DeployError::Policy(error))
        }
        Err(error) => Err(DeployError::Policy(error)),
    }
}

async fn resolved_config(mut command: tokio::process::Command) -> Result<String, DeployError> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| DeployError::Config(ConfigError::Run(e)))?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (out, err, status) =
        tokio::join!(read_capped(stdout, MAX_CONFIG_BYTES), read_capped(stderr, MAX_STDERR_BYTES), child.wait());
    let status = status.map_err(|e| DeployError::Config(ConfigError::Run(e)))?;
    let (out, err) = (out.map_err(|e| DeployError::Config(ConfigError::Run(e)))?, err.unwrap_or_default());
    if !status.success() {
        let detail = String::from_utf8_lossy(&err).trim().to_owned();
        return Err(DeployError::Config(ConfigError::Refused { status, detail }));
    }
    if out.len() as u64 > MAX_CONFIG_BYTES {
        return Err(DeployError::Config(ConfigError::TooLong));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Up to `cap + 1` bytes (one more tells that the output was longer); the rest is
/// drained so the child never blocks on a full pipe.
async fn read_capped(stream: Option<impl AsyncRead + Unpin>, cap: u64) -> std::io::Result<Vec<u8>> {
    let Some(mut stream) = stream else { return Ok(Vec::new()) };
    let mut kept = Vec::new();
    (&mut stream).take(cap + 1).read_to_end(&mut kept).await?;
    tokio::io::copy(&mut stream, &mut tokio::io::sink()).await?;
    Ok(kept)
}

/// The Docker sockets a mount could reach: the usual places and `DOCKER_HOST`'s.
fn docker_sockets() -> Vec<PathBuf> {
    let mut sockets: Vec<PathBuf> = DEFAULT_DOCKER_SOCKETS.iter().map(PathBuf::from).collect();
    if let Some(path) = std::env::var("DOCKER_HOST").ok().and_then(|h| h.strip_prefix("unix://").map(PathBuf::from)) {
        sockets.push(path);
    }
    sockets
}

/// Where an absolute path leads on this node: each component's links followed as the
/// kernel would (dangling ones too), components that do not exist kept as written.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    let mut pending: VecDeque<OsString> = parts(path).collect();
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&part);
        let is_link = std::fs::symlink_metadata(&next).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::read_link(&next) {
            Ok(target) if is_link && hops < MAX_LINK_HOPS => {
                hops += 1;
                if target.is_absolute() {
                    out = PathBuf::from("/");
                }
                for (i, component) in parts(&target).enumerate() {
                    pending.insert(i, component);
                }
            }
            _ => out = next,
        }
    }
    out
}

/// Normal components and `..`, in order (`.` and the root dropped).
fn parts(path: &Path) -> impl Iterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(part) => Some(part.to_owned()),
        Component::ParentDir => Some(OsString::from("..")),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn resolving_follows_links_dangling_ones_too() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir(base.join("real")).unwrap();
        symlink(base.join("real"), base.join("abs")).unwrap();
        symlink("real", base.join("rel")).unwrap();
        symlink("../../../../../../etc", base.join("up")).unwrap();
        symlink("/nowhere/at/all", base.join("dangling")).unwrap();
        symlink("loop", base.join("loop")).unwrap();

        assert_eq!(resolve(&base.join("abs/x/y")), base.join("real/x/y"));
        assert_eq!(resolve(&base.join("rel")), base.join("real"));
        assert_eq!(resolve(&base.join("up/passwd")), PathBuf::from("/etc/passwd"));
        assert_eq!(resolve(&base.join("dangling/f")), PathBuf::from("/nowhere/at/all/f"));
        assert_eq!(resolve(&base.join("missing/f")), base.join("missing/f"));
        // A loop stops after the bound and stays where it is.
        assert!(resolve(&base.join("loop")).starts_with(&base));
    }
}
