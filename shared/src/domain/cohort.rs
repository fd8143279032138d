//! The three cohorts a venue publishes (Binance's names), with the one id each used everywhere.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    /// Every account with a position, one vote each.
    RetailCrowd,
    /// Top ~20% of accounts by margin balance, one vote each.
    TopTradersByAccounts,
    /// The same top accounts weighted by position size: smart money.
    TopTradersByPosition,
}

impl Cohort {
    /// In the order every answer lists them.
    pub const ALL: [Cohort; 3] = [
        Cohort::RetailCrowd,
        Cohort::TopTradersByAccounts,
        Cohort::TopTradersByPosition,
    ];

    pub const fn id(self) -> &'static str {
        match self {
            Cohort::RetailCrowd => "retail_crowd",
            Cohort::TopTradersByAccounts => "top_traders_by_accounts",
            Cohort::TopTradersByPosition => "top_traders_by_position",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Cohort::RetailCrowd => "Global crowd (by accounts)",
            Cohort::TopTradersByAccounts => "Top traders (by accounts)",
            Cohort::TopTradersByPosition => "Top traders (by position size)",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            Cohort::RetailCrowd => "Every account with an open position, one vote each.",
            Cohort::TopTradersByAccounts => {
                "The top ~20% of accounts by margin balance, one vote each."
            }
            Cohort::TopTradersByPosition => {
                "The same top accounts, weighted by position size (money-weighted)."
            }
        }
    }

    /// Both top-trader cohorts are the top ~20% by margin balance (the original service's
    /// field, served as it did).
    pub const fn is_smart_money(self) -> bool {
        !matches!(self, Cohort::RetailCrowd)
    }

    /// The gap's two sides: retail_crowd and the position-weighted top traders.
    pub const fn used_for_gap(self) -> bool {
        !matches!(self, Cohort::TopTradersByAccounts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_flags_are_the_original_services() {
        let shown: Vec<_> = Cohort::ALL
            .iter()
            .map(|c| (c.id(), c.label(), c.is_smart_money(), c.used_for_gap()))
            .collect();
        assert_eq!(
            shown,
            [
                ("retail_crowd", "Global crowd (by accounts)", false, true),
                (
                    "top_traders_by_accounts",
                    "Top traders (by accounts)",
                    true,
                    false
                ),
                (
                    "top_traders_by_position",
                    "Top traders (by position size)",
                    true,
                    true
                ),
            ]
        );
    }
}
