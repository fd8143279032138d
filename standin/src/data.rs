//! The deterministic series: every value the stand-in serves is a pure function of
//! (symbol, cohort, period, timestamp), so tests can predict responses exactly.

use crate::venues::{LongShares, Venue};
use serde::{Deserialize, Serialize};
use std::f64::consts::{FRAC_PI_2, TAU};

/// The three Binance ratio series, named by the cohort they describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    RetailCrowd,
    TopTradersByAccounts,
    TopTradersByPosition,
}

impl Cohort {
    pub const ALL: [Cohort; 3] = [
        Cohort::RetailCrowd,
        Cohort::TopTradersByAccounts,
        Cohort::TopTradersByPosition,
    ];

    /// The snake_case id used in this crate's JSON (`retail_crowd`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Cohort::RetailCrowd => "retail_crowd",
            Cohort::TopTradersByAccounts => "top_traders_by_accounts",
            Cohort::TopTradersByPosition => "top_traders_by_position",
        }
    }

    /// The upstream path serving this cohort's series.
    pub fn path(self) -> &'static str {
        match self {
            Cohort::RetailCrowd => "/futures/data/globalLongShortAccountRatio",
            Cohort::TopTradersByAccounts => "/futures/data/topLongShortAccountRatio",
            Cohort::TopTradersByPosition => "/futures/data/topLongShortPositionRatio",
        }
    }
}

/// Symbols that have data (every coin of the screener's default universe, so that the offline
/// demo shows no spurious errors); any other symbol answers `200 []` like Binance.
pub const SYMBOLS: [&str; 20] = [
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "BNBUSDT",
    "XRPUSDT",
    "DOGEUSDT",
    "ADAUSDT",
    "AVAXUSDT",
    "LINKUSDT",
    "1000PEPEUSDT",
    "TRXUSDT",
    "DOTUSDT",
    "TONUSDT",
    "SUIUSDT",
    "LTCUSDT",
    "BCHUSDT",
    "NEARUSDT",
    "APTUSDT",
    "ARBUSDT",
    "OPUSDT",
];

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Supported `period` values and their length.
pub const PERIODS: [(&str, i64); 9] = [
    ("5m", 5 * MINUTE_MS),
    ("15m", 15 * MINUTE_MS),
    ("30m", 30 * MINUTE_MS),
    ("1h", HOUR_MS),
    ("2h", 2 * HOUR_MS),
    ("4h", 4 * HOUR_MS),
    ("6h", 6 * HOUR_MS),
    ("12h", 12 * HOUR_MS),
    ("1d", DAY_MS),
];

/// A bucket becomes visible this long after its boundary ("a few seconds" upstream).
pub const PUBLICATION_LAG_MS: i64 = 5_000;
/// Only this much history exists.
pub const RETENTION_MS: i64 = 30 * DAY_MS;

/// Fixed clock for tests and the offline demo: Sun 2026-08-02 13:00:50 UTC.
pub const DEMO_NOW_MS: i64 = 1_785_675_650_000;
/// Newest published 1h bucket at [`DEMO_NOW_MS`] (2026-08-02 13:00 UTC).
pub const DEMO_NEWEST_1H_MS: i64 = 1_785_675_600_000;
/// Divergence threshold (percentage points) the fixtures below are tuned around.
pub const GAP_THRESHOLD_PP: f64 = 8.0;
/// At the demo clock, 1h: gap (position long% − retail long%) ≤ −8 pp.
pub const DEMO_CROWD_OVER_LONG: &str = "BTCUSDT";
/// At the demo clock, 1h: gap ≥ +8 pp.
pub const DEMO_CROWD_OVER_SHORT: &str = "ETHUSDT";
/// At the demo clock, 1h: |gap| < 8 pp.
pub const DEMO_NEUTRAL: &str = "SOLUSDT";

/// Length of a supported period, `None` otherwise.
pub fn period_ms(period: &str) -> Option<i64> {
    PERIODS
        .iter()
        .find(|(p, _)| *p == period)
        .map(|(_, ms)| *ms)
}

/// Newest bucket published at clock `now_ms`: the latest boundary b with b + lag <= now.
pub fn newest_bucket(now_ms: i64, period_ms: i64) -> i64 {
    (now_ms - PUBLICATION_LAG_MS).div_euclid(period_ms) * period_ms
}

/// Oldest bucket still retained at `now_ms` (first boundary >= now − 30 days).
pub fn oldest_bucket(now_ms: i64, period_ms: i64) -> i64 {
    ceil_to(now_ms - RETENTION_MS, period_ms)
}

pub(crate) fn ceil_to(ts: i64, period_ms: i64) -> i64 {
    let floor = ts.div_euclid(period_ms) * period_ms;
    if floor == ts {
        ts
    } else {
        floor + period_ms
    }
}

/// One bucket of one cohort's series; `long_account` is the unrounded long share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub symbol: &'static str,
    pub cohort: Cohort,
    pub timestamp_ms: i64,
    pub long_account: f64,
}

impl Row {
    /// Long share in 1e-4 units, as served (`"0.6561"` → 6561).
    pub fn long_e4(&self) -> i64 {
        (self.long_account * 1e4).round() as i64
    }
    /// Short share in 1e-4 units; the two served strings always sum to exactly 1.0000.
    pub fn short_e4(&self) -> i64 {
        10_000 - self.long_e4()
    }
    /// Ratio from the *unrounded* shares, as Binance computes it.
    pub fn long_short_ratio(&self) -> f64 {
        self.long_account / (1.0 - self.long_account)
    }
}

/// Formats a 1e-4 amount in 0..=10000 as a 4-decimal string.
pub fn fmt_e4(v: i64) -> String {
    format!("{}.{:04}", v / 10_000, v % 10_000)
}

/// The row Binance would serve, or `None` for an unknown symbol, an unsupported period
/// or a timestamp off the period's boundaries.
pub fn row(symbol: &str, cohort: Cohort, period_ms: i64, timestamp_ms: i64) -> Option<Row> {
    let symbol = *SYMBOLS.iter().find(|s| **s == symbol)?;
    if !PERIODS.iter().any(|(_, p)| *p == period_ms) || timestamp_ms.rem_euclid(period_ms) != 0 {
        return None;
    }
    let [retail, accounts, position] = shares(symbol, timestamp_ms);
    let long = match cohort {
        Cohort::RetailCrowd => retail,
        Cohort::TopTradersByAccounts => accounts,
        Cohort::TopTradersByPosition => position,
    };
    Some(Row {
        symbol,
        cohort,
        timestamp_ms,
        long_account: long.clamp(0.02, 0.98),
    })
}

/// Gap in percentage points between the served (rounded) position and retail long shares.
pub fn gap_pp(symbol: &str, period_ms: i64, timestamp_ms: i64) -> Option<f64> {
    let pos = row(
        symbol,
        Cohort::TopTradersByPosition,
        period_ms,
        timestamp_ms,
    )?;
    let retail = row(symbol, Cohort::RetailCrowd, period_ms, timestamp_ms)?;
    Some((pos.long_e4() - retail.long_e4()) as f64 / 100.0)
}

/// The long share `venue` publishes for `cohort` of `symbol` at bucket `timestamp_ms` (unrounded),
/// or `None` where [`row`] has none. Binance's is [`row`]'s; every other venue's is Binance's
/// moved by a small offset of its own per cohort (constant plus a slow wave of ±0.5 pp), so that
/// venues agree roughly but not exactly, as they do: OKX's top traders by position sit about
/// 4.5 pp below Binance's, its crowd 1.5 pp above.
pub fn venue_long_share(
    venue: Venue,
    symbol: &str,
    cohort: Cohort,
    period_ms: i64,
    timestamp_ms: i64,
) -> Option<f64> {
    let base = row(symbol, cohort, period_ms, timestamp_ms)?.long_account;
    let offsets = match &venue.profile().long_shares {
        LongShares::Binance => return Some(base),
        LongShares::Offsets(offsets) => offsets,
    };
    let offset = offsets[cohort as usize]?;
    let seed = fnv1a(symbol) ^ fnv1a(venue.id());
    let hours = timestamp_ms as f64 / HOUR_MS as f64;
    let wave = 0.005 * (TAU * hours / (9.0 + 6.0 * unit(seed)) + TAU * unit(seed ^ 1)).sin();
    Some((base + offset + wave).clamp(0.02, 0.98))
}

/// A coin's typical price and its share of a venue's open interest (BTC = 1).
fn coin_profile(symbol: &str) -> (f64, f64) {
    match symbol {
        "BTCUSDT" => (65_000.0, 1.0),
        "ETHUSDT" => (3_200.0, 0.5),
        "SOLUSDT" => (150.0, 0.15),
        "BNBUSDT" => (580.0, 0.06),
        "XRPUSDT" => (0.55, 0.08),
        "DOGEUSDT" => (0.15, 0.06),
        "1000PEPEUSDT" => (0.011, 0.04),
        "TONUSDT" => (6.5, 0.02),
        "LINKUSDT" => (14.0, 0.03),
        "AVAXUSDT" => (28.0, 0.03),
        _ => (2.0 + 40.0 * unit(fnv1a(symbol)), 0.02),
    }
}

/// The price of `symbol` at `timestamp_ms` (any instant), in USD: its typical price ±4% on a
/// slow wave. Klines' opens and the open interest's value follow it.
pub fn price(symbol: &str, timestamp_ms: i64) -> Option<f64> {
    SYMBOLS.iter().find(|s| **s == symbol)?;
    let (typical, _) = coin_profile(symbol);
    let seed = fnv1a(symbol);
    let hours = timestamp_ms as f64 / HOUR_MS as f64;
    let wave = 0.04 * (TAU * hours / (40.0 + 30.0 * unit(seed ^ 11)) + TAU * unit(seed ^ 12)).sin()
        + 0.01 * (TAU * hours / (5.0 + 4.0 * unit(seed ^ 13))).sin();
    Some(typical * (1.0 + wave))
}

/// Open interest of `symbol` on `venue` at `timestamp_ms`: (coins, USD = coins × price), both
/// sides. BTC's is about 8e9 USD on Binance, 3e9 on OKX, 5e9 on Bybit, 1e9 on Gate, 2e9 on
/// Bitget; other coins a share of that; ±5% on a slow wave.
pub fn open_interest(venue: Venue, symbol: &str, timestamp_ms: i64) -> Option<(f64, f64)> {
    let price_now = price(symbol, timestamp_ms)?;
    let (typical, share) = coin_profile(symbol);
    let venue_usd = venue.profile().btc_open_interest_usd;
    let seed = fnv1a(symbol) ^ fnv1a(venue.id());
    let hours = timestamp_ms as f64 / HOUR_MS as f64;
    let wave = 0.05 * (TAU * hours / (30.0 + 20.0 * unit(seed ^ 21))).sin();
    let coins = venue_usd * share / typical * (1.0 + wave);
    Some((coins, coins * price_now))
}

/// Long shares [retail, top accounts, top position] at an instant.
///
/// A slow common "mood" moves both cohorts; a separate gap wave (period 3–5 days, so any
/// 500-hour window holds several full swings) pushes them apart by up to ±19 pp around a
/// −3 pp bias. Phases are anchored at the demo bucket so the fixture symbols land on
/// known regimes there.
fn shares(symbol: &str, ts: i64) -> [f64; 3] {
    let seed = fnv1a(symbol);
    let u = |k: u64| unit(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let t = (ts - DEMO_NEWEST_1H_MS) as f64 / HOUR_MS as f64;
    let wave = |period_h: f64, phase: f64| (TAU * t / period_h + phase).sin();
    let gap_phase = match symbol {
        "BTCUSDT" => -FRAC_PI_2,
        "ETHUSDT" => FRAC_PI_2,
        "SOLUSDT" => 0.2,
        _ => TAU * u(7),
    };
    let mood = 0.55
        + 0.05 * u(1)
        + 0.04 * wave(60.0 + 90.0 * u(2), TAU * u(3))
        + 0.01 * wave(11.0 + 8.0 * u(4), TAU * u(5));
    let gap =
        0.16 * wave(72.0 + 48.0 * u(6), gap_phase) + 0.03 * wave(17.0 + 14.0 * u(8), TAU * u(9));
    let retail = mood + 0.02 - gap / 2.0 + noise(seed, 1, ts);
    let position = mood - 0.01 + gap / 2.0 + noise(seed, 2, ts);
    let accounts = retail + 0.35 * (position - retail) + noise(seed, 3, ts);
    [retail, accounts, position]
}

/// Small per-bucket jitter (±0.3 pp) so the series isn't a perfect curve.
fn noise(seed: u64, stream: u64, ts: i64) -> f64 {
    (unit(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ ts as u64) - 0.5) * 0.006
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// splitmix64 finaliser mapped to [0, 1).
fn unit(x: u64) -> f64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / (u64::MAX as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly(symbol: &str, from: i64, n: i64) -> Vec<f64> {
        (0..n)
            .map(|i| gap_pp(symbol, HOUR_MS, from + i * HOUR_MS).unwrap())
            .collect()
    }

    #[test]
    fn every_500h_window_holds_all_three_regimes_for_btc_and_eth() {
        // A year before the demo clock through 30 days after it.
        let from = DEMO_NEWEST_1H_MS - 365 * DAY_MS;
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let gaps = hourly(symbol, from, 395 * 24);
            for w in gaps.windows(500) {
                assert!(
                    w.iter().any(|g| *g <= -GAP_THRESHOLD_PP),
                    "{symbol}: no crowd-over-long"
                );
                assert!(
                    w.iter().any(|g| *g >= GAP_THRESHOLD_PP),
                    "{symbol}: no crowd-over-short"
                );
                assert!(
                    w.iter().any(|g| g.abs() < GAP_THRESHOLD_PP),
                    "{symbol}: no neutral"
                );
            }
        }
    }

    #[test]
    fn demo_fixtures_give_the_documented_signals() {
        assert_eq!(newest_bucket(DEMO_NOW_MS, HOUR_MS), DEMO_NEWEST_1H_MS);
        let gap = |s| gap_pp(s, HOUR_MS, DEMO_NEWEST_1H_MS).unwrap();
        // Keep a margin so small tuning changes cannot silently flip a fixture.
        assert!(gap(DEMO_CROWD_OVER_LONG) <= -GAP_THRESHOLD_PP - 2.0);
        assert!(gap(DEMO_CROWD_OVER_SHORT) >= GAP_THRESHOLD_PP + 1.0);
        assert!(gap(DEMO_NEUTRAL).abs() < GAP_THRESHOLD_PP - 2.0);
    }

    #[test]
    fn values_are_realistic_and_smooth() {
        let from = DEMO_NOW_MS - RETENTION_MS;
        for symbol in SYMBOLS {
            let (mut retail_in, mut pos_in, mut n) = (0, 0, 0);
            for i in 0..(RETENTION_MS / (5 * MINUTE_MS)) {
                let ts = ceil_to(from, 5 * MINUTE_MS) + i * 5 * MINUTE_MS;
                let r: Vec<Row> = Cohort::ALL
                    .iter()
                    .map(|c| row(symbol, *c, 5 * MINUTE_MS, ts).unwrap())
                    .collect();
                for x in &r {
                    assert!(x.long_account > 0.01 && x.long_account < 0.99);
                    let next = row(symbol, x.cohort, 5 * MINUTE_MS, ts + 5 * MINUTE_MS).unwrap();
                    assert!(
                        (next.long_account - x.long_account).abs() < 0.012,
                        "{symbol} jumps"
                    );
                }
                retail_in += (0.45..=0.75).contains(&r[0].long_account) as i32;
                pos_in += (0.35..=0.70).contains(&r[2].long_account) as i32;
                n += 1;
                // Accounts sit between retail and position (up to jitter).
                let (lo, hi) = (
                    r[0].long_account.min(r[2].long_account),
                    r[0].long_account.max(r[2].long_account),
                );
                assert!(r[1].long_account > lo - 0.01 && r[1].long_account < hi + 0.01);
            }
            assert!(
                retail_in * 10 >= n * 9 && pos_in * 10 >= n * 9,
                "{symbol} out of range too often"
            );
        }
    }

    #[test]
    fn rows_exist_only_for_known_symbols_and_aligned_timestamps() {
        assert!(row("NOPEUSDT", Cohort::RetailCrowd, HOUR_MS, DEMO_NEWEST_1H_MS).is_none());
        assert!(row(
            "BTCUSDT",
            Cohort::RetailCrowd,
            HOUR_MS,
            DEMO_NEWEST_1H_MS + 1
        )
        .is_none());
        assert!(row("BTCUSDT", Cohort::RetailCrowd, 7 * MINUTE_MS, 0).is_none());
        let r = row(
            "BTCUSDT",
            Cohort::RetailCrowd,
            DAY_MS,
            DEMO_NEWEST_1H_MS - 13 * HOUR_MS,
        )
        .unwrap();
        assert_eq!(fmt_e4(r.long_e4()).len(), 6);
        assert_eq!(r.long_e4() + r.short_e4(), 10_000);
        assert_eq!(
            oldest_bucket(DEMO_NOW_MS, DAY_MS),
            DEMO_NEWEST_1H_MS - 13 * HOUR_MS - 29 * DAY_MS
        );
    }
}
