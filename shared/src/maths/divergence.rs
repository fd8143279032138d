//! The divergence maths: pure functions, no I/O. Everything is exact decimal (see `decimal`).

use serde::Serialize;

use crate::domain::{Cohort, CohortSeries, Pct, Ratio, Reading};

/// One cohort's reading in the units we serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CohortReading {
    pub label: &'static str,
    pub cohort: Cohort,
    pub timestamp: i64,
    pub is_smart_money: bool,
    pub long_account_pct: Pct,
    pub long_short_ratio: Option<Ratio>,
    pub short_account_pct: Pct,
    /// Whether `long_pct_gap` is computed from this cohort (retail_crowd and
    /// top_traders_by_position).
    pub used_for_gap: bool,
}

impl CohortReading {
    pub fn new(cohort: Cohort, r: &Reading) -> Self {
        CohortReading {
            label: cohort.label(),
            cohort,
            timestamp: r.timestamp,
            is_smart_money: cohort.is_smart_money(),
            long_account_pct: r.long_share.to_percent(),
            long_short_ratio: r.long_short_ratio.map(|d| d.to_ratio()),
            short_account_pct: r.short_share.to_percent(),
            used_for_gap: cohort.used_for_gap(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The crowd is more long than smart money by at least the threshold: contrarian bearish.
    CrowdOverLong,
    /// Smart money is more long than the crowd by at least the threshold: contrarian bullish.
    CrowdOverShort,
    Neutral,
}

/// `gap <= -T` → crowd over long; `gap >= +T` → crowd over short; else neutral. Exactly ±T counts.
pub fn signal(long_pct_gap: Pct, threshold: Pct) -> Signal {
    if long_pct_gap <= -threshold {
        Signal::CrowdOverLong
    } else if long_pct_gap >= threshold {
        Signal::CrowdOverShort
    } else {
        Signal::Neutral
    }
}

/// The smart-money-minus-retail comparison at one bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    pub timestamp: i64,
    pub long_pct_gap: Pct,
    pub ratio_gap: Option<Ratio>,
    pub signal: Signal,
    pub read: String,
    #[serde(rename = "smart_money_long_pct")]
    pub top_traders_by_position_long_pct: Pct,
    #[serde(rename = "retail_long_pct")]
    pub retail_crowd_long_pct: Pct,
}

impl Divergence {
    /// From the two readings of the same bucket. The gap is the difference of the two *rounded*
    /// long shares, so that it always equals what a reader computes from the numbers shown.
    pub fn new(retail: &Reading, smart: &Reading, threshold: Pct) -> Self {
        debug_assert_eq!(retail.timestamp, smart.timestamp);
        let retail_crowd_long_pct = retail.long_share.to_percent();
        let top_traders_by_position_long_pct = smart.long_share.to_percent();
        let long_pct_gap = top_traders_by_position_long_pct - retail_crowd_long_pct;
        let ratio_gap = match (smart.long_short_ratio, retail.long_short_ratio) {
            (Some(s), Some(r)) => Some(s.to_ratio() - r.to_ratio()),
            _ => None,
        };
        let signal = signal(long_pct_gap, threshold);
        Divergence {
            timestamp: retail.timestamp,
            long_pct_gap,
            ratio_gap,
            signal,
            read: read(
                signal,
                long_pct_gap,
                top_traders_by_position_long_pct,
                retail_crowd_long_pct,
                threshold,
            ),
            top_traders_by_position_long_pct,
            retail_crowd_long_pct,
        }
    }

    /// At the newest bucket that both retail_crowd and top_traders_by_position have: the cohorts
    /// do not always publish a bucket at the same moment, and readings of different buckets are
    /// never subtracted. `None` when they share no bucket.
    pub fn at_common_bucket(series: &CohortSeries, threshold: Pct) -> Option<Self> {
        let (retail, smart) = newest_common(&series.retail_crowd, &series.top_traders_by_position)?;
        Some(Divergence::new(retail, smart, threshold))
    }
}

/// The newest pair of readings with the same timestamp in two series sorted oldest first.
pub fn newest_common<'a>(a: &'a [Reading], b: &'a [Reading]) -> Option<(&'a Reading, &'a Reading)> {
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        let (x, y) = (&a[i - 1], &b[j - 1]);
        match x.timestamp.cmp(&y.timestamp) {
            std::cmp::Ordering::Equal => return Some((x, y)),
            std::cmp::Ordering::Greater => i -= 1,
            std::cmp::Ordering::Less => j -= 1,
        }
    }
    None
}

/// One plain-language sentence saying what the signal says.
pub fn read(signal: Signal, gap: Pct, smart: Pct, retail: Pct, threshold: Pct) -> String {
    match signal {
        Signal::CrowdOverLong => format!(
            "The crowd is more long than smart money by {} pp ({retail}% vs {smart}% long), at least the {threshold} pp threshold: contrarian bearish.",
            -gap
        ),
        Signal::CrowdOverShort => format!(
            "Smart money is more long than the crowd by {gap} pp ({smart}% vs {retail}% long), at least the {threshold} pp threshold: contrarian bullish."
        ),
        Signal::Neutral => format!(
            "Smart money and the crowd are within {threshold} pp of each other (smart money {smart}% vs crowd {retail}% long, gap {gap} pp): no contrarian signal."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Decimal, Fixed};

    fn reading(timestamp: i64, long: &str, ratio: &str) -> Reading {
        let long_share = Decimal::parse(long).unwrap();
        Reading {
            timestamp,
            long_share,
            short_share: Decimal::from_units(Decimal::ONE.units() - long_share.units()),
            long_short_ratio: Some(Decimal::parse(ratio).unwrap()),
        }
    }

    const T: Pct = Fixed(800);

    #[test]
    fn the_contract_example_gives_minus_10_21_and_crowd_over_long() {
        let retail = reading(1_785_675_600_000, "0.6575", "1.9197");
        let smart = reading(1_785_675_600_000, "0.5554", "1.2492");
        let d = Divergence::new(&retail, &smart, T);
        assert_eq!(d.long_pct_gap, Fixed(-1021));
        assert_eq!(d.ratio_gap, Some(Fixed(-6705)));
        assert_eq!(d.signal, Signal::CrowdOverLong);
        assert_eq!(d.retail_crowd_long_pct, Fixed(6575));
        assert_eq!(d.top_traders_by_position_long_pct, Fixed(5554));
        let json = serde_json::to_string(&d).unwrap();
        assert!(
            json.contains(
                r#""long_pct_gap":-10.21,"ratio_gap":-0.6705,"signal":"crowd_over_long""#
            ),
            "{json}"
        );
        assert!(
            json.contains(r#""smart_money_long_pct":55.54,"retail_long_pct":65.75"#),
            "{json}"
        );
        assert_eq!(
            d.read,
            "The crowd is more long than smart money by 10.21 pp (65.75% vs 55.54% long), at least the 8.00 pp threshold: contrarian bearish."
        );
    }

    #[test]
    fn exactly_the_threshold_is_a_signal_and_just_inside_is_not() {
        assert_eq!(signal(Fixed(-800), T), Signal::CrowdOverLong);
        assert_eq!(signal(Fixed(800), T), Signal::CrowdOverShort);
        assert_eq!(signal(Fixed(-799), T), Signal::Neutral);
        assert_eq!(signal(Fixed(799), T), Signal::Neutral);
        assert_eq!(signal(Fixed(0), T), Signal::Neutral);
        assert_eq!(signal(Fixed(250), Fixed(250)), Signal::CrowdOverShort);
    }

    #[test]
    fn the_gap_is_the_difference_of_the_rounded_shares() {
        // 0.55545 → 55.55 and 0.47454 → 47.45: gap 8.10 (not round(8.091) = 8.09).
        let d = Divergence::new(&reading(1, "0.47454", "1"), &reading(1, "0.55545", "1"), T);
        assert_eq!(d.long_pct_gap, Fixed(810));
        assert_eq!(d.signal, Signal::CrowdOverShort);
    }

    #[test]
    fn a_missing_ratio_makes_the_ratio_gap_null_not_an_error() {
        let mut smart = reading(1, "1", "1");
        smart.long_short_ratio = None;
        let d = Divergence::new(&reading(1, "0.6", "1.5"), &smart, T);
        assert_eq!(d.ratio_gap, None);
        assert!(serde_json::to_string(&d)
            .unwrap()
            .contains(r#""ratio_gap":null"#));
    }

    #[test]
    fn the_divergence_uses_the_newest_bucket_both_cohorts_have() {
        let series = CohortSeries {
            retail_crowd: vec![
                reading(1, "0.60", "1"),
                reading(2, "0.61", "1"),
                reading(3, "0.62", "1"),
            ],
            top_traders_by_accounts: vec![reading(3, "0.5", "1")],
            top_traders_by_position: vec![reading(1, "0.50", "1"), reading(2, "0.52", "1")],
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let d = Divergence::at_common_bucket(&series, T).unwrap();
        assert_eq!(d.timestamp, 2);
        assert_eq!(d.long_pct_gap, Fixed(-900));
    }

    #[test]
    fn no_common_bucket_gives_none() {
        let series = CohortSeries {
            retail_crowd: vec![reading(2, "0.6", "1")],
            top_traders_by_accounts: vec![],
            top_traders_by_position: vec![reading(1, "0.5", "1")],
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        assert_eq!(Divergence::at_common_bucket(&series, T), None);
    }

    #[test]
    fn cohort_readings_serialise_in_contract_order() {
        let r = CohortReading::new(
            Cohort::TopTradersByPosition,
            &reading(7, "0.5554", "1.2492"),
        );
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"label":"Top traders (by position size)","cohort":"top_traders_by_position","timestamp":7,"is_smart_money":true,"long_account_pct":55.54,"long_short_ratio":1.2492,"short_account_pct":44.46,"used_for_gap":true}"#
        );
    }
}
