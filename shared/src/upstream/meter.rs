//! What this instance sent to each upstream (the venues and Hyperliquid) and what each answered,
//! counted as it happens and taken by the call's one log line, which turns it into metrics
//! (`edge::log`). A Lambda instance serves one invocation at a time, so what the log line takes is
//! what its call caused.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use crate::domain::Venue;

/// No budget figure since the last take.
const UNKNOWN: u32 = u32::MAX;

struct Counters {
    requests: AtomicU32,
    rate_limited: AtomicU32,
    budget_left_pct: AtomicU32,
}

#[allow(clippy::declare_interior_mutable_const)] // a template for the array below, never used alone
const ZERO: Counters = Counters {
    requests: AtomicU32::new(0),
    rate_limited: AtomicU32::new(0),
    budget_left_pct: AtomicU32::new(UNKNOWN),
};

/// Hyperliquid's id in the metrics (`hyperliquid.UpstreamRequests`, …): the wallet routes'
/// upstream, not a positioning venue.
pub const HYPERLIQUID_ID: &str = "hyperliquid";

/// What a meter counts for: a venue, or Hyperliquid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upstream {
    Venue(Venue),
    Hyperliquid,
}

impl Upstream {
    /// Every upstream, in the order a log line lists them.
    pub const COUNT: usize = Venue::ALL.len() + 1;

    const fn index(self) -> usize {
        match self {
            Upstream::Venue(v) => v as usize,
            Upstream::Hyperliquid => Venue::ALL.len(),
        }
    }

    fn all() -> impl Iterator<Item = Upstream> {
        Venue::ALL
            .into_iter()
            .map(Upstream::Venue)
            .chain([Upstream::Hyperliquid])
    }

    /// The metric names' prefix: the venue's id, or [`HYPERLIQUID_ID`].
    pub const fn id(self) -> &'static str {
        match self {
            Upstream::Venue(v) => v.id(),
            Upstream::Hyperliquid => HYPERLIQUID_ID,
        }
    }
}

impl From<Venue> for Upstream {
    fn from(venue: Venue) -> Self {
        Upstream::Venue(venue)
    }
}

static METERS: [Counters; Upstream::COUNT] = [ZERO; Upstream::COUNT];

/// Requests per (upstream, path): the path's last segment, as the venues count their limits
/// (Hyperliquid's: the info request's type, or `leaderboard`).
static PATHS: Mutex<Vec<(Upstream, String, u32)>> = Mutex::new(Vec::new());

fn of(upstream: Upstream) -> &'static Counters {
    &METERS[upstream.index()]
}

/// One request sent to `upstream` at `url` (retries included), counted under its path's last
/// segment.
pub fn sent(upstream: impl Into<Upstream>, url: &str) {
    sent_on(upstream.into(), path_name(url));
}

/// One request sent to `upstream`, counted under `path` (a name the URL does not carry: the
/// type of a Hyperliquid info request).
pub fn sent_on(upstream: Upstream, path: &str) {
    of(upstream).requests.fetch_add(1, Ordering::Relaxed);
    let mut paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    match paths
        .iter_mut()
        .find(|(u, p, _)| *u == upstream && p == path)
    {
        Some((_, _, n)) => *n += 1,
        None => paths.push((upstream, path.to_string(), 1)),
    }
}

/// The last segment of `url`'s path (`topLongShortPositionRatio` for
/// `https://fapi.binance.com/futures/data/topLongShortPositionRatio?symbol=…`).
pub fn path_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = path
        .split("://")
        .nth(1)
        .map_or(path, |rest| rest.find('/').map_or("", |at| &rest[at..]));
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// `upstream` answered with its rate limit (its 429, 418 or own form): the step before a ban.
pub fn rate_limited(upstream: impl Into<Upstream>) {
    of(upstream.into())
        .rate_limited
        .fetch_add(1, Ordering::Relaxed);
}

/// The share of this instance's budget on `venue` left on its tightest path, in percent.
pub fn budget_left(venue: Venue, pct: u32) {
    of(venue.into())
        .budget_left_pct
        .store(pct, Ordering::Relaxed);
}

/// What one upstream saw since the last take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueMeter {
    pub upstream: Upstream,
    pub requests: u32,
    /// Requests per path (its last segment), in the order first sent.
    pub paths: Vec<(String, u32)>,
    pub rate_limited: u32,
    pub budget_left_pct: Option<u32>,
}

/// Every upstream that saw something since the last take, in answer order; the counts start
/// again.
pub fn take() -> Vec<VenueMeter> {
    let paths = std::mem::take(&mut *PATHS.lock().unwrap_or_else(|e| e.into_inner()));
    Upstream::all()
        .map(|upstream| {
            let c = of(upstream);
            VenueMeter {
                upstream,
                requests: c.requests.swap(0, Ordering::Relaxed),
                paths: paths
                    .iter()
                    .filter(|(u, _, _)| *u == upstream)
                    .map(|(_, p, n)| (p.clone(), *n))
                    .collect(),
                rate_limited: c.rate_limited.swap(0, Ordering::Relaxed),
                budget_left_pct: Some(c.budget_left_pct.swap(UNKNOWN, Ordering::Relaxed))
                    .filter(|&p| p != UNKNOWN),
            }
        })
        .filter(|m| m.requests > 0 || m.rate_limited > 0 || m.budget_left_pct.is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_take_returns_what_was_counted_since_the_last_and_starts_again() {
        let _ = take();
        sent(Venue::Okx, "http://127.0.0.1:9/api/v5/rubik/stat/contracts/open-interest-history?instId=BTC-USDT-SWAP");
        sent(
            Venue::Okx,
            "https://www.okx.com/api/v5/rubik/stat/contracts/open-interest-history",
        );
        rate_limited(Venue::Okx);
        budget_left(Venue::Binance, 37);
        sent_on(Upstream::Hyperliquid, "clearinghouseState");
        sent_on(Upstream::Hyperliquid, "clearinghouseState");
        rate_limited(Upstream::Hyperliquid);
        assert_eq!(
            take(),
            [
                VenueMeter {
                    upstream: Upstream::Venue(Venue::Binance),
                    requests: 0,
                    paths: vec![],
                    rate_limited: 0,
                    budget_left_pct: Some(37)
                },
                VenueMeter {
                    upstream: Upstream::Venue(Venue::Okx),
                    requests: 2,
                    paths: vec![("open-interest-history".to_string(), 2)],
                    rate_limited: 1,
                    budget_left_pct: None
                },
                VenueMeter {
                    upstream: Upstream::Hyperliquid,
                    requests: 2,
                    paths: vec![("clearinghouseState".to_string(), 2)],
                    rate_limited: 1,
                    budget_left_pct: None
                },
            ]
        );
        assert_eq!(take(), []);
    }

    #[test]
    fn a_path_is_named_by_its_last_segment() {
        for (url, name) in [
            ("https://fapi.binance.com/futures/data/topLongShortPositionRatio?symbol=BTCUSDT&period=1h", "topLongShortPositionRatio"),
            ("http://127.0.0.1:9100/fapi/v1/klines?x=1", "klines"),
            ("https://api.gateio.ws/api/v4/futures/usdt/contract_stats", "contract_stats"),
            ("https://api.bybit.com/v5/market/account-ratio/", "account-ratio"),
            ("https://api.bybit.com", ""),
        ] {
            assert_eq!(path_name(url), name, "{url}");
        }
    }
}
