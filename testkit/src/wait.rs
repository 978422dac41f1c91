//! Waiting for something that happens eventually: a page served, a state reached, a
//! process up. A check answers `Ok(value)` when it holds and `Err(what it saw)` while
//! it does not; past the deadline the test fails with the last thing seen.

use std::future::Future;
use std::time::{Duration, Instant};

/// Checks every `every` until `check` holds; panics with its last answer after `within`.
pub async fn eventually<T, E, F, Fut>(within: Duration, every: Duration, mut check: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(seen) => assert!(Instant::now() < deadline, "{seen}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// [`eventually`] for a check that blocks (no async runtime around it).
#[track_caller]
pub fn eventually_blocking<T, E: std::fmt::Display>(
    within: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<T, E>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        match check() {
            Ok(value) => return value,
            Err(seen) => assert!(Instant::now() < deadline, "{seen}"),
        }
        std::thread::sleep(every);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_once_the_check_holds() {
        let mut tries = 0;
        let got = eventually(Duration::from_secs(5), Duration::from_millis(1), || {
            tries += 1;
            let now = tries;
            async move {
                if now < 3 {
                    Err(format!("try {now}"))
                } else {
                    Ok(now)
                }
            }
        })
        .await;
        assert_eq!(got, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "still waiting")]
    async fn fails_with_what_it_saw_last() {
        eventually(Duration::from_millis(20), Duration::from_millis(5), || async {
            Err::<(), String>("still waiting".into())
        })
        .await;
    }

    #[test]
    #[should_panic(expected = "never")]
    fn blocking_fails_with_what_it_saw_last() {
        eventually_blocking(Duration::from_millis(20), Duration::from_millis(5), || Err::<(), String>("never".into()));
    }

    #[test]
    fn blocking_returns_once_the_check_holds() {
        let mut tries = 0;
        let got = eventually_blocking(Duration::from_secs(5), Duration::from_millis(1), || {
            tries += 1;
            if tries < 2 {
                Err::<&str, String>("not yet".into())
            } else {
                Ok("done")
            }
        });
        assert_eq!(got, "done");
    }
}
