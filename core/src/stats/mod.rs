//! Resource use per container: one sample of CPU and memory as Docker reports it, the
//! arithmetic that turns Docker's raw counters into the figures `docker stats` shows,
//! a bounded last hour per service, and the sparkline drawn from it. Pure logic: the
//! worker, the server and the browser compute the same numbers.

mod series;
mod sparkline;

pub use series::{ServicePoint, ServiceSeries, HISTORY_MS};
pub use sparkline::{sparkline_points, Sparkline};

use serde::{Deserialize, Serialize};

use crate::project::ProjectId;

/// How often the worker samples while a browser watches (seconds).
pub const SAMPLE_EVERY_SECS: u64 = 3;

/// One container's resource use at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerSample {
    pub project: ProjectId,
    pub service: String,
    pub container: String,
    /// When it was taken, milliseconds since the Unix epoch.
    pub at: i64,
    /// Share of one CPU in percent (200 = two CPUs busy), as `docker stats` shows it.
    pub cpu_percent: f64,
    /// Memory in use, without the page cache (as `docker stats` shows it).
    pub memory_bytes: u64,
    /// The container's memory limit (the host's memory when it has none); 0 = unknown.
    pub memory_limit: u64,
}

/// What `GET /api/v1/projects/{id}/stats` streams: first each service's last hour,
/// then every new batch (one point per service sampled).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsUpdate {
    pub services: Vec<ServiceStats>,
}

/// Points of one service, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStats {
    pub service: String,
    pub points: Vec<ServicePoint>,
}

/// Docker's cumulative CPU counters of one reading (`cpu_stats` or `precpu_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuCounters {
    /// CPU time the container used, nanoseconds.
    pub container_ns: u64,
    /// CPU time the whole host used, nanoseconds (absent on some platforms).
    pub system_ns: Option<u64>,
    /// CPUs online (0 or absent: count unknown).
    pub online_cpus: u32,
}

/// The CPU use between two readings in percent of one CPU, as the Docker CLI computes
/// it: the container's share of the host's CPU time, times the CPUs online. Zero when
/// it cannot be told: no host delta, or a counter that went back (a restarted
/// container starts its counters again).
pub fn cpu_percent(previous: &CpuCounters, current: &CpuCounters) -> f64 {
    let (Some(system_before), Some(system_now)) = (previous.system_ns, current.system_ns) else {
        return 0.0;
    };
    let container = current.container_ns.checked_sub(previous.container_ns);
    let system = system_now.checked_sub(system_before);
    match (container, system) {
        (Some(container), Some(system)) if system > 0 => {
            let cpus = f64::from(current.online_cpus.max(1));
            let percent = container as f64 / system as f64 * cpus * 100.0;
            // The container cannot use more than every CPU; rounding aside, clamp.
            percent.clamp(0.0, cpus * 100.0)
        }
        _ => 0.0,
    }
}

/// Memory in use as the Docker CLI reports it: the usage minus the page cache that
/// the kernel can reclaim (`inactive_file` on cgroup v2, `total_inactive_file` or
/// `cache` on v1).
pub fn memory_used(usage: u64, stats: &impl Fn(&str) -> Option<u64>) -> u64 {
    let cache = stats("inactive_file").or_else(|| stats("total_inactive_file")).or_else(|| stats("cache"));
    match cache {
        Some(cache) if cache < usage => usage - cache,
        _ => usage,
    }
}

/// Bytes for people: `512 B`, `12.3 MiB`, `1.5 GiB` (binary units, as `docker stats`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bytes_are_told_in_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(64 * 1024 * 1024), "64.0 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }

    fn counters(container_ns: u64, system_ns: u64, online_cpus: u32) -> CpuCounters {
        CpuCounters { container_ns, system_ns: Some(system_ns), online_cpus }
    }

    #[test]
    fn cpu_is_the_share_of_host_time_times_cpus() {
        // Half the host's time on a 4-CPU host: two CPUs busy.
        assert_eq!(cpu_percent(&counters(0, 0, 4), &counters(500, 1000, 4)), 200.0);
        assert_eq!(cpu_percent(&counters(100, 1000, 2), &counters(200, 2000, 2)), 20.0);
    }

    #[test]
    fn cpu_is_zero_when_it_cannot_be_told() {
        // No host delta.
        assert_eq!(cpu_percent(&counters(0, 1000, 2), &counters(50, 1000, 2)), 0.0);
        // Absent host counter (first reading of a one-shot sample).
        let absent = CpuCounters { container_ns: 0, system_ns: None, online_cpus: 2 };
        assert_eq!(cpu_percent(&absent, &counters(50, 1000, 2)), 0.0);
        // A restarted container's counter went back.
        assert_eq!(cpu_percent(&counters(9000, 1000, 2), &counters(10, 2000, 2)), 0.0);
        // Unknown CPU count counts as one.
        assert_eq!(cpu_percent(&counters(0, 0, 0), &counters(10, 100, 0)), 10.0);
    }

    #[test]
    fn memory_leaves_the_page_cache_out() {
        let v2 = |key: &str| (key == "inactive_file").then_some(300);
        assert_eq!(memory_used(1000, &v2), 700);
        let v1 = |key: &str| (key == "total_inactive_file").then_some(100);
        assert_eq!(memory_used(1000, &v1), 900);
        let none = |_: &str| None;
        assert_eq!(memory_used(1000, &none), 1000);
        let larger = |_: &str| Some(5000);
        assert_eq!(memory_used(1000, &larger), 1000);
    }

    proptest! {
        #[test]
        fn cpu_stays_within_zero_and_every_cpu(
            before in any::<u64>(), after in any::<u64>(),
            sys_before in any::<u64>(), sys_after in any::<u64>(), cpus in 0u32..256,
        ) {
            let percent = cpu_percent(&counters(before, sys_before, cpus), &counters(after, sys_after, cpus));
            prop_assert!(percent.is_finite());
            prop_assert!((0.0..=f64::from(cpus.max(1)) * 100.0).contains(&percent));
        }
    }
}
