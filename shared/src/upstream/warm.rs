//! What a warm instance keeps between invocations, in memory only, and the one way every
//! endpoint fetches: memo first, then the venue's request budget, then the venue.

use std::sync::Arc;

use super::budget::RequestBudget;
use super::memo::Memo;
use super::refresh::RefreshLedger;
use super::{Fetched, PositioningSource, UpstreamReport};
use crate::domain::clock::now_ms;
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
    /// `fresh` is not asked), else fetched within the venue's budget and remembered. A fetch the
    /// budget cannot afford is not sent: `503 upstream_budget_exhausted` with the seconds until
    /// it can.
    pub async fn fetch(
        &self,
        source: &impl PositioningSource,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        fresh: bool,
    ) -> Fetched<Arc<CohortSeries>> {
        let venue = source.venue();
        if !fresh {
            if let Some(result) = self.memo.get(venue, symbol, period, rows, now_ms()) {
                return Fetched {
                    result,
                    report: UpstreamReport::NONE,
                    from_memo: true,
                };
            }
        }
        let asked_at = now_ms();
        let budget = self.budget(venue);
        let reservation = match budget.reserve(source.max_requests(rows), asked_at) {
            Ok(r) => r,
            Err(retry_after_secs) => {
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
        let fetched = source.fetch(symbol, period, rows).await;
        budget.settle(reservation, fetched.report.requests);
        let result = fetched.result.map(Arc::new);
        self.memo
            .put(venue, symbol, period, rows, &result, asked_at);
        Fetched {
            result,
            report: fetched.report,
            from_memo: false,
        }
    }
}
