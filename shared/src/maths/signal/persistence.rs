//! `persistence`: how long the gap has been on its current side of the threshold.

use serde::Serialize;

use crate::domain::{Fixed, Pct, Period};
use crate::maths::divergence::{signal, Signal};
use crate::maths::history::GapReading;

use super::*;

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
pub fn persistence<P: GapReading>(points: &[P], period: Period, threshold: Pct) -> Persistence {
    let side_of = |p: &P| signal(p.gap(), threshold);
    let side = points.last().map(side_of);
    let run = points
        .iter()
        .rev()
        .take_while(|p| Some(side_of(p)) == side)
        .count();
    let since = points.get(points.len() - run).map(|p| p.timestamp());
    let whole = run == points.len();
    Persistence {
        threshold_pp: threshold,
        side,
        beyond_threshold: side.is_some_and(|s| s != Signal::Neutral),
        consecutive_buckets: run,
        since,
        duration_hours: since
            .zip(points.last())
            .map(|(a, b)| hours_covered(a, b.timestamp(), period)),
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

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

    /// A missing bucket neither counts nor breaks the run (documented, untested before).
    #[test]
    fn a_missing_bucket_neither_counts_nor_breaks_the_run() {
        // 0h neutral (3), then 1h −9, 2h missing, 3h −11, 4h −12, 5h −13: the run is the 4
        // buckets 1h, 3h, 4h, 5h, since 1h, lasting from 1h to the end of 5h: 5 hours.
        let mut pts = gaps(&["3", "-9", "-10", "-11", "-12", "-13"]);
        pts.remove(2);
        let r = persistence(&pts, Period::H1, p("8"));
        assert_eq!((r.consecutive_buckets, r.since), (4, Some(H)));
        assert_eq!(r.duration_hours, Some(p("5")));
        assert_eq!(r.last_crossed_at, Some(H));
    }
}
