//! `GET /v1/wallets`: smart money by wallet — the tracked Hyperliquid wallets' positions per token
//! (count beside money), with hold times, changes and confidence on request. This module holds
//! the parameters and their rules and the answer; the maths is `maths::wallets`, the reading
//! `upstream::hyperliquid::warm`.

use std::collections::HashMap;

use serde::Serialize;

use super::screener::{CoinErrorDetail, Refresh};
use super::{Format, Query, NOT_ADVICE};
use crate::domain::error::printable;
use crate::domain::names::{self, boolean, one_of, set_of};
use crate::domain::route;
use crate::domain::wallet::{FillHistory, Position, Px, Usd};
use crate::domain::{ApiError, CoinList, Fixed, Pct};
use crate::maths::screener::{ChangeWindow, SortOrder};
use crate::maths::wallets::{
    changes, confidence, hold, hold_summary, token_rows, Changes, Confidence, HoldSummary,
    TokenRow, WalletCoin,
};
use crate::render::CsvFile;
use crate::upstream::hyperliquid::warm::{TrackedWallets, WalletsRead};
use crate::upstream::wire::amount;
use crate::upstream::Provenance;

pub const ROUTE: &str = route::WALLETS.route;
pub const MESSAGE: &str = "Wallet positions retrieved successfully";
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

/// Tokens first by default, before the caller's `pinned`.
pub const DEFAULT_PINS: [&str; 3] = ["BTC", "ETH", "SOL"];

/// How many of the holding wallets' fills are known (hold times and changes cover only those).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub wallets_known: u32,
    pub wallets_holding: u32,
}

/// One token's answer: its row and what was asked beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenAnswer {
    #[serde(flatten)]
    pub row: TokenRow,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub hold: Option<HoldSummary>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// What one `/v1/wallets` call read: the cohort, its positions, the fills known (by wallet, for
/// hold times and changes) and each coin's mark price.
pub struct WalletsInput<'a> {
    pub tracked_wallets: &'a TrackedWallets,
    pub positions: &'a [Position],
    pub histories: &'a HashMap<String, FillHistory>,
    pub marks: &'a HashMap<String, Px>,
    /// Tracked wallets whose positions could not be read this time (listed in `errors`).
    pub failed_wallets: &'a [(String, ApiError)],
    pub provenance: Provenance,
    pub refresh: Refresh,
    pub now_ms: i64,
}

impl<'a> WalletsInput<'a> {
    /// What `read` gathered, as of `now_ms`.
    pub fn of(
        read: &'a WalletsRead,
        provenance: Provenance,
        refresh: Refresh,
        now_ms: i64,
    ) -> Self {
        WalletsInput {
            tracked_wallets: &read.tracked_wallets,
            positions: &read.positions,
            histories: &read.histories,
            marks: &read.marks,
            failed_wallets: &read.failed_wallets,
            provenance,
            refresh,
            now_ms,
        }
    }
}

/// A tracked wallet whose positions could not be read: its rows lack it (listed, never fatal).
#[derive(Serialize)]
pub struct WalletError {
    pub wallet: String,
    pub error: CoinErrorDetail,
}

/// Each of `failed` as the answer lists it.
pub fn wallet_errors(failed: &[(String, ApiError)]) -> Vec<WalletError> {
    failed
        .iter()
        .map(|(wallet, e)| WalletError {
            wallet: wallet.clone(),
            error: CoinErrorDetail {
                code: e.code(),
                message: e.to_string(),
            },
        })
        .collect()
}

#[derive(Serialize)]
pub struct WalletsData {
    /// The contract's `cohort`: which wallets, and how they were chosen.
    #[serde(rename = "cohort")]
    pub tracked_wallets: TrackedWallets,
    pub source: &'static str,
    pub from_memo: bool,
    pub stale: bool,
    pub age: Option<crate::upstream::Age>,
    pub note: String,
    /// What became of `refresh=true`: honoured at most once per 5 minutes per API key.
    pub refresh: Refresh,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_window: Option<&'static str>,
    pub count: usize,
    pub tokens: Vec<TokenAnswer>,
    /// Tracked wallets whose positions could not be read this time.
    pub errors: Vec<WalletError>,
}

/// The answer: a row per token (filters, then the asked extras, then order, pins and limit).
pub fn answer(params: &WalletsParams, input: &WalletsInput<'_>) -> WalletsData {
    let mut rows = token_rows(
        input.positions,
        params.min_notional_usd,
        params.min_positions,
    );
    if let Some(coins) = &params.coins {
        rows.retain(|r| {
            coins
                .symbols()
                .iter()
                .any(|s| s.coin().eq_ignore_ascii_case(&r.token))
        });
    }
    let counted = |p: &&Position| p.size.0 != 0 && p.notional_usd >= params.min_notional_usd;
    let extras = params.include_hold_times || params.changes.is_some();
    let mut holding: Vec<&str> = input
        .positions
        .iter()
        .filter(counted)
        .filter(|p| rows.iter().any(|r| r.token == p.coin))
        .map(|p| p.wallet.as_str())
        .collect();
    holding.sort_unstable();
    holding.dedup();
    let coverage = extras.then(|| Coverage {
        wallets_known: holding
            .iter()
            .filter(|w| input.histories.contains_key(**w))
            .count() as u32,
        wallets_holding: holding.len() as u32,
    });
    let mut tokens: Vec<TokenAnswer> = rows
        .into_iter()
        .map(|row| {
            let in_token: Vec<&Position> = input
                .positions
                .iter()
                .filter(counted)
                .filter(|p| p.coin == row.token)
                .collect();
            let hold = params.include_hold_times.then(|| {
                let holds: Vec<_> = in_token
                    .iter()
                    .filter_map(|p| {
                        let history = input.histories.get(&p.wallet)?;
                        Some(hold(p.size, &p.coin, history, input.now_ms))
                    })
                    .collect();
                hold_summary(&holds)
            });
            let changes = params.changes.map(|w| {
                let empty = FillHistory {
                    since_ms: i64::MAX,
                    fills: Vec::new(),
                };
                let wallets: Vec<WalletCoin<'_>> = input
                    .tracked_wallets
                    .wallets
                    .iter()
                    .map(|w| WalletCoin {
                        size_now: input
                            .positions
                            .iter()
                            .find(|p| &p.wallet == w && p.coin == row.token)
                            .map_or(Fixed(0), |p| p.size),
                        history: input.histories.get(w).unwrap_or(&empty),
                    })
                    .collect();
                let mark = input.marks.get(&row.token).copied().unwrap_or(Fixed(0));
                changes(
                    &row.token,
                    &wallets,
                    mark,
                    params.min_notional_usd,
                    input.now_ms - w.millis(),
                )
            });
            let confidence = params.include_confidence.then(|| {
                let notionals: Vec<Usd> = in_token.iter().map(|p| p.notional_usd).collect();
                confidence(&row, &notionals)
            });
            TokenAnswer {
                row,
                hold: hold.flatten(),
                changes,
                confidence,
            }
        })
        .collect();
    if let Some(strengths) = &params.signal_strength {
        tokens.retain(|t| {
            t.confidence
                .as_ref()
                .is_some_and(|c| strengths.contains(&c.strength))
        });
    }
    order(&mut tokens, params);
    tokens.truncate(usize::from(params.limit));
    WalletsData {
        tracked_wallets: input.tracked_wallets.clone(),
        source: input.provenance.source,
        from_memo: input.provenance.from_memo,
        stale: input.provenance.stale,
        age: input.provenance.age,
        note: note(),
        refresh: input.refresh,
        coverage,
        change_window: params.changes.map(ChangeWindow::as_str),
        count: tokens.len(),
        tokens,
        errors: wallet_errors(input.failed_wallets),
    }
}

/// `format=csv`: a row per token, the JSON row's fields and those of what was asked beside it
/// (`confidence` is the score and `strength` its word, as in the screener's file); a part a token
/// lacks (no known hold) is empty cells.
pub fn csv_columns(params: &WalletsParams) -> Vec<&'static str> {
    let mut columns = vec![
        "token",
        "traders",
        "long_positions",
        "short_positions",
        "position_long_pct",
        "money_long_pct",
        "position",
        "long_notional_usd",
        "short_notional_usd",
        "net_notional_usd",
    ];
    if params.include_hold_times {
        columns.extend([
            "avg_hold_hours",
            "median_hold_hours",
            "signal_duration",
            "hold_lower_bound",
        ]);
    }
    if params.changes.is_some() {
        columns.extend([
            "position_change_pp",
            "money_flow_usd",
            "changes_incomplete_wallets",
        ]);
    }
    if params.include_confidence {
        columns.extend(["confidence", "strength"]);
    }
    columns
}

/// The tokens as a CSV file named `wallets.csv`.
pub fn csv(data: &WalletsData, params: &WalletsParams) -> Result<CsvFile, ApiError> {
    use serde_json::Value;
    let columns = csv_columns(params);
    let lines: Vec<Value> = data
        .tokens
        .iter()
        .map(|t| {
            let mut fields: serde_json::Map<String, Value> = columns
                .iter()
                .map(|c| (c.to_string(), Value::Null))
                .collect();
            if let Ok(Value::Object(json)) = serde_json::to_value(t) {
                for (name, value) in json {
                    if name == "confidence" {
                        fields.insert("confidence".into(), value["score"].clone());
                        fields.insert("strength".into(), value["strength"].clone());
                    } else if fields.contains_key(&name) {
                        fields.insert(name, value);
                    }
                }
            }
            Value::Object(fields)
        })
        .collect();
    CsvFile::new("wallets.csv".to_string(), &columns, &lines)
}

/// The sort key of `t` (larger first under `desc`); `None` sorts last either way.
fn key(t: &TokenAnswer, by: WalletsSortBy) -> Option<i64> {
    match by {
        WalletsSortBy::MoneyLongPct => Some(t.row.money_long_pct.units()),
        WalletsSortBy::PositionLongPct => Some(t.row.position_long_pct.units()),
        WalletsSortBy::Traders => Some(i64::from(t.row.traders)),
        WalletsSortBy::Notional => {
            Some(t.row.long_notional_usd.units() + t.row.short_notional_usd.units())
        }
        WalletsSortBy::MoneyFlow => t.changes.as_ref().map(|c| c.money_flow_usd.units()),
        WalletsSortBy::PositionChange => t
            .changes
            .as_ref()
            .and_then(|c| c.position_change_pp.map(Pct::units)),
        WalletsSortBy::MedianHoldHours => t.hold.as_ref().map(|h| h.median_hold_hours.units()),
    }
}

/// Sorted by the key (ties: token ascending), then BTC, ETH, SOL and the caller's pins first in
/// that order.
fn order(tokens: &mut [TokenAnswer], params: &WalletsParams) {
    let desc = params.sort_order == SortOrder::Desc;
    tokens.sort_by(|a, b| {
        let (ka, kb) = (key(a, params.sort_by), key(b, params.sort_by));
        let by_key = match (ka, kb) {
            (Some(x), Some(y)) if desc => y.cmp(&x),
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_key.then_with(|| a.row.token.cmp(&b.row.token))
    });
    let pins: Vec<String> = DEFAULT_PINS
        .iter()
        .map(|c| c.to_string())
        .chain(params.pinned.symbols().iter().map(|s| s.coin().to_string()))
        .collect();
    let rank = |t: &TokenAnswer| {
        pins.iter()
            .position(|p| p.eq_ignore_ascii_case(&t.row.token))
            .unwrap_or(usize::MAX)
    };
    tokens.sort_by_key(rank); // stable: the rest keep their order
}

fn note() -> String {
    format!(
        "One row per token held by the tracked Hyperliquid wallets (the cohort: the leaderboard's, \
         by the rule stated, not ours), counting positions with notional ≥ min_notional_usd. \
         position_long_pct = long positions / positions × 100; money_long_pct = long notional / \
         all notional × 100; position is LONG when both are ≥ 55, SHORT when both are ≤ 45. Hold \
         times and changes are rebuilt from each wallet's fills: fills of TWAP slices may be \
         missing, which can only make a hold a lower bound (hold_lower_bound). Addresses are \
         public on Hyperliquid. {NOT_ADVICE}"
    )
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

    mod answering {
        use super::*;
        use crate::domain::wallet::Fill;
        use crate::domain::Fixed;

        const H: i64 = 3_600_000;
        const NOW: i64 = 2_000 * H;

        fn position(wallet: &str, coin: &str, coins: i64, usd: i64) -> Position {
            Position {
                wallet: wallet.into(),
                coin: coin.into(),
                size: Fixed(coins * 100_000_000),
                notional_usd: Fixed(usd * 100),
                entry_px: Fixed(0),
                leverage: 5,
                unrealized_pnl_usd: Fixed(0),
            }
        }

        fn run(pairs: &[(&str, &str)]) -> WalletsData {
            let tracked = TrackedWallets {
                rule: "test".into(),
                wallets: vec!["0xa".into(), "0xb".into(), "0xc".into()],
                as_of: NOW,
            };
            let positions = [
                position("0xa", "BTC", 1, 100_000),
                position("0xb", "BTC", -1, 100_000),
                position("0xa", "DOGE", 1_000, 50_000),
                position("0xb", "DOGE", 2_000, 100_000),
                position("0xc", "DOGE", 1_000, 50_000),
                position("0xc", "ETH", -10, 30_000),
            ];
            // 0xa opened BTC 10 h ago and DOGE 2 h ago; 0xb's fills are unknown; 0xc has none
            // since 200 h (held at least that long).
            let mut histories = HashMap::new();
            let fill = |coin: &str, hours_ago: i64, start: i64, traded: i64| Fill {
                coin: coin.into(),
                time_ms: NOW - hours_ago * H,
                start_position: Fixed(start * 100_000_000),
                signed_size: Fixed(traded * 100_000_000),
                tid: hours_ago as u64,
            };
            histories.insert(
                "0xa".to_string(),
                FillHistory {
                    since_ms: NOW - 200 * H,
                    fills: vec![fill("BTC", 10, 0, 1), fill("DOGE", 2, 0, 1_000)],
                },
            );
            histories.insert(
                "0xc".to_string(),
                FillHistory {
                    since_ms: NOW - 200 * H,
                    fills: vec![],
                },
            );
            let marks: HashMap<String, Px> = [("BTC", 100_000), ("ETH", 3_000), ("DOGE", 50)]
                .into_iter()
                .map(|(c, usd)| (c.to_string(), Fixed(usd * 100_000_000)))
                .collect();
            let params = parse(pairs).unwrap();
            answer(
                &params,
                &WalletsInput {
                    tracked_wallets: &tracked,
                    positions: &positions,
                    histories: &histories,
                    marks: &marks,
                    failed_wallets: &[],
                    provenance: Provenance {
                        source: "test",
                        from_memo: false,
                        stale: false,
                        age: None,
                    },
                    refresh: Refresh::NotAsked,
                    now_ms: NOW,
                },
            )
        }

        fn tokens(d: &WalletsData) -> Vec<&str> {
            d.tokens.iter().map(|t| t.row.token.as_str()).collect()
        }

        #[test]
        fn btc_eth_sol_come_first_then_the_order_asked_then_the_limit() {
            // money_long_pct: DOGE 100, BTC 50, ETH 0; BTC and ETH are pinned by default.
            let d = run(&[]);
            assert_eq!(tokens(&d), ["BTC", "ETH", "DOGE"]);
            assert_eq!((d.count, d.coverage), (3, None));
            let d = run(&[("sort_order", "asc"), ("pinned", "DOGE"), ("limit", "2")]);
            assert_eq!(tokens(&d), ["BTC", "ETH"]);
            let d = run(&[("coins", "doge,eth"), ("min_positions", "2")]);
            assert_eq!(tokens(&d), ["DOGE"], "ETH has one holder");
        }

        #[test]
        fn hold_times_and_changes_cover_the_wallets_whose_fills_are_known() {
            let d = run(&[
                ("include_hold_times", "true"),
                ("include_changes", "true"),
                ("change_window", "6h"),
            ]);
            // Holding: a, b, c; fills known for a and c.
            assert_eq!(
                d.coverage,
                Some(Coverage {
                    wallets_known: 2,
                    wallets_holding: 3
                })
            );
            let doge = d.tokens.iter().find(|t| t.row.token == "DOGE").unwrap();
            let hold = doge.hold.as_ref().unwrap();
            // a: 2 h; c: at least 200 h (its fills since 200 h have none of DOGE); b unknown.
            assert_eq!(
                (
                    hold.avg_hold_hours,
                    hold.median_hold_hours,
                    hold.hold_lower_bound
                ),
                (Fixed(1_010), Fixed(1_010), true)
            );
            // a opened DOGE 2 h ago (+1,000 at 50 USD = +50,000 USD); b's fills unknown counts
            // unchanged and incomplete; c unchanged. Then: b and c long (a flat): 100 % → now 100 %.
            let ch = doge.changes.as_ref().unwrap();
            assert_eq!(
                (
                    ch.money_flow_usd,
                    ch.changes_incomplete_wallets,
                    ch.position_change_pp
                ),
                (Fixed(5_000_000), 1, Some(Fixed(0)))
            );
            assert_eq!(d.change_window, Some("6h"));
        }

        #[test]
        fn the_strength_filter_keeps_only_rows_of_those_strengths() {
            let d = run(&[
                ("include_confidence", "true"),
                ("signal_strength", "strong"),
            ]);
            assert!(d.tokens.is_empty(), "three traders at most: no strong row");
            let d = run(&[("include_confidence", "true")]);
            // DOGE: 3/30 × 40 = 4, agreement 1 → 40, notionals 1:2:1 → 20 × (1 − 0.375) = 12.5:
            // 56.5 → 57, moderate.
            let doge = d.tokens.iter().find(|t| t.row.token == "DOGE").unwrap();
            let c = doge.confidence.as_ref().unwrap();
            assert_eq!((c.score, c.strength), (57, "moderate"));
        }
    }
}
