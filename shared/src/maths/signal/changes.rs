//! `changes`: how far the cohorts and the gap moved over 1h, 6h, 24h and 7d.

use serde::Serialize;

use crate::domain::{Pct, Period};
use crate::maths::history::HistoryPoint;

use super::*;

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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

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
}
