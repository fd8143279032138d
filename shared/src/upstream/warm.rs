//! What a warm instance keeps between invocations, in memory only, and the one way every
//! endpoint fetches: memo first, then the venue's request budget, then the venue.

use std::sync::Arc;

use super::budget::RequestBudget;
use super::memo::Memo;
use super::refresh::RefreshLedger;
use super::{Fetched, PositioningSource, UpstreamReport};
use crate::domain::clock::{newest_visible_bucket, now_ms};
use crate::domain::{ApiError, CohortSeries, Period, Symbol, Venue};

pub struct Warm {
    pub memo: Memo,
    budgets: Vec<(Venue, RequestBudget)>,
    pub refreshes: RefreshLedger,
}

impl Warm {
    /// Each venue's budget, in requests per 5 minutes for this instance.
    pub fn new(budget: impl Fn(Venue) -> u32) -> Self {
        Warm {
            memo: Memo::default(),
            budgets: Venue::ALL
                .into_iter()
                .map(|v| (v, RequestBudget::new(budget(v))))
                .collect(),
            refreshes: RefreshLedger::default(),
        }
    }

    pub fn budget(&self, venue: Venue) -> &RequestBudget {
        self.budgets
            .iter()
            .find(|(v, _)| *v == venue)
            .map(|(_, b)| b)
            .expect("a budget for every venue")
    }

    /// `rows` rows of `symbol` at `period` from `source`: from the memo when it holds them (and
    /// `fresh` is not asked, or the memo already holds the newest bucket that can be out), else
    /// fetched within the venue's budget and remembered. A fetch the
    /// budget cannot afford is not sent: the memo answers if it can (even when `fresh` was
    /// asked), else `503 upstream_budget_exhausted` with the seconds until the budget can.
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
            .filter(|kept| *kept > rows && source.max_requests(*kept) == source.max_requests(rows))
            .unwrap_or(rows);
        let budget = self.budget(venue);
        let reservation = match budget.reserve(source.max_requests(wide), asked_at) {
            Ok(r) => r,
            Err(retry_after_secs) => {
                // A fresh fetch the budget cannot afford: what the memo holds is still right.
                let kept = fresh
                    .then(|| self.memo.get(venue, symbol, period, rows, extras, asked_at))
                    .flatten();
                if let Some(result) = kept {
                    return Fetched {
                        result,
                        report: UpstreamReport::NONE,
                        from_memo: true,
                    };
                }
                tracing::warn!(
                    venue = venue.id(),
                    symbol = symbol.as_str(),
                    retry_after_secs,
                    "upstream request budget spent; not fetched"
                );
                return Fetched {
                    result: Err(ApiError::UpstreamBudgetExhausted { retry_after_secs }),
                    report: UpstreamReport::REFUSED,
                    from_memo: false,
                };
            }
        };
        let fetched = source.fetch(symbol, period, wide).await;
        budget.settle(reservation, fetched.report.requests);
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
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::super::Extras;
    use super::*;
    use crate::domain::{Decimal, Reading};

    /// A venue answering `rows` buckets per cohort up to the newest that can be out (or, `late`,
    /// the one before), with or without the open interest, recording the rows of each fetch.
    #[derive(Default)]
    struct TestVenue {
        asked: Mutex<Vec<u16>>,
        late: bool,
        open_interest: bool,
        /// What a fetch reserves from the budget (it sends 3).
        max_requests: u32,
    }

    impl TestVenue {
        fn new(max_requests: u32) -> Self {
            TestVenue {
                max_requests,
                ..TestVenue::default()
            }
        }
        fn fetches(&self) -> usize {
            self.asked.lock().unwrap().len()
        }
    }

    impl PositioningSource for TestVenue {
        fn venue(&self) -> Venue {
            Venue::Binance
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
        fn max_requests(&self, _rows: u16) -> u32 {
            self.max_requests
        }
        async fn fetch(&self, _: &Symbol, period: Period, rows: u16) -> Fetched {
            self.asked.lock().unwrap().push(rows);
            let late = if self.late { period.millis() } else { 0 };
            let newest = newest_visible_bucket(period, now_ms()) - late;
            let run: Vec<Reading> = (0..i64::from(rows))
                .rev()
                .map(|k| Reading {
                    timestamp: newest - k * period.millis(),
                    long_share: Decimal::parse("0.6").unwrap(),
                    short_share: Decimal::parse("0.4").unwrap(),
                    long_short_ratio: None,
                })
                .collect();
            Fetched {
                result: Ok(CohortSeries {
                    retail_crowd: run.clone(),
                    top_traders_by_accounts: run.clone(),
                    top_traders_by_position: run,
                    open_interest: Vec::new(),
                    prices: Vec::new(),
                }),
                report: UpstreamReport {
                    elapsed_ms: 1,
                    requests: 3,
                    outcome: "ok",
                },
                from_memo: false,
            }
        }
    }

    #[tokio::test]
    async fn a_repeat_costs_nothing_and_a_spent_budget_falls_back_to_the_memo_or_says_503() {
        let venue = TestVenue::new(9);
        // Room for one worst-case fetch (9) and, once it settles to the 3 it sent, one more.
        let warm = Warm::new(|_| 12);
        let btc = Symbol::from_coin("BTC").unwrap();
        let first = warm.fetch(&venue, &btc, Period::H4, 6, false).await;
        assert!(first.result.is_ok() && !first.from_memo);
        let again = warm.fetch(&venue, &btc, Period::H4, 6, false).await;
        assert!(again.from_memo && again.report.requests == 0);
        // 3 + 9 fits; then 6 + 9 does not: the budget is spent for new fetches.
        let eth = Symbol::from_coin("ETH").unwrap();
        assert!(
            !warm
                .fetch(&venue, &eth, Period::H4, 6, false)
                .await
                .from_memo
        );
        let fresh = warm.fetch(&venue, &btc, Period::H4, 6, true).await;
        assert!(
            fresh.result.is_ok() && fresh.from_memo,
            "the memo answers a refused refresh"
        );
        let sol = warm
            .fetch(
                &venue,
                &Symbol::from_coin("SOL").unwrap(),
                Period::H4,
                6,
                false,
            )
            .await;
        assert_eq!(sol.result.unwrap_err().code(), "upstream_budget_exhausted");
        assert_eq!(venue.fetches(), 2);
    }

    #[tokio::test]
    async fn callers_needing_other_extras_and_fewer_rows_stop_replacing_each_other_s_entry() {
        let plain = TestVenue::new(3);
        let with_oi = TestVenue {
            open_interest: true,
            ..TestVenue::new(3)
        };
        let warm = Warm::new(|_| 1_000);
        let btc = Symbol::from_coin("BTC").unwrap();
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
        let warm = Warm::new(|_| 1_000);
        let btc = Symbol::from_coin("BTC").unwrap();
        let current = TestVenue::new(9);
        warm.fetch(&current, &btc, Period::H1, 6, false).await;
        let fresh = warm.fetch(&current, &btc, Period::H1, 6, true).await;
        assert!(
            fresh.from_memo && fresh.report.requests == 0,
            "nothing newer can be out"
        );
        assert_eq!(current.fetches(), 1);

        let late = TestVenue {
            late: true,
            ..TestVenue::new(9)
        };
        let eth = Symbol::from_coin("ETH").unwrap();
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
