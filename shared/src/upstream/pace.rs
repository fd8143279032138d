//! A venue's per-IP rate limit kept by construction: at most `max` requests per `per` for each
//! key (an endpoint, or an endpoint and instrument, as the venue counts them). A request that
//! would exceed it waits for the oldest to age out, if that happens before the caller's
//! deadline; otherwise it is not sent and the venue is reported rate-limited, exactly as if the
//! venue had said so, but without having asked.
//!
//! Per warm instance and in memory only, like the request budget: instances behind other IPs
//! count on their own.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct Pace {
    max: usize,
    per: Duration,
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Pace {
    /// At most `max` (≥ 1) requests per `per` for each key.
    pub fn new(max: usize, per: Duration) -> Self {
        Pace {
            max: max.max(1),
            per,
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a slot for `key`, waiting for one when the window is full. `Err(seconds)` (how long
    /// until a slot frees up, at least 1) when the wait would end after `deadline`: nothing may
    /// be sent.
    pub async fn acquire(&self, key: &str, deadline: Instant) -> Result<(), u64> {
        loop {
            let wait_until = {
                let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let window = sent.entry(key.to_string()).or_default();
                while window.front().is_some_and(|t| *t + self.per <= now) {
                    window.pop_front();
                }
                if window.len() < self.max {
                    window.push_back(now);
                    return Ok(());
                }
                window[0] + self.per
            };
            if wait_until > deadline {
                let secs = wait_until
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64();
                return Err((secs.ceil() as u64).max(1));
            }
            tokio::time::sleep_until(wait_until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_full_window_waits_for_the_oldest_slot_or_refuses_past_the_deadline() {
        let pace = Pace::new(2, Duration::from_secs(2));
        let start = Instant::now();
        let far = start + Duration::from_secs(60);
        pace.acquire("a", far).await.unwrap();
        pace.acquire("a", far).await.unwrap();
        // Another key has its own window.
        pace.acquire("b", far).await.unwrap();
        assert_eq!(Instant::now(), start, "no wait below the limit");
        // The third request for "a" waits until the first is 2 s old.
        pace.acquire("a", far).await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        // Both requests sent at 0 s aged out at 2 s: one slot is still free at once.
        pace.acquire("a", far).await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        // Full again (two sent at 2 s): the next slot frees at 4 s, after a 1 s deadline.
        let soon = Instant::now() + Duration::from_secs(1);
        assert_eq!(pace.acquire("a", soon).await, Err(2));
        assert_eq!(Instant::now() - start, Duration::from_secs(2), "no wait");
    }

    #[tokio::test(start_paused = true)]
    async fn one_per_second_spaces_requests_a_second_apart() {
        let pace = Pace::new(1, Duration::from_secs(1));
        let start = Instant::now();
        let far = start + Duration::from_secs(60);
        for expected in 0..3 {
            pace.acquire("/api/v2/mix/market/long-short", far)
                .await
                .unwrap();
            assert_eq!(Instant::now() - start, Duration::from_secs(expected));
        }
    }
}
