//! What a warm instance keeps between invocations, in memory only, and the one way every
//! endpoint fetches: memo first, then the venue's request budget, then the venue; and when the
//! venue cannot be asked (the budget is spent, or it rate-limited us), what the memo remembers
//! rather than a refusal.

use std::sync::Arc;

use super::memo::Memo;
use super::refresh::RefreshLedger;
use super::{Fetched, PositioningSource, UpstreamReport};
use crate::domain::clock::{newest_visible_bucket, now_ms};
use crate::domain::{ApiError, CohortSeries, Period, Symbol};

#[derive(Default)]
pub struct Warm {
    pub memo: Memo,
    pub refreshes: RefreshLedger,
}

impl Warm {
    /// `rows` rows of `symbol` at `period` from `source`: from the memo when it holds them (and
    /// `fresh` is not asked, or the memo already holds the newest bucket that can be out), else
    /// fetched within the venue's request budget and remembered. When the budget cannot afford
    /// the fetch, or the venue rate-limits it, the memo answers if it can: still valid (even when
    /// `fresh` was asked), or **stale** within [`super::memo::max_stale_buckets`]; otherwise the
    /// refusal (`503 upstream_budget_exhausted` with the seconds until the budget can, or the
    /// venue's `503 upstream_rate_limited`).
    pub async fn fetch(
        &self,
        source: &impl PositioningSource,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        fresh: bool,
    ) -> Fetched<Arc<CohortSeries>> {
        let venue = source.venue();
        let extras = source.extras();
        let now = now_ms();
        if let Some(result) = self.memo.get(venue, symbol, period, rows, extras, now) {
            // Asked to be fresh, the memo still answers when it already holds the newest bucket
            // that can be out from every cohort: the venue cannot have anything newer before
            // the next boundary, so asking again would spend the budget for the same numbers.
            let current = || {
                let newest = newest_visible_bucket(period, now);
                matches!(&result, Ok(series) if series.all_reached(newest))
            };
            if !fresh || current() {
                return Fetched {
                    result,
                    report: UpstreamReport::NONE,
                    from_memo: true,
                    stale: None,
                };
            }
        }
        let asked_at = now_ms();
        // A valid series with more rows but other extras (the screener's confidence rows without
        // the open interest, say) is replaced by this fetch: ask for its rows too when that costs
        // no more requests, so the new entry serves both kinds of caller instead of the two
        // replacing each other's entry on every call. The caller still gets exactly `rows`.
        let wide = self
            .memo
            .kept_rows(venue, symbol, period, asked_at)
            .filter(|kept| *kept > rows && source.requests(*kept) == source.requests(rows))
            .unwrap_or(rows);
        if let Err(retry_after_secs) = source.reserve(wide, asked_at) {
            if let Some(kept) = self.remembered(source, symbol, period, rows, UpstreamReport::NONE)
            {
                return kept;
            }
            tracing::warn!(
                venue = venue.id(),
                symbol = symbol.as_str(),
                retry_after_secs,
                "upstream request budget spent and nothing remembered; not fetched"
            );
            return Fetched {
                result: Err(ApiError::UpstreamBudgetExhausted { retry_after_secs }),
                report: UpstreamReport::REFUSED,
                from_memo: false,
                stale: None,
            };
        }
        let fetched = source.fetch(symbol, period, wide).await;
        if let Err(ApiError::UpstreamRateLimited { .. }) = &fetched.result {
            if let Some(kept) = self.remembered(source, symbol, period, rows, fetched.report) {
                return kept;
            }
        }
        let result = fetched.result.map(Arc::new);
        self.memo
            .put(venue, symbol, period, wide, extras, &result, asked_at);
        let result = match result {
            Ok(series) if wide > rows => Ok(Arc::new(series.newest(usize::from(rows)))),
            other => other,
        };
        Fetched {
            result,
            report: fetched.report,
            from_memo: false,
            stale: None,
        }
    }

    /// What the memo can answer for a market the venue cannot be asked about now: the valid
    /// entry, else a stale one within its bound (the call's `report` then says stale).
    fn remembered(
        &self,
        source: &impl PositioningSource,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        report: UpstreamReport,
    ) -> Option<Fetched<Arc<CohortSeries>>> {
        let (venue, extras, now) = (source.venue(), source.extras(), now_ms());
        if let Some(result) = self.memo.get(venue, symbol, period, rows, extras, now) {
            return Some(Fetched {
                result,
                report,
                from_memo: true,
                stale: None,
            });
        }
        let (series, age) = self.memo.stale(venue, symbol, period, rows, extras, now)?;
        tracing::info!(
            venue = venue.id(),
            symbol = symbol.as_str(),
            age_secs = age.seconds,
            age_buckets = age.buckets,
            "venue not asked; served the remembered answer stale"
        );
        Some(Fetched {
            result: Ok(series),
            report: UpstreamReport {
                stale: true,
                ..report
            },
            from_memo: true,
            stale: Some(age),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::super::budget::Budget;
    use super::super::{Extras, VenueFacts};
    use super::*;
    use crate::domain::{Decimal, Reading, Venue};

    const PATH: &str = "/test";

    /// A venue answering `rows` buckets per cohort up to the newest that can be out (or, `late`,
    /// the one before), with or without the open interest, recording the rows of each fetch; each
    /// fetch spends 1 of its budget of `budget` per 5 minutes; `rate_limited`: it answers 429.
    struct TestVenue {
        asked: Mutex<Vec<u16>>,
        late: bool,
        open_interest: bool,
        rate_limited: bool,
        budget: Budget,
    }

    impl TestVenue {
        fn new(budget: u32) -> Self {
            TestVenue {
                asked: Mutex::default(),
                late: false,
                open_interest: false,
                rate_limited: false,
                budget: Budget::binance(&[PATH], budget, "/klines", 0),
            }
        }
        fn fetches(&self) -> usize {
            self.asked.lock().unwrap().len()
        }
    }

    impl PositioningSource for TestVenue {
        fn facts(&self) -> &'static VenueFacts {
            &crate::upstream::binance::FACTS
        }
        fn source(&self) -> &'static str {
            "test"
        }
        fn instrument(&self, symbol: &Symbol) -> String {
            symbol.to_string()
        }
        fn extras(&self) -> Extras {
            Extras {
                open_interest: self.open_interest,
                prices: false,
            }
        }
        fn requests(&self, _rows: u16) -> u32 {
            3
        }
        fn reserve(&self, _rows: u16, now_ms: i64) -> Result<(), u64> {
            self.budget.reserve(&[(PATH, 1)], now_ms)
        }
        async fn fetch(&self, _: &Symbol, period: Period, rows: u16) -> Fetched {
            self.asked.lock().unwrap().push(rows);
            let report = UpstreamReport {
                elapsed_ms: 1,
                requests: 3,
                outcome: "ok",
                stale: false,
            };
            if self.rate_limited {
                return Fetched {
                    result: Err(ApiError::UpstreamRateLimited {
                        retry_after_secs: 10,
                    }),
                    report: UpstreamReport {
                        outcome: "upstream_rate_limited",
                        ..report
                    },
                    from_memo: false,
                    stale: None,
                };
            }
            let late = if self.late { period.millis() } else { 0 };
            Fetched {
                result: Ok(series(
                    newest_visible_bucket(period, now_ms()) - late,
                    period,
                    rows,
                )),
                report,
                from_memo: false,
                stale: None,
            }
        }
    }

    /// `rows` buckets of each cohort up to `newest`.
    fn series(newest: i64, period: Period, rows: u16) -> CohortSeries {
        let run: Vec<Reading> = (0..i64::from(rows))
            .rev()
            .map(|k| Reading {
                timestamp: newest - k * period.millis(),
                long_share: Decimal::parse("0.6").unwrap(),
                short_share: Decimal::parse("0.4").unwrap(),
                long_short_ratio: None,
            })
            .collect();
        CohortSeries {
            retail_crowd: run.clone(),
            top_traders_by_accounts: run.clone(),
            top_traders_by_position: run,
            open_interest: Vec::new(),
            prices: Vec::new(),
        }
    }

    fn coin(c: &str) -> Symbol {
        Symbol::from_coin(c).unwrap()
    }

    #[tokio::test]
    async fn a_repeat_costs_nothing_and_a_spent_budget_falls_back_to_the_memo_or_says_503() {
        // Room for two fetches per 5 minutes.
        let venue = TestVenue::new(2);
        let warm = Warm::default();
        let first = warm.fetch(&venue, &coin("BTC"), Period::H4, 6, false).await;
        assert!(first.result.is_ok() && !first.from_memo);
        let again = warm.fetch(&venue, &coin("BTC"), Period::H4, 6, false).await;
        assert!(again.from_memo && again.report.requests == 0 && again.stale.is_none());
        assert!(
            !warm
                .fetch(&venue, &coin("ETH"), Period::H4, 6, false)
                .await
                .from_memo
        );
        // The budget is spent: a refresh of a remembered market is answered by the memo, still
        // valid, so not stale.
        let fresh = warm.fetch(&venue, &coin("BTC"), Period::H4, 6, true).await;
        assert!(fresh.result.is_ok() && fresh.from_memo && fresh.stale.is_none());
        assert!(!fresh.report.stale);
        let sol = warm.fetch(&venue, &coin("SOL"), Period::H4, 6, false).await;
        assert_eq!(sol.result.unwrap_err().code(), "upstream_budget_exhausted");
        assert_eq!(venue.fetches(), 2);
    }

    #[tokio::test]
    async fn a_spent_budget_serves_an_expired_market_stale_with_its_age_within_the_bound() {
        let venue = TestVenue::new(0);
        let warm = Warm::default();
        let now = now_ms();
        let period = Period::M5;
        // Fetched 10 minutes ago, valid until the 5m bucket after: expired now.
        let remembered = |minutes_ago: i64, coin: &Symbol| {
            let at = now - minutes_ago * 60_000;
            let s = Ok(Arc::new(series(
                newest_visible_bucket(period, at),
                period,
                6,
            )));
            warm.memo
                .put(Venue::Binance, coin, period, 6, Extras::NONE, &s, at);
        };
        let btc = coin("BTC");
        remembered(10, &btc);
        let stale = warm.fetch(&venue, &btc, period, 6, false).await;
        let age = stale.stale.expect("served stale");
        assert!(stale.result.is_ok() && stale.from_memo && stale.report.stale);
        // Exactly ten minutes: two 5m buckets can have appeared since.
        assert_eq!((age.seconds, age.buckets), (600, 2));
        // Twenty minutes behind is past the bound (3 buckets at 5m): the refusal.
        let eth = coin("ETH");
        remembered(20, &eth);
        let refused = warm.fetch(&venue, &eth, period, 6, false).await;
        assert_eq!(
            refused.result.unwrap_err().code(),
            "upstream_budget_exhausted"
        );
        assert!(refused.stale.is_none() && !refused.report.stale);
        assert_eq!(venue.fetches(), 0);
    }

    #[tokio::test]
    async fn a_rate_limited_venue_is_answered_from_the_memo_stale_rather_than_refused() {
        let venue = TestVenue {
            rate_limited: true,
            ..TestVenue::new(100)
        };
        let warm = Warm::default();
        let at = now_ms() - 3_600_000;
        let s = Ok(Arc::new(series(
            newest_visible_bucket(Period::H1, at),
            Period::H1,
            6,
        )));
        let btc = coin("BTC");
        warm.memo
            .put(Venue::Binance, &btc, Period::H1, 6, Extras::NONE, &s, at);
        let answer = warm.fetch(&venue, &btc, Period::H1, 6, false).await;
        assert_eq!(
            answer.stale.map(|a| a.buckets),
            Some(1),
            "{:?}",
            answer.stale
        );
        assert!(answer.result.is_ok());
        assert_eq!(answer.report.outcome, "upstream_rate_limited");
        // Nothing remembered: the venue's refusal.
        let eth = warm.fetch(&venue, &coin("ETH"), Period::H1, 6, false).await;
        assert_eq!(eth.result.unwrap_err().code(), "upstream_rate_limited");
    }

    #[tokio::test]
    async fn callers_needing_other_extras_and_fewer_rows_stop_replacing_each_other_s_entry() {
        let plain = TestVenue::new(1_000);
        let with_oi = TestVenue {
            open_interest: true,
            ..TestVenue::new(1_000)
        };
        let warm = Warm::default();
        let btc = coin("BTC");
        // 54 rows without the open interest, then 31 with it: the second fetch asks 54 (the same
        // 3 requests) but answers 31.
        let first = warm.fetch(&plain, &btc, Period::H1, 54, false).await;
        assert_eq!(first.result.unwrap().retail_crowd.len(), 54);
        let second = warm.fetch(&with_oi, &btc, Period::H1, 31, false).await;
        assert!(!second.from_memo);
        assert_eq!(second.result.unwrap().retail_crowd.len(), 31);
        // Both kinds of caller are now served by the one entry.
        let third = warm.fetch(&plain, &btc, Period::H1, 54, false).await;
        let fourth = warm.fetch(&with_oi, &btc, Period::H1, 31, false).await;
        assert!(third.from_memo && fourth.from_memo);
        assert_eq!(third.result.unwrap().retail_crowd.len(), 54);
        assert_eq!(*plain.asked.lock().unwrap(), [54]);
        assert_eq!(*with_oi.asked.lock().unwrap(), [54]);
    }

    #[tokio::test]
    async fn a_refresh_asks_again_only_when_the_memo_lacks_the_newest_bucket() {
        let warm = Warm::default();
        let btc = coin("BTC");
        let current = TestVenue::new(1_000);
        warm.fetch(&current, &btc, Period::H1, 6, false).await;
        let fresh = warm.fetch(&current, &btc, Period::H1, 6, true).await;
        assert!(
            fresh.from_memo && fresh.report.requests == 0,
            "nothing newer can be out"
        );
        assert_eq!(current.fetches(), 1);

        let late = TestVenue {
            late: true,
            ..TestVenue::new(1_000)
        };
        let eth = coin("ETH");
        warm.fetch(&late, &eth, Period::H1, 6, false).await;
        let again = warm.fetch(&late, &eth, Period::H1, 6, false).await;
        assert!(again.from_memo, "a late series is kept for a while too");
        let fresh = warm.fetch(&late, &eth, Period::H1, 6, true).await;
        assert!(
            !fresh.from_memo,
            "a refresh asks again for the missing bucket"
        );
        assert_eq!(late.fetches(), 2);
    }
}
