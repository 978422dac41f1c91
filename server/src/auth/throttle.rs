//! Slows down repeated sign-in attempts, per client address and per username. An
//! attempt is counted *before* its password is checked, so a burst of parallel guesses
//! gets no further than sequential ones; a success forgets both counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts allowed before waits start.
const FREE_ATTEMPTS: u32 = 5;
/// Attempts older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Bounds the memory a spray of made-up usernames can take.
const MAX_KEYS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Addr(IpAddr),
    /// Lower-cased and cut, so case variants and padding share one count.
    User(String),
}

impl Key {
    fn user(username: &str) -> Self {
        Key::User(username.trim().chars().take(64).collect::<String>().to_lowercase())
    }
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    attempts: Mutex<HashMap<Key, Attempts>>,
}

#[derive(Debug, Clone, Copy)]
struct Attempts {
    count: u32,
    last: Instant,
}

impl SignInThrottle {
    /// Counts an attempt from `addr` as `username`, or says how long to wait first
    /// (the longer of the address's and the username's waits; a refused attempt is not
    /// counted).
    pub fn attempt(&self, addr: IpAddr, username: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let keys = [Key::Addr(addr), Key::user(username)];
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.retain(|_, a| now.duration_since(a.last) < WINDOW);
        let wait = keys
            .iter()
            .filter_map(|key| attempts.get(key))
            .map(|a| (a.last + backoff(a.count.saturating_add(1))).saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            return Err(wait);
        }
        for key in keys {
            if attempts.len() >= MAX_KEYS && !attempts.contains_key(&key) {
                let oldest = attempts.iter().min_by_key(|(_, a)| a.last).map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    attempts.remove(&oldest);
                }
            }
            let entry = attempts.entry(key).or_insert(Attempts { count: 0, last: now });
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
        Ok(())
    }

    /// A correct password: both counts start over.
    pub fn succeeded(&self, addr: IpAddr, username: &str) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.remove(&Key::Addr(addr));
        attempts.remove(&Key::user(username));
    }
}

/// The wait due before attempt number `n` (within the window): none for the first
/// few, then 1 s, doubling, capped.
fn backoff(n: u32) -> Duration {
    if n <= FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let exp = (n - FREE_ATTEMPTS - 1).min(16);
    Duration::from_secs(1u64 << exp).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_attempts_are_free_then_waits_grow() {
        let throttle = SignInThrottle::default();
        let addr = IpAddr::from([127, 0, 0, 1]);
        for n in 0..FREE_ATTEMPTS {
            assert_eq!(throttle.attempt(addr, &format!("user{n}")), Ok(()), "attempt {n}");
        }
        let wait = throttle.attempt(addr, "someone-else").expect_err("the address waits");
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO, "{wait:?}");
        assert_eq!(throttle.attempt(IpAddr::from([127, 0, 0, 2]), "x"), Ok(()), "other addresses go on");
        throttle.succeeded(addr, "user0");
        assert_eq!(throttle.attempt(addr, "user0"), Ok(()));
    }

    #[test]
    fn one_username_is_throttled_from_every_address() {
        let throttle = SignInThrottle::default();
        for n in 0..FREE_ATTEMPTS {
            let addr = IpAddr::from([10, 0, 0, n as u8 + 1]);
            assert_eq!(throttle.attempt(addr, if n % 2 == 0 { "Admin" } else { " admin " }), Ok(()));
        }
        assert!(throttle.attempt(IpAddr::from([10, 0, 1, 1]), "ADMIN").is_err(), "a sixth address waits too");
        assert_eq!(throttle.attempt(IpAddr::from([10, 0, 1, 1]), "other"), Ok(()));
    }

    #[test]
    fn a_burst_is_counted_before_any_password_is_checked() {
        // Nothing has been verified yet (no failure recorded): the counts alone stop it.
        let throttle = SignInThrottle::default();
        let addr = IpAddr::from([192, 0, 2, 1]);
        let passed = (0..50).filter(|_| throttle.attempt(addr, "admin").is_ok()).count();
        assert_eq!(passed, FREE_ATTEMPTS as usize);
    }

    #[test]
    fn backoff_is_capped() {
        assert_eq!(backoff(5), Duration::ZERO);
        assert_eq!(backoff(6), Duration::from_secs(1));
        assert_eq!(backoff(8), Duration::from_secs(4));
        assert_eq!(backoff(1000), MAX_WAIT);
    }
}
