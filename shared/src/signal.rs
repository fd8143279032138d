//! The signal maths of `GET /v1/signal`: the divergence in the context of the coin's own newest
//! 500 buckets. Pure functions, no I/O; every formula is written out in docs/SIGNALS.md.
//!
//! Inputs are exact 2-decimal percentages (`Pct`, held as integer hundredths). Sums of those are
//! exact integers; a statistic that needs a quotient or a square root is computed from the exact
//! sums and rounded once, to the decimals stated, by `round_fixed` (a non-finite value is `None`).

use serde::Serialize;

use crate::binance::{CohortSeries, Reading};
use crate::decimal::{Fixed, Pct};
use crate::divergence::{history, signal, Divergence, HistoryPoint, Signal};
use crate::params::Period;

/// Buckets fetched per cohort (Binance's maximum per call).
pub const LOOKBACK: u16 = 500;
/// |smoothed gap| at or beyond this is `sustained` (`SIGNAL_SUSTAINED_PP`).
pub const DEFAULT_SUSTAINED_PP: Pct = Fixed(1000);
/// Trailing window of the smoothed gap (`SIGNAL_SMOOTHING_HOURS`).
pub const DEFAULT_SMOOTHING_HOURS: u32 = 12;
/// Both top-trader cohorts at least this long (or short) for a LONG (SHORT) consensus.
pub const CONSENSUS_LEVEL_PCT: Pct = Fixed(5500);
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Trend and volatility look at the last 24 hours of buckets.
pub const RECENT_MS: i64 = DAY_MS;
/// Fewest buckets a trend is fitted to.
pub const MIN_TREND_BUCKETS: usize = 3;
/// A trend (or each half of a reversal) must move at least this much, in pp, over its window.
pub const TREND_MIN_MOVE_PP: f64 = 1.0;
/// A bullish or bearish trend must explain at least this share of the variance.
pub const TREND_MIN_R_SQUARED: f64 = 0.3;
/// A standard deviation of Δgap of this many pp per bucket scores 100 (the scale is linear).
pub const VOLATILITY_FULL_SCALE_PP: f64 = 2.0;
/// σ now ≥ 1.25 × σ before: increasing; ≤ σ before / 1.25: decreasing; else stable.
pub const VOLATILITY_BAND: f64 = 1.25;
/// Confidence weights (sum 100): distance, agreement, persistence, completeness.
pub const CONFIDENCE_WEIGHTS: [i64; 4] = [35, 25, 25, 15];

/// The configuration the signal is computed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalParams {
    pub threshold: Pct,
    pub sustained: Pct,
    pub smoothing_hours: u32,
    pub consensus_level: Pct,
}

/// `x` rounded half away from zero to `P` decimals; `None` when not finite (never NaN in JSON).
pub fn round_fixed<const P: u32>(x: f64) -> Option<Fixed<P>> {
    let scaled = x * 10f64.powi(P as i32);
    (scaled.is_finite() && scaled.abs() < 9e15).then(|| Fixed(scaled.round() as i64))
}

/// Integer division rounding half away from zero (`d > 0`).
fn div_round(n: i128, d: i128) -> i64 {
    let (q, r) = (n / d, n % d);
    (if 2 * r.abs() >= d { q + n.signum() } else { q }) as i64
}

/// `n`, Σx and n²·variance = nΣx² − (Σx)², all exact.
fn moments(xs: &[i64]) -> (i128, i128, i128) {
    let n = xs.len() as i128;
    let sum: i128 = xs.iter().map(|&x| i128::from(x)).sum();
    let sum_sq: i128 = xs.iter().map(|&x| i128::from(x) * i128::from(x)).sum();
    (n, sum, n * sum_sq - sum * sum)
}

fn units(xs: &[Pct]) -> Vec<i64> {
    xs.iter().map(|x| x.units()).collect()
}

/// Arithmetic mean, exact then rounded to 2 decimals. `None` for no values.
pub fn mean(xs: &[Pct]) -> Option<Pct> {
    let (n, sum, _) = moments(&units(xs));
    (n > 0).then(|| Fixed(div_round(sum, n)))
}

/// Population standard deviation √(Σ(x − x̄)² / n), in the values' unit.
pub fn std_dev(xs: &[Pct]) -> Option<f64> {
    let (n, _, n2_var) = moments(&units(xs));
    (n > 0).then(|| (n2_var as f64).sqrt() / n as f64 / 100.0)
}

/// (x − x̄) / σ over `xs` (population σ) = (n·x − Σx) / √(nΣx² − (Σx)²).
pub fn z_score(xs: &[Pct], x: Pct) -> Result<f64, &'static str> {
    let (n, sum, n2_var) = moments(&units(xs));
    if n < 2 {
        return Err("fewer than 2 buckets: a z-score needs at least 2");
    }
    if n2_var == 0 {
        return Err("zero variance: the gap was the same in every bucket, so it has no z-score");
    }
    Ok((n * i128::from(x.units()) - sum) as f64 / (n2_var as f64).sqrt())
}

/// Mid-rank percentile: 100 × (count below x + ½ × count equal to x) / n.
pub fn percentile_rank(xs: &[Pct], x: Pct) -> Option<Pct> {
    let below = xs.iter().filter(|v| **v < x).count() as i128;
    let equal = xs.iter().filter(|v| **v == x).count() as i128;
    (!xs.is_empty()).then(|| Fixed(div_round(10_000 * below + 5_000 * equal, xs.len() as i128)))
}

/// A least-squares line y = a + b·x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// b, in y units per x unit.
    pub slope: f64,
    /// (Sxy)² / (Sxx·Syy); `None` for a flat y (no variance to explain).
    pub r_squared: Option<f64>,
}

/// Fitted to integer (x, y) pairs from exact sums: b = Sxy / Sxx with Sxx = nΣx² − (Σx)²,
/// Sxy = nΣxy − ΣxΣy, Syy = nΣy² − (Σy)². `None` with fewer than 2 distinct x.
pub fn least_squares(xy: &[(i64, i64)]) -> Option<Fit> {
    let (xs, ys): (Vec<i64>, Vec<i64>) = xy.iter().copied().unzip();
    let (n, sx, sxx) = moments(&xs);
    let (_, sy, syy) = moments(&ys);
    let sum_xy: i128 = xy.iter().map(|&(x, y)| i128::from(x) * i128::from(y)).sum();
    let sxy = n * sum_xy - sx * sy;
    if sxx == 0 {
        return None;
    }
    let r_squared = (syy != 0).then(|| (sxy as f64).powi(2) / (sxx as f64 * syy as f64));
    Some(Fit {
        slope: sxy as f64 / sxx as f64,
        r_squared,
    })
}

/// `7d`, `24h`, `90m`: a window as a reader writes it.
fn span(ms: i64) -> String {
    match ms {
        ms if ms % DAY_MS == 0 && ms > DAY_MS => format!("{}d", ms / DAY_MS),
        ms if ms % HOUR_MS == 0 => format!("{}h", ms / HOUR_MS),
        ms => format!("{}m", ms / 60_000),
    }
}

/// Whole buckets of `period` in `window_ms`, at most `max`; else why not.
pub fn window_buckets(window_ms: i64, period: Period, max: usize) -> Result<usize, String> {
    let p = period.millis();
    let w = span(window_ms);
    if p > window_ms {
        return Err(format!(
            "a {period} bucket is longer than {w}: not meaningful"
        ));
    }
    if window_ms % p != 0 {
        return Err(format!("{w} is not a whole number of {period} buckets"));
    }
    let k = (window_ms / p) as usize;
    if k > max {
        return Err(format!(
            "{w} is {k} buckets of {period}, beyond the {LOOKBACK} buckets fetched"
        ));
    }
    Ok(k)
}

/// The points with `to − span_ms < timestamp <= to` (points are sorted oldest first).
fn window(points: &[HistoryPoint], to: i64, span_ms: i64) -> &[HistoryPoint] {
    let start = points.partition_point(|p| p.timestamp <= to - span_ms);
    let end = points.partition_point(|p| p.timestamp <= to);
    &points[start..end]
}

/// Hours from the start of bucket `from` to the end of bucket `to`, 2 decimals.
fn hours_covered(from: i64, to: i64, period: Period) -> Fixed<2> {
    Fixed(div_round(
        i128::from(to - from + period.millis()) * 100,
        i128::from(HOUR_MS),
    ))
}

const NO_POINTS: &str = "no bucket in which all three cohorts have a reading";

// ------------------------------------------------------------------ now and consensus

/// top_traders_by_accounts long % − retail_crowd long %, in pp.
pub fn account_gap(accounts: Pct, retail: Pct) -> Pct {
    accounts - retail
}

/// Long share of the accounts outside the top ~20%, if the top is exactly 20% of all accounts:
/// (global − 0.2 × top) / 0.8 = (5·global − top) / 4, clamped to 0..=100. An estimate.
pub fn non_top_long_pct(global: Pct, top_accounts: Pct) -> Pct {
    let v = div_round(i128::from(5 * global.units() - top_accounts.units()), 4);
    Fixed(v.clamp(0, 10_000))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Consensus {
    Long,
    Short,
    Neutral,
}

/// LONG when both top-trader cohorts are ≥ `level` long, SHORT when both are ≥ `level` short
/// (long ≤ 100 − level), else NEUTRAL.
pub fn consensus(accounts: Pct, position: Pct, level: Pct) -> Consensus {
    let short_level = Fixed(10_000) - level;
    if accounts >= level && position >= level {
        Consensus::Long
    } else if accounts <= short_level && position <= short_level {
        Consensus::Short
    } else {
        Consensus::Neutral
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Now {
    #[serde(flatten)]
    pub divergence: Divergence,
    pub top_traders_by_accounts_long_pct: Option<Pct>,
    pub account_gap: Option<Pct>,
    pub non_top_accounts_long_pct_estimate: Option<Pct>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SmartMoneyConsensus {
    pub call: Option<Consensus>,
    pub level_pct: Pct,
    pub timestamp: i64,
    pub top_traders_by_accounts_long_pct: Option<Pct>,
    pub top_traders_by_position_long_pct: Pct,
    pub reason: Option<String>,
}

// ------------------------------------------------------------------ smoothed

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Smoothed {
    pub window_hours: u32,
    pub window_buckets: Option<usize>,
    pub buckets_used: usize,
    pub long_pct_gap: Option<Pct>,
    pub sustained_threshold_pp: Pct,
    pub sustained: Option<bool>,
    pub side: Option<Signal>,
    pub reason: Option<String>,
}

/// Mean long_pct_gap of the buckets in the trailing `hours` ending at the newest point; sustained
/// when it is at or beyond ±`sustained_pp` (`side` uses the divergence signal rule).
pub fn smoothed(points: &[HistoryPoint], period: Period, hours: u32, sustained: Pct) -> Smoothed {
    let window_ms = i64::from(hours) * HOUR_MS;
    let k = window_buckets(window_ms, period, LOOKBACK as usize);
    let gaps: Vec<Pct> = match (&k, points.last()) {
        (Ok(_), Some(l)) => window(points, l.timestamp, window_ms)
            .iter()
            .map(|p| p.long_pct_gap)
            .collect(),
        _ => Vec::new(),
    };
    let gap = mean(&gaps);
    let side = gap.map(|g| signal(g, sustained));
    Smoothed {
        window_hours: hours,
        window_buckets: k.as_ref().ok().copied(),
        buckets_used: gaps.len(),
        long_pct_gap: gap,
        sustained_threshold_pp: sustained,
        sustained: side.map(|s| s != Signal::Neutral),
        side,
        reason: k.err().or_else(|| gap.is_none().then(|| NO_POINTS.into())),
    }
}

// ------------------------------------------------------------------ vs history

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VsHistory {
    pub buckets: usize,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub span_hours: Option<Fixed<2>>,
    pub long_pct_gap: Option<Pct>,
    pub z_score: Option<Fixed<2>>,
    pub percentile_rank: Option<Pct>,
    pub min: Option<Pct>,
    pub max: Option<Pct>,
    pub mean: Option<Pct>,
    pub std_dev_pp: Option<Fixed<2>>,
    pub reason: Option<String>,
}

/// The newest point's gap against every point's gap.
pub fn vs_history(points: &[HistoryPoint], period: Period) -> VsHistory {
    let gaps: Vec<Pct> = points.iter().map(|p| p.long_pct_gap).collect();
    let (first, last) = (points.first(), points.last());
    let current = last.map(|p| p.long_pct_gap);
    let z = current.map(|x| z_score(&gaps, x));
    VsHistory {
        buckets: points.len(),
        from: first.map(|p| p.timestamp),
        to: last.map(|p| p.timestamp),
        span_hours: first
            .zip(last)
            .map(|(a, b)| hours_covered(a.timestamp, b.timestamp, period)),
        long_pct_gap: current,
        z_score: z.and_then(|z| z.ok()).and_then(round_fixed),
        percentile_rank: current.and_then(|x| percentile_rank(&gaps, x)),
        min: gaps.iter().min().copied(),
        max: gaps.iter().max().copied(),
        mean: mean(&gaps),
        std_dev_pp: std_dev(&gaps).and_then(round_fixed),
        reason: match z {
            None => Some(NO_POINTS.into()),
            Some(Err(reason)) => Some(reason.into()),
            Some(Ok(_)) => None,
        },
    }
}

// ------------------------------------------------------------------ persistence

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Persistence {
    pub threshold_pp: Pct,
    pub side: Option<Signal>,
    pub beyond_threshold: bool,
    pub consecutive_buckets: usize,
    pub since: Option<i64>,
    pub duration_hours: Option<Fixed<2>>,
    pub last_crossed_at: Option<i64>,
    pub reason: Option<String>,
}

/// The run of newest buckets whose gap gives the same signal (at threshold T) as the newest.
/// Missing buckets are skipped: they neither count nor break the run. `last_crossed_at` is the
/// run's first bucket, where the gap crossed into its current side; `None` when the run covers
/// every bucket fetched (the crossing is older).
pub fn persistence(points: &[HistoryPoint], period: Period, threshold: Pct) -> Persistence {
    let side_of = |p: &HistoryPoint| signal(p.long_pct_gap, threshold);
    let side = points.last().map(side_of);
    let run = points
        .iter()
        .rev()
        .take_while(|p| Some(side_of(p)) == side)
        .count();
    let since = points.get(points.len() - run).map(|p| p.timestamp);
    let whole = run == points.len();
    Persistence {
        threshold_pp: threshold,
        side,
        beyond_threshold: side.is_some_and(|s| s != Signal::Neutral),
        consecutive_buckets: run,
        since,
        duration_hours: since
            .zip(points.last())
            .map(|(a, b)| hours_covered(a, b.timestamp, period)),
        last_crossed_at: since.filter(|_| !whole),
        reason: match (side, whole) {
            (None, _) => Some(NO_POINTS.into()),
            (Some(_), true) => Some(format!(
                "the same side in all {run} buckets fetched: crossed earlier"
            )),
            _ => None,
        },
    }
}

// ------------------------------------------------------------------ changes

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Change {
    pub window_buckets: Option<usize>,
    pub from_timestamp: Option<i64>,
    pub long_pct_gap: Option<Pct>,
    pub retail_crowd_long_pct: Option<Pct>,
    pub top_traders_by_accounts_long_pct: Option<Pct>,
    pub top_traders_by_position_long_pct: Option<Pct>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Changes {
    #[serde(rename = "1h")]
    pub h1: Change,
    #[serde(rename = "6h")]
    pub h6: Change,
    #[serde(rename = "24h")]
    pub h24: Change,
    #[serde(rename = "7d")]
    pub d7: Change,
}

/// Value at the newest point minus value at the bucket `window_ms` earlier (k = window / period
/// buckets back, k ≤ 499 so that both ends are among the 500 fetched).
pub fn change(points: &[HistoryPoint], period: Period, window_ms: i64) -> Change {
    let k = match window_buckets(window_ms, period, LOOKBACK as usize - 1) {
        Ok(k) => Some(k),
        Err(reason) => {
            return Change {
                reason: Some(reason),
                ..Change::default()
            }
        }
    };
    let Some(last) = points.last() else {
        return Change {
            window_buckets: k,
            reason: Some(NO_POINTS.into()),
            ..Change::default()
        };
    };
    let from = last.timestamp - window_ms;
    let old = points
        .binary_search_by_key(&from, |p| p.timestamp)
        .ok()
        .map(|i| &points[i]);
    let delta = |f: fn(&HistoryPoint) -> Pct| old.map(|o| f(last) - f(o));
    Change {
        window_buckets: k,
        from_timestamp: Some(from),
        long_pct_gap: delta(|p| p.long_pct_gap),
        retail_crowd_long_pct: delta(|p| p.retail_crowd_long_pct),
        top_traders_by_accounts_long_pct: delta(|p| p.top_traders_by_accounts_long_pct),
        top_traders_by_position_long_pct: delta(|p| p.top_traders_by_position_long_pct),
        reason: old
            .is_none()
            .then(|| format!("no bucket at {from} with all three cohorts")),
    }
}

pub fn changes(points: &[HistoryPoint], period: Period) -> Changes {
    Changes {
        h1: change(points, period, HOUR_MS),
        h6: change(points, period, 6 * HOUR_MS),
        h24: change(points, period, DAY_MS),
        d7: change(points, period, 7 * DAY_MS),
    }
}

// ------------------------------------------------------------------ trend

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendDirection {
    Bullish,
    Bearish,
    Neutral,
    Reversal,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Trend {
    pub buckets: usize,
    pub direction: Option<TrendDirection>,
    pub strength: Option<Fixed<2>>,
    pub slope_pp_per_hour: Option<Fixed<4>>,
    pub fitted_change_pp: Option<Fixed<2>>,
    pub r_squared: Option<Fixed<4>>,
    pub reason: Option<String>,
}

/// Fit of smart money long % (y, hundredths) against the bucket index (x) and its fitted change
/// over the points, in pp: slope × (x_last − x_first) / 100.
fn fit(points: &[HistoryPoint], period: Period) -> Option<(Fit, f64)> {
    let t0 = points.first()?.timestamp;
    let xy: Vec<(i64, i64)> = points
        .iter()
        .map(|p| {
            let x = (p.timestamp - t0) / period.millis();
            (x, p.top_traders_by_position_long_pct.units())
        })
        .collect();
    let f = least_squares(&xy)?;
    let x_span = xy.last()?.0 - xy[0].0;
    Some((f, f.slope * x_span as f64 / 100.0))
}

/// Smart money long % over the last 24h of buckets (at least 3). `reversal` when each half of
/// the window (the halves share the middle bucket when the count is odd) moves ≥ 1 pp the
/// opposite way; else `bullish`/`bearish` when the whole-window fit moves ≥ 1 pp up/down with
/// R² ≥ 0.3; else `neutral`. Strength = R² of the deciding fit (the newer half for a reversal;
/// 0 for a flat series).
pub fn trend(points: &[HistoryPoint], period: Period) -> Trend {
    let recent = points
        .last()
        .map_or(points, |l| window(points, l.timestamp, RECENT_MS));
    let n = recent.len();
    let Some((f, moved)) = fit(recent, period).filter(|_| n >= MIN_TREND_BUCKETS) else {
        let reason = format!("{n} bucket(s) in the last 24h; a trend needs {MIN_TREND_BUCKETS}");
        return Trend {
            buckets: n,
            reason: Some(reason),
            ..Trend::default()
        };
    };
    let big = |m: f64| m.abs() >= TREND_MIN_MOVE_PP;
    let halves = (
        fit(&recent[..n.div_ceil(2)], period),
        fit(&recent[n / 2..], period),
    );
    let r2 = f.r_squared.unwrap_or(0.0);
    let (direction, strength) = match halves {
        (Some((_, m1)), Some((f2, m2))) if big(m1) && big(m2) && m1.signum() != m2.signum() => {
            (TrendDirection::Reversal, f2.r_squared)
        }
        _ if !big(moved) || r2 < TREND_MIN_R_SQUARED => (TrendDirection::Neutral, Some(r2)),
        _ if moved > 0.0 => (TrendDirection::Bullish, Some(r2)),
        _ => (TrendDirection::Bearish, Some(r2)),
    };
    Trend {
        buckets: n,
        direction: Some(direction),
        strength: strength.and_then(round_fixed),
        slope_pp_per_hour: round_fixed(f.slope / 100.0 * HOUR_MS as f64 / period.millis() as f64),
        fitted_change_pp: round_fixed(moved),
        r_squared: f.r_squared.and_then(round_fixed),
        reason: f
            .r_squared
            .is_none()
            .then(|| "flat series: R² is undefined, strength 0".into()),
    }
}

// ------------------------------------------------------------------ volatility

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolatilityChange {
    Increasing,
    Decreasing,
    Stable,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Volatility {
    pub score: Option<u8>,
    pub std_dev_delta_pp: Option<Fixed<3>>,
    pub deltas: usize,
    pub previous_score: Option<u8>,
    pub previous_std_dev_delta_pp: Option<Fixed<3>>,
    pub previous_deltas: usize,
    pub change: Option<VolatilityChange>,
    pub reason: Option<String>,
}

/// Δgap between each point in (to − 24h, to] and the bucket just before it, when that bucket is
/// present (a missing bucket gives no Δ rather than a Δ over two periods).
pub fn deltas(points: &[HistoryPoint], period: Period, to: i64) -> Vec<Pct> {
    let start = points.partition_point(|p| p.timestamp <= to - RECENT_MS);
    let end = points.partition_point(|p| p.timestamp <= to);
    (start.max(1)..end)
        .filter(|&i| points[i].timestamp - points[i - 1].timestamp == period.millis())
        .map(|i| points[i].long_pct_gap - points[i - 1].long_pct_gap)
        .collect()
}

/// min(100, round(100 × σ / 2 pp)).
pub fn volatility_score(std_dev_pp: f64) -> Option<u8> {
    let s = round_fixed::<0>(100.0 * std_dev_pp / VOLATILITY_FULL_SCALE_PP)?;
    Some(s.units().clamp(0, 100) as u8)
}

/// σ (population) of Δgap over the last 24h, scored; compared with the 24h before.
pub fn volatility(points: &[HistoryPoint], period: Period) -> Volatility {
    let to = points.last().map_or(0, |p| p.timestamp);
    let (now, before) = (
        deltas(points, period, to),
        deltas(points, period, to - RECENT_MS),
    );
    let sigma = |d: &[Pct]| (d.len() >= 2).then(|| std_dev(d)).flatten();
    let (s_now, s_before) = (sigma(&now), sigma(&before));
    let change = s_now.zip(s_before).map(|(a, b)| {
        if a > b && a >= b * VOLATILITY_BAND {
            VolatilityChange::Increasing
        } else if a < b && a * VOLATILITY_BAND <= b {
            VolatilityChange::Decreasing
        } else {
            VolatilityChange::Stable
        }
    });
    let reason = match (s_now, s_before) {
        (None, _) => Some(format!(
            "{} change(s) between adjacent buckets in the last 24h: a volatility needs at least 2",
            now.len()
        )),
        (Some(_), None) => Some(format!(
            "{} change(s) between adjacent buckets in the 24h before: no comparison",
            before.len()
        )),
        _ => None,
    };
    Volatility {
        score: s_now.and_then(volatility_score),
        std_dev_delta_pp: s_now.and_then(round_fixed),
        deltas: now.len(),
        previous_score: s_before.and_then(volatility_score),
        previous_std_dev_delta_pp: s_before.and_then(round_fixed),
        previous_deltas: before.len(),
        change,
        reason,
    }
}

// ------------------------------------------------------------------ confidence

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    Strong,
    Moderate,
    Weak,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfidenceComponents {
    pub distance: Fixed<2>,
    pub agreement: Fixed<2>,
    pub persistence: Fixed<2>,
    pub completeness: Fixed<2>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Confidence {
    pub score: u8,
    pub strength: Strength,
    pub components: ConfidenceComponents,
}

/// Components in 0..=1 (2 decimals), score = round(35 × distance + 25 × agreement
/// plus 25 × persistence + 15 × completeness) from the rounded components.
///
/// distance = min(1, |gap| / 2T); agreement = 1 when the account gap has the gap's sign, 0 when
/// the opposite, ½ when either is 0 or unknown; persistence = min(1, hours beyond the threshold
/// over smoothing hours); completeness = complete / expected buckets.
pub fn confidence(
    gap: Pct,
    threshold: Pct,
    account_gap: Option<Pct>,
    beyond_hours: Fixed<2>,
    smoothing_hours: u32,
    completeness: (usize, usize),
) -> Confidence {
    let unit = |n: i128, d: i128| {
        Fixed(if d <= 0 {
            0
        } else {
            div_round(100 * n, d).min(100)
        })
    };
    let agreement = match account_gap.map(|a| a.units().signum() * gap.units().signum()) {
        Some(1) => Fixed(100),
        Some(-1) => Fixed(0),
        _ => Fixed(50),
    };
    let components = ConfidenceComponents {
        distance: unit(gap.units().abs().into(), 2 * i128::from(threshold.units())),
        agreement,
        persistence: unit(
            beyond_hours.units().into(),
            100 * i128::from(smoothing_hours),
        ),
        completeness: unit(completeness.0 as i128, completeness.1 as i128),
    };
    let c = &components;
    let weighted: i64 = [c.distance, c.agreement, c.persistence, c.completeness]
        .iter()
        .zip(CONFIDENCE_WEIGHTS)
        .map(|(c, w)| c.units() * w)
        .sum();
    let score = div_round(weighted.into(), 100).clamp(0, 100) as u8;
    let strength = match score {
        80.. => Strength::Strong,
        60..=79 => Strength::Moderate,
        _ => Strength::Weak,
    };
    Confidence {
        score,
        strength,
        components,
    }
}

// ------------------------------------------------------------------ data quality

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewestByCohort {
    pub retail_crowd: Option<i64>,
    pub top_traders_by_accounts: Option<i64>,
    pub top_traders_by_position: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataQuality {
    pub newest_bucket: Option<i64>,
    pub newest_bucket_age_seconds: Option<i64>,
    pub stale: Option<bool>,
    pub series_aligned: bool,
    pub newest_by_cohort: NewestByCohort,
    pub expected_buckets: usize,
    pub complete_buckets: usize,
    pub missing_buckets: usize,
}

/// Age = clock − newest bucket any cohort published (stale beyond 2 periods); aligned when the
/// three series end on the same bucket; expected = (last − first) / period + 1 over the span of
/// complete buckets, missing = expected − complete.
pub fn data_quality(
    series: &CohortSeries,
    points: &[HistoryPoint],
    period: Period,
    clock_ms: i64,
) -> DataQuality {
    let newest = |s: &[Reading]| s.last().map(|r| r.timestamp);
    let by = NewestByCohort {
        retail_crowd: newest(&series.retail_crowd),
        top_traders_by_accounts: newest(&series.top_traders_by_accounts),
        top_traders_by_position: newest(&series.top_traders_by_position),
    };
    let all = [
        by.retail_crowd,
        by.top_traders_by_accounts,
        by.top_traders_by_position,
    ];
    let newest_bucket = all.iter().flatten().max().copied();
    let age_ms = newest_bucket.map(|b| clock_ms - b);
    let expected = match (points.first(), points.last()) {
        (Some(a), Some(b)) => ((b.timestamp - a.timestamp) / period.millis()) as usize + 1,
        _ => 0,
    };
    DataQuality {
        newest_bucket,
        newest_bucket_age_seconds: age_ms.map(|a| a.div_euclid(1000)),
        stale: age_ms.map(|a| a > 2 * period.millis()),
        series_aligned: all[0].is_some() && all.iter().all(|t| *t == all[0]),
        newest_by_cohort: by,
        expected_buckets: expected,
        complete_buckets: points.len(),
        missing_buckets: expected.saturating_sub(points.len()),
    }
}

// ------------------------------------------------------------------ the whole report

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub now: Now,
    pub smart_money_consensus: SmartMoneyConsensus,
    pub smoothed: Smoothed,
    pub vs_history: VsHistory,
    pub persistence: Persistence,
    pub changes: Changes,
    pub trend: Trend,
    pub volatility: Volatility,
    pub confidence: Confidence,
    pub data_quality: DataQuality,
}

/// Every section, from the fetched series and the divergence at their newest common bucket.
/// The history sections use the buckets in which all three cohorts have a reading.
pub fn report(
    series: &CohortSeries,
    now: Divergence,
    period: Period,
    params: &SignalParams,
    clock_ms: i64,
) -> Report {
    let points = history(series, LOOKBACK as usize, period.millis());
    let accounts = series
        .top_traders_by_accounts
        .binary_search_by_key(&now.timestamp, |r| r.timestamp)
        .ok()
        .map(|i| series.top_traders_by_accounts[i].long_share.to_percent());
    let account_gap = accounts.map(|a| account_gap(a, now.retail_long_pct));
    let persistence = persistence(&points, period, params.threshold);
    let quality = data_quality(series, &points, period, clock_ms);
    let beyond_hours = match persistence.beyond_threshold {
        true => persistence.duration_hours.unwrap_or(Fixed(0)),
        false => Fixed(0),
    };
    Report {
        smart_money_consensus: SmartMoneyConsensus {
            call: accounts.map(|a| consensus(a, now.smart_money_long_pct, params.consensus_level)),
            level_pct: params.consensus_level,
            timestamp: now.timestamp,
            top_traders_by_accounts_long_pct: accounts,
            top_traders_by_position_long_pct: now.smart_money_long_pct,
            reason: accounts
                .is_none()
                .then(|| "top_traders_by_accounts has no reading at this bucket yet".to_string()),
        },
        confidence: confidence(
            now.long_pct_gap,
            params.threshold,
            account_gap,
            beyond_hours,
            params.smoothing_hours,
            (quality.complete_buckets, quality.expected_buckets),
        ),
        now: Now {
            top_traders_by_accounts_long_pct: accounts,
            account_gap,
            non_top_accounts_long_pct_estimate: accounts
                .map(|a| non_top_long_pct(now.retail_long_pct, a)),
            divergence: now,
        },
        smoothed: smoothed(&points, period, params.smoothing_hours, params.sustained),
        vs_history: vs_history(&points, period),
        persistence,
        changes: changes(&points, period),
        trend: trend(&points, period),
        volatility: volatility(&points, period),
        data_quality: quality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_MS;

    fn p(x: &str) -> Pct {
        Pct::parse(x).unwrap()
    }

    /// Hourly points from t = 0 with the given gaps (retail 50 %, smart money 50 + gap).
    fn gaps(gs: &[&str]) -> Vec<HistoryPoint> {
        gs.iter()
            .enumerate()
            .map(|(i, g)| point(i as i64 * H, p(g), p("50")))
            .collect()
    }

    fn point(t: i64, gap: Pct, retail: Pct) -> HistoryPoint {
        HistoryPoint {
            timestamp: t,
            long_pct_gap: gap,
            retail_crowd_long_pct: retail,
            retail_crowd_ls_ratio: None,
            top_traders_by_accounts_long_pct: retail,
            top_traders_by_accounts_ls_ratio: None,
            top_traders_by_position_long_pct: Fixed(retail.units() + gap.units()),
            top_traders_by_position_ls_ratio: None,
        }
    }

    /// Hourly points whose smart money long % is `ys` (retail 50 %).
    fn smart(ys: &[&str]) -> Vec<HistoryPoint> {
        let ys: Vec<String> = ys.iter().map(|y| (p(y) - p("50")).to_string()).collect();
        gaps(&ys.iter().map(String::as_str).collect::<Vec<_>>())
    }

    #[test]
    fn round_fixed_rounds_half_away_and_refuses_non_finite() {
        assert_eq!(round_fixed::<2>(1.341_640_786), Some(Fixed(134)));
        assert_eq!(round_fixed::<2>(-0.125), Some(Fixed(-13)));
        assert_eq!(round_fixed::<2>(f64::NAN), None);
        assert_eq!(round_fixed::<4>(f64::INFINITY), None);
    }

    #[test]
    fn mean_std_z_and_percentile_of_a_small_series() {
        let xs = [p("-2"), p("0"), p("2"), p("4")];
        assert_eq!(mean(&xs), Some(p("1")));
        // σ = √((9 + 1 + 1 + 9) / 4) = √5; z = (4 − 1) / √5 = 1.3416…
        assert_eq!(std_dev(&xs).and_then(round_fixed::<4>), Some(Fixed(22361)));
        assert_eq!(
            z_score(&xs, p("4")).map(round_fixed::<2>),
            Ok(Some(Fixed(134)))
        );
        // 3 below, 1 equal: (3 + ½) / 4 = 87.5 %.
        assert_eq!(percentile_rank(&xs, p("4")), Some(p("87.5")));
        assert_eq!(percentile_rank(&xs, p("0")), Some(p("37.5")));
        assert_eq!(
            mean(&[p("0.01"), p("0.02")]),
            Some(p("0.02")),
            "0.015 rounds away"
        );
    }

    #[test]
    fn zero_variance_or_one_bucket_gives_no_z_score_never_nan() {
        let flat = [p("-3"), p("-3"), p("-3")];
        assert!(z_score(&flat, p("-3"))
            .unwrap_err()
            .contains("zero variance"));
        assert!(z_score(&[p("1")], p("1"))
            .unwrap_err()
            .contains("fewer than 2"));
        let v = vs_history(&gaps(&["-3", "-3", "-3"]), Period::H1);
        assert_eq!((v.z_score, v.std_dev_pp), (None, Some(Fixed(0))));
        assert_eq!(v.percentile_rank, Some(p("50")));
        assert!(v.reason.unwrap().contains("zero variance"));
        let json = serde_json::to_string(&vs_history(&[], Period::H1)).unwrap();
        assert!(
            !json.contains("NaN") && json.contains(r#""z_score":null"#),
            "{json}"
        );
    }

    #[test]
    fn vs_history_states_count_and_span() {
        let v = vs_history(&gaps(&["-2", "0", "2", "4"]), Period::H1);
        assert_eq!((v.buckets, v.from, v.to), (4, Some(0), Some(3 * H)));
        assert_eq!(v.span_hours, Some(p("4")));
        assert_eq!(
            (v.min, v.max, v.mean),
            (Some(p("-2")), Some(p("4")), Some(p("1")))
        );
        assert_eq!(v.z_score, Some(Fixed(134)));
        assert_eq!(v.reason, None);
    }

    #[test]
    fn least_squares_of_three_points_by_hand() {
        // y = 50, 51, 53: Sxx = 6, Sxy = 900 (hundredths), Syy = 140000 → b = 150, R² = 27/28.
        let f = least_squares(&[(0, 5000), (1, 5100), (2, 5300)]).unwrap();
        assert_eq!(f.slope, 150.0);
        assert_eq!(f.r_squared.and_then(round_fixed::<4>), Some(Fixed(9643)));
        assert_eq!(least_squares(&[(0, 1), (0, 2)]), None);
        let flat = least_squares(&[(0, 7), (1, 7), (2, 7)]).unwrap();
        assert_eq!((flat.slope, flat.r_squared), (0.0, None));
    }

    #[test]
    fn trend_rules_bullish_bearish_neutral_reversal_and_flat() {
        let t = trend(&smart(&["50", "51", "53"]), Period::H1);
        assert_eq!(t.direction, Some(TrendDirection::Bullish));
        assert_eq!(t.slope_pp_per_hour, Some(Fixed(15000)));
        assert_eq!(t.fitted_change_pp, Some(p("3")));
        assert_eq!(
            (t.r_squared, t.strength),
            (Some(Fixed(9643)), Some(Fixed(96)))
        );
        let t = trend(&smart(&["53", "51", "50"]), Period::H1);
        assert_eq!(t.direction, Some(TrendDirection::Bearish));
        // Each half moves 4 pp, opposite ways: the newer half (54, 52, 50) fits exactly.
        let t = trend(&smart(&["50", "52", "54", "52", "50"]), Period::H1);
        assert_eq!(t.direction, Some(TrendDirection::Reversal));
        assert_eq!(
            (t.strength, t.fitted_change_pp),
            (Some(Fixed(100)), Some(p("0")))
        );
        let t = trend(&smart(&["50", "50.2", "50.4"]), Period::H1);
        assert_eq!(
            t.direction,
            Some(TrendDirection::Neutral),
            "0.4 pp is below 1 pp"
        );
        let t = trend(&smart(&["50", "50", "50"]), Period::H1);
        assert_eq!(
            (t.direction, t.strength),
            (Some(TrendDirection::Neutral), Some(Fixed(0)))
        );
        assert_eq!(t.r_squared, None);
        assert!(t.reason.unwrap().contains("flat"));
    }

    #[test]
    fn trend_needs_three_buckets_in_the_last_24h() {
        let t = trend(&smart(&["50", "52"]), Period::H1);
        assert_eq!((t.direction, t.buckets), (None, 2));
        assert!(t.reason.unwrap().contains("needs 3"));
        // At 12h, 24h holds two buckets: explained, not computed.
        let pts: Vec<_> = (0..5).map(|i| point(i * 12 * H, p("1"), p("50"))).collect();
        assert_eq!(trend(&pts, Period::H12).buckets, 2);
        assert_eq!(trend(&[], Period::H1).direction, None);
    }

    #[test]
    fn smoothing_window_follows_the_period_and_1d_is_not_meaningful() {
        let mut four_hourly = gaps(&["-20", "-12", "-9", "-10"]);
        four_hourly.iter_mut().for_each(|x| x.timestamp *= 4);
        let s = smoothed(&four_hourly, Period::H4, 12, p("10"));
        // 12h at 4h = 3 buckets: mean(−12, −9, −10) = −10.33, beyond −10: sustained.
        assert_eq!((s.window_buckets, s.buckets_used), (Some(3), 3));
        assert_eq!(s.long_pct_gap, Some(p("-10.33")));
        assert_eq!(
            (s.sustained, s.side),
            (Some(true), Some(Signal::CrowdOverLong))
        );
        let s = smoothed(&gaps(&["5", "-9"]), Period::H1, 12, p("10"));
        assert_eq!((s.long_pct_gap, s.sustained), (Some(p("-2")), Some(false)));
        let s = smoothed(&gaps(&["5"]), Period::D1, 12, p("10"));
        assert_eq!((s.long_pct_gap, s.sustained), (None, None));
        assert!(s.reason.unwrap().contains("not meaningful"));
        assert!(smoothed(&[], Period::H1, 12, p("10")).reason.is_some());
        assert_eq!(window_buckets(12 * H, Period::M5, 500), Ok(144));
        assert!(window_buckets(48 * H, Period::M5, 500)
            .unwrap_err()
            .contains("beyond"));
        assert!(window_buckets(6 * H, Period::H4, 500)
            .unwrap_err()
            .contains("whole"));
    }

    #[test]
    fn persistence_counts_the_current_run_and_finds_the_crossing() {
        let pts = gaps(&["9", "-9", "-8.5", "-10", "-12"]);
        let r = persistence(&pts, Period::H1, p("8"));
        assert_eq!(
            (r.side, r.consecutive_buckets),
            (Some(Signal::CrowdOverLong), 4)
        );
        assert_eq!((r.since, r.last_crossed_at), (Some(H), Some(H)));
        assert_eq!((r.duration_hours, r.beyond_threshold), (Some(p("4")), true));
        let r = persistence(&gaps(&["-9", "-10"]), Period::H1, p("8"));
        assert_eq!((r.consecutive_buckets, r.last_crossed_at), (2, None));
        assert!(r.reason.unwrap().contains("crossed earlier"));
        let r = persistence(&gaps(&["-9", "3"]), Period::H1, p("8"));
        assert_eq!(
            (r.side, r.beyond_threshold, r.last_crossed_at),
            (Some(Signal::Neutral), false, Some(H))
        );
    }

    #[test]
    fn changes_are_bucket_offsets_or_explained_nulls() {
        let pts = gaps(&["1", "2.5", "4"]);
        let c = change(&pts, Period::H1, H);
        assert_eq!((c.window_buckets, c.from_timestamp), (Some(1), Some(H)));
        assert_eq!(c.long_pct_gap, Some(p("1.5")));
        assert_eq!(c.top_traders_by_position_long_pct, Some(p("1.5")));
        assert_eq!(c.retail_crowd_long_pct, Some(p("0")));
        // 6h back is before the first bucket: missing, explained.
        let c = change(&pts, Period::H1, 6 * H);
        assert_eq!((c.window_buckets, c.long_pct_gap), (Some(6), None));
        assert!(c.reason.unwrap().contains("no bucket at"));
        // 1h at 4h, 6h at 4h, 7d at 5m (2016 buckets).
        assert!(change(&pts, Period::H4, H)
            .reason
            .unwrap()
            .contains("longer"));
        assert!(change(&pts, Period::H4, 6 * H)
            .reason
            .unwrap()
            .contains("whole"));
        let c = change(&pts, Period::M5, 7 * DAY_MS);
        assert!(c.reason.unwrap().contains("2016 buckets of 5m"), "7d");
        assert_eq!(
            change(&pts, Period::M30, 7 * DAY_MS).window_buckets,
            Some(336)
        );
    }

    #[test]
    fn volatility_by_hand_and_missing_buckets_give_no_delta() {
        // Δ = 1, 2, −1, 0 pp: mean ½, σ = √(5/4) = 1.118 pp → score round(55.9) = 56.
        let v = volatility(&gaps(&["0", "1", "3", "2", "2"]), Period::H1);
        assert_eq!((v.deltas, v.std_dev_delta_pp), (4, Some(Fixed(1118))));
        assert_eq!(v.score, Some(56));
        assert_eq!((v.previous_score, v.change), (None, None));
        assert!(v.reason.unwrap().contains("24h before"));
        let mut pts = gaps(&["0", "1", "3", "2", "2"]);
        pts.remove(2);
        assert_eq!(deltas(&pts, Period::H1, 4 * H), [p("1"), p("0")]);
        assert_eq!(volatility_score(5.0), Some(100));
        assert_eq!(volatility_score(f64::NAN), None);
        let flat = volatility(&gaps(&["1", "1", "1"]), Period::H1);
        assert_eq!(
            (flat.score, flat.std_dev_delta_pp),
            (Some(0), Some(Fixed(0)))
        );
        assert!(volatility(&gaps(&["1", "2"]), Period::H1).score.is_none());
    }

    #[test]
    fn volatility_is_compared_with_the_24h_before() {
        // 48 hourly buckets: calm (Δ ±0.1) for the first 24, then Δ ±1.
        let gs: Vec<String> = (0..49)
            .map(|i| {
                if i % 2 == 0 {
                    "0".into()
                } else if i <= 24 {
                    "0.1".into()
                } else {
                    "1".into()
                }
            })
            .collect();
        let v = volatility(
            &gaps(&gs.iter().map(String::as_str).collect::<Vec<_>>()),
            Period::H1,
        );
        assert_eq!((v.deltas, v.previous_deltas), (24, 24));
        assert_eq!((v.score, v.previous_score), (Some(50), Some(5)));
        assert_eq!(v.change, Some(VolatilityChange::Increasing));
    }

    #[test]
    fn consensus_at_55_percent_and_the_estimate() {
        let l = CONSENSUS_LEVEL_PCT;
        assert_eq!(consensus(p("55"), p("60"), l), Consensus::Long);
        assert_eq!(consensus(p("45"), p("40"), l), Consensus::Short);
        assert_eq!(consensus(p("55"), p("54.99"), l), Consensus::Neutral);
        assert_eq!(consensus(p("45.01"), p("40"), l), Consensus::Neutral);
        // (5 × 65.75 − 60.12) / 4 = 67.1575 → 67.16.
        assert_eq!(non_top_long_pct(p("65.75"), p("60.12")), p("67.16"));
        assert_eq!(non_top_long_pct(p("1"), p("90")), p("0"), "clamped");
        assert_eq!(account_gap(p("60.12"), p("65.75")), p("-5.63"));
        assert_eq!(
            serde_json::to_string(&Consensus::Long).unwrap(),
            r#""LONG""#
        );
    }

    #[test]
    fn confidence_components_and_score_by_hand() {
        // distance 12/16 = .75, agreement 1, persistence 6/12 = .5, completeness 9/10 = .9:
        // 35 × .75 + 25 + 25 × .5 + 15 × .9 = 77.25 → 77, moderate.
        let c = confidence(p("-12"), p("8"), Some(p("-3")), p("6"), 12, (9, 10));
        assert_eq!(c.components.distance, Fixed(75));
        assert_eq!((c.score, c.strength), (77, Strength::Moderate));
        let c = confidence(p("20"), p("8"), Some(p("1")), p("30"), 12, (10, 10));
        assert_eq!((c.score, c.strength), (100, Strength::Strong));
        let c = confidence(p("2"), p("8"), Some(p("-1")), p("0"), 12, (0, 0));
        assert_eq!(
            (c.components.agreement, c.components.completeness),
            (Fixed(0), Fixed(0))
        );
        // 35 × .13 = 4.55 → 5.
        assert_eq!((c.score, c.strength), (5, Strength::Weak));
        let c = confidence(p("0"), p("8"), None, p("0"), 12, (1, 1));
        assert_eq!(c.components.agreement, Fixed(50));
    }

    fn reading(t: i64, long: &str) -> Reading {
        let s = crate::decimal::Decimal::parse(long).unwrap();
        Reading {
            timestamp: t,
            long_share: s,
            short_share: crate::decimal::Decimal::from_units(10_000_000_000 - s.units()),
            long_short_ratio: None,
        }
    }

    #[test]
    fn data_quality_counts_missing_buckets_and_checks_alignment() {
        let s = |ts: &[i64]| {
            ts.iter()
                .map(|&t| reading(t * H, "0.5"))
                .collect::<Vec<_>>()
        };
        let series = CohortSeries {
            retail_crowd: s(&[0, 1, 2, 3, 4]),
            top_traders_by_accounts: s(&[0, 1, 3]),
            top_traders_by_position: s(&[0, 1, 2, 3, 4]),
        };
        let points = history(&series, 500, H);
        let q = data_quality(&series, &points, Period::H1, 4 * H + 90_000);
        assert_eq!(
            (q.newest_bucket, q.newest_bucket_age_seconds),
            (Some(4 * H), Some(90))
        );
        assert_eq!((q.stale, q.series_aligned), (Some(false), false));
        assert_eq!(q.newest_by_cohort.top_traders_by_accounts, Some(3 * H));
        assert_eq!(
            (q.expected_buckets, q.complete_buckets, q.missing_buckets),
            (4, 3, 1)
        );
        let params = SignalParams {
            threshold: p("8"),
            sustained: p("10"),
            smoothing_hours: 12,
            consensus_level: CONSENSUS_LEVEL_PCT,
        };
        let now = Divergence::at_common_bucket(&series, p("8")).unwrap();
        let r = report(&series, now, Period::H1, &params, 4 * H);
        // Accounts have no reading at the newest common bucket (4h): explained.
        assert_eq!(r.smart_money_consensus.call, None);
        assert!(r.smart_money_consensus.reason.is_some());
        assert_eq!(r.now.account_gap, None);
        assert_eq!(r.vs_history.to, Some(3 * H));
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            json.contains(r#""now":{"timestamp":14400000,"long_pct_gap":0.0"#),
            "{json}"
        );
    }
}
