//! Many coins' series for one call: the instance's memo first, then at most [`CONCURRENCY`] coins
//! fetching at a time (three concurrent requests each, so at most 24 in flight), each fetch
//! inside the instance's upstream budget. 20 coins at 50 ms per upstream answer take
//! ⌈20 / 8⌉ = 3 round trips (~150 ms), not 20.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{SystemTime, UNIX_EPOCH};

use lambda_http::tracing;
use shared::binance::{policy, take_report, CohortSeries};
use shared::memo::{Memo, UpstreamBudget};
use shared::params::{Period, Symbol};
use shared::{ApiError, BinanceClient};
use tokio::sync::Semaphore;

/// Coins fetched at the same time.
pub const CONCURRENCY: usize = 8;
/// The most requests one coin's fetch can send: 3 cohorts × (1 + retries). Reserved from the
/// budget before the fetch, settled to what was actually sent after it.
pub const MAX_REQUESTS_PER_COIN: u32 = 3 * (1 + policy::MAX_RETRIES);

/// What this warm instance remembers between calls.
#[derive(Default)]
pub struct Warm {
    pub memo: Memo,
    pub budget: UpstreamBudget,
}

impl Warm {
    /// The upstream budget is `SCREENER_UPSTREAM_BUDGET` requests per 5 minutes when set (local
    /// test rigs that call the screener far more often than a real instance ever may), else
    /// [`shared::memo::BUDGET_REQUESTS`].
    pub fn from_env() -> Self {
        let budget = std::env::var("SCREENER_UPSTREAM_BUDGET")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .map_or_else(UpstreamBudget::default, UpstreamBudget::new);
        Warm {
            memo: Memo::default(),
            budget,
        }
    }
}

/// One coin's outcome.
pub struct Fetched {
    pub symbol: Symbol,
    pub answer: Result<Arc<CohortSeries>, ApiError>,
    /// HTTP requests this fetch sent to Binance, retries included (0 for a memo hit).
    pub requests: u32,
    pub memo_hit: bool,
}

/// Every coin's series (in the order given), from the memo unless `refresh`, else from Binance.
pub async fn fetch_all(
    client: &BinanceClient,
    warm: &Warm,
    base_url: &str,
    coins: &[Symbol],
    period: Period,
    limit: u16,
    refresh: bool,
) -> Vec<Fetched> {
    let permits = Semaphore::new(CONCURRENCY);
    let fetches = coins
        .iter()
        .map(|symbol| {
            fetch_one(
                client, warm, &permits, base_url, symbol, period, limit, refresh,
            )
        })
        .collect();
    join_all(fetches).await
}

#[allow(clippy::too_many_arguments)]
async fn fetch_one(
    client: &BinanceClient,
    warm: &Warm,
    permits: &Semaphore,
    base_url: &str,
    symbol: &Symbol,
    period: Period,
    limit: u16,
    refresh: bool,
) -> Fetched {
    let outcome = |answer, requests, memo_hit| Fetched {
        symbol: symbol.clone(),
        answer,
        requests,
        memo_hit,
    };
    if !refresh {
        if let Some(answer) = warm.memo.get(symbol, period, limit, now_ms()) {
            return outcome(answer, 0, true);
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
                "screener upstream budget spent; coin not fetched"
            );
            return outcome(
                Err(ApiError::UpstreamRateLimited { retry_after_secs }),
                0,
                false,
            );
        }
    };
    let answer = client
        .fetch_cohorts(base_url, symbol, period, limit)
        .await
        .map(Arc::new);
    // Set by fetch_cohorts in the poll that completed it, so it is this coin's.
    let requests = take_report().map_or(0, |r| r.requests);
    warm.budget.settle(reservation, requests);
    warm.memo.put(symbol, period, limit, &answer, asked_at);
    outcome(answer, requests, false)
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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
