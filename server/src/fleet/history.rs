//! The history views: a 24-hour timeline per service, and the fleet's last 90 days.

use std::collections::BTreeMap;

use nsm_core::service::{day_cells, mismatches, timeline, DayCell, StateChange, DAY_MS};
use nsm_core::view::{ServiceTimeline, ServiceTimelines};
use nsm_core::ProjectId;

use super::Fleet;
use crate::db;

/// How far back the Dashboard's heatmap reaches, and how long history is kept.
pub const HISTORY_DAYS: i64 = 90;
const TIMELINE_MS: i64 = DAY_MS;

impl Fleet {
    /// The last 24 hours of each of a project's services.
    pub async fn timelines(&self, project: &ProjectId, now: i64) -> sqlx::Result<ServiceTimelines> {
        // Through the current millisecond: a change recorded in it shows.
        let (from, now) = (now + 1 - TIMELINE_MS, now + 1);
        let mut services = Vec::new();
        for row in db::services::list_services(&self.db, project.as_str()).await? {
            let changes = db::history::service_changes(&self.db, project.as_str(), &row.name, from).await?;
            services.push(ServiceTimeline { service: row.name, segments: timeline(&changes, from, now) });
        }
        Ok(ServiceTimelines { from, to: now, services })
    }

    /// One cell per day for the last [`HISTORY_DAYS`] days: the control plane's
    /// uptime, and how long some service mismatched or some worker was offline.
    pub async fn days(&self, now: i64) -> sqlx::Result<Vec<DayCell>> {
        let from = (now.div_euclid(DAY_MS) - HISTORY_DAYS + 1) * DAY_MS;
        let beats = db::history::heartbeats_per_day(&self.db, from).await?;
        let first = db::history::first_heartbeat(&self.db).await?;
        let mut trouble = Vec::new();
        let mut by_service: BTreeMap<(String, String), Vec<StateChange<_>>> = BTreeMap::new();
        for (project, service, change) in db::history::all_service_changes(&self.db, from).await? {
            by_service.entry((project, service)).or_default().push(change);
        }
        for changes in by_service.values() {
            trouble.extend(mismatches(&timeline(changes, from, now)));
        }
        let mut by_worker: BTreeMap<String, Vec<StateChange<bool>>> = BTreeMap::new();
        for (worker, change) in db::history::all_worker_changes(&self.db, from).await? {
            by_worker.entry(worker).or_default().push(change);
        }
        for changes in by_worker.values() {
            let offline = timeline(changes, from, now).into_iter().filter(|s| s.state == Some(false));
            trouble.extend(offline.map(|s| (s.from, s.to)));
        }
        Ok(day_cells(now, HISTORY_DAYS, &beats, first, &trouble))
    }
}
