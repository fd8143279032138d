//! What a venue publishes for one instrument and period: a [`Reading`] per bucket and cohort,
//! gathered as [`CohortSeries`]. Values only; each venue's adapter parses its own wire format
//! into these.

use super::cohort::Cohort;
use super::decimal::Decimal;

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

/// The three series of one instrument and period, each sorted oldest first, one reading per
/// bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CohortSeries {
    pub retail_crowd: Vec<Reading>,
    pub top_traders_by_accounts: Vec<Reading>,
    pub top_traders_by_position: Vec<Reading>,
}

impl CohortSeries {
    pub fn get(&self, cohort: Cohort) -> &[Reading] {
        match cohort {
            Cohort::RetailCrowd => &self.retail_crowd,
            Cohort::TopTradersByAccounts => &self.top_traders_by_accounts,
            Cohort::TopTradersByPosition => &self.top_traders_by_position,
        }
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
