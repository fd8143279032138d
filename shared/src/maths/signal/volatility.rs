//! `volatility`: how much the gap moves from bucket to bucket, **relative to the coin's own
//! history at that period**. The σ of bucket-to-bucket gap changes grows with the period (a gap
//! moves more in 6 hours than in 5 minutes), so an absolute scale scored every coin 16–19 at 5m
//! and 100 at 6h; a percentile among the coin's own windows means the same at every period.

use serde::Serialize;

use crate::domain::{Fixed, Pct, Period};
use crate::maths::history::GapReading;
use crate::maths::stats::*;

use super::*;

/// Fewest buckets in a volatility window, whatever the period (24 hours is 4 buckets at 6h).
pub const MIN_VOLATILITY_BUCKETS: i64 = 6;
/// Fewest comparable windows for a percentile to mean something.
pub const MIN_VOLATILITY_WINDOWS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolatilityChange {
    Increasing,
    Decreasing,
    Stable,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Volatility {
    /// Percentile (0–100) of the last window's σ among every window of the same length in the
    /// buckets fetched.
    pub score: Option<u8>,
    pub std_dev_delta_pp: Option<Fixed<3>>,
    pub deltas: usize,
    /// The window's length in buckets: 24 hours, at least [`MIN_VOLATILITY_BUCKETS`].
    pub window_buckets: usize,
    /// How many windows the score ranks the last one among.
    pub windows_compared: usize,
    pub previous_score: Option<u8>,
    pub previous_std_dev_delta_pp: Option<Fixed<3>>,
    pub previous_deltas: usize,
    pub change: Option<VolatilityChange>,
    pub reason: Option<String>,
}

/// The window at `period`: 24 hours, at least [`MIN_VOLATILITY_BUCKETS`] buckets.
pub fn window_ms(period: Period) -> i64 {
    RECENT_MS.max(MIN_VOLATILITY_BUCKETS * period.millis())
}

/// Δgap between each point in (to − `span_ms`, to] and the bucket just before it, when that
/// bucket is present (a missing bucket gives no Δ rather than a Δ over two periods).
pub fn deltas(points: &[impl GapReading], period: Period, to: i64, span_ms: i64) -> Vec<Pct> {
    let start = points.partition_point(|p| p.timestamp() <= to - span_ms);
    let end = points.partition_point(|p| p.timestamp() <= to);
    (start.max(1)..end)
        .filter(|&i| points[i].timestamp() - points[i - 1].timestamp() == period.millis())
        .map(|i| points[i].gap() - points[i - 1].gap())
        .collect()
}

/// Mid-rank percentile of `x` among `xs`, as a whole number: 100 × (below + ½ equal) / n.
fn percentile_of(xs: &[f64], x: f64) -> Option<u8> {
    let below = xs.iter().filter(|v| **v < x).count() as f64;
    let equal = xs.iter().filter(|v| **v == x).count() as f64;
    let p = round_fixed::<0>(100.0 * (below + equal / 2.0) / xs.len() as f64)?;
    Some(p.units().clamp(0, 100) as u8)
}

/// σ (population) of Δgap over the last window, ranked among the σ of every full window of the
/// same length (no bucket missing) ending at a bucket fetched; compared with the window before
/// (increasing at ≥ 1.25×, decreasing at ≤ 1/1.25×, else stable).
pub fn volatility<P: GapReading>(points: &[P], period: Period) -> Volatility {
    let span = window_ms(period);
    let full = (span / period.millis()) as usize;
    let to = points.last().map_or(0, |p| p.timestamp());
    let sigma = |d: &[Pct]| (d.len() >= 2).then(|| std_dev(d)).flatten();
    let (now, before) = (
        deltas(points, period, to, span),
        deltas(points, period, to - span, span),
    );
    let (s_now, s_before) = (sigma(&now), sigma(&before));
    let windows: Vec<f64> = points
        .iter()
        .filter_map(|p| {
            let d = deltas(points, period, p.timestamp(), span);
            (d.len() == full).then(|| std_dev(&d)).flatten()
        })
        .collect();
    let ranked = windows.len() >= MIN_VOLATILITY_WINDOWS;
    let rank = |s: Option<f64>| {
        s.filter(|_| ranked)
            .and_then(|s| percentile_of(&windows, s))
    };
    let change = s_now.zip(s_before).map(|(a, b)| {
        if a > b && a >= b * VOLATILITY_BAND {
            VolatilityChange::Increasing
        } else if a < b && a * VOLATILITY_BAND <= b {
            VolatilityChange::Decreasing
        } else {
            VolatilityChange::Stable
        }
    });
    let w = span / HOUR_MS;
    let reason = if s_now.is_none() {
        Some(format!(
            "{} change(s) between adjacent buckets in the last {w}h: a volatility needs at least 2",
            now.len()
        ))
    } else if !ranked {
        Some(format!(
            "{} window(s) of {full} buckets in the buckets fetched: a percentile needs at least \
             {MIN_VOLATILITY_WINDOWS}",
            windows.len()
        ))
    } else if s_before.is_none() {
        Some(format!(
            "{} change(s) between adjacent buckets in the {w}h before: no comparison",
            before.len()
        ))
    } else {
        None
    };
    Volatility {
        score: rank(s_now),
        std_dev_delta_pp: s_now.and_then(round_fixed),
        deltas: now.len(),
        window_buckets: full,
        windows_compared: windows.len(),
        previous_score: rank(s_before),
        previous_std_dev_delta_pp: s_before.and_then(round_fixed),
        previous_deltas: before.len(),
        change,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::maths::history::HistoryPoint;

    /// Points `step_h` hours apart whose gap changes by `delta(i)` pp at point i (alternating
    /// signs around 0, so each window's σ is its changes' size).
    fn swinging(n: usize, step_h: i64, size: impl Fn(usize) -> i64) -> Vec<HistoryPoint> {
        let mut gap = 0i64;
        (0..n)
            .map(|i| {
                if i > 0 {
                    let d = size(i);
                    gap += if i % 2 == 0 { -d } else { d };
                }
                point(i as i64 * step_h * H, Fixed(gap), p("50"))
            })
            .collect()
    }

    #[test]
    fn the_window_is_a_day_and_at_least_six_buckets() {
        assert_eq!(window_ms(Period::M5), 24 * H);
        assert_eq!(window_ms(Period::H4), 24 * H);
        assert_eq!(window_ms(Period::H6), 36 * H);
        assert_eq!(window_ms(Period::D1), 6 * 24 * H);
    }

    #[test]
    fn the_last_window_is_ranked_among_the_coin_s_own_windows() {
        // 61 hourly points; changes of 0.10 pp up to point 40, then 0.50 pp. Full windows of
        // 24 changes end at points 24..=60: 37 of them. The 17 ending at 24..=40 are all small
        // (σ = 0.10: 12 up, 12 down); each later one holds more large changes, the last (20
        // large) most: rank (36 + ½) / 37 = 98.6 → 99.
        let v = volatility(
            &swinging(61, 1, |i| if i <= 40 { 10 } else { 50 }),
            Period::H1,
        );
        assert_eq!((v.window_buckets, v.windows_compared), (24, 37));
        assert_eq!(v.score, Some(99));
        // The window before (ending at point 36) ties with the 17 small ones at the bottom:
        // (0 + 17 / 2) / 37 = 23.0 → 23.
        assert_eq!(v.previous_score, Some(23));
        assert_eq!(v.change, Some(VolatilityChange::Increasing));
        // Reversed: the last window is one of the 17 calmest (ending at 44..=60): 23 again, and
        // calmer than the window before it (8 large changes): decreasing.
        let calm = volatility(
            &swinging(61, 1, |i| if i <= 20 { 50 } else { 10 }),
            Period::H1,
        );
        assert_eq!(calm.score, Some(23));
        assert_eq!(calm.change, Some(VolatilityChange::Decreasing));
    }

    /// Measured before: every coin scored 100 at 6h (σ of 6-hour changes is large in pp).
    #[test]
    fn a_series_whose_windows_are_alike_scores_50_at_any_period_and_is_stable() {
        for (period, step_h) in [(Period::H1, 1), (Period::H6, 6)] {
            // Changes of 5 pp every bucket (the old scale: 100 × 5 / 2 → 100).
            let v = volatility(&swinging(121, step_h, |_| 500), period);
            assert_eq!(v.score, Some(50), "{period}");
            assert_eq!(v.change, Some(VolatilityChange::Stable), "{period}");
            assert_eq!(v.std_dev_delta_pp, Some(Fixed(5000)), "{period}");
        }
    }

    #[test]
    fn missing_buckets_give_no_delta_and_too_few_windows_give_no_score() {
        // Δ = 1, 2, −1, 0 pp: mean ½, σ = √(5/4) = 1.118 pp; no full window: no percentile.
        let v = volatility(&gaps(&["0", "1", "3", "2", "2"]), Period::H1);
        assert_eq!((v.deltas, v.std_dev_delta_pp), (4, Some(Fixed(1118))));
        assert_eq!(v.score, None);
        assert!(v.reason.unwrap().contains("a percentile needs"));
        let mut pts = gaps(&["0", "1", "3", "2", "2"]);
        pts.remove(2);
        assert_eq!(deltas(&pts, Period::H1, 4 * H, 24 * H), [p("1"), p("0")]);
        assert!(volatility(&gaps(&["1", "2"]), Period::H1).score.is_none());
    }
}
