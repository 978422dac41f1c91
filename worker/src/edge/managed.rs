//! The managed nginx master: started as a child in its own process group, restarted
//! when it dies; on shutdown either stopped gracefully or left serving, and adopted
//! by the next start (its pid file names it), so restarting or upgrading NSM never
//! interrupts what is served.
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

/// What the supervisor runs before each (re)start or adoption: makes sure the
/// configuration loads, setting aside project files that no longer do. `true`: no
/// master runs (a fresh start), so stale sockets may be cleared.
pub type BeforeStart = Arc<dyn Fn(bool) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

/// How the supervisor ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Running,
    /// Stop nginx gracefully.
    Stop,
    /// Leave nginx serving for the next start to adopt.
    Release,
}

pub struct Supervisor {
    end: watch::Sender<End>,
    task: JoinHandle<()>,
    pid: Arc<AtomicI32>,
}

impl Supervisor {
    pub fn start(bin: PathBuf, prefix: PathBuf, conf: PathBuf, before_start: BeforeStart) -> Self {
        let (end, ended) = watch::channel(End::Running);
        let pid = Arc::new(AtomicI32::new(0));
        let task = tokio::spawn(supervise(bin, prefix, conf, before_start, ended, pid.clone()));
        Self { end, task, pid }
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
        self.end(End::Stop).await;
    }

    /// Ends the supervisor and leaves nginx serving; the next start adopts it.
    pub async fn release(self) {
        self.end(End::Release).await;
    }

    async fn end(self, how: End) {
        if self.end.send(how).is_err() {
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
    mut ended: watch::Receiver<End>,
    pid: Arc<AtomicI32>,
) {
    let guard = GroupGuard(pid.clone());
    if let Some(master) = running_master(&prefix) {
        before_start(false).await;
        pid.store(master, Ordering::SeqCst);
        // Re-read the files this start wrote (control port, main configuration).
        signal(master, Signal::SIGHUP);
        tracing::info!(pid = master, prefix = %prefix.display(), "adopted the managed nginx left serving");
        match watch_adopted(master, &mut ended).await {
            End::Running => tracing::warn!(pid = master, "the adopted nginx exited; starting a new one"),
            End::Stop => {
                stop_adopted(master).await;
                pid.store(0, Ordering::SeqCst);
                return;
            }
            End::Release => return guard.disarm(),
        }
        pid.store(0, Ordering::SeqCst);
        clear_group(master);
    }
    let mut backoff = MIN_BACKOFF;
    loop {
        before_start(true).await;
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
                    _ = ended.changed() => {
                        if *ended.borrow() == End::Release {
                            tracing::info!(pid = master, "managed nginx left serving for the next start");
                            return guard.disarm();
                        }
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
            _ = ended.changed() => return,
        }
    }
}

/// Waits until the adopted master (not our child: it cannot be waited for) is gone,
/// or the supervisor is told to end.
async fn watch_adopted(master: i32, ended: &mut watch::Receiver<End>) -> End {
    loop {
        if !alive(master) {
            return End::Running;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            changed = ended.changed() => {
                if changed.is_err() {
                    return End::Stop;
                }
                return *ended.borrow();
            }
        }
    }
}

async fn stop_adopted(master: i32) {
    signal(master, Signal::SIGQUIT);
    let deadline = Instant::now() + STOP_GRACE;
    while alive(master) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    clear_group(master);
    tracing::info!("managed nginx stopped");
}

fn alive(pid: i32) -> bool {
    // A zombie is gone for our purposes (it serves nothing).
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
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

impl GroupGuard {
    /// nginx is left serving on purpose.
    fn disarm(self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

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

/// A master left serving by a previous NSM process (released at its shutdown, or
/// outliving a crash): its pid file names it, and only a live nginx whose command
/// line names our prefix counts.
fn running_master(prefix: &Path) -> Option<i32> {
    let pid_file = prefix.join("nginx.pid");
    let pid = std::fs::read_to_string(&pid_file).ok().and_then(|t| t.trim().parse::<i32>().ok())?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let ours = pid > 1 && alive(pid) && cmdline.contains("nginx") && cmdline.contains(&prefix.display().to_string());
    ours.then_some(pid)
}
