//! Slows down repeated sign-in failures from one address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before waits start.
const FREE_FAILURES: u32 = 5;
/// Failures older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl SignInThrottle {
    /// How long `addr` must still wait before trying again, if at all.
    pub fn wait_for(&self, addr: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, f| now.duration_since(f.last) < WINDOW);
        let f = failures.get(&addr)?;
        let until = f.last + backoff(f.count);
        (until > now).then(|| until - now)
    }

    pub fn failed(&self, addr: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = failures.entry(addr).or_insert(Failures { count: 0, last: Instant::now() });
        entry.count = entry.count.saturating_add(1);
        entry.last = Instant::now();
    }

    pub fn succeeded(&self, addr: IpAddr) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&addr);
    }
}

/// Exponential: 1 s after the sixth failure, doubling, capped.
fn backoff(count: u32) -> Duration {
    if count <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (count - FREE_FAILURES - 1).min(16);
    Duration::from_secs(1u64 << exp).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failures_are_free_then_waits_grow() {
        let throttle = SignInThrottle::default();
        let addr = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..FREE_FAILURES {
            throttle.failed(addr);
            assert_eq!(throttle.wait_for(addr), None);
        }
        throttle.failed(addr);
        assert!(throttle.wait_for(addr).is_some_and(|d| d <= Duration::from_secs(1) && d > Duration::ZERO));
        assert_eq!(throttle.wait_for(IpAddr::from([127, 0, 0, 2])), None, "other addresses are not affected");
        throttle.succeeded(addr);
        assert_eq!(throttle.wait_for(addr), None);
    }

    #[test]
    fn backoff_is_capped() {
        assert_eq!(backoff(5), Duration::ZERO);
        assert_eq!(backoff(6), Duration::from_secs(1));
        assert_eq!(backoff(8), Duration::from_secs(4));
        assert_eq!(backoff(1000), MAX_WAIT);
    }
}
