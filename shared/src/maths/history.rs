//! The history join: one point per bucket in which all three cohorts have a reading.

use serde::Serialize;

use crate::domain::{CohortSeries, Pct, Ratio, Reading};

/// One bucket of the history, with all three cohorts present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryPoint {
    pub timestamp: i64,
    pub long_pct_gap: Pct,
    pub retail_crowd_long_pct: Pct,
    pub retail_crowd_ls_ratio: Option<Ratio>,
    pub top_traders_by_accounts_long_pct: Pct,
    pub top_traders_by_accounts_ls_ratio: Option<Ratio>,
    pub top_traders_by_position_long_pct: Pct,
    pub top_traders_by_position_ls_ratio: Option<Ratio>,
}

impl HistoryPoint {
    fn new(retail: &Reading, accounts: &Reading, position: &Reading) -> Self {
        let retail_crowd_long_pct = retail.long_share.to_percent();
        let top_traders_by_position_long_pct = position.long_share.to_percent();
        HistoryPoint {
            timestamp: retail.timestamp,
            long_pct_gap: top_traders_by_position_long_pct - retail_crowd_long_pct,
            retail_crowd_long_pct,
            retail_crowd_ls_ratio: retail.long_short_ratio.map(|d| d.to_ratio()),
            top_traders_by_accounts_long_pct: accounts.long_share.to_percent(),
            top_traders_by_accounts_ls_ratio: accounts.long_short_ratio.map(|d| d.to_ratio()),
            top_traders_by_position_long_pct,
            top_traders_by_position_ls_ratio: position.long_short_ratio.map(|d| d.to_ratio()),
        }
    }
}

/// The buckets among the newest `limit` periods (counted back from the newest bucket any cohort
/// published) in which all three cohorts have a reading, oldest first. Missing buckets are left
/// out, never invented, so `limit` periods of time are covered even when rows are missing.
pub fn history(series: &CohortSeries, limit: usize, period_ms: i64) -> Vec<HistoryPoint> {
    let (a, b, c) = (
        &series.retail_crowd[..],
        &series.top_traders_by_accounts[..],
        &series.top_traders_by_position[..],
    );
    let newest = [a.last(), b.last(), c.last()]
        .into_iter()
        .flatten()
        .map(|r| r.timestamp)
        .max();
    let Some(newest) = newest else {
        return Vec::new();
    };
    let cutoff = newest - limit as i64 * period_ms;
    // Walk the three sorted series from the newest end in step (a merge join).
    let (mut i, mut j, mut k) = (a.len(), b.len(), c.len());
    let mut points = Vec::with_capacity(limit.min(i.min(j).min(k)));
    while let (Some(x), Some(y), Some(z)) = (
        i.checked_sub(1).map(|x| a[x].timestamp),
        j.checked_sub(1).map(|y| b[y].timestamp),
        k.checked_sub(1).map(|z| c[z].timestamp),
    ) {
        let t = x.max(y).max(z);
        if t <= cutoff {
            break;
        }
        if x == t && y == t && z == t {
            points.push(HistoryPoint::new(&a[i - 1], &b[j - 1], &c[k - 1]));
        }
        // Step past `t` in every series that has it.
        i -= usize::from(x == t);
        j -= usize::from(y == t);
        k -= usize::from(z == t);
    }
    points.reverse();
    points
}

/// What the gap's own sections (smoothed, vs_history, persistence, trend, volatility) read of
/// a bucket: its time, the gap and smart money's long share. A [`HistoryPoint`] has them; so does
/// a [`GapPoint`], which needs only the two cohorts the gap is made of.
pub trait GapReading {
    fn timestamp(&self) -> i64;
    fn gap(&self) -> Pct;
    fn top_traders_by_position_long_pct(&self) -> Pct;
}

impl GapReading for HistoryPoint {
    fn timestamp(&self) -> i64 {
        self.timestamp
    }
    fn gap(&self) -> Pct {
        self.long_pct_gap
    }
    fn top_traders_by_position_long_pct(&self) -> Pct {
        self.top_traders_by_position_long_pct
    }
}

/// One bucket in which retail_crowd and top_traders_by_position both have a reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GapPoint {
    pub timestamp: i64,
    pub long_pct_gap: Pct,
    pub top_traders_by_position_long_pct: Pct,
}

impl GapReading for GapPoint {
    fn timestamp(&self) -> i64 {
        self.timestamp
    }
    fn gap(&self) -> Pct {
        self.long_pct_gap
    }
    fn top_traders_by_position_long_pct(&self) -> Pct {
        self.top_traders_by_position_long_pct
    }
}

/// The buckets among the newest `limit` periods in which retail_crowd and top_traders_by_position
/// both have a reading, oldest first: the gap needs only those two, so a lagging or missing
/// top_traders_by_accounts bucket does not shift the gap's history behind `now`.
pub fn gap_history(series: &CohortSeries, limit: usize, period_ms: i64) -> Vec<GapPoint> {
    let (a, c) = (
        &series.retail_crowd[..],
        &series.top_traders_by_position[..],
    );
    let Some(newest) = [a.last(), c.last()]
        .into_iter()
        .flatten()
        .map(|r| r.timestamp)
        .max()
    else {
        return Vec::new();
    };
    let cutoff = newest - limit as i64 * period_ms;
    let (mut i, mut k) = (0, 0);
    let mut points = Vec::new();
    while i < a.len() && k < c.len() {
        let (x, z) = (&a[i], &c[k]);
        match x.timestamp.cmp(&z.timestamp) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => k += 1,
            std::cmp::Ordering::Equal => {
                if x.timestamp > cutoff {
                    let retail = x.long_share.to_percent();
                    let smart = z.long_share.to_percent();
                    points.push(GapPoint {
                        timestamp: x.timestamp,
                        long_pct_gap: smart - retail,
                        top_traders_by_position_long_pct: smart,
                    });
                }
                i += 1;
                k += 1;
            }
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decimal;

    fn reading(timestamp: i64, long: &str, ratio: &str) -> Reading {
        let long_share = Decimal::parse(long).unwrap();
        Reading {
            timestamp,
            long_share,
            short_share: Decimal::from_units(Decimal::ONE.units() - long_share.units()),
            long_short_ratio: Some(Decimal::parse(ratio).unwrap()),
        }
    }

    #[test]
    fn history_is_the_inner_join_over_the_newest_limit_buckets_oldest_first() {
        let s = |ts: &[i64]| {
            ts.iter()
                .map(|&t| reading(t, "0.5", "1"))
                .collect::<Vec<_>>()
        };
        let series = CohortSeries {
            retail_crowd: s(&[1, 2, 3, 4, 5]),
            top_traders_by_accounts: s(&[1, 2, 4, 5]),
            top_traders_by_position: s(&[1, 2, 3, 4]),
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let ts = |p: Vec<HistoryPoint>| p.iter().map(|p| p.timestamp).collect::<Vec<_>>();
        assert_eq!(ts(history(&series, 500, 1)), [1, 2, 4]);
        // The newest 3 buckets are 3, 4, 5; only 4 has all three cohorts.
        assert_eq!(ts(history(&series, 3, 1)), [4]);
        assert_eq!(ts(history(&series, 1, 1)), Vec::<i64>::new());
        assert!(history(&CohortSeries::default(), 48, 1).is_empty());
    }

    #[test]
    fn history_counts_buckets_by_time_so_a_bucket_missing_everywhere_is_not_replaced() {
        let s = |ts: &[i64]| {
            ts.iter()
                .map(|&t| reading(t, "0.5", "1"))
                .collect::<Vec<_>>()
        };
        // Bucket 40 is missing from all three; Binance then serves an older row (10) instead.
        let series = CohortSeries {
            retail_crowd: s(&[10, 20, 30, 50]),
            top_traders_by_accounts: s(&[10, 20, 30, 50]),
            top_traders_by_position: s(&[10, 20, 30, 50]),
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let ts = |p: Vec<HistoryPoint>| p.iter().map(|p| p.timestamp).collect::<Vec<_>>();
        assert_eq!(ts(history(&series, 4, 10)), [20, 30, 50]);
    }

    #[test]
    fn history_points_carry_every_cohort_with_exact_numbers() {
        let series = CohortSeries {
            retail_crowd: vec![reading(7, "0.6575", "1.9197")],
            top_traders_by_accounts: vec![reading(7, "0.6012", "1.5075")],
            top_traders_by_position: vec![reading(7, "0.5554", "1.2492")],
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let json = serde_json::to_string(&history(&series, 48, 1)).unwrap();
        assert_eq!(
            json,
            r#"[{"timestamp":7,"long_pct_gap":-10.21,"retail_crowd_long_pct":65.75,"retail_crowd_ls_ratio":1.9197,"top_traders_by_accounts_long_pct":60.12,"top_traders_by_accounts_ls_ratio":1.5075,"top_traders_by_position_long_pct":55.54,"top_traders_by_position_ls_ratio":1.2492}]"#
        );
    }

    #[test]
    fn the_gap_history_needs_only_retail_and_smart_money() {
        let s = |ts: &[i64], long: &str| {
            ts.iter()
                .map(|&t| reading(t, long, "1"))
                .collect::<Vec<_>>()
        };
        let series = CohortSeries {
            retail_crowd: s(&[1, 2, 3, 4, 5], "0.6"),
            top_traders_by_accounts: s(&[1, 2, 3], "0.5"),
            top_traders_by_position: s(&[1, 2, 4, 5], "0.45"),
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let ts = |p: Vec<GapPoint>| p.iter().map(|p| p.timestamp).collect::<Vec<_>>();
        // Accounts lag (no 4, 5) and position misses 3: the gap has 1, 2, 4, 5.
        assert_eq!(ts(gap_history(&series, 500, 1)), [1, 2, 4, 5]);
        assert_eq!(ts(gap_history(&series, 2, 1)), [4, 5]);
        let p = gap_history(&series, 1, 1)[0];
        assert_eq!(
            (p.long_pct_gap, p.top_traders_by_position_long_pct),
            (Pct::from_units(-1500), Pct::from_units(4500))
        );
        // The three-cohort history stops at 2 (3 lacks position, 4 and 5 accounts).
        assert_eq!(
            history(&series, 500, 1).last().map(|p| p.timestamp),
            Some(2)
        );
    }
}
