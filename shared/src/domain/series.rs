//! What a venue publishes for one instrument and period: a [`Reading`] per bucket and cohort,
//! gathered as [`CohortSeries`], with the open interest beside them where it was asked for. Values only; each venue's adapter parses its own wire format
//! into these.

use super::cohort::Cohort;
use super::decimal::{Decimal, Fixed};

/// One bucket of one cohort, as the venue published it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Bucket timestamp, epoch milliseconds.
    pub timestamp: i64,
    /// Long share, 0..=1.
    pub long_share: Decimal,
    /// Short share, 0..=1.
    pub short_share: Decimal,
    /// `None` when the short share is zero (the ratio is infinite).
    pub long_short_ratio: Option<Decimal>,
}

/// One bucket's open interest, in USD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterest {
    /// Bucket timestamp, epoch milliseconds.
    pub timestamp: i64,
    /// Both sides' open positions valued in USD, to the cent. Not a [`Decimal`]: BTC's alone runs
    /// to billions, beyond its ±9.2e8.
    pub usd: Fixed<2>,
}

/// The price at one bucket: the open of the futures kline whose open time is the bucket's
/// timestamp. Only closed klines become prices (a bar still open is not a fact yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    /// Bucket timestamp (the kline's open time), epoch milliseconds.
    pub timestamp: i64,
    /// The kline's open, in USDT, to 8 decimals (Binance prints at most 7).
    pub open: Fixed<8>,
}

/// Prices fetched beyond the cohorts' rows: the klines covering the oldest bucket's and every
/// later one's (Binance's newest cohort bucket may be one period behind its newest closed kline).
pub const PRICE_ROWS_BEYOND: usize = 2;

/// The three series of one instrument and period, each sorted oldest first, one reading per
/// bucket; the open interest at the same buckets where the adapter was asked for it and the
/// venue publishes its history in USD; and the prices where the adapter was asked for them
/// (otherwise empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CohortSeries {
    pub retail_crowd: Vec<Reading>,
    pub top_traders_by_accounts: Vec<Reading>,
    pub top_traders_by_position: Vec<Reading>,
    pub open_interest: Vec<OpenInterest>,
    pub prices: Vec<Price>,
}

impl CohortSeries {
    pub fn get(&self, cohort: Cohort) -> &[Reading] {
        match cohort {
            Cohort::RetailCrowd => &self.retail_crowd,
            Cohort::TopTradersByAccounts => &self.top_traders_by_accounts,
            Cohort::TopTradersByPosition => &self.top_traders_by_position,
        }
    }

    /// Each series' newest `rows` entries: what the upstream answers when asked for `rows`.
    pub fn newest(&self, rows: usize) -> CohortSeries {
        fn tail<T: Clone>(s: &[T], rows: usize) -> Vec<T> {
            s[s.len().saturating_sub(rows)..].to_vec()
        }
        CohortSeries {
            retail_crowd: tail(&self.retail_crowd, rows),
            top_traders_by_accounts: tail(&self.top_traders_by_accounts, rows),
            top_traders_by_position: tail(&self.top_traders_by_position, rows),
            open_interest: tail(&self.open_interest, rows),
            prices: tail(&self.prices, rows + PRICE_ROWS_BEYOND),
        }
    }

    /// Whether every cohort that published anything has published bucket `timestamp` as its
    /// newest: nothing is late.
    pub fn all_reached(&self, timestamp: i64) -> bool {
        Cohort::ALL
            .iter()
            .map(|c| self.get(*c))
            .filter(|s| !s.is_empty())
            .all(|s| s.last().is_some_and(|r| r.timestamp >= timestamp))
    }

    /// The reading of `cohort` at bucket `timestamp`, if it published one.
    pub fn at(&self, cohort: Cohort, timestamp: i64) -> Option<&Reading> {
        let series = self.get(cohort);
        series
            .binary_search_by_key(&timestamp, |r| r.timestamp)
            .ok()
            .map(|i| &series[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(timestamp: i64) -> Reading {
        Reading {
            timestamp,
            long_share: Decimal::ONE,
            short_share: Decimal::ZERO,
            long_short_ratio: None,
        }
    }

    #[test]
    fn the_newest_rows_of_each_cohort_are_what_a_smaller_request_gets() {
        let s = CohortSeries {
            retail_crowd: (1..=5).map(r).collect(),
            top_traders_by_accounts: (1..=3).map(r).collect(),
            top_traders_by_position: vec![],
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        let n = s.newest(2);
        let ts = |v: &[Reading]| v.iter().map(|x| x.timestamp).collect::<Vec<_>>();
        assert_eq!(ts(&n.retail_crowd), [4, 5]);
        assert_eq!(ts(&n.top_traders_by_accounts), [2, 3]);
        assert!(n.top_traders_by_position.is_empty());
        assert_eq!(s.newest(500), s);
        assert!(s.all_reached(3) && !s.all_reached(4), "accounts ends at 3");
    }
}
