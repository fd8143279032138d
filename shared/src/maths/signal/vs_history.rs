//! `vs_history`: the newest gap against the coin's own buckets.

use serde::Serialize;

use crate::domain::{Fixed, Pct, Period};
use crate::maths::history::GapReading;
use crate::maths::stats::*;

use super::*;

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
pub fn vs_history(points: &[impl GapReading], period: Period) -> VsHistory {
    let gaps: Vec<Pct> = points.iter().map(|p| p.gap()).collect();
    let (first, last) = (points.first(), points.last());
    let current = last.map(|p| p.gap());
    let z = current.map(|x| z_score(&gaps, x));
    VsHistory {
        buckets: points.len(),
        from: first.map(|p| p.timestamp()),
        to: last.map(|p| p.timestamp()),
        span_hours: first
            .zip(last)
            .map(|(a, b)| hours_covered(a.timestamp(), b.timestamp(), period)),
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::maths::history::GapPoint;

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
        let json = serde_json::to_string(&vs_history(&[] as &[GapPoint], Period::H1)).unwrap();
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
}
