//! The control plane's own uptime: a heartbeat a minute, and history kept for
//! [`HISTORY_DAYS`] days.

use std::time::Duration;

use super::{unix_now, HISTORY_DAYS};
use crate::db::{self, Db};

const BEAT: Duration = Duration::from_secs(60);
/// Pruning once an hour keeps the tables at their window without a cost per beat.
const BEATS_PER_PRUNE: u32 = 60;

/// Runs for as long as the server does.
pub fn start_heartbeat(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(BEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut beats = 0u32;
        loop {
            tick.tick().await;
            let now = unix_now();
            if let Err(error) = db::history::heartbeat(&db, now).await {
                tracing::warn!(%error, "cannot record the control plane's heartbeat");
            }
            if beats.is_multiple_of(BEATS_PER_PRUNE) {
                // A day more than shown: the oldest day drawn is whole.
                match db::history::prune(&db, now - (HISTORY_DAYS + 1) * nsm_core::service::DAY_MS).await {
                    Ok(0) => {}
                    Ok(dropped) => tracing::info!(dropped, "pruned history older than {HISTORY_DAYS} days"),
                    Err(error) => tracing::warn!(%error, "cannot prune the history"),
                }
            }
            beats = beats.wrapping_add(1);
        }
    })
}
