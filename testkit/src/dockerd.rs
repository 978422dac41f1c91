//! A Docker daemon of a test's own, so the test can restart it without touching the
//! host's (which other tests and their containers use): its own socket, data root,
//! exec root and containerd, network namespace, no default bridge, no iptables rules, an address pool of
//! its own. Started with the busybox base image loaded. Dropped, it removes its
//! containers, stops, and deletes its directories.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::docker::BUSYBOX_IMAGE;
use crate::{io_error, run, Result, TestkitError};

pub struct PrivateDockerd {
    root: tempfile::TempDir,
    child: Option<Child>,
    /// The `--default-address-pool` base (one /16 per daemon of this process).
    pool: String,
}

impl PrivateDockerd {
    /// Starts a daemon and waits until it answers; `pool` is a private /16 its
    /// networks take their subnets from (e.g. `10.231.0.0/16`).
    pub fn start(pool: &str) -> Result<Self> {
        // Short paths: a unix socket's path has at most 107 bytes.
        let root =
            tempfile::Builder::new().prefix("nsm-dockerd-").tempdir_in("/var/tmp").map_err(io_error("dockerd dir"))?;
        let mut daemon = Self { root, child: None, pool: pool.to_owned() };
        daemon.spawn()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/busybox-image.sh");
        run(Command::new("bash")
            .arg(script)
            .env("NSM_BUSYBOX_IMAGE", BUSYBOX_IMAGE)
            .env("DOCKER_HOST", daemon.host()))?;
        Ok(daemon)
    }

    /// `DOCKER_HOST` for this daemon.
    pub fn host(&self) -> String {
        format!("unix://{}", self.path("docker.sock").display())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn spawn(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("dockerd.log"))
            .map_err(io_error("dockerd log"))?;
        let err = log.try_clone().map_err(io_error("dockerd log"))?;
        // In a network namespace of its own: started with `--bridge none`, dockerd deletes
        // any interface named docker0 — in the host's namespace, the host daemon's bridge,
        // breaking every other container build and start on the machine.
        let child = Command::new("unshare")
            .args(["--net", "--", "dockerd"])
            .arg("--host")
            .arg(self.host())
            .arg("--data-root")
            .arg(self.path("data"))
            .arg("--exec-root")
            .arg(self.path("exec"))
            .arg("--pidfile")
            .arg(self.path("dockerd.pid"))
            .args(["--bridge", "none", "--iptables=false", "--ip-masq=false"])
            .arg("--default-address-pool")
            .arg(format!("base={},size=24", self.pool))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io_error("starting dockerd"))?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(60))
    }

    fn wait_ready(&mut self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            if self.docker(&["info"]).is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(self.failed(format!("dockerd exited: {status}")));
                }
            }
            if Instant::now() > deadline {
                return Err(self.failed("dockerd did not answer".to_owned()));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn failed(&self, what: String) -> TestkitError {
        let log = std::fs::read_to_string(self.path("dockerd.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        TestkitError::Command {
            command: "dockerd".to_owned(),
            status: what,
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        }
    }

    /// Runs `docker <args>` against this daemon.
    pub fn docker(&self, args: &[&str]) -> Result<String> {
        let output = run(Command::new("docker").args(args).env("DOCKER_HOST", self.host()))?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Stops the daemon (SIGTERM, as `systemctl restart docker` does; it stops the
    /// containers it runs) and starts it again with the same command line.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.spawn()
    }

    /// SIGTERM, then SIGKILL after 30 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The daemon's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("dockerd.log")).unwrap_or_default()
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for PrivateDockerd {
    fn drop(&mut self) {
        if self.child.is_some() {
            if let Ok(ids) = self.docker(&["ps", "-aq"]) {
                let ids: Vec<&str> = ids.split_whitespace().collect();
                if !ids.is_empty() {
                    let mut args = vec!["rm", "-f"];
                    args.extend(ids);
                    let _ = self.docker(&args);
                }
            }
        }
        self.stop();
        // A daemon killed hard may leave its overlay mounts: unmount before deleting.
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let root = self.root.path().to_string_lossy().into_owned();
        let mut inside: Vec<&str> =
            mounts.lines().filter_map(|l| l.split_whitespace().nth(1)).filter(|m| m.starts_with(&root)).collect();
        inside.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for mount in inside {
            let _ = Command::new("umount").arg("-l").arg(mount).status();
        }
    }
}
