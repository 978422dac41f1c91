//! The real components NSM's tests run against, and the guard every test that needs
//! one starts with.
//!
//! A probe looks for a component and says what is missing when it is not there. The
//! guard turns a missing component into a failure when `NSM_REQUIRE_SERVICES` is set
//! (`make test` and CI set it: a machine without Docker, nginx or pebble must not go
//! green) and into a skip, with a note, for a developer's quick run without it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::docker::{docker_available, ensure_busybox_image};

/// Set (to anything but `0`, `false` or `no`) to make a missing component fail the test.
pub const REQUIRE_SERVICES: &str = "NSM_REQUIRE_SERVICES";

/// A component a test needs and this machine lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing, e.g. "nginx is not installed".
    pub what: String,
}

impl Missing {
    pub fn new(what: impl Into<String>) -> Self {
        Self { what: what.into() }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (`make test` installs and starts it)", self.what)
    }
}

/// Whether a missing component fails the test (`NSM_REQUIRE_SERVICES` is set).
pub fn services_required() -> bool {
    std::env::var(REQUIRE_SERVICES)
        .is_ok_and(|value| !matches!(value.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "no"))
}

/// The guard: the probe's value when the component is there. When it is not, panics
/// if `required`, else prints a SKIPPED note for the running test and returns `None`.
#[track_caller]
pub fn require<T>(probe: Result<T, Missing>, required: bool) -> Option<T> {
    match probe {
        Ok(found) => Some(found),
        Err(missing) if required => {
            panic!("{missing}; {REQUIRE_SERVICES} is set, so a missing component fails the test")
        }
        Err(missing) => {
            let test = std::thread::current().name().unwrap_or("<unnamed>").to_owned();
            eprintln!("SKIPPED {test}: {missing}");
            None
        }
    }
}

/// [`require`] with the requirement read from the environment.
#[track_caller]
pub fn available_or_skip<T>(probe: Result<T, Missing>) -> Option<T> {
    require(probe, services_required())
}

/// The first of `candidates` that exists.
pub fn find_binary(name: &str, candidates: &[&str]) -> Result<PathBuf, Missing> {
    candidates
        .iter()
        .map(Path::new)
        .find(|path| path.exists())
        .map(Path::to_path_buf)
        .ok_or_else(|| Missing::new(format!("{name} is not installed (looked for {})", candidates.join(", "))))
}

/// nginx from Debian (or a local build).
pub fn nginx() -> Result<PathBuf, Missing> {
    find_binary("nginx", &["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"])
}

/// pebble (the ACME test server) and its DNS companion `pebble-challtestsrv`.
pub fn pebble() -> Result<(PathBuf, PathBuf), Missing> {
    Ok((
        find_binary("pebble", &["/usr/bin/pebble"])?,
        find_binary("pebble-challtestsrv", &["/usr/bin/pebble-challtestsrv"])?,
    ))
}

/// gixy, the nginx configuration linter (PyPI `gixy-ng`), as `scripts/setup.sh`
/// installs it (a virtualenv under `target/.setup/gixy`), or one on the usual paths.
pub fn gixy() -> Result<PathBuf, Missing> {
    let setup = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/.setup/gixy/bin/gixy");
    find_binary("gixy", &[setup, "/usr/local/bin/gixy", "/usr/bin/gixy"])
}

/// A Docker daemon that answers `docker info`.
pub fn docker() -> Result<(), Missing> {
    if docker_available() {
        Ok(())
    } else {
        Err(Missing::new("no Docker daemon answers (`docker info` failed)"))
    }
}

/// A command that runs (`<name> --version` succeeds).
pub fn command(name: &str) -> Result<(), Missing> {
    let ran = std::process::Command::new(name).arg("--version").output();
    if ran.is_ok_and(|out| out.status.success()) {
        Ok(())
    } else {
        Err(Missing::new(format!("{name} is not installed (`{name} --version` failed)")))
    }
}

/// Whether Docker answers, with the fixtures' base image in place; `false` means the
/// test is skipped (and only without [`REQUIRE_SERVICES`]).
#[track_caller]
pub fn docker_or_skip() -> bool {
    if available_or_skip(docker()).is_none() {
        return false;
    }
    if let Err(error) = ensure_busybox_image() {
        panic!("the fixtures' base image cannot be built: {error}");
    }
    true
}

/// The nginx binary, or `None` when the test is skipped.
#[track_caller]
pub fn nginx_or_skip() -> Option<PathBuf> {
    available_or_skip(nginx())
}

/// The gixy binary, or `None` when the test is skipped.
#[track_caller]
pub fn gixy_or_skip() -> Option<PathBuf> {
    available_or_skip(gixy())
}

/// pebble and pebble-challtestsrv, or `None` when the test is skipped.
#[track_caller]
pub fn pebble_or_skip() -> Option<(PathBuf, PathBuf)> {
    available_or_skip(pebble())
}

/// Whether the command runs; `false` means the test is skipped.
#[track_caller]
pub fn command_or_skip(name: &str) -> bool {
    available_or_skip(command(name)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOWHERE: &str = "/nonexistent/nsm-testkit/no-such-binary";
    /// Set for the child process only.
    const CHILD: &str = "NSM_TESTKIT_GUARD_CHILD";

    #[test]
    fn a_missing_component_is_named_with_how_to_get_it() {
        let missing = find_binary("frobnicator", &[NOWHERE]).expect_err("not there");
        let text = missing.to_string();
        assert!(text.contains("frobnicator is not installed") && text.contains(NOWHERE), "{text}");
        assert!(text.contains("`make test` installs and starts it"), "{text}");
    }

    #[test]
    #[should_panic(expected = "frobnicator is not installed")]
    fn required_a_missing_component_fails() {
        require(find_binary("frobnicator", &[NOWHERE]), true);
    }

    #[test]
    fn not_required_a_missing_component_skips() {
        assert_eq!(require(find_binary("frobnicator", &[NOWHERE]), false), None);
    }

    #[test]
    fn a_present_component_passes_either_way() {
        let sh = find_binary("sh", &[NOWHERE, "/bin/sh"]);
        assert_eq!(require(sh.clone(), true), Some(PathBuf::from("/bin/sh")));
        assert_eq!(require(sh, false), Some(PathBuf::from("/bin/sh")));
    }

    /// Run on its own by the test below, in a child process with or without the
    /// variable: a test guarded on a binary that does not exist.
    #[test]
    #[ignore = "run by the_variable_turns_a_skip_into_a_failure in a child process"]
    fn guarded_on_a_missing_binary() {
        if std::env::var_os(CHILD).is_none() {
            return; // `--include-ignored` by hand: nothing to show outside the child.
        }
        if available_or_skip(find_binary("frobnicator", &[NOWHERE])).is_none() {
            return;
        }
        unreachable!("the binary does not exist");
    }

    fn run_guarded(required: Option<&str>) -> std::process::Output {
        let exe = std::env::current_exe().expect("the test binary");
        let mut child = std::process::Command::new(exe);
        child.args(["--exact", "services::tests::guarded_on_a_missing_binary", "--ignored", "--nocapture"]);
        child.env_remove(REQUIRE_SERVICES).env(CHILD, "1");
        if let Some(value) = required {
            child.env(REQUIRE_SERVICES, value);
        }
        child.output().expect("the test binary runs")
    }

    #[test]
    fn the_variable_turns_a_skip_into_a_failure() {
        let failed = run_guarded(Some("1"));
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(!failed.status.success(), "NSM_REQUIRE_SERVICES=1 must fail the test:\n{stderr}");
        assert!(
            stderr.contains("frobnicator is not installed") && stderr.contains("NSM_REQUIRE_SERVICES is set"),
            "{stderr}"
        );

        let skipped = run_guarded(None);
        let stderr = String::from_utf8_lossy(&skipped.stderr);
        assert!(skipped.status.success(), "without the variable the test is skipped:\n{stderr}");
        assert!(stderr.contains("SKIPPED") && stderr.contains("frobnicator"), "{stderr}");

        assert!(run_guarded(Some("0")).status.success(), "0 means not required");
    }
}
