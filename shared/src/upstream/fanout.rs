//! Many venues' series of one coin for one call ([`fetch_venues`]), and
//! many coins' series for one call: at most [`CONCURRENCY`] coins fetching at a time (three
//! concurrent requests each, so at most 24 in flight), each through the instance's memo and
//! request budget. 20 coins at 50 ms per upstream answer take
//! ⌈20 / 8⌉ = 3 round trips (~150 ms), not 20.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::Semaphore;

use super::warm::Warm;
use super::{Fetched, PositioningSource, VenueFacts};
use crate::domain::{CohortSeries, Period, Symbol};

/// Coins fetched at the same time.
pub const CONCURRENCY: usize = 8;

/// One coin's outcome.
pub struct CoinFetched {
    pub symbol: Symbol,
    pub fetched: Fetched<Arc<CohortSeries>>,
}

/// One venue's fetch of one coin, for an answer that reads several venues.
#[derive(Debug)]
pub struct VenueFetched {
    /// What the venue is.
    pub facts: &'static VenueFacts,
    /// The venue's own name for the coin's perpetual.
    pub instrument: String,
    pub source: &'static str,
    /// `None`: the venue publishes no buckets of this period, so nothing was asked.
    pub fetched: Option<Fetched<Arc<CohortSeries>>>,
}

/// Each venue's series of `symbol`, side by side (one round trip), each through the instance's
/// memo and budget, except from a venue that does not publish `period` (nothing is asked of
/// it). In the order given.
pub async fn fetch_venues(
    sources: &[impl PositioningSource],
    warm: &Warm,
    symbol: &Symbol,
    period: Period,
    rows: u16,
) -> Vec<VenueFetched> {
    let fetches = sources
        .iter()
        .map(|source| async move {
            let fetched = if source.supports(period) {
                Some(warm.fetch(source, symbol, period, rows, false).await)
            } else {
                None
            };
            VenueFetched {
                facts: source.facts(),
                instrument: source.instrument(symbol),
                source: source.source(),
                fetched,
            }
        })
        .collect();
    join_all(fetches).await
}

/// Every coin's series (in the order given), each through [`Warm::fetch`] (`fresh`: past the
/// memo), at most [`CONCURRENCY`] coins at a time.
pub async fn fetch_all(
    source: &impl PositioningSource,
    warm: &Warm,
    coins: &[Symbol],
    period: Period,
    rows: u16,
    fresh: bool,
) -> Vec<CoinFetched> {
    let permits = Semaphore::new(CONCURRENCY);
    let fetches = coins
        .iter()
        .map(|symbol| async {
            // Never closed, so this only waits; a memo hit waits too, briefly: it holds no slot
            // for long.
            let _permit = permits.acquire().await.ok();
            CoinFetched {
                symbol: symbol.clone(),
                fetched: warm.fetch(source, symbol, period, rows, fresh).await,
            }
        })
        .collect();
    join_all(fetches).await
}

/// Polls every future until all are done; outputs in the order given.
/// Every future run concurrently to its end, outputs in order.
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
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
