//! The chart's picture, byte for byte: each case below is drawn and compared with the SVG saved in
//! `tests/golden/chart/`. A change to the drawing shows here as a failing case; when the change is
//! meant, `UPDATE_GOLDEN=1 cargo nextest run -p shared --test chart_golden` saves the new pictures
//! (look at them with `scripts/chart_png` before committing them).

use std::path::PathBuf;

use shared::domain::{Pct, Period, Symbol};
use shared::maths::history::HistoryPoint;
use shared::render::svg::chart;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2026-08-02 00:00:00 UTC.
const AUG_2: i64 = 1_785_628_800_000;
/// 2025-12-31 18:00:00 UTC: a year ends six hours later.
const NEW_YEAR_EVE: i64 = 1_767_204_000_000;
/// 2028-02-28 12:00:00 UTC: a leap day follows.
const LEAP: i64 = 1_835_352_000_000;

const BINANCE: &str = "binance_usdm_futures";
const STANDIN: &str =
    "local_standin: SIMULATED data from a local Binance stand-in, NOT live market data";

/// A deterministic wander of the three cohorts' long % (in hundredths), one point per bucket
/// from `first`, leaving out the buckets in `missing`.
fn walk(first: i64, period: Period, count: i64, missing: &[i64], seed: u64) -> Vec<HistoryPoint> {
    let mut state = seed;
    let mut next = |spread: i64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % (2 * spread as u64 + 1)) as i64 - spread
    };
    let (mut retail, mut accounts, mut position) = (5_500_i64, 5_200_i64, 4_800_i64);
    (0..count)
        .filter_map(|i| {
            retail = (retail + next(150)).clamp(2_000, 8_000);
            accounts = (accounts + next(120)).clamp(2_000, 8_000);
            position = (position + next(200)).clamp(1_000, 9_000);
            (!missing.contains(&i))
                .then(|| point(first + i * period.millis(), retail, accounts, position))
        })
        .collect()
}

fn point(timestamp: i64, retail: i64, accounts: i64, position: i64) -> HistoryPoint {
    HistoryPoint {
        timestamp,
        long_pct_gap: Pct::from_units(position - retail),
        retail_crowd_long_pct: Pct::from_units(retail),
        retail_crowd_ls_ratio: None,
        top_traders_by_accounts_long_pct: Pct::from_units(accounts),
        top_traders_by_accounts_ls_ratio: None,
        top_traders_by_position_long_pct: Pct::from_units(position),
        top_traders_by_position_ls_ratio: None,
    }
}

struct Case {
    name: &'static str,
    coin: &'static str,
    period: Period,
    threshold: i64,
    source: &'static str,
    points: Vec<HistoryPoint>,
}

fn cases() -> Vec<Case> {
    let case = |name, coin, period, threshold, source, points| Case {
        name,
        coin,
        period,
        threshold,
        source,
        points,
    };
    let ending = |newest: i64, period: Period, count: i64| newest - (count - 1) * period.millis();
    vec![
        case("btc-1h-96", "BTC", Period::H1, 800, BINANCE, {
            walk(
                ending(AUG_2 + 13 * HOUR, Period::H1, 96),
                Period::H1,
                96,
                &[],
                1,
            )
        }),
        case("eth-5m-96-standin", "ETH", Period::M5, 800, STANDIN, {
            walk(
                ending(AUG_2 + 2 * HOUR, Period::M5, 96),
                Period::M5,
                96,
                &[],
                2,
            )
        }),
        case("sol-15m-500-gaps", "SOL", Period::M15, 800, BINANCE, {
            walk(
                AUG_2 - 3 * DAY,
                Period::M15,
                500,
                &[40, 41, 42, 300, 498],
                3,
            )
        }),
        case("btc-30m-48-new-year", "BTC", Period::M30, 800, BINANCE, {
            walk(NEW_YEAR_EVE, Period::M30, 48, &[], 4)
        }),
        case("btc-2h-200-new-year", "BTC", Period::H2, 800, BINANCE, {
            walk(NEW_YEAR_EVE - 8 * DAY, Period::H2, 200, &[], 5)
        }),
        case("sol-4h-30", "SOL", Period::H4, 800, BINANCE, {
            walk(
                ending(AUG_2 + 12 * HOUR, Period::H4, 30),
                Period::H4,
                30,
                &[],
                6,
            )
        }),
        case("eth-6h-120-leap-day", "ETH", Period::H6, 750, BINANCE, {
            walk(LEAP - 15 * DAY, Period::H6, 120, &[], 7)
        }),
        case("btc-12h-60", "BTC", Period::H12, 800, BINANCE, {
            walk(AUG_2 - 20 * DAY, Period::H12, 60, &[], 8)
        }),
        case("btc-1d-500-years", "BTC", Period::D1, 800, BINANCE, {
            walk(
                NEW_YEAR_EVE - 18 * HOUR - 400 * DAY,
                Period::D1,
                500,
                &[],
                9,
            )
        }),
        case("btc-1d-2", "BTC", Period::D1, 800, BINANCE, {
            walk(NEW_YEAR_EVE - 18 * HOUR, Period::D1, 2, &[], 10)
        }),
        case(
            "btc-1h-1",
            "BTC",
            Period::H1,
            800,
            STANDIN,
            vec![point(AUG_2, 5000, 5000, 5000)],
        ),
        case("btc-1h-0", "BTC", Period::H1, 800, BINANCE, Vec::new()),
        case("btc-1h-lone-runs", "BTC", Period::H1, 800, BINANCE, {
            walk(AUG_2, Period::H1, 12, &[1, 3, 4, 9, 10], 11)
        }),
        case(
            "doge-1h-24-wide-gap-odd-source",
            "DOGE",
            Period::H1,
            100_000,
            "a&b <c> \"d\" 'e'",
            {
                (0..24)
                    .map(|i| point(AUG_2 + i * HOUR, 9_900 - i * 10, 5_000, 100 + i * 5))
                    .collect()
            },
        ),
        case("btc-5m-12-threshold-2", "BTC", Period::M5, 200, BINANCE, {
            walk(AUG_2 - 30 * MINUTE, Period::M5, 12, &[], 12)
        }),
    ]
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/chart")
        .join(format!("{name}.svg"))
}

#[test]
fn every_saved_chart_is_drawn_byte_for_byte_the_same() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for case in cases() {
        let symbol = Symbol::from_coin(case.coin).unwrap();
        let threshold = Pct::from_units(case.threshold);
        let svg = chart(&symbol, case.period, threshold, case.source, &case.points);
        let path = golden(case.name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &svg.body).unwrap();
            continue;
        }
        let saved = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 saves it)", path.display()));
        if saved != svg.body {
            differ.push(case.name);
        }
    }
    assert!(differ.is_empty(), "drawn differently: {differ:?}");
}
