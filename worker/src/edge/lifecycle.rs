//! The edge's life: preparing its files and starting (managed) or reloading
//! (system) nginx at start-up with the project files it finds (a restarted worker
//! adopts what it served); stopping it on shutdown; setting aside a project file that
//! no longer loads.

use std::path::PathBuf;
use std::sync::{Arc, Weak};

use super::layout::control_conf;
use super::{certs, check_path, files, managed, Edge, EdgeError, DEFAULT_NAME};
use nsm_core::edge::EdgeMode;

impl Edge {
    /// Prepares the files and starts (managed) or reloads (system) nginx with the
    /// project files already installed.
    #[tracing::instrument(name = "edge_start", skip_all, fields(mode = ?self.mode))]
    pub async fn start(self: &Arc<Self>) -> Result<(), EdgeError> {
        if !self.is_on() {
            return Ok(());
        }
        if self.control_port == 0 {
            return Err(EdgeError::NoControlPort);
        }
        let version = self.nginx.version().await.map_err(EdgeError::NoNginx)?;
        for dir in self.layout.directories() {
            check_path(dir)?;
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::create_dir_all(self.layout.challenges()).await?;
        self.check_traversable()?;
        self.layout.clear_checks();
        self.detect_front().await;
        self.prepare_front().await?;
        if self.mode == EdgeMode::Managed {
            for sub in ["logs", "tmp"] {
                tokio::fs::create_dir_all(self.layout.prefix.join(sub)).await?;
            }
            let main = self.main_conf(None, None)?;
            files::write_file(&self.main_conf_path, &main).await?;
        }
        certs::ensure_placeholder(&self.layout.default_certificate(), DEFAULT_NAME, self.cert_reader)?;
        let generation = self.next_generation();
        files::write_file(&self.layout.control_file(), &control_conf(self.control_port, generation)).await?;
        tracing::info!(%version, http = self.listen.http, https = self.listen.https, "edge starting");

        match self.mode {
            EdgeMode::Managed => self.start_managed(generation).await,
            _ => {
                self.set_aside_broken().await;
                if let Err(error) = self.apply().await {
                    tracing::error!(%error, "the host's nginx did not take the edge's files");
                }
            }
        }
        Ok(())
    }

    async fn start_managed(self: &Arc<Self>, generation: u64) {
        let weak = Arc::downgrade(self);
        let before_start: managed::BeforeStart = Arc::new(move |fresh| {
            let weak: Weak<Edge> = weak.clone();
            Box::pin(async move {
                if let Some(edge) = weak.upgrade() {
                    if fresh {
                        edge.clear_front_sockets();
                    }
                    edge.set_aside_broken().await;
                }
            })
        });
        let supervisor = managed::Supervisor::start(
            self.nginx.bin.clone(),
            self.layout.prefix.clone(),
            self.main_conf_path.clone(),
            before_start,
        );
        *self.supervisor.lock().await = Some(supervisor);
        // Said, not waited for: a port in use must not hold up the server.
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let Some(edge) = weak.upgrade() else { return };
            match edge.verify(generation).await {
                Ok(()) => tracing::info!("managed nginx serving"),
                Err(error) => tracing::error!(%error, "the managed nginx is not serving"),
            }
        });
    }

    /// Stops the managed nginx (a host's nginx keeps serving).
    pub async fn stop(&self) {
        if let Some(supervisor) = self.supervisor.lock().await.take() {
            supervisor.stop().await;
        }
    }

    /// At the worker's shutdown: the managed nginx keeps serving for the next start
    /// to adopt, unless `--edge-stop-on-exit` says to stop it.
    pub async fn shutdown(&self) {
        let Some(supervisor) = self.supervisor.lock().await.take() else { return };
        if self.stop_on_exit {
            supervisor.stop().await;
        } else {
            supervisor.release().await;
        }
    }

    /// Before nginx (re)starts: project files that no longer load on their own are
    /// renamed `*.conf.disabled`, so one broken project never keeps the rest down.
    pub(super) async fn set_aside_broken(&self) {
        let _one = self.config_lock.lock().await;
        if self.nginx.test(self.live_target()).await.is_ok() {
            return;
        }
        let installed = match self.layout.installed() {
            Ok(installed) => installed,
            Err(error) => {
                tracing::error!(%error, "cannot list the installed project files");
                Vec::new()
            }
        };
        let files: Vec<PathBuf> = installed.into_iter().map(|(_, f)| f).collect();
        for (file, why) in self.broken_files(&files).await {
            let aside = file.with_extension("conf.disabled");
            match std::fs::rename(&file, &aside) {
                Ok(()) => tracing::error!(file = %file.display(), reason = %why, "project configuration set aside"),
                Err(e) => {
                    tracing::error!(file = %file.display(), error = %e, "cannot set a broken configuration aside")
                }
            }
        }
        if let Err(error) = self.nginx.test(self.live_target()).await {
            tracing::error!(%error, "nginx still refuses its configuration");
        }
    }
}

impl Edge {
    /// nginx's workers read the certificates at handshake as `--nginx-user` (when the
    /// worker is root): every directory above them must let that user through, or
    /// every handshake fails. Refused here, once, with what to change.
    fn check_traversable(&self) -> Result<(), EdgeError> {
        use std::os::unix::fs::MetadataExt;
        let Some(reader) = self.cert_reader else {
            return Ok(());
        };
        let user = self.nginx_user.clone().unwrap_or_else(|| "nobody".to_owned());
        for dir in self.layout.certs.ancestors() {
            let meta = std::fs::metadata(dir)?;
            let mode = meta.mode();
            let through = if meta.uid() == reader.uid {
                mode & 0o100 != 0
            } else if meta.gid() == reader.gid {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            };
            if !through && reader.uid != 0 {
                return Err(EdgeError::Untraversable { dir: dir.to_owned(), user });
            }
        }
        Ok(())
    }
}
