//! `data_quality`: how fresh and complete the fetched series are.

use serde::Serialize;

use crate::domain::{CohortSeries, Period, Reading};
use crate::maths::history::HistoryPoint;

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
