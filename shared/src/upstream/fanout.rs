//! Many coins' series for one call: the instance's memo first, then at most [`CONCURRENCY`] coins
//! fetching at a time (three concurrent requests each, so at most 24 in flight), each fetch
//! inside the instance's request budget. 20 coins at 50 ms per upstream answer take
//! ⌈20 / 8⌉ = 3 round trips (~150 ms), not 20.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::Semaphore;

use super::budget::{RequestBudget, BUDGET_REQUESTS};
use super::memo::Memo;
use super::{policy, PositioningSource, UpstreamReport};
use crate::domain::clock::now_ms;
use crate::domain::{ApiError, CohortSeries, Period, Symbol};

/// Coins fetched at the same time.
pub const CONCURRENCY: usize = 8;
/// The most requests one coin's fetch can send: 3 cohorts × (1 + retries). Reserved from the
/// budget before the fetch, settled to what was actually sent after it.
pub const MAX_REQUESTS_PER_COIN: u32 = 3 * (1 + policy::MAX_RETRIES);

/// What this warm instance remembers between calls.
#[derive(Default)]
pub struct Warm {
    pub memo: Memo,
    pub budget: RequestBudget,
}

impl Warm {
    /// A budget of `requests` per 5 minutes (`None`: [`BUDGET_REQUESTS`]).
    pub fn with_budget(requests: Option<u32>) -> Self {
        Warm {
            memo: Memo::default(),
            budget: RequestBudget::new(requests.unwrap_or(BUDGET_REQUESTS)),
        }
    }
}

/// One coin's outcome.
pub struct CoinFetched {
    pub symbol: Symbol,
    pub result: Result<Arc<CohortSeries>, ApiError>,
    /// What this coin's fetch cost (nothing for a memo hit or a coin the budget refused).
    pub report: UpstreamReport,
    pub memo_hit: bool,
}

/// Every coin's series (in the order given), from the memo unless `refresh`, else from `source`.
pub async fn fetch_all(
    source: &impl PositioningSource,
    warm: &Warm,
    coins: &[Symbol],
    period: Period,
    rows: u16,
    refresh: bool,
) -> Vec<CoinFetched> {
    let permits = Semaphore::new(CONCURRENCY);
    let fetches = coins
        .iter()
        .map(|symbol| fetch_one(source, warm, &permits, symbol, period, rows, refresh))
        .collect();
    join_all(fetches).await
}

async fn fetch_one(
    source: &impl PositioningSource,
    warm: &Warm,
    permits: &Semaphore,
    symbol: &Symbol,
    period: Period,
    rows: u16,
    refresh: bool,
) -> CoinFetched {
    let outcome = |result, report, memo_hit| CoinFetched {
        symbol: symbol.clone(),
        result,
        report,
        memo_hit,
    };
    if !refresh {
        if let Some(result) = warm.memo.get(symbol, period, rows, now_ms()) {
            return outcome(result, UpstreamReport::NONE, true);
        }
    }
    // Never closed, so this only waits.
    let _permit = permits.acquire().await.ok();
    let asked_at = now_ms();
    let reservation = match warm.budget.reserve(MAX_REQUESTS_PER_COIN, asked_at) {
        Ok(r) => r,
        Err(retry_after_secs) => {
            tracing::warn!(
                symbol = symbol.as_str(),
                retry_after_secs,
                "upstream request budget spent; coin not fetched"
            );
            return outcome(
                Err(ApiError::UpstreamBudgetExhausted { retry_after_secs }),
                UpstreamReport::REFUSED,
                false,
            );
        }
    };
    let fetched = source.fetch(symbol, period, rows).await;
    warm.budget.settle(reservation, fetched.report.requests);
    let result = fetched.result.map(Arc::new);
    warm.memo.put(symbol, period, rows, &result, asked_at);
    outcome(result, fetched.report, false)
}

/// Polls every future until all are done; outputs in the order given.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *output = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
