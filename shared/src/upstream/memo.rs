//! What one warm instance remembers of upstream answers, to stay inside the venues' rate limits.
//! It lives only in this instance's memory (nothing is written anywhere) and is bounded.
//!
//! The answer for `(symbol, period, rows)` is reused until the next bucket of that period can
//! appear upstream ([`max_age_secs`]: the next boundary plus the publication lag, at most 5
//! minutes), so a warm instance asks for a given coin, period and row count at most once per
//! bucket (and at most once per 5 minutes). Only what will not change before then is kept: the
//! series, and "unknown symbol" (`200 []`). Failures are not kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::clock::max_age_secs;
use crate::domain::{ApiError, CohortSeries, Period, Symbol};

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
    /// 50 coins × a few (period, rows) variants. An entry holds at most 3 × 500 readings
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
        rows: u16,
        now_ms: i64,
    ) -> Option<Result<Arc<CohortSeries>, ApiError>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(symbol.clone(), period, rows))
            .filter(|e| now_ms < e.expires_ms)
            .map(|e| e.answer.clone())
    }

    /// Remembers an answer fetched at `now_ms` (only a series or "unknown symbol"). When full,
    /// expired entries go first, then the one closest to expiry.
    pub fn put(
        &self,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        answer: &Result<Arc<CohortSeries>, ApiError>,
        now_ms: i64,
    ) {
        if matches!(answer, Err(e) if !matches!(e, ApiError::UnknownSymbol { .. })) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let key = (symbol.clone(), period, rows);
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
    fn the_key_is_symbol_period_and_rows() {
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
}
