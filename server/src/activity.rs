//! The project activity feed's writer. Every CI/CD call is recorded, but not on the
//! request's path: entries go to one task that writes whatever has gathered in a single
//! transaction, so a burst of webhook calls costs one commit instead of one per call.
//! Readers call [`ActivityLog::flush`] first and so always see every answered call.
//! The same batch reaches the audit log ([`crate::audit::mirror_activity`]).
//!
//! Bounds: the queue holds at most [`QUEUE_CAPACITY`] entries; a call finding it full
//! is answered as usual and its entry dropped (counted, and logged as a warning once
//! per overflow), so a flood can never block a request handler nor grow memory.
//! Refused calls are counted, not listed: one row per project, source and minute
//! says how many there were and why. Entries older than the retention setting
//! (`--activity-retention-days`, 90 by default) are purged every hour.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use nsm_core::activity::{ActivityOutcome, ActivitySource};
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

/// Entries waiting for the writer at most (about 2 MiB at the longest details); past
/// it, calls are still answered but not recorded.
pub const QUEUE_CAPACITY: usize = 10_000;

/// Entries dropped because the queue was full: in total, and since the writer last
/// said so.
#[derive(Default)]
struct Overflow {
    total: AtomicU64,
    unreported: AtomicU64,
}

#[derive(Clone)]
pub struct ActivityLog {
    tx: mpsc::Sender<Command>,
    overflow: Arc<Overflow>,
    _purge: Option<Arc<Purge>>,
}

/// The hourly retention purge, stopped with the last handle of the log.
struct Purge(tokio::task::JoinHandle<()>);

impl Drop for Purge {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl ActivityLog {
    /// Starts the writer task, and the hourly purge of entries older than
    /// `retention_days` (`0` keeps them forever); both end when the last handle is
    /// dropped, the writer after writing what it was given.
    pub fn start(db: Db, retention_days: u32) -> Self {
        let mut log = Self::with_capacity(db.clone(), QUEUE_CAPACITY);
        if retention_days > 0 {
            log._purge = Some(Arc::new(Purge(start_purge(db, retention_days))));
        }
        log
    }

    fn with_capacity(db: Db, capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity);
        let overflow = Arc::new(Overflow::default());
        tokio::spawn(write_loop(db, rx, overflow.clone()));
        Self { tx, overflow, _purge: None }
    }

    /// Records a call, timestamped now. Never waits: when the queue is full the entry
    /// is dropped and counted.
    pub fn record(&self, activity: Activity) {
        let command = Command::Record { at: db::now(), activity };
        match self.tx.try_send(command) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let total = self.overflow.total.fetch_add(1, Ordering::Relaxed) + 1;
                if self.overflow.unreported.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(
                        capacity = QUEUE_CAPACITY,
                        dropped_in_total = total,
                        "the activity queue is full: CI/CD calls are answered but not recorded until it drains"
                    );
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("the activity writer has stopped; an activity entry is lost");
            }
        }
    }

    /// Entries dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.overflow.total.load(Ordering::Relaxed)
    }

    /// Waits until everything recorded so far is in the database.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Command::Flush(done)).await.is_ok() {
            // A dropped sender means the writer stopped; `record` has said so already.
            wait.await.ok();
        }
    }
}

async fn write_loop(db: Db, mut rx: mpsc::Receiver<Command>, overflow: Arc<Overflow>) {
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
            if let Err(error) = write(&db, &pending).await {
                tracing::error!(%error, lost = pending.len(), "cannot record webhook activity");
            }
            if let Err(error) = crate::audit::mirror_activity(&db, &pending).await {
                tracing::error!(%error, "cannot record webhook activity in the audit log");
            }
            pending.clear();
        }
        let dropped = overflow.unreported.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(dropped, "activity entries were dropped while the queue was full");
        }
        // A flusher that gave up waiting is no one's loss.
        for done in waiting.drain(..) {
            done.send(()).ok();
        }
    }
}

/// Writes a batch: accepted and skipped calls a row each, refused ones counted per
/// project, source and minute.
async fn write(db: &Db, batch: &[(String, Activity)]) -> sqlx::Result<()> {
    type Bucket<'a> = (&'a str, ActivitySource, &'a str);
    let mut listed = Vec::new();
    let mut refused: BTreeMap<Bucket<'_>, (&str, i64, Vec<&str>)> = BTreeMap::new();
    for (at, activity) in batch {
        if activity.outcome == ActivityOutcome::Refused {
            let minute = at.get(..16).unwrap_or(at);
            let (_, count, reasons) =
                refused.entry((&activity.project, activity.source, minute)).or_insert((at, 0, Vec::new()));
            *count += 1;
            if !reasons.contains(&activity.detail.as_str()) {
                reasons.push(&activity.detail);
            }
        } else {
            listed.push((at.clone(), activity.clone()));
        }
    }
    db::ci::record_activities(db, &listed).await?;
    for ((project, source, minute), (at, count, reasons)) in refused {
        // One reason at a time, so the store keeps each once: the first carries the count.
        for (n, reason) in reasons.into_iter().enumerate() {
            let count = if n == 0 { count } else { 0 };
            db::ci::add_refusals(db, at, project, source, minute, count, reason).await?;
        }
    }
    Ok(())
}

/// Removes activity (and remembered GitHub deliveries) older than `days` every hour,
/// the first time at once.
fn start_purge(db: Db, days: u32) -> tokio::task::JoinHandle<()> {
    crate::periodic::hourly("activity entries past retention", move || {
        let db = db.clone();
        async move {
            let cutoff = db::timestamp(chrono::Utc::now() - chrono::Duration::days(i64::from(days)));
            db::ci::delete_activity_before(&db, &cutoff).await
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(project: &str, n: usize) -> Activity {
        Activity {
            project: project.to_owned(),
            source: ActivitySource::DeployKey,
            outcome: ActivityOutcome::Accepted,
            detail: format!("call {n}"),
            deployment: None,
        }
    }

    fn refusal(project: &str, detail: &str) -> Activity {
        Activity { outcome: ActivityOutcome::Refused, detail: detail.to_owned(), ..entry(project, 0) }
    }

    async fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = db::open(&dir.path().join("nsm.db")).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_flush_sees_every_entry_recorded_before_it_in_order() {
        let (_dir, db) = open().await;
        let log = ActivityLog::start(db.clone(), 0);
        for n in 0..1200 {
            log.record(entry("shop", n));
        }
        log.flush().await;
        let rows = db::ci::activity(&db, "shop", 2000).await.unwrap();
        assert_eq!(rows.len(), 1200);
        // Newest first.
        assert_eq!(rows[0].detail, "call 1199");
        assert_eq!(rows[1199].detail, "call 0");
        assert_eq!(log.dropped(), 0);
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_waiting() {
        let (_dir, db) = open().await;
        let log = ActivityLog::with_capacity(db.clone(), 10);
        // On this single-threaded runtime the writer cannot run before we yield: the
        // queue fills, and `record` must return anyway.
        for n in 0..100 {
            log.record(entry("shop", n));
        }
        assert_eq!(log.dropped(), 90);
        log.flush().await;
        let rows = db::ci::activity(&db, "shop", 200).await.unwrap();
        assert_eq!(rows.len(), 10, "what fitted is written");
        assert_eq!(rows[9].detail, "call 0");
        // Drained, it takes entries again.
        log.record(entry("shop", 100));
        log.flush().await;
        assert_eq!(db::ci::activity(&db, "shop", 200).await.unwrap().len(), 11);
        assert_eq!(log.dropped(), 90);
    }

    #[tokio::test]
    async fn refusals_are_counted_per_project_source_and_minute() {
        let (_dir, db) = open().await;
        let log = ActivityLog::start(db.clone(), 0);
        for n in 0..300 {
            log.record(refusal("shop", if n % 2 == 0 { "rate limited" } else { "missing or wrong deploy key" }));
            if n % 100 == 0 {
                // Across batches too.
                log.flush().await;
            }
        }
        log.record(entry("shop", 1));
        log.record(refusal("blog", "rate limited"));
        log.flush().await;
        let rows = db::ci::activity(&db, "shop", 100).await.unwrap();
        let refused: Vec<_> = rows.iter().filter(|r| r.outcome == ActivityOutcome::Refused).collect();
        // The calls may straddle a minute: at most two rows, 300 calls.
        assert!(!refused.is_empty() && refused.len() <= 2, "{rows:?}");
        let counted: i64 =
            refused.iter().map(|r| r.detail.split(' ').next().and_then(|n| n.parse::<i64>().ok()).unwrap_or(1)).sum();
        assert_eq!(counted, 300, "{rows:?}");
        assert!(
            refused[0].detail.ends_with("refused calls: rate limited; missing or wrong deploy key"),
            "each reason once: {}",
            refused[0].detail
        );
        assert_eq!(rows.iter().filter(|r| r.outcome == ActivityOutcome::Accepted).count(), 1);
        let blog = db::ci::activity(&db, "blog", 10).await.unwrap();
        assert_eq!(blog.len(), 1);
        assert_eq!(blog[0].detail, "rate limited", "a single refusal reads as before");
    }

    #[tokio::test]
    async fn the_purge_removes_entries_past_the_retention() {
        let (_dir, db) = open().await;
        let days_ago = |days: i64| db::timestamp(chrono::Utc::now() - chrono::Duration::days(days));
        let old = [(days_ago(100), entry("shop", 1)), (days_ago(5), entry("shop", 2))];
        db::ci::record_activities(&db, &old).await.unwrap();
        let log = ActivityLog::start(db.clone(), 30);
        let kept = nsm_testkit::eventually(
            std::time::Duration::from_secs(10),
            std::time::Duration::from_millis(20),
            || async {
                let rows = db::ci::activity(&db, "shop", 10).await.unwrap();
                if rows.len() == 1 {
                    Ok(rows)
                } else {
                    Err(format!("{} rows", rows.len()))
                }
            },
        )
        .await;
        assert_eq!(kept[0].detail, "call 2");
        drop(log);
    }
}
