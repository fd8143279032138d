//! `volatility`: how much the gap moves from bucket to bucket.

use serde::Serialize;

use crate::domain::{Fixed, Pct, Period};
use crate::maths::history::GapReading;
use crate::maths::stats::*;

use super::*;

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
pub fn deltas(points: &[impl GapReading], period: Period, to: i64) -> Vec<Pct> {
    let start = points.partition_point(|p| p.timestamp() <= to - RECENT_MS);
    let end = points.partition_point(|p| p.timestamp() <= to);
    (start.max(1)..end)
        .filter(|&i| points[i].timestamp() - points[i - 1].timestamp() == period.millis())
        .map(|i| points[i].gap() - points[i - 1].gap())
        .collect()
}

/// min(100, round(100 × σ / 2 pp)).
pub fn volatility_score(std_dev_pp: f64) -> Option<u8> {
    let s = round_fixed::<0>(100.0 * std_dev_pp / VOLATILITY_FULL_SCALE_PP)?;
    Some(s.units().clamp(0, 100) as u8)
}

/// σ (population) of Δgap over the last 24h, scored; compared with the 24h before.
pub fn volatility(points: &[impl GapReading], period: Period) -> Volatility {
    let to = points.last().map_or(0, |p| p.timestamp());
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

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
}
