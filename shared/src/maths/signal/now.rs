//! `now` and `smart_money_consensus`: the divergence at the newest bucket, the top-accounts gap,
//! and whether both top-trader cohorts lean the same way.

use serde::Serialize;

use crate::domain::{Fixed, Pct};
use crate::maths::stats::*;

use super::*;

/// top_traders_by_accounts long % − retail_crowd long %, in pp.
pub fn account_gap(accounts: Pct, retail: Pct) -> Pct {
    accounts - retail
}

/// Long share of the accounts outside the top ~20%, if the top is exactly 20% of all accounts:
/// (global − 0.2 × top) / 0.8 = (5·global − top) / 4, clamped to 0..=100. An estimate.
pub fn non_top_long_pct(global: Pct, top_accounts: Pct) -> Pct {
    let v = div_round(i128::from(5 * global.units() - top_accounts.units()), 4);
    Fixed(v.clamp(0, 10_000))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Consensus {
    Long,
    Short,
    Neutral,
}

/// LONG when both top-trader cohorts are ≥ `level` long, SHORT when both are ≥ `level` short
/// (long ≤ 100 − level), else NEUTRAL.
pub fn consensus(accounts: Pct, position: Pct, level: Pct) -> Consensus {
    let short_level = Fixed(10_000) - level;
    if accounts >= level && position >= level {
        Consensus::Long
    } else if accounts <= short_level && position <= short_level {
        Consensus::Short
    } else {
        Consensus::Neutral
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Now {
    #[serde(flatten)]
    pub divergence: Divergence,
    pub top_traders_by_accounts_long_pct: Option<Pct>,
    pub account_gap: Option<Pct>,
    pub non_top_accounts_long_pct_estimate: Option<Pct>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SmartMoneyConsensus {
    pub call: Option<Consensus>,
    pub level_pct: Pct,
    pub timestamp: i64,
    pub top_traders_by_accounts_long_pct: Option<Pct>,
    pub top_traders_by_position_long_pct: Pct,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn consensus_at_55_percent_and_the_estimate() {
        let l = CONSENSUS_LEVEL_PCT;
        assert_eq!(consensus(p("55"), p("60"), l), Consensus::Long);
        assert_eq!(consensus(p("45"), p("40"), l), Consensus::Short);
        assert_eq!(consensus(p("55"), p("54.99"), l), Consensus::Neutral);
        assert_eq!(consensus(p("45.01"), p("40"), l), Consensus::Neutral);
        // (5 × 65.75 − 60.12) / 4 = 67.1575 → 67.16.
        assert_eq!(non_top_long_pct(p("65.75"), p("60.12")), p("67.16"));
        assert_eq!(non_top_long_pct(p("1"), p("90")), p("0"), "clamped");
        assert_eq!(account_gap(p("60.12"), p("65.75")), p("-5.63"));
        assert_eq!(
            serde_json::to_string(&Consensus::Long).unwrap(),
            r#""LONG""#
        );
    }
}
