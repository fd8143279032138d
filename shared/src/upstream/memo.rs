//! What one warm instance remembers of upstream answers, to stay inside the venues' rate limits.
//! It lives only in this instance's memory (nothing is written anywhere) and is bounded.
//!
//! A series fetched for `(venue, symbol, period)` with `rows` rows serves every later request of
//! that instance that needs no more rows (each cohort's newest rows, exactly what a smaller
//! upstream request would have got), until it can be out of date:
//! - **complete** (every cohort reached the newest bucket that can have appeared): until the next
//!   bucket can appear ([`next_bucket_appears`]: the next boundary plus the publication lag), so a
//!   1h series is asked once an hour, a 5m series once per 5 minutes;
//! - **late** (a cohort has not published that bucket yet): at most [`LATE_RETRY_MS`], so the
//!   missing bucket is picked up soon after the venue publishes it.
//!
//! Only what cannot change before then is kept: the series, and "unknown symbol" (`200 []`).
//! Failures are never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Age, Extras};
use crate::domain::clock::{newest_visible_bucket, next_bucket_appears};
use crate::domain::{ApiError, CohortSeries, Period, Symbol, Venue};

/// How long a series that lacks the newest bucket is kept before the venue is asked again.
pub const LATE_RETRY_MS: i64 = 15_000;

type Key = (Venue, Symbol, Period);

struct Entry {
    answer: Result<Arc<CohortSeries>, ApiError>,
    rows: u16,
    extras: Extras,
    fetched_ms: i64,
    expires_ms: i64,
}

/// How far behind a remembered series may be when it is served stale: 15 minutes of buckets,
/// and at least one bucket (a 5m series 3 buckets, 15m and longer 1). Past that, the caller gets
/// the refusal instead.
pub const STALE_LIMIT_MS: i64 = 15 * 60_000;

/// The most buckets of `period` a stale answer may lack.
pub fn max_stale_buckets(period: Period) -> u32 {
    (STALE_LIMIT_MS / period.millis()).max(1) as u32
}

/// The age of an answer of `period` fetched at `fetched_ms`, at `now_ms`.
pub fn age(period: Period, fetched_ms: i64, now_ms: i64) -> Age {
    let behind = newest_visible_bucket(period, now_ms) - newest_visible_bucket(period, fetched_ms);
    Age {
        seconds: ((now_ms - fetched_ms).max(0) / 1000) as u64,
        buckets: (behind.max(0) / period.millis()) as u32,
    }
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

impl Entry {
    /// This entry's answer for `rows` rows with `extras`, if it covers them.
    fn serve(&self, rows: u16, extras: Extras) -> Option<Result<Arc<CohortSeries>, ApiError>> {
        match &self.answer {
            Ok(_) if !self.extras.covers(extras) => None,
            Ok(series) if self.rows > rows => Some(Ok(Arc::new(series.newest(usize::from(rows))))),
            Ok(_) if self.rows < rows => None,
            answer => Some(answer.clone()),
        }
    }
}

impl Memo {
    /// 50 coins × a few periods × venues. An entry holds at most 3 × 500 readings (~48 kB), so
    /// the memo stays within ~25 MB even full of 500-row series (measured peak RSS of a warm
    /// instance is ~8 MB with typical use: docs/PERFORMANCE.md).
    pub const DEFAULT_CAPACITY: usize = 512;

    pub fn new(capacity: usize) -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// When an answer of `period` fetched at `now_ms` stops being valid (see the module docs).
    pub fn expires_at(
        period: Period,
        answer: &Result<Arc<CohortSeries>, ApiError>,
        now_ms: i64,
    ) -> i64 {
        let next = next_bucket_appears(period, now_ms);
        match answer {
            Ok(series) if !series.all_reached(newest_visible_bucket(period, now_ms)) => {
                next.min(now_ms + LATE_RETRY_MS)
            }
            _ => next,
        }
    }

    /// The remembered answer for `rows` rows with `extras`, if one with at least that many rows
    /// and those extras is still valid at `now_ms`.
    pub fn get(
        &self,
        venue: Venue,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        extras: Extras,
        now_ms: i64,
    ) -> Option<Result<Arc<CohortSeries>, ApiError>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries
            .get(&(venue, symbol.clone(), period))
            .filter(|e| now_ms < e.expires_ms)?;
        entry.serve(rows, extras)
    }

    /// The remembered series for `rows` rows with `extras` even though it is no longer valid at
    /// `now_ms`, with its age, if it lacks at most [`max_stale_buckets`] (served stale when the
    /// venue cannot be asked).
    pub fn stale(
        &self,
        venue: Venue,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        extras: Extras,
        now_ms: i64,
    ) -> Option<(Arc<CohortSeries>, Age)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&(venue, symbol.clone(), period))?;
        let age = age(period, entry.fetched_ms, now_ms);
        if age.buckets > max_stale_buckets(period) {
            return None;
        }
        match entry.serve(rows, extras)? {
            Ok(series) => Some((series, age)),
            Err(_) => None,
        }
    }

    /// How many rows the series kept for `(venue, symbol, period)` has, if one is still valid at
    /// `now_ms` (whatever its extras): a fetch that must replace it can ask as many, so that the
    /// new entry still covers the callers the kept one served.
    pub fn kept_rows(
        &self,
        venue: Venue,
        symbol: &Symbol,
        period: Period,
        now_ms: i64,
    ) -> Option<u16> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(venue, symbol.clone(), period))
            .filter(|e| now_ms < e.expires_ms && e.answer.is_ok())
            .map(|e| e.rows)
    }

    /// Remembers an answer of `rows` rows with `extras` fetched at `now_ms` (only a series or
    /// "unknown symbol"), unless a valid one that covers it (more rows, the same extras or
    /// more) is already kept. When full, expired entries go first, then the one closest to
    /// expiry.
    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &self,
        venue: Venue,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        extras: Extras,
        answer: &Result<Arc<CohortSeries>, ApiError>,
        now_ms: i64,
    ) {
        if matches!(answer, Err(e) if !matches!(e, ApiError::UnknownSymbol { .. })) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let key = (venue, symbol.clone(), period);
        if let Some(kept) = entries.get(&key) {
            if now_ms < kept.expires_ms
                && kept.rows > rows
                && kept.extras.covers(extras)
                && kept.answer.is_ok()
            {
                return;
            }
        }
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
                rows,
                extras,
                fetched_ms: now_ms,
                expires_ms: Memo::expires_at(period, answer, now_ms),
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
    use crate::domain::{Decimal, Reading};

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const S: i64 = 1000;
    const MIN: i64 = 60 * S;
    const H: i64 = 60 * MIN;
    const B: Venue = Venue::Binance;
    const X: Extras = Extras::NONE;

    fn sym(c: &str) -> Symbol {
        Symbol::from_coin(c).unwrap()
    }

    fn reading(timestamp: i64) -> Reading {
        Reading {
            timestamp,
            long_share: Decimal::parse("0.6").unwrap(),
            short_share: Decimal::parse("0.4").unwrap(),
            long_short_ratio: None,
        }
    }

    /// Three cohorts with buckets `from..=to` every `step`; the accounts cohort ends at `accounts_to`.
    fn series(
        from: i64,
        to: i64,
        accounts_to: i64,
        step: i64,
    ) -> Result<Arc<CohortSeries>, ApiError> {
        let run = |end: i64| {
            (0..)
                .map(|i| from + i * step)
                .take_while(|t| *t <= end)
                .map(reading)
                .collect()
        };
        Ok(Arc::new(CohortSeries {
            retail_crowd: run(to),
            top_traders_by_accounts: run(accounts_to),
            top_traders_by_position: run(to),
            open_interest: Vec::new(),
            prices: Vec::new(),
        }))
    }

    fn ok() -> Result<Arc<CohortSeries>, ApiError> {
        Ok(Arc::new(CohortSeries::default()))
    }

    #[test]
    fn a_complete_answer_is_valid_until_the_next_bucket_can_appear_and_not_a_millisecond_longer() {
        let memo = Memo::default();
        // 12:57:30: the newest visible 5m bucket is 12:55; the 13:00 one appears at 13:00:05.
        let t = DAY + 12 * H + 57 * MIN + 30 * S;
        let complete = series(
            DAY,
            DAY + 12 * H + 55 * MIN,
            DAY + 12 * H + 55 * MIN,
            5 * MIN,
        );
        memo.put(B, &sym("BTC"), Period::M5, 6, X, &complete, t);
        let next = DAY + 13 * H + 5 * S;
        assert!(memo
            .get(B, &sym("BTC"), Period::M5, 6, X, next - 1)
            .is_some());
        assert!(memo.get(B, &sym("BTC"), Period::M5, 6, X, next).is_none());
        // A complete 1h series fetched at 12:00:10 keeps until 13:00:05, not 5 minutes.
        let t = DAY + 12 * H + 10 * S;
        let complete = series(DAY, DAY + 12 * H, DAY + 12 * H, H);
        assert_eq!(Memo::expires_at(Period::H1, &complete, t), next);
    }

    #[test]
    fn a_series_still_waiting_for_a_bucket_is_asked_again_soon() {
        // 12:00:10 at 1h: the 12:00 bucket can be out, but the accounts cohort still ends at 11:00.
        let t = DAY + 12 * H + 10 * S;
        let late = series(DAY, DAY + 12 * H, DAY + 11 * H, H);
        assert_eq!(Memo::expires_at(Period::H1, &late, t), t + LATE_RETRY_MS);
        // Close to the next boundary, the next bucket comes first.
        let t = DAY + 12 * H + 59 * MIN + 55 * S;
        assert_eq!(Memo::expires_at(Period::H1, &late, t), DAY + 13 * H + 5 * S);
        // "Unknown symbol" has no buckets to wait for.
        let unknown = Err(ApiError::UnknownSymbol {
            venue: Venue::Binance,
            symbol: "X".into(),
        });
        assert_eq!(
            Memo::expires_at(Period::H1, &unknown, DAY + 12 * H + 10 * S),
            DAY + 13 * H + 5 * S
        );
    }

    #[test]
    fn a_series_with_more_rows_serves_fewer_rows_as_the_upstream_would_and_never_more() {
        let memo = Memo::default();
        let t = DAY + 12 * H + 10 * S;
        memo.put(
            B,
            &sym("BTC"),
            Period::H1,
            12,
            X,
            &series(DAY + H, DAY + 12 * H, DAY + 12 * H, H),
            t,
        );
        let six = memo
            .get(B, &sym("BTC"), Period::H1, 6, X, t)
            .unwrap()
            .unwrap();
        let ts: Vec<i64> = six
            .retail_crowd
            .iter()
            .map(|r| (r.timestamp - DAY) / H)
            .collect();
        assert_eq!(ts, [7, 8, 9, 10, 11, 12]);
        assert!(memo.get(B, &sym("BTC"), Period::H1, 12, X, t).is_some());
        assert!(memo.get(B, &sym("BTC"), Period::H1, 13, X, t).is_none());
        // A later, smaller fetch does not replace the larger series while it is valid.
        memo.put(
            B,
            &sym("BTC"),
            Period::H1,
            6,
            X,
            &series(DAY + 7 * H, DAY + 12 * H, DAY + 12 * H, H),
            t,
        );
        assert!(memo.get(B, &sym("BTC"), Period::H1, 12, X, t).is_some());
    }

    #[test]
    fn a_series_fetched_with_more_extras_serves_a_request_needing_fewer_never_the_reverse() {
        let memo = Memo::default();
        let t = DAY + 12 * H + 10 * S;
        let oi = Extras {
            open_interest: true,
            prices: false,
        };
        memo.put(B, &sym("BTC"), Period::H1, 6, X, &ok(), t);
        assert!(memo.get(B, &sym("BTC"), Period::H1, 6, X, t).is_some());
        assert!(memo.get(B, &sym("BTC"), Period::H1, 6, oi, t).is_none());
        // The fetch with the open interest replaces it and then serves both.
        memo.put(B, &sym("BTC"), Period::H1, 6, oi, &ok(), t);
        assert!(memo.get(B, &sym("BTC"), Period::H1, 6, oi, t).is_some());
        assert!(memo.get(B, &sym("BTC"), Period::H1, 6, X, t).is_some());
        let prices = Extras {
            open_interest: false,
            prices: true,
        };
        assert!(memo.get(B, &sym("BTC"), Period::H1, 6, prices, t).is_none());
        assert!(Extras {
            open_interest: true,
            prices: true
        }
        .covers(prices));
    }

    #[test]
    fn the_key_is_venue_symbol_and_period() {
        let memo = Memo::default();
        let t = DAY + 30 * S;
        memo.put(B, &sym("BTC"), Period::H1, 6, X, &ok(), t);
        assert!(memo.get(B, &sym("BTC"), Period::H1, 6, X, t).is_some());
        assert!(memo.get(B, &sym("BTC"), Period::M5, 6, X, t).is_none());
        assert!(memo.get(B, &sym("ETH"), Period::H1, 6, X, t).is_none());
    }

    #[test]
    fn unknown_symbols_are_remembered_for_any_rows_and_failures_are_not() {
        let memo = Memo::default();
        let t = DAY + 30 * S;
        let unknown = Err(ApiError::UnknownSymbol {
            venue: Venue::Binance,
            symbol: "NOPEUSDT".into(),
        });
        memo.put(B, &sym("NOPE"), Period::H1, 6, X, &unknown, t);
        assert_eq!(
            memo.get(B, &sym("NOPE"), Period::H1, 500, X, t),
            Some(unknown)
        );
        for e in [
            ApiError::UpstreamTimeout,
            ApiError::upstream("x"),
            ApiError::UpstreamRateLimited {
                retry_after_secs: 7,
            },
            ApiError::UpstreamBudgetExhausted {
                retry_after_secs: 7,
            },
        ] {
            memo.put(B, &sym("BTC"), Period::H1, 6, X, &Err(e), t);
        }
        assert_eq!(memo.get(B, &sym("BTC"), Period::H1, 6, X, t), None);
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn the_memo_is_bounded_dropping_expired_entries_then_the_soonest_to_expire() {
        let memo = Memo::new(2);
        let t = DAY + 12 * H + 30 * S;
        memo.put(B, &sym("A"), Period::M5, 6, X, &ok(), t); // expires 12:05:05
        memo.put(B, &sym("B"), Period::H1, 6, X, &ok(), t); // expires 13:00:05
        memo.put(B, &sym("C"), Period::H1, 6, X, &ok(), t);
        assert_eq!(memo.len(), 2);
        assert!(memo.get(B, &sym("A"), Period::M5, 6, X, t).is_none());
        assert!(memo.get(B, &sym("B"), Period::H1, 6, X, t).is_some());
        // Once both have expired, a new entry makes room by dropping them.
        let later = t + 2 * H;
        memo.put(B, &sym("D"), Period::H1, 6, X, &ok(), later);
        assert_eq!(memo.len(), 1);
    }
}
