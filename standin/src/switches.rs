//! The mutable behaviour of a running stand-in, settable from Rust and over HTTP.

use crate::data::{Cohort, DEMO_NOW_MS};
use crate::faults::Fault;
use crate::venues::Venue;
use serde::{Deserialize, Serialize};

/// Everything a test can bend. `Default` is the faithful, healthy upstream on the system clock.
/// Over HTTP, unknown fields are rejected so a typo in a test script fails loudly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Switches {
    /// Delay before every data response (ratio endpoints and exchangeInfo).
    pub latency_ms: u64,
    /// Fixed clock in epoch ms; `None` = system time.
    pub now_ms: Option<i64>,
    /// Serve `timestamp` as a JSON string (as Binance's docs print it) instead of a number.
    pub timestamp_as_string: bool,
    /// Binance's position ratio (`topLongShortPositionRatio`) spells its shares `longPosition` /
    /// `shortPosition`, as Binance's COIN-M docs print them, instead of `longAccount` /
    /// `shortAccount`.
    pub position_keys: bool,
    /// This cohort publishes one bucket behind the others (Binance).
    pub lagging_cohort: Option<Cohort>,
    /// These venues publish every series one bucket behind.
    pub lagging_venues: Vec<Venue>,
    /// Buckets left out of the series.
    pub missing_buckets: Vec<MissingBucket>,
    /// Injected failures, consulted in order; the first matching one applies.
    pub faults: Vec<Fault>,
    /// Hyperliquid's `userFillsByTime` answers newest first, the newest 2,000 of the range (as a
    /// 2023 recording showed), instead of oldest first from `startTime` (a 2026 probe).
    pub hyperliquid_fills_newest_first: bool,
    /// Rows generated after the fixture wallets on Hyperliquid's leaderboard (0: the small
    /// leaderboard; [`crate::hyperliquid::BENCH_LEADERBOARD_ROWS`]: about 40 MB, streamed).
    pub hyperliquid_leaderboard_rows: u32,
    /// Hyperliquid's 1,200 weight per rolling minute is not enforced (it is still counted).
    pub hyperliquid_unlimited_weight: bool,
    /// A synthetic cohort for benchmarks: this many extra wallets on the leaderboard, ranked
    /// above every other row the default rule admits, each holding 1–3 positions built by
    /// `hyperliquid_synthetic_fills` fills over the last 7 days (0: none, the default; at most
    /// [`crate::hyperliquid::synthetic::MAX_SYNTHETIC_WALLETS`]). See
    /// [`crate::hyperliquid::synthetic`].
    pub hyperliquid_synthetic_wallets: u32,
    /// Fills per synthetic wallet (0: its positions are held from before any fill; at most
    /// [`crate::hyperliquid::synthetic::MAX_SYNTHETIC_FILLS`]).
    pub hyperliquid_synthetic_fills: u32,
}

impl Switches {
    /// Healthy upstream on the fixed demo clock ([`DEMO_NOW_MS`]).
    pub fn demo() -> Self {
        Switches {
            now_ms: Some(DEMO_NOW_MS),
            ..Default::default()
        }
    }
}

/// A bucket omitted from one cohort (`cohort: Some`) or from all three (`None`), on one venue
/// (`venue: None` is Binance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingBucket {
    pub timestamp_ms: i64,
    #[serde(default)]
    pub cohort: Option<Cohort>,
    #[serde(default)]
    pub venue: Option<Venue>,
}

impl MissingBucket {
    pub fn all(timestamp_ms: i64) -> Self {
        MissingBucket {
            timestamp_ms,
            cohort: None,
            venue: None,
        }
    }
    pub fn only(cohort: Cohort, timestamp_ms: i64) -> Self {
        MissingBucket {
            timestamp_ms,
            cohort: Some(cohort),
            venue: None,
        }
    }
    /// The same bucket on `venue` instead of Binance.
    pub fn on(mut self, venue: Venue) -> Self {
        self.venue = Some(venue);
        self
    }
    pub(crate) fn hides(&self, venue: Venue, cohort: Cohort, timestamp_ms: i64) -> bool {
        self.timestamp_ms == timestamp_ms
            && self.venue.unwrap_or(Venue::Binance) == venue
            && self.cohort.is_none_or(|c| c == cohort)
    }
}
