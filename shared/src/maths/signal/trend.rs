//! `trend`: the direction of smart money's long share over the last 24 hours.

use serde::Serialize;

use crate::domain::{Fixed, Period};
use crate::maths::history::GapReading;
use crate::maths::stats::*;

use super::*;

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
fn fit(points: &[impl GapReading], period: Period) -> Option<(Fit, f64)> {
    let t0 = points.first()?.timestamp();
    let xy: Vec<(i64, i64)> = points
        .iter()
        .map(|p| {
            let x = (p.timestamp() - t0) / period.millis();
            (x, p.top_traders_by_position_long_pct().units())
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
pub fn trend(points: &[impl GapReading], period: Period) -> Trend {
    let recent = points
        .last()
        .map_or(points, |l| window(points, l.timestamp(), RECENT_MS));
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::maths::history::GapPoint;

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
        assert_eq!(trend(&[] as &[GapPoint], Period::H1).direction, None);
    }
}
