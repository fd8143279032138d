//! What one warm instance remembers of Binance, to stay inside its rate limit: a memo of upstream
//! answers and a budget of upstream requests. Both live only in this instance's memory (nothing
//! is written anywhere) and both are bounded.
//!
//! - [`Memo`]: the answer for `(symbol, period, limit)` is reused until the next bucket of that
//!   period can appear upstream ([`cache::max_age_secs`]: the next boundary plus the publication
//!   lag, at most 5 minutes), so a warm instance asks Binance for a given coin, period and limit
//!   at most once per bucket (and at most once per 5 minutes). Only what will not change before
//!   then is kept: the series, and "unknown symbol" (`200 []`). Failures are not kept.
//! - [`UpstreamBudget`]: at most [`BUDGET_REQUESTS`] requests per rolling [`BUDGET_WINDOW_MS`],
//!   whatever the callers ask; a fetch that would exceed it is not sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::binance::CohortSeries;
use crate::cache::max_age_secs;
use crate::error::ApiError;
use crate::params::{Period, Symbol};

/// Binance's limit on these endpoints is about 1,000 requests per 5 minutes per IP; one instance
/// spends at most this many of them, leaving the rest to the other functions and instances that
/// may share the outbound IP.
pub const BUDGET_REQUESTS: u32 = 600;
pub const BUDGET_WINDOW_MS: i64 = 300_000;

type Key = (Symbol, Period, u16);

struct Entry {
    answer: Result<Arc<CohortSeries>, ApiError>,
    expires_ms: i64,
}

/// The memo of upstream answers of this warm instance.
pub struct Memo {
    entries: Mutex<HashMap<Key, Entry>>,
    capacity: usize,
}

impl Default for Memo {
    fn default() -> Self {
        Memo::new(Memo::DEFAULT_CAPACITY)
    }
}

impl Memo {
    /// 50 coins × a few (period, limit) variants. An entry holds at most 3 × 500 readings
    /// (~60 kB), so the memo stays within ~15 MB.
    pub const DEFAULT_CAPACITY: usize = 256;

    pub fn new(capacity: usize) -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// When an answer fetched at `now_ms` stops being valid: once the next bucket can appear.
    pub fn expires_at(period: Period, now_ms: i64) -> i64 {
        now_ms + i64::from(max_age_secs(period, now_ms)) * 1000
    }

    /// The remembered answer, if still valid at `now_ms`.
    pub fn get(
        &self,
        symbol: &Symbol,
        period: Period,
        limit: u16,
        now_ms: i64,
    ) -> Option<Result<Arc<CohortSeries>, ApiError>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(symbol.clone(), period, limit))
            .filter(|e| now_ms < e.expires_ms)
            .map(|e| e.answer.clone())
    }

    /// Remembers an answer fetched at `now_ms` (only a series or "unknown symbol"). When full,
    /// expired entries go first, then the one closest to expiry.
    pub fn put(
        &self,
        symbol: &Symbol,
        period: Period,
        limit: u16,
        answer: &Result<Arc<CohortSeries>, ApiError>,
        now_ms: i64,
    ) {
        if matches!(answer, Err(e) if !matches!(e, ApiError::UnknownSymbol { .. })) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let key = (symbol.clone(), period, limit);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| now_ms < e.expires_ms);
            if entries.len() >= self.capacity {
                let soonest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires_ms)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                answer: answer.clone(),
                expires_ms: Memo::expires_at(period, now_ms),
            },
        );
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Requests sent (or reserved) in the last [`BUDGET_WINDOW_MS`].
pub struct UpstreamBudget {
    capacity: u32,
    /// (when, requests), one per reservation.
    spent: Mutex<Vec<(i64, u32)>>,
}

impl Default for UpstreamBudget {
    fn default() -> Self {
        UpstreamBudget::new(BUDGET_REQUESTS)
    }
}

/// Requests set aside for one fetch until it says how many it sent.
#[derive(Debug)]
pub struct Reservation {
    at_ms: i64,
    requests: u32,
}

impl UpstreamBudget {
    pub fn new(capacity: u32) -> Self {
        UpstreamBudget {
            capacity,
            spent: Mutex::new(Vec::new()),
        }
    }

    /// Sets aside `requests` at `now_ms`, or says in how many seconds that many will be free.
    /// Reserve the most a fetch can send (retries included), then [`UpstreamBudget::settle`].
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
    const MIN: i64 = 60 * S;

    fn sym(c: &str) -> Symbol {
        Symbol::from_coin(c).unwrap()
    }

    fn ok() -> Result<Arc<CohortSeries>, ApiError> {
        Ok(Arc::new(CohortSeries::default()))
    }

    #[test]
    fn an_answer_is_valid_until_the_next_bucket_can_appear_and_not_a_millisecond_longer() {
        let memo = Memo::default();
        // 12:57:30: the 13:00 5m bucket appears at 13:00:05.
        let t = DAY + 12 * 60 * MIN + 57 * MIN + 30 * S;
        memo.put(&sym("BTC"), Period::M5, 6, &ok(), t);
        let next = DAY + 13 * 60 * MIN + 5 * S;
        assert_eq!(Memo::expires_at(Period::M5, t), next);
        assert!(memo.get(&sym("BTC"), Period::M5, 6, next - 1).is_some());
        assert!(memo.get(&sym("BTC"), Period::M5, 6, next).is_none());
        // A 1h answer at 12:59:00 keeps until 13:00:05; right after a bucket, at most 5 minutes.
        assert_eq!(
            Memo::expires_at(Period::H1, DAY + 12 * 60 * MIN + 59 * MIN),
            next
        );
        let after = DAY + 13 * 60 * MIN + 10 * S;
        assert_eq!(Memo::expires_at(Period::H1, after), after + 300 * S);
    }

    #[test]
    fn the_key_is_symbol_period_and_limit() {
        let memo = Memo::default();
        let t = DAY + 30 * S;
        memo.put(&sym("BTC"), Period::H1, 6, &ok(), t);
        assert!(memo.get(&sym("BTC"), Period::H1, 6, t).is_some());
        assert!(memo.get(&sym("BTC"), Period::H1, 18, t).is_none());
        assert!(memo.get(&sym("BTC"), Period::M5, 6, t).is_none());
        assert!(memo.get(&sym("ETH"), Period::H1, 6, t).is_none());
    }

    #[test]
    fn unknown_symbols_are_remembered_and_failures_are_not() {
        let memo = Memo::default();
        let t = DAY + 30 * S;
        let unknown = Err(ApiError::UnknownSymbol {
            symbol: "NOPEUSDT".into(),
        });
        memo.put(&sym("NOPE"), Period::H1, 6, &unknown, t);
        assert_eq!(memo.get(&sym("NOPE"), Period::H1, 6, t), Some(unknown));
        for e in [
            ApiError::UpstreamTimeout,
            ApiError::upstream("x"),
            ApiError::UpstreamRateLimited {
                retry_after_secs: 7,
            },
        ] {
            memo.put(&sym("BTC"), Period::H1, 6, &Err(e), t);
        }
        assert_eq!(memo.get(&sym("BTC"), Period::H1, 6, t), None);
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn the_memo_is_bounded_dropping_expired_entries_then_the_soonest_to_expire() {
        let memo = Memo::new(2);
        let t = DAY + 12 * 60 * MIN + 30 * S;
        memo.put(&sym("A"), Period::M5, 6, &ok(), t); // expires 12:05:05
        memo.put(&sym("B"), Period::H1, 6, &ok(), t); // expires 12:05:30 (cap)
        memo.put(&sym("C"), Period::H1, 6, &ok(), t);
        assert_eq!(memo.len(), 2);
        assert!(memo.get(&sym("A"), Period::M5, 6, t).is_none());
        assert!(memo.get(&sym("B"), Period::H1, 6, t).is_some());
        // Once both have expired, a new entry makes room by dropping them.
        let later = t + 400 * S;
        memo.put(&sym("D"), Period::H1, 6, &ok(), later);
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn the_budget_refuses_beyond_its_capacity_and_says_when_room_frees_up() {
        let b = UpstreamBudget::new(20);
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
        let b = UpstreamBudget::default();
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
