//! The project activity feed's writer. Every CI/CD call is recorded, but not on the
//! request's path: entries go to one task that writes whatever has gathered in a single
//! transaction, so a burst of webhook calls costs one commit instead of one per call.
//! Readers call [`ActivityLog::flush`] first and so always see every answered call.
//! The same batch reaches the audit log ([`crate::audit::mirror_activity`]).

use tokio::sync::{mpsc, oneshot};

use crate::db::{self, Db};

/// One webhook call and what became of it.
pub use crate::db::ci::NewActivity as Activity;

enum Command {
    Record { at: String, activity: Activity },
    Flush(oneshot::Sender<()>),
}

/// Most entries one transaction takes; the rest wait for the next.
const BATCH: usize = 512;

#[derive(Clone)]
pub struct ActivityLog {
    tx: mpsc::UnboundedSender<Command>,
}

impl ActivityLog {
    /// Starts the writer task; it ends when the last handle is dropped, after writing
    /// what it was given.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(db, rx));
        Self { tx }
    }

    /// Records a call, timestamped now.
    pub fn record(&self, activity: Activity) {
        let command = Command::Record { at: db::now(), activity };
        if self.tx.send(command).is_err() {
            tracing::error!("the activity writer has stopped; an activity entry is lost");
        }
    }

    /// Waits until everything recorded so far is in the database.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Command::Flush(done)).is_ok() {
            // A dropped sender means the writer stopped; `record` has said so already.
            wait.await.ok();
        }
    }
}

async fn write_loop(db: Db, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut pending = Vec::new();
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Record { at, activity } => pending.push((at, activity)),
                Command::Flush(done) => waiting.push(done),
            }
            if pending.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !pending.is_empty() {
            if let Err(error) = db::ci::record_activities(&db, &pending).await {
                tracing::error!(%error, lost = pending.len(), "cannot record webhook activity");
            }
            if let Err(error) = crate::audit::mirror_activity(&db, &pending).await {
                tracing::error!(%error, "cannot record webhook activity in the audit log");
            }
            pending.clear();
        }
        // A flusher that gave up waiting is no one's loss.
        for done in waiting.drain(..) {
            done.send(()).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(project: &str, n: usize) -> Activity {
        Activity {
            project: project.to_owned(),
            source: nsm_core::activity::ActivitySource::DeployKey,
            outcome: nsm_core::activity::ActivityOutcome::Accepted,
            detail: format!("call {n}"),
            deployment: None,
        }
    }

    #[tokio::test]
    async fn a_flush_sees_every_entry_recorded_before_it_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = db::open(&dir.path().join("nsm.db")).await.unwrap();
        let log = ActivityLog::start(db.clone());
        for n in 0..1200 {
            log.record(entry("shop", n));
        }
        log.flush().await;
        let rows = db::ci::activity(&db, "shop", 2000).await.unwrap();
        assert_eq!(rows.len(), 1200);
        // Newest first.
        assert_eq!(rows[0].detail, "call 1199");
        assert_eq!(rows[1199].detail, "call 0");
    }
}
