//! A container's resource use from one Docker stats reading, in the figures the Docker
//! CLI shows (the arithmetic is nsm-core's).

use bollard::models::{ContainerCpuStats, ContainerStatsResponse};
use nsm_core::stats::{cpu_percent, memory_used, CpuCounters};

/// What one stats reading says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContainerUsage {
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    /// 0 = unknown.
    pub memory_limit: u64,
}

pub(super) fn usage_of(response: &ContainerStatsResponse) -> ContainerUsage {
    let current = counters(response.cpu_stats.as_ref());
    let previous = counters(response.precpu_stats.as_ref());
    let memory = response.memory_stats.as_ref();
    let usage = memory.and_then(|m| m.usage).unwrap_or(0);
    let stats = memory.and_then(|m| m.stats.as_ref());
    ContainerUsage {
        cpu_percent: cpu_percent(&previous, &current),
        memory_bytes: memory_used(usage, &|key: &str| stats.and_then(|s| s.get(key).copied())),
        memory_limit: memory.and_then(|m| m.limit).unwrap_or(0),
    }
}

fn counters(stats: Option<&ContainerCpuStats>) -> CpuCounters {
    let Some(stats) = stats else { return CpuCounters::default() };
    let usage = stats.cpu_usage.as_ref();
    // Older engines leave `online_cpus` out; the per-CPU list then tells the count.
    let listed = usage.and_then(|u| u.percpu_usage.as_ref()).map_or(0, |p| u32::try_from(p.len()).unwrap_or(u32::MAX));
    CpuCounters {
        container_ns: usage.and_then(|u| u.total_usage).unwrap_or(0),
        system_ns: stats.system_cpu_usage,
        online_cpus: stats.online_cpus.filter(|n| *n > 0).unwrap_or(listed),
    }
}
