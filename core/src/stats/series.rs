//! The last hour of one service's resource use: one point per sample batch (its
//! containers summed), old points dropped, never more than an hour's worth kept.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::{ContainerSample, SAMPLE_EVERY_SECS};
use crate::project::ProjectId;

/// How much history a series keeps, milliseconds.
pub const HISTORY_MS: i64 = 60 * 60 * 1000;
/// An hour of samples at the sampling cadence, with room for batches that came early.
const MAX_POINTS: usize = (HISTORY_MS as usize / (SAMPLE_EVERY_SECS as usize * 1000)) * 2;

/// A service's use at one moment: its containers together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServicePoint {
    pub at: i64,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    /// 0 when no container's limit is known.
    pub memory_limit: u64,
}

impl ServicePoint {
    /// One point per (project, service) of a batch, its containers summed.
    pub fn per_service(samples: &[ContainerSample]) -> BTreeMap<(ProjectId, String), ServicePoint> {
        let mut points: BTreeMap<(ProjectId, String), ServicePoint> = BTreeMap::new();
        for sample in samples {
            let point = points.entry((sample.project.clone(), sample.service.clone())).or_insert(ServicePoint {
                at: sample.at,
                cpu_percent: 0.0,
                memory_bytes: 0,
                memory_limit: 0,
            });
            point.at = point.at.max(sample.at);
            point.cpu_percent += sample.cpu_percent;
            point.memory_bytes = point.memory_bytes.saturating_add(sample.memory_bytes);
            point.memory_limit = point.memory_limit.saturating_add(sample.memory_limit);
        }
        points
    }

    /// Memory in use as a share of the limit, percent (None: no limit known).
    pub fn memory_percent(&self) -> Option<f64> {
        (self.memory_limit > 0).then(|| self.memory_bytes as f64 / self.memory_limit as f64 * 100.0)
    }
}

/// A service's points of the last hour, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceSeries {
    points: VecDeque<ServicePoint>,
}

impl ServiceSeries {
    /// Adds a point (one older than the newest is ignored: the series stays in order)
    /// and drops what is more than an hour older than it.
    pub fn push(&mut self, point: ServicePoint) {
        if self.points.back().is_some_and(|last| last.at > point.at) {
            return;
        }
        self.points.push_back(point);
        self.prune(point.at);
        while self.points.len() > MAX_POINTS {
            self.points.pop_front();
        }
    }

    /// Drops the points more than an hour older than `now`.
    pub fn prune(&mut self, now: i64) {
        while self.points.front().is_some_and(|first| first.at < now - HISTORY_MS) {
            self.points.pop_front();
        }
    }

    pub fn points(&self) -> impl ExactSizeIterator<Item = &ServicePoint> + DoubleEndedIterator {
        self.points.iter()
    }

    pub fn latest(&self) -> Option<&ServicePoint> {
        self.points.back()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn point(at: i64, cpu: f64) -> ServicePoint {
        ServicePoint { at, cpu_percent: cpu, memory_bytes: 10, memory_limit: 100 }
    }

    #[test]
    fn points_older_than_an_hour_go() {
        let mut series = ServiceSeries::default();
        series.push(point(0, 1.0));
        series.push(point(HISTORY_MS / 2, 2.0));
        series.push(point(HISTORY_MS + 1, 3.0));
        let ats: Vec<i64> = series.points().map(|p| p.at).collect();
        assert_eq!(ats, vec![HISTORY_MS / 2, HISTORY_MS + 1]);
        assert_eq!(series.latest().map(|p| p.cpu_percent), Some(3.0));
    }

    #[test]
    fn a_late_point_is_ignored() {
        let mut series = ServiceSeries::default();
        series.push(point(10, 1.0));
        series.push(point(5, 2.0));
        assert_eq!(series.len(), 1);
    }

    #[test]
    fn a_batch_sums_a_services_containers() {
        let project = ProjectId::parse("shop").unwrap();
        let sample = |service: &str, container: &str, cpu: f64| ContainerSample {
            project: project.clone(),
            service: service.to_owned(),
            container: container.to_owned(),
            at: 7,
            cpu_percent: cpu,
            memory_bytes: 50,
            memory_limit: 100,
        };
        let points =
            ServicePoint::per_service(&[sample("web", "a", 1.5), sample("web", "b", 2.0), sample("db", "c", 4.0)]);
        let web = points[&(project.clone(), "web".to_owned())];
        assert_eq!((web.cpu_percent, web.memory_bytes, web.memory_limit), (3.5, 100, 200));
        assert_eq!(web.memory_percent(), Some(50.0));
        assert_eq!(points.len(), 2);
    }

    proptest! {
        #[test]
        fn a_series_is_bounded_ordered_and_within_the_hour(steps in proptest::collection::vec(0i64..20_000, 0..3000)) {
            let mut series = ServiceSeries::default();
            let mut at = 0;
            for step in steps {
                at += step;
                series.push(point(at, 1.0));
            }
            prop_assert!(series.len() <= MAX_POINTS);
            let ats: Vec<i64> = series.points().map(|p| p.at).collect();
            prop_assert!(ats.windows(2).all(|w| w[0] <= w[1]));
            if let (Some(first), Some(last)) = (ats.first(), ats.last()) {
                prop_assert!(last - first <= HISTORY_MS);
            }
        }
    }
}
