//! The maths of `GET /v1/track-record`: how the signal did on this coin over the buckets Binance
//! still has. Pure functions, no I/O; docs/SIGNALS.md writes every formula out.
//!
//! The sample: every bucket T among the newest [`LOOKBACK`] in which retail_crowd and
//! top_traders_by_position both have a reading (so the signal is defined), such that T and
//! T + horizon·period both have a closed kline. The price at T is the open of the kline whose
//! open time is T, known at T: the decision at T never uses a bar that closes after it. The
//! forward return is r = price(T + h·period) / price(T) − 1.
//!
//! Numbers: each r is first rounded half away from zero to 10 decimals (a fraction, units of
//! 1e-10), exactly in integers; means and medians are taken of those and rounded once to 2
//! decimals of a percent. Hits compare the two prices themselves (r < 0 is `p(T+h) < p(T)`).
//! The hit rate's 95% interval is Wilson's score interval, computed in `f64` and rounded to 2
//! decimals of a percent.

use serde::Serialize;

use super::divergence::{signal, Signal};
use super::history::{gap_history, GapPoint};
use super::signal::LOOKBACK;
use super::stats::{div_round, round_fixed};
use crate::domain::{CohortSeries, Fixed, Pct, Period, Price};

/// Forward horizons, in buckets.
pub const MIN_HORIZON: u16 = 1;
pub const MAX_HORIZON: u16 = 48;
pub const DEFAULT_HORIZON: u16 = 4;
/// The standard normal quantile of 97.5%: Wilson's interval at 95%.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Returns are held in units of 1e-10 (as fractions, not percent).
const RETURN_SCALE: i128 = 10_000_000_000;
/// From 1e-10 of a fraction to 1e-2 of a percent.
const TO_PCT_UNITS: i128 = RETURN_SCALE / 10_000;

/// One group's statistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub n: usize,
    pub hits: usize,
    /// hits / n × 100; null when n = 0.
    pub hit_rate_pct: Option<Pct>,
    /// Wilson's 95% score interval of the hit rate, [lo, hi] in percent; null when n = 0.
    pub hit_rate_ci95_pct: Option<[Pct; 2]>,
    pub mean_return_pct: Option<Pct>,
    pub median_return_pct: Option<Pct>,
}

/// Every sample bucket of one side, and the first bucket of each of its episodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    #[serde(flatten)]
    pub all: Stats,
    pub episodes: usize,
    /// The same statistics over each episode's first bucket only (their `n` is `episodes`).
    pub entries: Stats,
}

/// The whole record: the buckets it covers and each side's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackRecord {
    /// The oldest and newest sample bucket (null when the sample is empty).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Buckets with a signal reading among the newest [`LOOKBACK`], with or without prices.
    pub buckets_examined: usize,
    pub crowd_over_long: Record,
    pub crowd_over_short: Record,
    /// The baseline: every sample bucket, whatever its signal; a hit is r > 0.
    pub all_buckets: Record,
}

/// One sample bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Outcome {
    timestamp: i64,
    long_pct_gap: Pct,
    signal: Signal,
    price: Fixed<8>,
    forward_price: Fixed<8>,
    /// The bucket one period earlier had a reading with the same signal.
    continues_signal: bool,
    /// The bucket one period earlier had a reading at all.
    continues_readings: bool,
    /// r in units of 1e-10.
    return_units: i64,
    up: bool,
    down: bool,
}

/// The price at bucket `timestamp`, if its kline closed.
fn price_at(prices: &[Price], timestamp: i64) -> Option<Fixed<8>> {
    prices
        .binary_search_by_key(&timestamp, |p| p.timestamp)
        .ok()
        .map(|i| prices[i].open)
}

/// r = to / from − 1 in units of 1e-10, rounded half away from zero (`from` > 0).
pub fn return_units(from: Fixed<8>, to: Fixed<8>) -> i64 {
    div_round(
        i128::from(to.units() - from.units()) * RETURN_SCALE,
        i128::from(from.units()),
    )
}

fn sample(
    series: &CohortSeries,
    period: Period,
    horizon: u16,
    threshold: Pct,
) -> (usize, Vec<Outcome>) {
    let p = period.millis();
    let points = gap_history(series, usize::from(LOOKBACK), p);
    let at = |t: i64| -> Option<&GapPoint> {
        points
            .binary_search_by_key(&t, |g| g.timestamp)
            .ok()
            .map(|i| &points[i])
    };
    let outcomes = points
        .iter()
        .filter_map(|g| {
            let from = price_at(&series.prices, g.timestamp)?;
            let to = price_at(&series.prices, g.timestamp + i64::from(horizon) * p)?;
            let s = signal(g.long_pct_gap, threshold);
            let before = at(g.timestamp - p);
            Some(Outcome {
                timestamp: g.timestamp,
                long_pct_gap: g.long_pct_gap,
                signal: s,
                price: from,
                forward_price: to,
                continues_signal: before.is_some_and(|b| signal(b.long_pct_gap, threshold) == s),
                continues_readings: before.is_some(),
                return_units: return_units(from, to),
                up: to > from,
                down: to < from,
            })
        })
        .collect();
    (points.len(), outcomes)
}

/// One sample bucket as `format=csv` lists it: what the statistics are computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub timestamp: i64,
    pub long_pct_gap: Pct,
    pub signal: Signal,
    /// The bucket one period earlier did not carry the same signal: an episode starts here.
    pub episode_start: bool,
    /// The open of the kline at `timestamp`, and of the one `horizon` buckets later.
    pub price: Fixed<8>,
    pub forward_timestamp: i64,
    pub forward_price: Fixed<8>,
    /// r × 100, exact to 8 decimals (r rounded to 10 decimals, as the statistics use it).
    pub forward_return_pct: Fixed<8>,
    /// By the signal's rule (r < 0 after crowd_over_long, r > 0 after crowd_over_short); null
    /// for a neutral bucket (the baseline counts r > 0).
    pub hit: Option<bool>,
}

/// Every sample bucket, oldest first, with its prices, return and hit.
pub fn samples(series: &CohortSeries, period: Period, horizon: u16, threshold: Pct) -> Vec<Sample> {
    let forward = i64::from(horizon) * period.millis();
    sample(series, period, horizon, threshold)
        .1
        .into_iter()
        .map(|o| Sample {
            timestamp: o.timestamp,
            long_pct_gap: o.long_pct_gap,
            signal: o.signal,
            episode_start: !o.continues_signal,
            price: o.price,
            forward_timestamp: o.timestamp + forward,
            forward_price: o.forward_price,
            // Units of 1e-10 of a fraction are units of 1e-8 of a percent.
            forward_return_pct: Fixed(o.return_units),
            hit: match o.signal {
                Signal::CrowdOverLong => Some(o.down),
                Signal::CrowdOverShort => Some(o.up),
                Signal::Neutral => None,
            },
        })
        .collect()
}

/// Statistics of `returns` (units of 1e-10) with `hits` of them hits.
pub fn stats(returns: &[i64], hits: usize) -> Stats {
    let n = returns.len();
    if n == 0 {
        return Stats {
            n,
            hits,
            hit_rate_pct: None,
            hit_rate_ci95_pct: None,
            mean_return_pct: None,
            median_return_pct: None,
        };
    }
    let sum: i128 = returns.iter().map(|r| i128::from(*r)).sum();
    let mut sorted = returns.to_vec();
    sorted.sort_unstable();
    let median = if n % 2 == 1 {
        div_round(i128::from(sorted[n / 2]), TO_PCT_UNITS)
    } else {
        let pair = i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2]);
        div_round(pair, 2 * TO_PCT_UNITS)
    };
    Stats {
        n,
        hits,
        hit_rate_pct: Some(Fixed(div_round(hits as i128 * 10_000, n as i128))),
        hit_rate_ci95_pct: wilson(hits, n),
        mean_return_pct: Some(Fixed(div_round(sum, n as i128 * TO_PCT_UNITS))),
        median_return_pct: Some(Fixed(median)),
    }
}

/// Wilson's score interval at 95% for `hits` of `n`, in percent, 2 decimals.
pub fn wilson(hits: usize, n: usize) -> Option<[Pct; 2]> {
    if n == 0 {
        return None;
    }
    let (k, n) = (hits as f64, n as f64);
    let p = k / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some([
        round_fixed::<2>((centre - half).max(0.0) * 100.0)?,
        round_fixed::<2>((centre + half).min(1.0) * 100.0)?,
    ])
}

fn record<'a>(
    outcomes: impl Iterator<Item = &'a Outcome> + Clone,
    hit: fn(&Outcome) -> bool,
    starts: fn(&Outcome) -> bool,
) -> Record {
    let group = |only_starts: bool| {
        let chosen: Vec<&Outcome> = outcomes
            .clone()
            .filter(|o| !only_starts || starts(o))
            .collect();
        let returns: Vec<i64> = chosen.iter().map(|o| o.return_units).collect();
        stats(&returns, chosen.iter().filter(|o| hit(o)).count())
    };
    let entries = group(true);
    Record {
        all: group(false),
        episodes: entries.n,
        entries,
    }
}

/// The track record of the signal at `threshold` over `series` (cohorts and prices), with
/// forward returns over `horizon` buckets of `period`.
pub fn track_record(
    series: &CohortSeries,
    period: Period,
    horizon: u16,
    threshold: Pct,
) -> TrackRecord {
    let (examined, outcomes) = sample(series, period, horizon, threshold);
    let side = |s: Signal| {
        let of_side = outcomes.iter().filter(move |o| o.signal == s);
        let hit: fn(&Outcome) -> bool = match s {
            Signal::CrowdOverLong => |o| o.down,
            _ => |o| o.up,
        };
        record(of_side, hit, |o| !o.continues_signal)
    };
    TrackRecord {
        from: outcomes.first().map(|o| o.timestamp),
        to: outcomes.last().map(|o| o.timestamp),
        buckets_examined: examined,
        crowd_over_long: side(Signal::CrowdOverLong),
        crowd_over_short: side(Signal::CrowdOverShort),
        all_buckets: record(outcomes.iter(), |o| o.up, |o| !o.continues_readings),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Decimal, Reading};

    const H: i64 = 3_600_000;
    /// 2026-08-02 00:00 UTC, on an hour boundary.
    const T0: i64 = 1_785_628_800_000;

    fn reading(k: i64, long: &str) -> Reading {
        let long_share = Decimal::parse(long).unwrap();
        Reading {
            timestamp: T0 + k * H,
            long_share,
            short_share: long_share.complement(),
            long_short_ratio: None,
        }
    }

    fn price(k: i64, open: &str) -> Price {
        Price {
            timestamp: T0 + k * H,
            open: Fixed::parse(open).unwrap(),
        }
    }

    fn pct(text: &str) -> Pct {
        Fixed::parse(text).unwrap()
    }

    /// Eight 1h buckets; the crowd is 50% long throughout and smart money 50% + gap:
    ///
    /// | k | gap  | signal (T = 8) | price  |
    /// |---|------|----------------|--------|
    /// | 0 | −10  | crowd_over_long  | 100  |
    /// | 1 | −9   | crowd_over_long  | 99   |
    /// | 2 | 0    | neutral          | 101  |
    /// | 3 | +9   | crowd_over_short | 100  |  an episode of one bucket
    /// | 4 | −8   | crowd_over_long  | 98   |  exactly −T counts
    /// | 5 | 0    | neutral          | (no kline) |
    /// | 6 | +12  | crowd_over_short | 100  |
    /// | 7 | +8   | crowd_over_short | 103  |  the newest: no closed kline after it
    fn example() -> CohortSeries {
        let smart = [
            "0.40", "0.41", "0.50", "0.59", "0.42", "0.50", "0.62", "0.58",
        ];
        CohortSeries {
            retail_crowd: (0..8).map(|k| reading(k, "0.5")).collect(),
            top_traders_by_accounts: Vec::new(),
            top_traders_by_position: smart
                .iter()
                .enumerate()
                .map(|(k, long)| reading(k as i64, long))
                .collect(),
            open_interest: Vec::new(),
            prices: [
                (0, "100"),
                (1, "99"),
                (2, "101"),
                (3, "100"),
                (4, "98"),
                (6, "100"),
                (7, "103"),
            ]
            .iter()
            .map(|(k, p)| price(*k, p))
            .collect(),
        }
    }

    #[test]
    fn forward_returns_are_exact_to_ten_decimals() {
        let p = |t: &str| Fixed::<8>::parse(t).unwrap();
        assert_eq!(return_units(p("100"), p("99")), -100_000_000);
        // 101/99 − 1 = 0.020202020202… → 0.0202020202
        assert_eq!(return_units(p("99"), p("101")), 202_020_202);
        // 100/101 − 1 = −0.00990099009900… → −0.0099009901 (half away from zero)
        assert_eq!(return_units(p("101"), p("100")), -99_009_901);
        // 124/123 − 1 = 0.008130081300… (a coin priced in 1e-7)
        assert_eq!(return_units(p("0.0000123"), p("0.0000124")), 81_300_813);
    }

    #[test]
    fn samples_list_each_bucket_the_statistics_use_with_its_prices_return_and_hit() {
        let s = samples(&example(), Period::H1, 1, pct("8"));
        let p = |t: &str| Fixed::<8>::parse(t).unwrap();
        // k0 k1 k2 k3 k6, as in the table above (k4: no forward kline; k5: none; k7: none after).
        let rows: Vec<_> = s
            .iter()
            .map(|x| {
                (
                    (x.timestamp - T0) / H,
                    x.signal,
                    x.episode_start,
                    x.price,
                    (x.forward_timestamp - T0) / H,
                    x.forward_price,
                    x.forward_return_pct,
                    x.hit,
                )
            })
            .collect();
        use Signal::*;
        assert_eq!(
            rows,
            vec![
                (
                    0,
                    CrowdOverLong,
                    true,
                    p("100"),
                    1,
                    p("99"),
                    p("-1"),
                    Some(true)
                ),
                // 101/99 − 1 = 0.0202020202 → 2.02020202%
                (
                    1,
                    CrowdOverLong,
                    false,
                    p("99"),
                    2,
                    p("101"),
                    p("2.02020202"),
                    Some(false)
                ),
                (
                    2,
                    Neutral,
                    true,
                    p("101"),
                    3,
                    p("100"),
                    p("-0.99009901"),
                    None
                ),
                (
                    3,
                    CrowdOverShort,
                    true,
                    p("100"),
                    4,
                    p("98"),
                    p("-2"),
                    Some(false)
                ),
                (
                    6,
                    CrowdOverShort,
                    true,
                    p("100"),
                    7,
                    p("103"),
                    p("3"),
                    Some(true)
                ),
            ]
        );
        assert_eq!(s[1].long_pct_gap, pct("-9"));
    }

    #[test]
    fn each_side_counts_hits_episodes_and_entries_over_the_buckets_with_both_prices() {
        let r = track_record(&example(), Period::H1, 1, pct("8"));
        // k4 has no forward price (k5 has no kline), k5 none of its own, k7 nothing after it.
        assert_eq!(
            (r.from, r.to, r.buckets_examined),
            (Some(T0), Some(T0 + 6 * H), 8)
        );

        // crowd_over_long: k0 (r = −1%, a hit: the price fell) and k1 (+2.02%, a miss), one
        // episode (k1 continues k0's); its entry is k0.
        let col = &r.crowd_over_long;
        assert_eq!((col.all.n, col.all.hits, col.episodes), (2, 1, 1));
        assert_eq!(col.all.hit_rate_pct, Some(pct("50")));
        // (−0.01 + 0.0202020202) / 2 = 0.0051010101 → 0.51%; the median of two is their mean.
        assert_eq!(col.all.mean_return_pct, Some(pct("0.51")));
        assert_eq!(col.all.median_return_pct, Some(pct("0.51")));
        // Wilson, 1 of 2: centre 0.5, half-width 1.959964·√(0.125 + 0.240091)/2.920729 = 0.405465.
        assert_eq!(col.all.hit_rate_ci95_pct, Some([pct("9.45"), pct("90.55")]));
        assert_eq!(
            (col.entries.n, col.entries.hits, col.entries.mean_return_pct),
            (1, 1, Some(pct("-1")))
        );
        assert_eq!(col.entries.hit_rate_pct, Some(pct("100")));
        // 1 of 1: [20.65, 100].
        assert_eq!(
            col.entries.hit_rate_ci95_pct,
            Some([pct("20.65"), pct("100")])
        );

        // crowd_over_short: k3 (−2%, a miss; an episode of one bucket) and k6 (+3%, a hit; after
        // a neutral bucket): two episodes, both entries.
        let cos = &r.crowd_over_short;
        assert_eq!((cos.all.n, cos.all.hits, cos.episodes), (2, 1, 2));
        assert_eq!(cos.all.mean_return_pct, Some(pct("0.5")));
        assert_eq!(cos.entries, cos.all);

        // The baseline: k0 k1 k2 k3 k6; hits are rises (k1, k6); sum of r = 0.0103010301 → mean
        // 0.206% → 0.21%; median −0.0099009901 → −0.99%. One run of readings (k0…k7), entry k0.
        let all = &r.all_buckets;
        assert_eq!((all.all.n, all.all.hits, all.episodes), (5, 2, 1));
        assert_eq!(all.all.hit_rate_pct, Some(pct("40")));
        assert_eq!(all.all.mean_return_pct, Some(pct("0.21")));
        assert_eq!(all.all.median_return_pct, Some(pct("-0.99")));
        // Wilson, 2 of 5: [11.76, 76.93].
        assert_eq!(
            all.all.hit_rate_ci95_pct,
            Some([pct("11.76"), pct("76.93")])
        );
        assert_eq!((all.entries.n, all.entries.hits), (1, 0));
    }

    #[test]
    fn a_longer_horizon_needs_the_price_further_on() {
        // h = 2: k0 → k2 (+1%), k1 → k3 (+1.0101…%), k2 → k4 (−2.97…%), k3 → k5 (no kline),
        // k4 → k6 (+2.0408…%), k5 none, k6 → k8 (none).
        let r = track_record(&example(), Period::H1, 2, pct("8"));
        assert_eq!((r.from, r.to), (Some(T0), Some(T0 + 4 * H)));
        let col = &r.crowd_over_long;
        // k0, k1 (one episode) and k4 (a new one: k3 was crowd_over_short); all rose: no hits.
        assert_eq!((col.all.n, col.all.hits, col.episodes), (3, 0, 2));
        // median of 0.01, 0.0101010101, 0.0204081633 → 1.01%
        assert_eq!(col.all.median_return_pct, Some(pct("1.01")));
        assert_eq!(r.crowd_over_short.all.n, 0);
        assert_eq!(r.crowd_over_short.all.hit_rate_pct, None);
        assert_eq!(r.crowd_over_short.all.hit_rate_ci95_pct, None);
        assert_eq!(r.crowd_over_short.all.mean_return_pct, None);
    }

    #[test]
    fn no_prices_no_sample() {
        let mut s = example();
        s.prices.clear();
        let r = track_record(&s, Period::H1, 1, pct("8"));
        assert_eq!(
            (r.from, r.to, r.all_buckets.all.n, r.buckets_examined),
            (None, None, 0, 8)
        );
    }
}
