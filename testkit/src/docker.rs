//! The local Docker Engine and the busybox base image.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::{run, Result};

/// The base image the fixtures and examples build `FROM`.
pub const BUSYBOX_IMAGE: &str = "nsm-local/busybox:latest";

/// Whether a Docker daemon answers (`docker info`).
pub fn docker_available() -> bool {
    Command::new("docker").arg("info").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The ids `docker <args>` prints (e.g. `ps -aq --filter …`); none when Docker fails.
pub fn docker_ids(args: &[&str]) -> Vec<String> {
    Command::new("docker")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Builds [`BUSYBOX_IMAGE`] with `scripts/busybox-image.sh` unless it exists, and
/// returns its tag. Safe to call from many tests at once.
pub fn ensure_busybox_image() -> Result<&'static str> {
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/busybox-image.sh");
    run(Command::new("bash").arg(script).env("NSM_BUSYBOX_IMAGE", BUSYBOX_IMAGE))?;
    Ok(BUSYBOX_IMAGE)
}
