//! A budget of upstream requests per warm instance: at most [`BUDGET_REQUESTS`] per rolling
//! [`BUDGET_WINDOW_MS`], whatever the callers ask; a fetch that would exceed it is not sent. It
//! lives only in this instance's memory.

use std::sync::Mutex;

/// Binance's limit on these endpoints is about 1,000 requests per 5 minutes per IP; one instance
/// spends at most this many of them, leaving the rest to the other functions and instances that
/// may share the outbound IP.
pub const BUDGET_REQUESTS: u32 = 600;
pub const BUDGET_WINDOW_MS: i64 = 300_000;

/// Requests sent (or reserved) in the last [`BUDGET_WINDOW_MS`].
pub struct RequestBudget {
    capacity: u32,
    /// (when, requests), one per reservation.
    spent: Mutex<Vec<(i64, u32)>>,
}

impl Default for RequestBudget {
    fn default() -> Self {
        RequestBudget::new(BUDGET_REQUESTS)
    }
}

/// Requests set aside for one fetch until it says how many it sent.
#[derive(Debug)]
pub struct Reservation {
    at_ms: i64,
    requests: u32,
}

impl RequestBudget {
    pub fn new(capacity: u32) -> Self {
        RequestBudget {
            capacity,
            spent: Mutex::new(Vec::new()),
        }
    }

    /// Sets aside `requests` at `now_ms`, or says in how many seconds that many will be free.
    /// Reserve the most a fetch can send (retries included), then [`RequestBudget::settle`].
    pub fn reserve(&self, requests: u32, now_ms: i64) -> Result<Reservation, u64> {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent.retain(|(at, n)| *at > now_ms - BUDGET_WINDOW_MS && *n > 0);
        let used: u32 = spent.iter().map(|(_, n)| n).sum();
        if used + requests <= self.capacity {
            spent.push((now_ms, requests));
            return Ok(Reservation {
                at_ms: now_ms,
                requests,
            });
        }
        // The oldest reservations leave the window first: wait until enough of them have.
        spent.sort_by_key(|(at, _)| *at);
        let mut freed = 0;
        let mut until = now_ms + BUDGET_WINDOW_MS;
        for (at, n) in spent.iter() {
            freed += n;
            if used - freed + requests <= self.capacity {
                until = at + BUDGET_WINDOW_MS;
                break;
            }
        }
        Err(((until - now_ms).max(1) as u64).div_ceil(1000))
    }

    /// Records what a reserved fetch actually sent (never more than reserved).
    pub fn settle(&self, reservation: Reservation, sent: u32) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = spent
            .iter_mut()
            .find(|(at, n)| *at == reservation.at_ms && *n == reservation.requests)
        {
            entry.1 = sent.min(reservation.requests);
        }
    }

    /// Requests counted in the window ending at `now_ms`.
    pub fn used(&self, now_ms: i64) -> u32 {
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent
            .iter()
            .filter(|(at, _)| *at > now_ms - BUDGET_WINDOW_MS)
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const S: i64 = 1000;

    #[test]
    fn the_budget_refuses_beyond_its_capacity_and_says_when_room_frees_up() {
        let b = RequestBudget::new(20);
        let t = DAY;
        let first = b.reserve(9, t).unwrap();
        let second = b.reserve(9, t + 10 * S).unwrap();
        assert_eq!(
            b.reserve(9, t + 20 * S).unwrap_err(),
            280,
            "until the first leaves"
        );
        // They sent 3 each: 6 used, room for two more worst-case fetches.
        b.settle(first, 3);
        b.settle(second, 3);
        assert_eq!(b.used(t + 20 * S), 6);
        let _third = b.reserve(9, t + 20 * S).unwrap();
        assert_eq!(b.reserve(9, t + 21 * S).unwrap_err(), 289);
        // Five minutes after the first, its 3 requests no longer count.
        assert_eq!(b.used(t + BUDGET_WINDOW_MS), 12);
        assert!(b.reserve(6, t + BUDGET_WINDOW_MS).is_ok());
    }

    #[test]
    fn by_construction_an_instance_never_sends_more_than_the_budget_in_any_window() {
        let b = RequestBudget::default();
        let mut sent: Vec<i64> = Vec::new();
        // A caller asking every second for 30 minutes, 9 reserved and 9 sent each time.
        for s in 0..1800 {
            let now = DAY + s * S;
            if let Ok(r) = b.reserve(9, now) {
                b.settle(r, 9);
                sent.extend(std::iter::repeat_n(now, 9));
            }
        }
        for &start in &sent {
            let in_window = sent
                .iter()
                .filter(|&&t| t >= start && t < start + BUDGET_WINDOW_MS)
                .count();
            assert!(in_window <= BUDGET_REQUESTS as usize, "{in_window}");
        }
        assert!(sent.len() >= 6 * 594, "{}", sent.len());
    }
}
