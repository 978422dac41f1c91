//! Starts the real control plane on port 0 with a temporary data directory, and talks
//! to it over HTTP like a browser would (cookies included).

use std::path::PathBuf;
use std::time::Duration;

use nsm_server::{RunningServer, Settings};
use nsm_testkit::{docker_ids, docker_or_skip, eventually};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::Value;

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub client: Client,
    pub data_dir: PathBuf,
    pub _temp: Option<tempfile::TempDir>,
}

pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().expect("http client")
}

impl TestServer {
    pub async fn start() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        let mut server = Self::start_in(data_dir).await;
        server._temp = Some(temp);
        server
    }

    pub async fn start_in(data_dir: PathBuf) -> Self {
        Self::start_with(Settings::for_data_dir(data_dir)).await
    }

    /// With settings of the test's choosing (a temporary data directory is the
    /// caller's business).
    pub async fn start_with(settings: Settings) -> Self {
        let data_dir = settings.data_dir.clone();
        let server = nsm_server::start(settings).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        Self { server: Some(server), base, client: client(), data_dir, _temp: None }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(mut self) -> Self {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        let temp = self._temp.take();
        let client = self.client.clone();
        let mut next = Self::start_in(self.data_dir.clone()).await;
        next._temp = temp;
        next.client = client;
        next
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Calls a server function the way the hydrated app does.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(&format!("/api/fn/{endpoint}")))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Calls a server function and returns its status and JSON body.
    pub async fn call_json(&self, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.call(endpoint, form).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub async fn setup_admin(&self) {
        let (status, body) =
            self.call_json("setup_admin", &[("username", ADMIN), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
        assert!(status.is_success(), "setup failed: {status} {body}");
    }

    pub async fn sign_in(&self) {
        let (status, body) = self.call_json("sign_in", &[("username", ADMIN), ("password", PASSWORD)]).await;
        assert!(status.is_success(), "sign-in failed: {status} {body}");
    }

    pub async fn create_project(&self, id: &str) -> (StatusCode, Value) {
        self.call_json("create_project", &[("id", id), ("repo_owner", "acme"), ("repo_name", "shop")]).await
    }
}

/// The `kind` of an AppError body, e.g. "invalid" or "not_found".
pub fn error_kind(body: &Value) -> &str {
    body.get("kind").and_then(Value::as_str).unwrap_or("<no kind>")
}

/// A field's message inside an `invalid` AppError body.
pub fn field_error<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get("detail").and_then(|d| d.get(field)).and_then(Value::as_str)
}

impl TestServer {
    /// A project cloned from `url` on the local worker, with a unique id (Docker
    /// objects are shared by every test on this machine).
    pub async fn create_project_from(&self, prefix: &str, url: &str) -> String {
        let id = unique_id(prefix);
        let (status, body) =
            self.call_json("create_project", &[("id", &id), ("repo_url", url), ("timeout_secs", "120")]).await;
        assert!(status.is_success(), "{status} {body}");
        id
    }

    pub async fn set_plain(&self, project: &str, name: &str, value: &str) {
        let (status, body) = self
            .call_json(
                "save_variable",
                &[("id", project), ("original", ""), ("name", name), ("kind", "plain"), ("value", value)],
            )
            .await;
        assert!(status.is_success(), "{status} {body}");
    }

    pub async fn deploy(&self, project: &str) -> i64 {
        let (status, body) = self.call_json("deploy_project", &[("id", project)]).await;
        assert!(status.is_success(), "{status} {body}");
        body.as_i64().expect("deployment id")
    }

    pub async fn deployment(&self, id: i64) -> Value {
        let (status, body) = self.call_json("get_deployment", &[("deployment", &id.to_string())]).await;
        assert!(status.is_success(), "{status} {body}");
        body
    }

    /// Polls until the deployment ends; returns its detail.
    pub async fn wait_end(&self, id: i64, within: Duration) -> Value {
        eventually(within, Duration::from_millis(250), || async move {
            let detail = self.deployment(id).await;
            let state = detail["summary"]["state"].as_str().unwrap_or_default().to_owned();
            if ["succeeded", "failed", "timed_out", "cancelled"].contains(&state.as_str()) {
                return Ok(detail);
            }
            Err(format!("deployment {id} still {state}: {detail}"))
        })
        .await
    }

    pub async fn wait_state(&self, id: i64, states: &[&str], within: Duration) -> String {
        eventually(within, Duration::from_millis(200), || async move {
            let detail = self.deployment(id).await;
            let state = detail["summary"]["state"].as_str().unwrap_or_default().to_owned();
            if states.contains(&state.as_str()) {
                return Ok(state);
            }
            Err(format!("deployment {id} never reached {states:?}: {detail}"))
        })
        .await
    }

    pub async fn worker_online(&self, worker: &str, within: Duration) -> Value {
        eventually(within, Duration::from_millis(200), || async move {
            let (_, list) = self.call_json("list_workers", &[]).await;
            if let Some(w) = list.as_array().and_then(|l| l.iter().find(|w| w["id"] == worker && w["online"] == true)) {
                return Ok(w.clone());
            }
            Err(format!("worker {worker} not online: {list}"))
        })
        .await
    }

    pub async fn worker_offline(&self, worker: &str, within: Duration) {
        eventually(within, Duration::from_millis(200), || async move {
            let (_, list) = self.call_json("list_workers", &[]).await;
            if list.as_array().is_some_and(|l| l.iter().any(|w| w["id"] == worker && w["online"] == false)) {
                return Ok(());
            }
            Err(format!("worker {worker} still online: {list}"))
        })
        .await
    }
}

pub fn unique_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id() % 100_000)
}

/// Removes a test project's containers even when the test failed half-way.
pub struct ComposeCleanup(pub String);

impl Drop for ComposeCleanup {
    fn drop(&mut self) {
        let project = format!("nsm-{}", self.0);
        let ids = docker_ids(&["ps", "-aq", "--filter", &format!("label=com.docker.compose.project={project}")]);
        if !ids.is_empty() {
            let _ = std::process::Command::new("docker").arg("rm").arg("-f").args(&ids).output();
        }
        let _ = std::process::Command::new("docker")
            .args(["network", "prune", "-f", "--filter", &format!("label=com.docker.compose.project={project}")])
            .output();
    }
}

/// A repository whose one service sleeps `secs` seconds: settled against `exited`, a
/// deployment of it stays in progress long enough to be disturbed.
pub fn slow_repo(secs: u32) -> nsm_testkit::FixtureRepo {
    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let compose = format!(
        "services:\n  slow:\n    image: {}\n    init: true\n    command: [\"sleep\", \"{secs}\"]\n",
        nsm_testkit::BUSYBOX_IMAGE
    );
    repo.commit(&[("compose.yaml", compose.as_str())], "slow").expect("commit");
    repo
}

impl TestServer {
    /// Syncs the project and expects its service `slow` to end `exited`.
    pub async fn expect_slow_exited(&self, id: &str) {
        self.expect_state(id, "slow", "exited").await;
    }

    /// Syncs the project, then sets what `service` is expected to be after a deploy.
    pub async fn expect_state(&self, id: &str, service: &str, state: &str) {
        let (status, body) = self.call_json("sync_project", &[("id", id)]).await;
        assert!(status.is_success(), "{body}");
        let (status, body) =
            self.call_json("update_service", &[("id", id), ("service", service), ("expected", state)]).await;
        assert!(status.is_success(), "{body}");
    }

    /// A signed-in server whose embedded worker is online, for tests that deploy;
    /// `None` (the test skips) when no Docker daemon answers, unless
    /// `NSM_REQUIRE_SERVICES` makes that a failure.
    pub async fn ready_to_deploy() -> Option<Self> {
        if !docker_or_skip() {
            return None;
        }
        let s = Self::start().await;
        s.setup_admin().await;
        s.worker_online("local", Duration::from_secs(20)).await;
        Some(s)
    }
}

/// One server-sent event: its `event:` name, `data:` and `id:` (empty when absent).
pub struct SseFrame {
    pub id: String,
    pub event: String,
    pub data: String,
}

/// Takes every complete frame out of `buffer` (what has arrived of a stream so far);
/// keep-alive comments, which carry no event, are dropped.
pub fn take_sse_frames(buffer: &mut String) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let frame: String = buffer.drain(..end + 2).collect();
        let field = |name: &str| frame.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim_start().to_owned());
        if let (Some(event), Some(data)) = (field("event:"), field("data:")) {
            frames.push(SseFrame { id: field("id:").unwrap_or_default(), event, data });
        }
    }
    frames
}

/// Reads a server-sent event stream in the background: every frame, in order, until
/// the stream ends or the receiver is dropped.
pub fn sse_frames(response: reqwest::Response) -> tokio::sync::mpsc::UnboundedReceiver<SseFrame> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut response = response;
        let mut buffer = String::new();
        loop {
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk,
                () = tx.closed() => return,
            };
            let Ok(Some(chunk)) = chunk else { return };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            for frame in take_sse_frames(&mut buffer) {
                if tx.send(frame).is_err() {
                    return;
                }
            }
        }
    });
    rx
}
