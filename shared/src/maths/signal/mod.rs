//! The signal maths of `GET /v1/signal`: the divergence in the context of the coin's own newest
//! [`LOOKBACK`] buckets. Pure functions, no I/O; every formula is written out in docs/SIGNALS.md.
//! One file per section of the answer; [`report`] puts them together.
//!
//! Inputs are exact 2-decimal percentages (`Pct`); statistics come from [`super::stats`].

pub mod changes;
pub mod confidence;
pub mod data_quality;
pub mod money_flow;
pub mod now;
pub mod persistence;
pub mod smoothed;
pub mod trend;
pub mod volatility;
pub mod vs_history;

use serde::Serialize;

use super::divergence::Divergence;
use super::history::{gap_history, history, GapReading};
use super::stats::div_round;
use crate::domain::{CohortSeries, Fixed, Pct, Period};

pub use changes::{change, changes, Change, Changes};
pub use confidence::{confidence, Confidence, ConfidenceComponents, Strength};
pub use data_quality::{data_quality, DataQuality, NewestByCohort};
pub use now::{account_gap, consensus, non_top_long_pct, Consensus, Now, SmartMoneyConsensus};
pub use persistence::{persistence, Persistence};
pub use smoothed::{smoothed, Smoothed};
pub use trend::{trend, Trend, TrendDirection};
pub use volatility::{deltas, volatility, Volatility, VolatilityChange};
pub use vs_history::{vs_history, VsHistory};

/// Buckets fetched per cohort (Binance's maximum per call).
pub const LOOKBACK: u16 = 500;
/// |smoothed gap| at or beyond this is `sustained` (`SIGNAL_SUSTAINED_PP`).
pub const DEFAULT_SUSTAINED_PP: Pct = Fixed(1000);
/// Trailing window of the smoothed gap (`SIGNAL_SMOOTHING_HOURS`).
pub const DEFAULT_SMOOTHING_HOURS: u32 = 12;
/// Both top-trader cohorts at least this long (or short) for a LONG (SHORT) consensus.
pub const CONSENSUS_LEVEL_PCT: Pct = Fixed(5500);
pub(crate) const HOUR_MS: i64 = 3_600_000;
pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;
/// Trend and volatility look at the last 24 hours of buckets.
pub const RECENT_MS: i64 = DAY_MS;
/// Fewest buckets a trend is fitted to.
pub const MIN_TREND_BUCKETS: usize = 3;
/// A trend (or each half of a reversal) must move at least this much, in pp, over its window.
pub const TREND_MIN_MOVE_PP: f64 = 1.0;
/// A bullish or bearish trend must explain at least this share of the variance.
pub const TREND_MIN_R_SQUARED: f64 = 0.3;
/// σ now ≥ 1.25 × σ before: increasing; ≤ σ before / 1.25: decreasing; else stable.
pub const VOLATILITY_BAND: f64 = 1.25;
/// Confidence weights (sum 100): distance, agreement, persistence, completeness.
pub const CONFIDENCE_WEIGHTS: [i64; 4] = [35, 25, 25, 15];

/// The configuration the signal is computed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalParams {
    pub threshold: Pct,
    pub sustained: Pct,
    pub smoothing_hours: u32,
    pub consensus_level: Pct,
    /// How far back the venue keeps these series (Binance: about 30 days).
    pub retention_ms: i64,
}

impl SignalParams {
    /// Buckets of `period` the signal measures against: [`LOOKBACK`], or fewer where the venue
    /// keeps less (30 days is 30 daily buckets).
    pub fn window(&self, period: Period) -> usize {
        (LOOKBACK as usize).min((self.retention_ms / period.millis()) as usize)
    }
}

/// `7d`, `24h`, `90m`: a window as a reader writes it.
fn span(ms: i64) -> String {
    match ms {
        ms if ms % DAY_MS == 0 && ms > DAY_MS => format!("{}d", ms / DAY_MS),
        ms if ms % HOUR_MS == 0 => format!("{}h", ms / HOUR_MS),
        ms => format!("{}m", ms / 60_000),
    }
}

/// Whole buckets of `period` in `window_ms`, at most `max`; else why not.
pub fn window_buckets(window_ms: i64, period: Period, max: usize) -> Result<usize, String> {
    let p = period.millis();
    let w = span(window_ms);
    if p > window_ms {
        return Err(format!(
            "a {period} bucket is longer than {w}: not meaningful"
        ));
    }
    if window_ms % p != 0 {
        return Err(format!("{w} is not a whole number of {period} buckets"));
    }
    let k = (window_ms / p) as usize;
    if k > max {
        return Err(format!(
            "{w} is {k} buckets of {period}, beyond the {LOOKBACK} buckets fetched"
        ));
    }
    Ok(k)
}

/// The points with `to − span_ms < timestamp <= to` (points are sorted oldest first).
pub(crate) fn window<P: GapReading>(points: &[P], to: i64, span_ms: i64) -> &[P] {
    let start = points.partition_point(|p| p.timestamp() <= to - span_ms);
    let end = points.partition_point(|p| p.timestamp() <= to);
    &points[start..end]
}

/// Hours from the start of bucket `from` to the end of bucket `to`, 2 decimals.
pub(crate) fn hours_covered(from: i64, to: i64, period: Period) -> Fixed<2> {
    Fixed(div_round(
        i128::from(to - from + period.millis()) * 100,
        i128::from(HOUR_MS),
    ))
}

pub(crate) const NO_POINTS: &str = "no bucket in which all three cohorts have a reading";

// ------------------------------------------------------------------ the whole report

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub now: Now,
    pub smart_money_consensus: SmartMoneyConsensus,
    pub smoothed: Smoothed,
    pub vs_history: VsHistory,
    pub persistence: Persistence,
    pub changes: Changes,
    pub trend: Trend,
    pub volatility: Volatility,
    pub confidence: Confidence,
    pub data_quality: DataQuality,
}

/// Every section, from the fetched series and the divergence at their newest common bucket.
/// The gap's sections (smoothed, vs_history, persistence, trend, volatility) use the buckets in
/// which retail and smart money both have a reading; `changes` and `data_quality` those in which
/// all three cohorts do.
pub fn report(
    series: &CohortSeries,
    now: Divergence,
    period: Period,
    params: &SignalParams,
    clock_ms: i64,
) -> Report {
    // Complete buckets (all three cohorts) for the changes and completeness; the gap's own
    // history on the buckets retail and smart money share, so that it ends at `now`.
    let points = history(series, LOOKBACK as usize, period.millis());
    let gaps = gap_history(series, LOOKBACK as usize, period.millis());
    let accounts = series
        .top_traders_by_accounts
        .binary_search_by_key(&now.timestamp, |r| r.timestamp)
        .ok()
        .map(|i| series.top_traders_by_accounts[i].long_share.to_percent());
    let account_gap = accounts.map(|a| account_gap(a, now.retail_crowd_long_pct));
    let persistence = persistence(&gaps, period, params.threshold);
    let vs = vs_history(&gaps, period);
    let quality = data_quality(series, &points, period, clock_ms, params.window(period));
    let beyond_buckets = match persistence.beyond_threshold {
        true => persistence.consecutive_buckets,
        false => 0,
    };
    Report {
        smart_money_consensus: SmartMoneyConsensus {
            call: accounts.map(|a| {
                consensus(
                    a,
                    now.top_traders_by_position_long_pct,
                    params.consensus_level,
                )
            }),
            level_pct: params.consensus_level,
            timestamp: now.timestamp,
            top_traders_by_accounts_long_pct: accounts,
            top_traders_by_position_long_pct: now.top_traders_by_position_long_pct,
            reason: accounts
                .is_none()
                .then(|| "top_traders_by_accounts has no reading at this bucket yet".to_string()),
        },
        confidence: confidence(
            now.long_pct_gap,
            params.threshold,
            vs.z_score,
            account_gap,
            beyond_buckets,
            confidence::persistence_buckets(period, params.smoothing_hours),
            (quality.complete_buckets, quality.expected_buckets),
        ),
        now: Now {
            top_traders_by_accounts_long_pct: accounts,
            account_gap,
            non_top_accounts_long_pct_estimate: accounts
                .map(|a| non_top_long_pct(now.retail_crowd_long_pct, a)),
            divergence: now,
        },
        smoothed: smoothed(&gaps, period, params.smoothing_hours, params.sustained),
        vs_history: vs,
        persistence,
        changes: changes(&points, period),
        trend: trend(&gaps, period),
        volatility: volatility(&gaps, period),
        data_quality: quality,
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Hand-made points for the section tests.
    use super::*;
    use crate::domain::Reading;
    use crate::maths::history::HistoryPoint;

    pub const H: i64 = HOUR_MS;

    pub fn p(x: &str) -> Pct {
        Pct::parse(x).unwrap()
    }

    /// Hourly points from t = 0 with the given gaps (retail 50 %, smart money 50 + gap).
    pub fn gaps(gs: &[&str]) -> Vec<HistoryPoint> {
        gs.iter()
            .enumerate()
            .map(|(i, g)| point(i as i64 * H, p(g), p("50")))
            .collect()
    }

    pub fn point(t: i64, gap: Pct, retail: Pct) -> HistoryPoint {
        HistoryPoint {
            timestamp: t,
            long_pct_gap: gap,
            retail_crowd_long_pct: retail,
            retail_crowd_ls_ratio: None,
            top_traders_by_accounts_long_pct: retail,
            top_traders_by_accounts_ls_ratio: None,
            top_traders_by_position_long_pct: Fixed(retail.units() + gap.units()),
            top_traders_by_position_ls_ratio: None,
        }
    }

    /// Hourly points whose smart money long % is `ys` (retail 50 %).
    pub fn smart(ys: &[&str]) -> Vec<HistoryPoint> {
        let ys: Vec<String> = ys.iter().map(|y| (p(y) - p("50")).to_string()).collect();
        gaps(&ys.iter().map(String::as_str).collect::<Vec<_>>())
    }

    pub fn reading(t: i64, long: &str) -> Reading {
        let s = crate::domain::Decimal::parse(long).unwrap();
        Reading {
            timestamp: t,
            long_share: s,
            short_share: crate::domain::Decimal::from_units(10_000_000_000 - s.units()),
            long_short_ratio: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::maths::history::history;

    #[test]
    fn data_quality_counts_missing_buckets_and_checks_alignment() {
        let s = |ts: &[i64]| {
            ts.iter()
                .map(|&t| reading(t * H, "0.5"))
                .collect::<Vec<_>>()
        };
        let series = CohortSeries {
            retail_crowd: s(&[0, 1, 2, 3, 4]),
            top_traders_by_accounts: s(&[0, 1, 3]),
            top_traders_by_position: s(&[0, 1, 2, 3, 4]),
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let points = history(&series, 500, H);
        // The answer says it covers the 5 buckets 0h..4h.
        let q = data_quality(&series, &points, Period::H1, 4 * H + 90_000, 5);
        assert_eq!(
            (q.newest_bucket, q.newest_bucket_age_seconds),
            (Some(4 * H), Some(90))
        );
        assert_eq!((q.stale, q.series_aligned), (Some(false), false));
        assert_eq!(q.newest_by_cohort.top_traders_by_accounts, Some(3 * H));
        // Complete: 0h, 1h, 3h; 2h lacks accounts and so does the newest, 4h.
        assert_eq!(
            (q.expected_buckets, q.complete_buckets, q.missing_buckets),
            (5, 3, 2)
        );
        let params = SignalParams {
            threshold: p("8"),
            sustained: p("10"),
            smoothing_hours: 12,
            consensus_level: CONSENSUS_LEVEL_PCT,
            retention_ms: 30 * 24 * H,
        };
        let now = Divergence::at_common_bucket(&series, p("8")).unwrap();
        let r = report(&series, now, Period::H1, &params, 4 * H);
        // Accounts have no reading at the newest common bucket (4h): explained.
        assert_eq!(r.smart_money_consensus.call, None);
        assert!(r.smart_money_consensus.reason.is_some());
        assert_eq!(r.now.account_gap, None);
        // Measured before: a lagging top_traders_by_accounts put vs_history one bucket behind
        // `now` (3h); the gap's history ends at now's bucket.
        assert_eq!(r.vs_history.to, Some(4 * H));
        assert_eq!(r.now.divergence.timestamp, 4 * H);
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            json.contains(r#""now":{"timestamp":14400000,"long_pct_gap":0.0"#),
            "{json}"
        );
    }
}
