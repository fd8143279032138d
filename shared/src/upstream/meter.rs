//! What this instance sent to each venue and what each venue answered, counted as it happens and
//! taken by the call's one log line, which turns it into metrics (`edge::log`). A Lambda instance
//! serves one invocation at a time, so what the log line takes is what its call caused.

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

static METERS: [Counters; Venue::ALL.len()] = [ZERO; Venue::ALL.len()];

/// Requests per (venue, path): the path's last segment, as the venues count their limits.
static PATHS: Mutex<Vec<(Venue, String, u32)>> = Mutex::new(Vec::new());

fn of(venue: Venue) -> &'static Counters {
    &METERS[venue as usize]
}

/// One request sent to `venue` at `url` (retries included).
pub fn sent(venue: Venue, url: &str) {
    of(venue).requests.fetch_add(1, Ordering::Relaxed);
    let path = path_name(url);
    let mut paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    match paths.iter_mut().find(|(v, p, _)| *v == venue && p == path) {
        Some((_, _, n)) => *n += 1,
        None => paths.push((venue, path.to_string(), 1)),
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

/// `venue` answered with its rate limit (its 429, 418 or own form): the step before a ban.
pub fn rate_limited(venue: Venue) {
    of(venue).rate_limited.fetch_add(1, Ordering::Relaxed);
}

/// The share of this instance's budget on `venue` left on its tightest path, in percent.
pub fn budget_left(venue: Venue, pct: u32) {
    of(venue).budget_left_pct.store(pct, Ordering::Relaxed);
}

/// What one venue saw since the last take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueMeter {
    pub venue: Venue,
    pub requests: u32,
    /// Requests per path (its last segment), in the order first sent.
    pub paths: Vec<(String, u32)>,
    pub rate_limited: u32,
    pub budget_left_pct: Option<u32>,
}

/// Every venue that saw something since the last take, in answer order; the counts start again.
pub fn take() -> Vec<VenueMeter> {
    let paths = std::mem::take(&mut *PATHS.lock().unwrap_or_else(|e| e.into_inner()));
    Venue::ALL
        .into_iter()
        .map(|venue| {
            let c = of(venue);
            VenueMeter {
                venue,
                requests: c.requests.swap(0, Ordering::Relaxed),
                paths: paths
                    .iter()
                    .filter(|(v, _, _)| *v == venue)
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
        assert_eq!(
            take(),
            [
                VenueMeter {
                    venue: Venue::Binance,
                    requests: 0,
                    paths: vec![],
                    rate_limited: 0,
                    budget_left_pct: Some(37)
                },
                VenueMeter {
                    venue: Venue::Okx,
                    requests: 2,
                    paths: vec![("open-interest-history".to_string(), 2)],
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
