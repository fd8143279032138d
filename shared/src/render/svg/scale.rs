//! Where a value lands: linear scales from values to positions, the gap panel's round range, and
//! which instants get a time label.

use super::{GAP_BOTTOM, GAP_TOP, LONG_BOTTOM, LONG_TOP, PLOT_LEFT, PLOT_RIGHT};
use crate::domain::{Pct, Period};
use crate::maths::history::HistoryPoint;

/// At most this many time labels: they stay apart even at a phone's type size.
const MAX_TIME_TICKS: i64 = 7;

/// A linear map from values `v0..v1` to positions `p0..p1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Scale {
    pub(super) v0: f64,
    pub(super) v1: f64,
    pub(super) p0: f64,
    pub(super) p1: f64,
}

impl Scale {
    pub(super) fn at(self, v: f64) -> f64 {
        self.p0 + (v - self.v0) / (self.v1 - self.v0) * (self.p1 - self.p0)
    }
}

/// The time scale: first point to last (one point alone sits in the middle of a window of two
/// periods); `None` without points.
pub(super) fn time_scale(points: &[HistoryPoint], period: Period) -> Option<Scale> {
    let (first, last) = (points.first()?.timestamp, points.last()?.timestamp);
    let (t0, t1) = if first == last {
        (first - period.millis(), last + period.millis())
    } else {
        (first, last)
    };
    Some(Scale {
        v0: t0 as f64,
        v1: t1 as f64,
        p0: PLOT_LEFT,
        p1: PLOT_RIGHT,
    })
}

/// The top panel: long % from 0 (bottom) to 100 (top).
pub(super) const LONG_SCALE: Scale = Scale {
    v0: 0.0,
    v1: 100.0,
    p0: LONG_BOTTOM,
    p1: LONG_TOP,
};

/// Round half-ranges for the gap panel.
const GAP_RANGES: [f64; 13] = [
    5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0, 150.0,
];

/// R: the smallest round number beyond both the largest |gap| (with a little room) and 1.5 × T
/// (so the band never fills the panel).
pub(super) fn gap_range(points: &[HistoryPoint], threshold: Pct) -> f64 {
    let largest = points
        .iter()
        .map(|p| p.long_pct_gap.to_f64().abs())
        .fold(0.0, f64::max);
    let need = (largest * 1.08).max(threshold.to_f64() * 1.5);
    GAP_RANGES
        .into_iter()
        .find(|&r| r >= need)
        .unwrap_or_else(|| (need / 50.0).ceil() * 50.0)
}

/// The bottom panel: the gap from −R (bottom) to +R (top).
pub(super) fn gap_scale(range: f64) -> Scale {
    Scale {
        v0: -range,
        v1: range,
        p0: GAP_BOTTOM,
        p1: GAP_TOP,
    }
}

pub(super) const MINUTE: i64 = 60_000;
pub(super) const HOUR: i64 = 60 * MINUTE;
pub(super) const DAY: i64 = 24 * HOUR;

/// Time-label spacings, each a whole number of the one before's units, aligned to UTC.
const TIME_STEPS: [i64; 19] = [
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    4 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
    56 * DAY,
    91 * DAY,
    182 * DAY,
    364 * DAY,
];

/// The time labels between `t0` and `t1`: multiples (since the epoch, UTC) of the smallest step
/// that gives at most [`MAX_TIME_TICKS`] of them.
pub(super) fn time_ticks(t0: i64, t1: i64) -> (i64, Vec<i64>) {
    let count = |step: i64| t1.div_euclid(step) - (t0 + step - 1).div_euclid(step) + 1;
    let step = TIME_STEPS
        .into_iter()
        .find(|&s| count(s) <= MAX_TIME_TICKS)
        .unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let first = (t0 + step - 1).div_euclid(step) * step;
    let ticks = (0..count(step).max(0)).map(|i| first + i * step).collect();
    (step, ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-08-02 00:00:00 UTC.
    const AUG_2: i64 = 1_785_628_800_000;

    fn gaps(units: &[i64]) -> Vec<HistoryPoint> {
        let pct = Pct::from_units;
        units
            .iter()
            .map(|&g| HistoryPoint {
                timestamp: AUG_2,
                long_pct_gap: pct(g),
                retail_crowd_long_pct: pct(5000),
                retail_crowd_ls_ratio: None,
                top_traders_by_accounts_long_pct: pct(5000),
                top_traders_by_accounts_ls_ratio: None,
                top_traders_by_position_long_pct: pct(5000 + g),
                top_traders_by_position_ls_ratio: None,
            })
            .collect()
    }

    #[test]
    fn the_gap_range_clears_the_largest_gap_and_the_band() {
        let t = Pct::from_units(800);
        assert_eq!(gap_range(&gaps(&[100, -200]), t), 15.0);
        assert_eq!(gap_range(&gaps(&[-1021, 300]), t), 15.0);
        assert_eq!(gap_range(&gaps(&[1400]), t), 20.0);
        assert_eq!(gap_range(&gaps(&[-4700]), t), 60.0);
        assert_eq!(gap_range(&gaps(&[]), Pct::from_units(10_000)), 150.0);
        assert_eq!(gap_range(&gaps(&[100]), Pct::from_units(200)), 5.0);
    }

    #[test]
    fn time_labels_fall_on_utc_multiples_of_the_smallest_step_that_keeps_seven_at_most() {
        // 96 hourly buckets ending 2026-08-02 13:00: the labels are the four UTC midnights.
        let (t0, t1) = (AUG_2 + 13 * HOUR - 95 * HOUR, AUG_2 + 13 * HOUR);
        let (step, ticks) = time_ticks(t0, t1);
        assert_eq!(step, DAY);
        assert_eq!(
            ticks,
            [AUG_2 - 3 * DAY, AUG_2 - 2 * DAY, AUG_2 - DAY, AUG_2]
        );
        // 96 five-minute buckets: every two hours.
        let (t0, t1) = (AUG_2 - 3 * HOUR, AUG_2 - 3 * HOUR + 95 * 5 * MINUTE);
        let (step, ticks) = time_ticks(t0, t1);
        assert_eq!(step, 2 * HOUR);
        assert_eq!(
            ticks,
            [AUG_2 - 2 * HOUR, AUG_2, AUG_2 + 2 * HOUR, AUG_2 + 4 * HOUR]
        );
    }
}
