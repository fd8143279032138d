//! `open_interest`: Binance's open interest in USD at the signal's bucket, and per change window
//! how much it moved and the estimated money that moved to the long side.
//!
//! N(t) = V(t) × (2·p(t) − 1), with V the open interest in USD (`sumOpenInterestValue`) and p
//! top_traders_by_position's long share at bucket t: the net long exposure *if* the top traders'
//! split described all open interest (it does not: an estimate). `money_flow_usd_estimate` =
//! N(now) − N(now − window), computed exactly from the cents and the share and rounded once to
//! the cent; positive means money moved to the long side.

use serde::Serialize;

use super::{window_buckets, DAY_MS, HOUR_MS, LOOKBACK};
use crate::domain::{CohortSeries, Decimal, Fixed, Period};
use crate::maths::stats::div_round;

/// USD to the cent.
pub type Usd = Fixed<2>;

/// Said beside every money-flow figure.
pub const ASSUMPTION: &str = "money_flow_usd_estimate = N(now) − N(now − window), N = open \
     interest in USD × (2 × top_traders_by_position long share − 1): an estimate that assumes the \
     top traders' long/short split describes all open interest. Positive: money moved to the long side.";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowChange {
    pub window_buckets: Option<usize>,
    pub from_timestamp: Option<i64>,
    pub open_interest_usd_change: Option<Usd>,
    pub money_flow_usd_estimate: Option<Usd>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowChanges {
    #[serde(rename = "1h")]
    pub h1: FlowChange,
    #[serde(rename = "6h")]
    pub h6: FlowChange,
    #[serde(rename = "24h")]
    pub h24: FlowChange,
    #[serde(rename = "7d")]
    pub d7: FlowChange,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenInterestFlows {
    /// The signal's bucket (`now.timestamp`).
    pub timestamp: i64,
    /// Null when Binance published no open interest for that bucket.
    pub open_interest_usd: Option<Usd>,
    pub changes: FlowChanges,
    pub assumption: &'static str,
}

/// V(t): Binance's open interest in USD at bucket `t`, if it published one.
pub fn usd_at(series: &CohortSeries, t: i64) -> Option<Usd> {
    let oi = &series.open_interest;
    oi.binary_search_by_key(&t, |o| o.timestamp)
        .ok()
        .map(|i| oi[i].usd)
}

/// N(t) × 10^10 in cents, exact: V in cents × (2p − 1) with p in units of 10^-10.
pub fn net_long_scaled(usd: Usd, long_share: Decimal) -> i128 {
    i128::from(usd.units())
        * (2 * i128::from(long_share.units()) - i128::from(Decimal::ONE.units()))
}

/// The open interest's change and the money flow over `window_ms` ending at bucket `now`.
pub fn flow_change(series: &CohortSeries, period: Period, now: i64, window_ms: i64) -> FlowChange {
    let k = match window_buckets(window_ms, period, LOOKBACK as usize - 1) {
        Ok(k) => k,
        Err(reason) => {
            return FlowChange {
                reason: Some(reason),
                ..FlowChange::default()
            }
        }
    };
    let from = now - window_ms;
    let at = |t: i64| -> Result<(Usd, Decimal), String> {
        let usd = usd_at(series, t).ok_or_else(|| format!("no open interest at {t}"))?;
        let share = series
            .at(crate::domain::Cohort::TopTradersByPosition, t)
            .ok_or_else(|| format!("no top_traders_by_position reading at {t}"))?
            .long_share;
        Ok((usd, share))
    };
    let mut change = FlowChange {
        window_buckets: Some(k),
        from_timestamp: Some(from),
        ..FlowChange::default()
    };
    match (at(now), at(from)) {
        (Ok((v1, p1)), Ok((v0, p0))) => {
            change.open_interest_usd_change = Some(v1 - v0);
            let scaled = net_long_scaled(v1, p1) - net_long_scaled(v0, p0);
            change.money_flow_usd_estimate =
                Some(Fixed(div_round(scaled, i128::from(Decimal::ONE.units()))));
        }
        (Err(reason), _) | (_, Err(reason)) => change.reason = Some(reason),
    }
    change
}

/// The open interest at bucket `now` and its flows over 1h, 6h, 24h and 7d.
pub fn open_interest_flows(series: &CohortSeries, period: Period, now: i64) -> OpenInterestFlows {
    let flow = |w| flow_change(series, period, now, w);
    OpenInterestFlows {
        timestamp: now,
        open_interest_usd: usd_at(series, now),
        changes: FlowChanges {
            h1: flow(HOUR_MS),
            h6: flow(6 * HOUR_MS),
            h24: flow(DAY_MS),
            d7: flow(7 * DAY_MS),
        },
        assumption: ASSUMPTION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OpenInterest, Reading};

    const H: i64 = HOUR_MS;

    fn reading(t: i64, long: &str) -> Reading {
        let long_share = Decimal::parse(long).unwrap();
        Reading {
            timestamp: t,
            long_share,
            short_share: long_share.complement(),
            long_short_ratio: None,
        }
    }

    /// Three 1h buckets:
    ///
    /// | t  | V (USD)          | p (smart money long) | N = V(2p − 1)        |
    /// |----|------------------|----------------------|----------------------|
    /// | 0  | 1,000,000.00     | 0.6000               | 200,000.00           |
    /// | 1h | 1,200,000.50     | 0.5500               | 120,000.05           |
    /// | 2h | 1,100,000.25     | 0.6123               | 247,060.05615        |
    fn three_buckets() -> CohortSeries {
        let oi = |t: i64, usd: &str| OpenInterest {
            timestamp: t,
            usd: Fixed::parse(usd).unwrap(),
        };
        CohortSeries {
            top_traders_by_position: vec![
                reading(0, "0.6000"),
                reading(H, "0.5500"),
                reading(2 * H, "0.6123"),
            ],
            open_interest: vec![
                oi(0, "1000000.00"),
                oi(H, "1200000.50"),
                oi(2 * H, "1100000.25"),
            ],
            ..CohortSeries::default()
        }
    }

    #[test]
    fn money_flow_is_the_change_of_the_estimated_net_long_exposure_to_the_cent() {
        let s = three_buckets();
        let f = open_interest_flows(&s, Period::H1, 2 * H);
        assert_eq!(f.open_interest_usd, Some(Fixed(110_000_025)));
        // 1h: N(2h) − N(1h) = 247,060.05615 − 120,000.05 = 127,060.00615 → 127,060.01
        let h1 = &f.changes.h1;
        assert_eq!((h1.window_buckets, h1.from_timestamp), (Some(1), Some(H)));
        assert_eq!(h1.money_flow_usd_estimate, Some(Fixed(12_706_001)));
        // V fell by 100,000.25 while money moved long.
        assert_eq!(h1.open_interest_usd_change, Some(Fixed(-10_000_025)));
        // From 0 to 1h, the other way: N(1h) − N(0) = 120,000.05 − 200,000 = −79,999.95.
        let back = flow_change(&s, Period::H1, H, H);
        assert_eq!(back.money_flow_usd_estimate, Some(Fixed(-7_999_995)));
        assert_eq!(back.open_interest_usd_change, Some(Fixed(20_000_050)));
        // 6h back is before the first bucket: null, with the reason.
        let h6 = &f.changes.h6;
        assert_eq!(
            (h6.window_buckets, h6.money_flow_usd_estimate),
            (Some(6), None)
        );
        assert!(h6.reason.as_deref().unwrap().contains("no open interest"));
        // At 4h a 1h window is shorter than a bucket.
        assert!(flow_change(&s, Period::H4, 2 * H, H)
            .reason
            .unwrap()
            .contains("longer"));
    }

    #[test]
    fn a_missing_share_or_open_interest_is_a_null_with_its_reason() {
        let mut s = three_buckets();
        s.top_traders_by_position.remove(1);
        let c = flow_change(&s, Period::H1, 2 * H, H);
        assert_eq!(
            (c.money_flow_usd_estimate, c.open_interest_usd_change),
            (None, None)
        );
        assert!(c.reason.unwrap().contains("top_traders_by_position"));
        s.open_interest.pop();
        let f = open_interest_flows(&s, Period::H1, 2 * H);
        assert_eq!(f.open_interest_usd, None);
    }
}
