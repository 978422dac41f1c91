//! Reconnect delays: exponential from 1 s to 30 s, with jitter so that many workers
//! losing one server do not all return in the same second.

use std::time::Duration;

use rand::Rng;

const FIRST: Duration = Duration::from_secs(1);
const MAX: Duration = Duration::from_secs(30);

pub(super) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub fn new() -> Self {
        Self { next: FIRST }
    }

    /// After a session that got as far as a welcome: start again from the shortest delay.
    pub fn reset(&mut self) {
        self.next = FIRST;
    }

    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (base * 2).min(MAX);
        let factor = rand::thread_rng().gen_range(0.75..=1.25);
        base.mul_f64(factor).min(MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_resets() {
        let mut backoff = Backoff::new();
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250), "{first:?}");
        let later: Vec<Duration> = (0..10).map(|_| backoff.next_delay()).collect();
        assert!(later.iter().all(|d| *d <= MAX));
        assert!(later[9] >= MAX.mul_f64(0.75));
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(1250));
    }
}
