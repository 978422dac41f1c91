//! The stream front (design §6, fronting): with nginx's `stream` module, the managed
//! edge's HTTPS port passes each TLS connection by SNI either to this node's own
//! servers (a local socket) or, untouched, to a node it fronts — whose private keys
//! stay there. Which names are fronted is the control plane's `Front` command; the
//! files are rendered by `nsm_core::edge::render_front` and installed like a
//! project's, in one transaction.

use nsm_core::edge::{render_front, EdgeMode, FrontRoute};

use super::files;
use super::layout::Front;
use super::nginx::StreamModule;
use super::{Edge, EdgeError};

/// A Unix socket's path must fit `sun_path` (108 bytes with its NUL), with room.
const MAX_SOCKET_PATH: usize = 100;

impl Edge {
    /// Whether this node can front others: managed, with the stream module, and
    /// socket paths short enough. Decided once, at start.
    pub(super) async fn detect_front(&self) {
        if self.mode != EdgeMode::Managed {
            return;
        }
        let module = match self.nginx.stream_module().await {
            Ok(StreamModule::Builtin) => None,
            Ok(StreamModule::Dynamic(file)) => Some(file),
            Ok(StreamModule::Missing) => {
                tracing::info!(
                    "nginx has no stream module with ssl_preread: this node serves HTTPS itself and cannot \
                     front other nodes (Debian: install libnginx-mod-stream)"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot ask nginx for its modules: this node cannot front other nodes");
                return;
            }
        };
        let sockets = self.layout.front_sockets();
        if sockets.own.len().max(sockets.relay.len()) > MAX_SOCKET_PATH {
            tracing::warn!(
                socket = sockets.own,
                "the edge directory's path is too long for a Unix socket: this node cannot front other nodes \
                 (set a shorter --edge-dir)"
            );
            return;
        }
        if self.front.set(Front { module }).is_err() {
            tracing::debug!("the stream front was already decided");
        }
    }

    /// At start: the route file exists (empty unless adopted from the last run), and
    /// project files rendered for the other listening style are brought to this
    /// one's, so an upgrade or a removed module never leaves two listeners on a port.
    pub(super) async fn prepare_front(&self) -> Result<(), EdgeError> {
        if self.front.get().is_some() {
            let (http, stream) = (self.layout.front_http(), self.layout.front_stream());
            if files::read_if_exists(&stream).await?.is_none() || files::read_if_exists(&http).await?.is_none() {
                let empty = render_front(&[], self.listen, &self.layout.front_sockets())?;
                files::write_file(&http, &empty.http).await?;
                files::write_file(&stream, &empty.stream).await?;
            }
        }
        if self.mode == EdgeMode::Managed {
            self.relisten_installed().await?;
        }
        Ok(())
    }

    /// Rewrites the HTTPS `listen` lines of installed project files to this start's
    /// style (port or socket); the control plane renders the same on reconnect.
    async fn relisten_installed(&self) -> Result<(), EdgeError> {
        let on_port = format!("listen {} ssl;", self.listen.https);
        let on_socket = format!("listen unix:{} ssl proxy_protocol;", self.layout.front_sockets().own);
        let (from, to) = if self.front.get().is_some() { (on_port, on_socket) } else { (on_socket, on_port) };
        for (project, file) in self.layout.installed()? {
            let Some(text) = files::read_if_exists(&file).await? else { continue };
            if text.lines().any(|line| line.trim() == from) {
                let rewritten: Vec<String> = text
                    .lines()
                    .map(|line| if line.trim() == from { line.replace(&from, &to) } else { line.to_owned() })
                    .collect();
                files::write_file(&file, &format!("{}\n", rewritten.join("\n"))).await?;
                tracing::info!(%project, "project file's HTTPS listener brought to this edge's style");
            }
        }
        Ok(())
    }

    /// Sockets a killed nginx left behind would refuse the next bind.
    pub(super) fn clear_front_sockets(&self) {
        if self.front.get().is_none() {
            return;
        }
        let sockets = self.layout.front_sockets();
        for socket in [sockets.own, sockets.relay] {
            if let Err(error) = std::fs::remove_file(&socket) {
                if error.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(%error, socket, "cannot remove a stale nginx socket");
                }
            }
        }
    }

    /// Routes exactly `routes` through this edge, or says why not (nothing changed).
    pub(super) async fn front_routes(&self, routes: &[FrontRoute]) -> Result<(), EdgeError> {
        if self.front.get().is_none() {
            return Err(EdgeError::CannotFront);
        }
        let files = render_front(routes, self.listen, &self.layout.front_sockets())?;
        let (http, stream) = (self.layout.front_http(), self.layout.front_stream());
        let _one = self.config_lock.lock().await;
        let before = (files::read_if_exists(&http).await?, files::read_if_exists(&stream).await?);
        if before.0.as_deref() == Some(files.http.as_str()) && before.1.as_deref() == Some(files.stream.as_str()) {
            return Ok(());
        }
        files::write_file(&http, &files.http).await?;
        files::write_file(&stream, &files.stream).await?;
        if let Err(reason) = self.apply().await {
            self.restore_front(&before).await;
            if let Err(again) = self.apply().await {
                tracing::error!(error = %again, "nginx did not take the previous fronting back");
            }
            return Err(reason.into());
        }
        let names: usize = routes.iter().map(|r| r.hostnames.len()).sum();
        tracing::info!(nodes = routes.len(), names, "fronting updated");
        Ok(())
    }

    async fn restore_front(&self, before: &(Option<String>, Option<String>)) {
        let pairs = [(self.layout.front_http(), &before.0), (self.layout.front_stream(), &before.1)];
        for (path, text) in pairs {
            let restored = match text {
                Some(text) => files::write_file(&path, text).await,
                None => files::remove_file(&path).await,
            };
            if let Err(error) = restored {
                tracing::error!(%error, file = %path.display(), "cannot restore the previous fronting");
            }
        }
    }
}
