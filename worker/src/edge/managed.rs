//! The managed nginx master: started as a child in its own process group, restarted
//! when it dies, stopped gracefully on shutdown.
//!
//! The process group matters: if the master is killed outright its workers keep the
//! listening sockets open, and a new master could never bind them. Signalling the
//! whole group clears such orphans before a restart.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A master that ran this long before dying was healthy: restart it promptly.
const HEALTHY_RUN: Duration = Duration::from_secs(30);
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What the supervisor runs before each (re)start: makes sure the configuration
/// loads, setting aside project files that no longer do.
pub type BeforeStart = Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

pub struct Supervisor {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    pid: Arc<AtomicI32>,
}

impl Supervisor {
    pub fn start(bin: PathBuf, prefix: PathBuf, conf: PathBuf, before_start: BeforeStart) -> Self {
        let (stop, stopped) = watch::channel(false);
        let pid = Arc::new(AtomicI32::new(0));
        let task = tokio::spawn(supervise(bin, prefix, conf, before_start, stopped, pid.clone()));
        Self { stop, task, pid }
    }

    /// The running master's pid, if one runs.
    pub fn pid(&self) -> Option<i32> {
        Some(self.pid.load(Ordering::SeqCst)).filter(|p| *p > 0)
    }

    /// Asks the master to re-read its configuration (SIGHUP, what `nginx -s reload`
    /// sends). `false` when no master runs; the next start reads the new files anyway.
    pub fn reload(&self) -> bool {
        match self.pid() {
            Some(pid) => kill(Pid::from_raw(pid), Signal::SIGHUP).is_ok(),
            None => false,
        }
    }

    /// Stops nginx gracefully (SIGQUIT: finish requests in flight) and the supervisor.
    pub async fn stop(self) {
        if self.stop.send(true).is_err() {
            tracing::debug!("the nginx supervisor had already ended");
        }
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the nginx supervisor failed");
        }
    }
}

async fn supervise(
    bin: PathBuf,
    prefix: PathBuf,
    conf: PathBuf,
    before_start: BeforeStart,
    mut stopped: watch::Receiver<bool>,
    pid: Arc<AtomicI32>,
) {
    stop_stale_master(&prefix).await;
    let _guard = GroupGuard(pid.clone());
    let mut backoff = MIN_BACKOFF;
    loop {
        before_start().await;
        let started = Instant::now();
        match spawn(&bin, &prefix, &conf) {
            Ok(mut child) => {
                let master = child.id().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
                pid.store(master, Ordering::SeqCst);
                tracing::info!(pid = master, prefix = %prefix.display(), "managed nginx started");
                tokio::select! {
                    status = child.wait() => {
                        pid.store(0, Ordering::SeqCst);
                        clear_group(master);
                        let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                        tracing::warn!(%status, "managed nginx exited; restarting it");
                    }
                    _ = stopped.changed() => {
                        stop_child(&mut child, master).await;
                        pid.store(0, Ordering::SeqCst);
                        return;
                    }
                }
            }
            Err(error) => tracing::error!(%error, bin = %bin.display(), "cannot start nginx"),
        }
        backoff = if started.elapsed() > HEALTHY_RUN { MIN_BACKOFF } else { (backoff * 2).min(MAX_BACKOFF) };
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stopped.changed() => return,
        }
    }
}

fn spawn(bin: &Path, prefix: &Path, conf: &Path) -> std::io::Result<Child> {
    let mut child = Command::new(bin)
        .arg("-e")
        .arg("stderr")
        .arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(conf)
        .arg("-g")
        .arg("daemon off;")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // Start-up failures (a port in use) are only said on stderr.
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::warn!(target: "nsm_server::edge::nginx", "{line}");
            }
        });
    }
    Ok(child)
}

async fn stop_child(child: &mut Child, master: i32) {
    if master > 0 {
        signal(master, Signal::SIGQUIT);
    }
    match tokio::time::timeout(STOP_GRACE, child.wait()).await {
        Ok(_) => tracing::info!("managed nginx stopped"),
        Err(_) => {
            tracing::warn!("managed nginx did not stop in time; killing it");
            if let Err(error) = child.start_kill() {
                tracing::warn!(%error, "cannot kill the managed nginx");
            }
            if let Err(error) = child.wait().await {
                tracing::warn!(%error, "the killed nginx was not reaped");
            }
        }
    }
    clear_group(master);
}

/// Stops nginx if the supervisor goes away without being stopped (the runtime shut
/// down, a test panicked): the edge's nginx must not outlive the process owning it.
struct GroupGuard(Arc<AtomicI32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let master = self.0.swap(0, Ordering::SeqCst);
        if master > 0 {
            signal_group(master, Signal::SIGTERM);
        }
    }
}

/// Kills what is left of a master's process group (orphaned workers).
fn clear_group(master: i32) {
    if master > 0 {
        signal_group(master, Signal::SIGKILL);
    }
}

/// Sends `signal` to a process; one that is already gone is what we wanted.
fn signal(pid: i32, sig: Signal) {
    match kill(Pid::from_raw(pid), sig) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(error) => tracing::warn!(pid, signal = %sig, %error, "cannot signal nginx"),
    }
}

/// [`signal`] for a whole process group (a master and its workers).
fn signal_group(pid: i32, sig: Signal) {
    match killpg(Pid::from_raw(pid), sig) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(error) => tracing::warn!(pid, signal = %sig, %error, "cannot signal nginx's process group"),
    }
}

/// A master left running by a previous NSM process that was killed: it holds the
/// ports, so stop it (and its group) before starting ours. Only a process whose
/// command line names our prefix is touched.
async fn stop_stale_master(prefix: &Path) {
    let pid_file = prefix.join("nginx.pid");
    let Some(pid) = std::fs::read_to_string(&pid_file).ok().and_then(|t| t.trim().parse::<i32>().ok()) else {
        return;
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    if pid <= 1 || !cmdline.contains("nginx") || !cmdline.contains(&prefix.display().to_string()) {
        return;
    }
    tracing::warn!(pid, "stopping the nginx left running by a previous NSM process");
    signal(pid, Signal::SIGQUIT);
    let deadline = Instant::now() + STOP_GRACE;
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    clear_group(pid);
    if let Err(error) = std::fs::remove_file(&pid_file) {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(%error, file = %pid_file.display(), "cannot remove a stale nginx pid file");
        }
    }
}
