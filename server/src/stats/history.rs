//! Each service's last hour, in memory: bounded per service by
//! [`ServiceSeries`]; services not sampled for an hour are forgotten.

use std::collections::{BTreeMap, HashMap};

use nsm_core::stats::{ContainerSample, ServicePoint, ServiceSeries, ServiceStats, StatsUpdate, HISTORY_MS};
use nsm_core::ProjectId;

#[derive(Default)]
pub(super) struct History {
    series: HashMap<ProjectId, BTreeMap<String, ServiceSeries>>,
}

impl History {
    /// Adds a batch; returns each project's new points.
    pub fn record(&mut self, samples: &[ContainerSample]) -> Vec<(ProjectId, StatsUpdate)> {
        let mut updates: BTreeMap<ProjectId, StatsUpdate> = BTreeMap::new();
        let mut newest = i64::MIN;
        for ((project, service), point) in ServicePoint::per_service(samples) {
            newest = newest.max(point.at);
            self.series.entry(project.clone()).or_default().entry(service.clone()).or_default().push(point);
            updates.entry(project).or_default().services.push(ServiceStats { service, points: vec![point] });
        }
        if newest > i64::MIN {
            self.forget_before(newest - HISTORY_MS);
        }
        updates.into_iter().collect()
    }

    /// A project's last hour, per service.
    pub fn of(&mut self, project: &ProjectId, now: i64) -> StatsUpdate {
        let Some(services) = self.series.get_mut(project) else { return StatsUpdate::default() };
        let services = services
            .iter_mut()
            .filter_map(|(service, series)| {
                series.prune(now);
                (!series.is_empty())
                    .then(|| ServiceStats { service: service.clone(), points: series.points().copied().collect() })
            })
            .collect();
        StatsUpdate { services }
    }

    /// Drops services whose newest point is older than `cutoff`, and emptied projects.
    fn forget_before(&mut self, cutoff: i64) {
        for services in self.series.values_mut() {
            services.retain(|_, series| series.latest().is_some_and(|p| p.at >= cutoff));
        }
        self.series.retain(|_, services| !services.is_empty());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample(project: &str, service: &str, at: i64) -> ContainerSample {
        ContainerSample {
            project: ProjectId::parse(project).unwrap(),
            service: service.to_owned(),
            container: format!("{service}-1"),
            at,
            cpu_percent: 1.0,
            memory_bytes: 5,
            memory_limit: 10,
        }
    }

    #[test]
    fn batches_build_each_services_hour() {
        let mut history = History::default();
        let updates = history.record(&[sample("shop", "web", 1), sample("blog", "db", 1)]);
        assert_eq!(updates.len(), 2);
        history.record(&[sample("shop", "web", 2)]);
        let shop = history.of(&ProjectId::parse("shop").unwrap(), 3);
        assert_eq!(shop.services.len(), 1);
        assert_eq!(shop.services[0].points.len(), 2);
        // An hour later the blog's service, not sampled since, is forgotten.
        history.record(&[sample("shop", "web", HISTORY_MS + 2)]);
        assert!(history.of(&ProjectId::parse("blog").unwrap(), HISTORY_MS + 2).services.is_empty());
        assert_eq!(history.of(&ProjectId::parse("shop").unwrap(), HISTORY_MS + 2).services[0].points.len(), 2);
    }
}
