//! `smoothed`: the mean gap over a trailing window of hours.

use serde::Serialize;

use crate::domain::{Pct, Period};
use crate::maths::divergence::{signal, Signal};
use crate::maths::history::GapReading;
use crate::maths::stats::*;

use super::*;

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
pub fn smoothed(
    points: &[impl GapReading],
    period: Period,
    hours: u32,
    sustained: Pct,
) -> Smoothed {
    let window_ms = i64::from(hours) * HOUR_MS;
    let k = window_buckets(window_ms, period, LOOKBACK as usize);
    let gaps: Vec<Pct> = match (&k, points.last()) {
        (Ok(_), Some(l)) => window(points, l.timestamp(), window_ms)
            .iter()
            .map(|p| p.gap())
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::maths::history::GapPoint;

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
        assert!(smoothed(&[] as &[GapPoint], Period::H1, 12, p("10"))
            .reason
            .is_some());
        assert_eq!(window_buckets(12 * H, Period::M5, 500), Ok(144));
        assert!(window_buckets(48 * H, Period::M5, 500)
            .unwrap_err()
            .contains("beyond"));
        assert!(window_buckets(6 * H, Period::H4, 500)
            .unwrap_err()
            .contains("whole"));
    }
}
