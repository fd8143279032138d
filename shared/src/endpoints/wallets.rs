//! `GET /v1/wallets`: smart money by wallet — the tracked Hyperliquid wallets' positions per token
//! (count beside money), with hold times, changes and confidence on request. This module holds
//! the parameters and their rules; the maths is `maths::wallets`. (Issue 20: the route, its
//! fetching and its answer are not served yet.)

use super::{Format, Query};
use crate::domain::error::printable;
use crate::domain::names::{self, boolean, one_of, set_of};
use crate::domain::wallet::Usd;
use crate::domain::{ApiError, CoinList, Fixed};
use crate::maths::screener::{ChangeWindow, SortOrder};
use crate::upstream::wire::amount;

pub const PARAMS: &[&str] = &[
    "coins",
    "min_notional_usd",
    "min_positions",
    "sort_by",
    "sort_order",
    "pinned",
    "limit",
    "refresh",
    "format",
    "include_hold_times",
    "include_changes",
    "change_window",
    "include_confidence",
    "signal_strength",
];
/// Rows returned: 1 to 200, 50 unless asked.
pub const MAX_LIMIT: u16 = 200;
pub const DEFAULT_LIMIT: u16 = 50;
/// Wallets holding a token for its row: 1 to 100, 1 unless asked.
pub const MAX_MIN_POSITIONS: u16 = 100;
/// The notional filter's largest value, USD.
pub const MAX_MIN_NOTIONAL_USD: i64 = 1_000_000_000;

/// How the rows are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalletsSortBy {
    MoneyLongPct,
    PositionLongPct,
    Traders,
    Notional,
    MoneyFlow,
    PositionChange,
    MedianHoldHours,
}

impl WalletsSortBy {
    pub const NAMES: [(&'static str, WalletsSortBy); 7] = [
        ("money_long_pct", WalletsSortBy::MoneyLongPct),
        ("position_long_pct", WalletsSortBy::PositionLongPct),
        ("traders", WalletsSortBy::Traders),
        ("notional", WalletsSortBy::Notional),
        ("money_flow", WalletsSortBy::MoneyFlow),
        ("position_change", WalletsSortBy::PositionChange),
        ("median_hold_hours", WalletsSortBy::MedianHoldHours),
    ];
}

/// `signal_strength`'s values.
pub const STRENGTHS: [(&str, &str); 3] = [
    ("strong", "strong"),
    ("moderate", "moderate"),
    ("weak", "weak"),
];

/// The validated parameters of one `/v1/wallets` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletsParams {
    /// Only these tokens (`None`: every token the cohort holds).
    pub coins: Option<CoinList>,
    pub min_notional_usd: Usd,
    pub min_positions: u32,
    pub sort_by: WalletsSortBy,
    pub sort_order: SortOrder,
    /// Tokens first after BTC, ETH and SOL, in the order given.
    pub pinned: CoinList,
    pub limit: u16,
    pub refresh: bool,
    pub format: Format,
    pub include_hold_times: bool,
    /// `Some(window)` when `include_changes=true`.
    pub changes: Option<ChangeWindow>,
    pub include_confidence: bool,
    /// Keep only rows of these strengths (needs `include_confidence`).
    pub signal_strength: Option<Vec<&'static str>>,
}

fn needs(flag: &'static str, what: String) -> ApiError {
    ApiError::invalid(flag, format!("{what} needs {flag}=true"))
}

/// A USD amount ≥ 0 with at most 2 decimals' meaning (more are rounded), up to
/// [`MAX_MIN_NOTIONAL_USD`].
fn min_notional(text: &str) -> Result<Usd, ApiError> {
    amount::<2>(text)
        .filter(|a| a.units() <= MAX_MIN_NOTIONAL_USD * 100)
        .ok_or_else(|| {
            ApiError::invalid(
                "min_notional_usd",
                format!(
                    "min_notional_usd must be a plain number of USD from 0 to {MAX_MIN_NOTIONAL_USD}, \
                     such as 100000 or 2500.50 (got '{}')",
                    printable(text, 24)
                ),
            )
        })
}

impl WalletsParams {
    /// Every parameter on its own first (so a malformed value is named), then the rules between
    /// them, each naming the parameter that is missing.
    pub fn from_query(query: &Query<'_>) -> Result<Self, ApiError> {
        let opt = |name| query.get(name);
        let flag = |name: &'static str| {
            opt(name)
                .map(|t| boolean(name, t))
                .transpose()
                .map(|b| b.unwrap_or(false))
        };
        let coins = opt("coins")
            .map(|t| CoinList::parse("coins", t))
            .transpose()?;
        let min_notional_usd = opt("min_notional_usd")
            .map(min_notional)
            .transpose()?
            .unwrap_or(Fixed(0));
        let min_positions = opt("min_positions")
            .map(|t| {
                names::whole_number("min_positions", t, 1..=MAX_MIN_POSITIONS, Some("wallets"))
            })
            .transpose()?
            .unwrap_or(1);
        let sort_by = opt("sort_by")
            .map(|t| one_of("sort_by", t, &WalletsSortBy::NAMES))
            .transpose()?
            .unwrap_or(WalletsSortBy::MoneyLongPct);
        let sort_order = opt("sort_order").map_or(Ok(SortOrder::Desc), SortOrder::parse)?;
        let pinned = opt("pinned")
            .map(|t| CoinList::parse("pinned", t))
            .transpose()?
            .unwrap_or_default();
        let limit = opt("limit")
            .map(|t| names::whole_number("limit", t, 1..=MAX_LIMIT, Some("rows")))
            .transpose()?
            .unwrap_or(DEFAULT_LIMIT);
        let refresh = flag("refresh")?;
        let format = Format::from_query(query)?;
        let include_hold_times = flag("include_hold_times")?;
        let include_changes = flag("include_changes")?;
        let window = opt("change_window").map(ChangeWindow::parse).transpose()?;
        let include_confidence = flag("include_confidence")?;
        let signal_strength = opt("signal_strength")
            .map(|t| set_of("signal_strength", t, &STRENGTHS))
            .transpose()?;

        if !include_changes {
            for (needing, name) in [
                (WalletsSortBy::MoneyFlow, "money_flow"),
                (WalletsSortBy::PositionChange, "position_change"),
            ] {
                if sort_by == needing {
                    return Err(needs("include_changes", format!("sort_by={name}")));
                }
            }
            if let Some(w) = window {
                return Err(needs(
                    "include_changes",
                    format!("change_window={}", w.as_str()),
                ));
            }
        }
        if !include_hold_times && sort_by == WalletsSortBy::MedianHoldHours {
            return Err(needs(
                "include_hold_times",
                "sort_by=median_hold_hours".into(),
            ));
        }
        if !include_confidence {
            if let Some(t) = opt("signal_strength") {
                return Err(needs(
                    "include_confidence",
                    format!("signal_strength={}", printable(t, 24)),
                ));
            }
        }
        Ok(WalletsParams {
            coins,
            min_notional_usd,
            min_positions: u32::from(min_positions),
            sort_by,
            sort_order,
            pinned,
            limit,
            refresh,
            format,
            include_hold_times,
            changes: include_changes.then(|| window.unwrap_or(ChangeWindow::DEFAULT)),
            include_confidence,
            signal_strength,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<WalletsParams, ApiError> {
        let query = Query::new(pairs.iter().copied(), PARAMS)?;
        WalletsParams::from_query(&query)
    }

    fn refused(pairs: &[(&str, &str)]) -> String {
        let e = parse(pairs).unwrap_err();
        assert_eq!(e.status(), 400, "{pairs:?}");
        e.parameter().unwrap().to_string()
    }

    #[test]
    fn the_defaults_are_the_contract_s() {
        let p = parse(&[]).unwrap();
        assert_eq!(
            (
                p.min_notional_usd,
                p.min_positions,
                p.sort_by,
                p.sort_order,
                p.limit
            ),
            (
                Fixed(0),
                1,
                WalletsSortBy::MoneyLongPct,
                SortOrder::Desc,
                50
            )
        );
        assert_eq!(
            (p.changes, p.include_hold_times, p.include_confidence),
            (None, false, false)
        );
        let p = parse(&[("include_changes", "true"), ("min_notional_usd", "2500.5")]).unwrap();
        assert_eq!(
            (p.changes, p.min_notional_usd),
            (Some(ChangeWindow::H24), Fixed(250_050))
        );
    }

    #[test]
    fn each_bad_value_is_a_400_naming_its_parameter() {
        for (pairs, parameter) in [
            (&[("min_notional_usd", "-1")][..], "min_notional_usd"),
            (&[("min_notional_usd", "1e6")][..], "min_notional_usd"),
            (
                &[("min_notional_usd", "1000000000.01")][..],
                "min_notional_usd",
            ),
            (&[("min_positions", "0")][..], "min_positions"),
            (&[("min_positions", "101")][..], "min_positions"),
            (&[("limit", "201")][..], "limit"),
            (&[("sort_by", "gap")][..], "sort_by"),
            (&[("sort_order", "up")][..], "sort_order"),
            (&[("coins", "BTC,$$")][..], "coins"),
            (
                &[("change_window", "2h"), ("include_changes", "true")][..],
                "change_window",
            ),
            (&[("include_hold_times", "yes")][..], "include_hold_times"),
            (
                &[("signal_strength", "huge"), ("include_confidence", "true")][..],
                "signal_strength",
            ),
            (&[("wallet", "0xabc")][..], "wallet"),
        ] {
            assert_eq!(refused(pairs), parameter, "{pairs:?}");
        }
    }

    #[test]
    fn a_parameter_that_needs_another_names_the_missing_one() {
        for (pairs, parameter) in [
            (&[("sort_by", "money_flow")][..], "include_changes"),
            (&[("sort_by", "position_change")][..], "include_changes"),
            (&[("change_window", "7d")][..], "include_changes"),
            (
                &[("sort_by", "median_hold_hours")][..],
                "include_hold_times",
            ),
            (&[("signal_strength", "strong")][..], "include_confidence"),
        ] {
            assert_eq!(refused(pairs), parameter, "{pairs:?}");
        }
        let p = parse(&[
            ("sort_by", "median_hold_hours"),
            ("include_hold_times", "true"),
            ("signal_strength", "strong,weak"),
            ("include_confidence", "true"),
        ])
        .unwrap();
        assert_eq!(p.signal_strength, Some(vec!["strong", "weak"]));
    }
}
