//! `GET /v1/wallets/positions?coin=BTC`: the tracked wallets' positions behind one token's row,
//! largest notional first, each with how long it has been held.

use serde::Serialize;

use super::wallets::{wallet_errors, Coverage, WalletError, WalletsInput};
use super::{Query, NOT_ADVICE};
use crate::domain::route;
use crate::domain::wallet::{Position, Px, Size, Usd};
use crate::domain::{names, ApiError, Fixed, Symbol};
use crate::maths::wallets::hold;
use crate::upstream::hyperliquid::warm::TrackedWallets;
use crate::upstream::wire::amount;
use crate::upstream::Age;

pub const ROUTE: &str = route::WALLET_POSITIONS.route;
pub const MESSAGE: &str = "Token positions retrieved successfully";
pub const PARAMS: &[&str] = &["coin", "min_notional_usd", "limit"];
/// Positions returned: 1 to 200, 50 unless asked.
pub const MAX_LIMIT: u16 = 200;
pub const DEFAULT_LIMIT: u16 = 50;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionsParams {
    /// The token, upper-cased (Hyperliquid's names are compared case-insensitively).
    pub coin: String,
    pub min_notional_usd: Usd,
    pub limit: u16,
}

impl PositionsParams {
    pub fn from_query(query: &Query<'_>) -> Result<Self, ApiError> {
        let coin = query
            .get("coin")
            .ok_or_else(|| ApiError::invalid("coin", "coin is required, such as coin=BTC"))?;
        let coin = Symbol::from_coin(coin)
            .map_err(|_| {
                ApiError::invalid(
                    "coin",
                    "coin must be a token of 1 to 20 letters or digits, such as BTC or kPEPE \
                     (the coin, not a symbol such as BTCUSDT)",
                )
            })?
            .coin()
            .to_string();
        let min_notional_usd = match query.get("min_notional_usd") {
            None => Fixed(0),
            Some(text) => amount::<2>(text)
                .filter(|a| a.units() <= super::wallets::MAX_MIN_NOTIONAL_USD * 100)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "min_notional_usd",
                        "min_notional_usd must be a plain number of USD from 0 to 1000000000",
                    )
                })?,
        };
        let limit = query
            .get("limit")
            .map(|t| names::whole_number("limit", t, 1..=MAX_LIMIT, Some("positions")))
            .transpose()?
            .unwrap_or(DEFAULT_LIMIT);
        Ok(PositionsParams {
            coin,
            min_notional_usd,
            limit,
        })
    }
}

/// One wallet's position in the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WalletPosition {
    /// The address in full (public on Hyperliquid).
    pub wallet: String,
    /// `long` or `short`.
    pub side: &'static str,
    /// Signed size in coins.
    pub size: Size,
    pub notional_usd: Usd,
    pub entry_px: Px,
    pub leverage: u32,
    pub unrealized_pnl_usd: Usd,
    /// When the position was opened (epoch ms), from the wallet's fills; null when they are not
    /// known or do not reach the opening.
    pub opened_at: Option<i64>,
    /// Hours held (1 decimal); null when the wallet's fills are not known yet.
    pub hold_hours: Option<Fixed<1>>,
    /// `hold_hours` is only a lower bound (the fills do not reach the opening, or a fill is
    /// missing).
    pub hold_lower_bound: bool,
}

#[derive(Serialize)]
pub struct PositionsData {
    pub token: String,
    /// The contract's `cohort`: which wallets, and how they were chosen.
    #[serde(rename = "cohort")]
    pub tracked_wallets: TrackedWallets,
    pub source: &'static str,
    pub from_memo: bool,
    pub stale: bool,
    pub age: Option<Age>,
    pub note: String,
    /// Of the wallets holding the token (notional filter applied), how many have known fills:
    /// the others' holds are null until the sweep reaches them.
    pub coverage: Coverage,
    pub count: usize,
    pub positions: Vec<WalletPosition>,
    /// Tracked wallets whose positions could not be read this time.
    pub errors: Vec<WalletError>,
}

fn note() -> String {
    format!(
        "The tracked Hyperliquid wallets' positions in the token (the cohort: the leaderboard's, \
         by the rule stated, not ours), largest notional first. opened_at and hold_hours are \
         rebuilt from each wallet's fills (null until they are known: see coverage); fills of \
         TWAP slices may be missing, which can only make a hold a lower bound \
         (hold_lower_bound). Addresses are public on Hyperliquid. {NOT_ADVICE}"
    )
}

/// The tracked wallets' positions in `params.coin` with notional ≥ the filter, largest notional
/// first (ties: address), at most `limit`; each held since its opening as the wallet's fills say.
pub fn answer(params: &PositionsParams, input: &WalletsInput<'_>) -> PositionsData {
    let (histories, now_ms) = (input.histories, input.now_ms);
    let mut held: Vec<&Position> = input
        .positions
        .iter()
        .filter(|p| p.coin.eq_ignore_ascii_case(&params.coin))
        .filter(|p| p.size.0 != 0 && p.notional_usd >= params.min_notional_usd)
        .collect();
    held.sort_by(|a, b| {
        b.notional_usd
            .cmp(&a.notional_usd)
            .then_with(|| a.wallet.cmp(&b.wallet))
    });
    let mut holding: Vec<&str> = held.iter().map(|p| p.wallet.as_str()).collect();
    holding.sort_unstable();
    holding.dedup();
    let coverage = Coverage {
        wallets_known: holding
            .iter()
            .filter(|w| histories.contains_key(**w))
            .count() as u32,
        wallets_holding: holding.len() as u32,
    };
    held.truncate(usize::from(params.limit));
    let token = held
        .first()
        .map_or_else(|| params.coin.clone(), |p| p.coin.clone());
    let positions: Vec<WalletPosition> = held
        .into_iter()
        .map(|p| {
            let h = histories
                .get(&p.wallet)
                .map(|history| hold(p.size, &p.coin, history, now_ms));
            WalletPosition {
                wallet: p.wallet.clone(),
                side: if p.size.0 > 0 { "long" } else { "short" },
                size: p.size,
                notional_usd: p.notional_usd,
                entry_px: p.entry_px,
                leverage: p.leverage,
                unrealized_pnl_usd: p.unrealized_pnl_usd,
                opened_at: h.and_then(|h| h.opened_at_ms),
                hold_hours: h.map(|h| h.hours()),
                hold_lower_bound: h.is_some_and(|h| h.lower_bound),
            }
        })
        .collect();
    PositionsData {
        token,
        tracked_wallets: input.tracked_wallets.clone(),
        source: input.provenance.source,
        from_memo: input.provenance.from_memo,
        stale: input.provenance.stale,
        age: input.provenance.age,
        note: note(),
        coverage,
        count: positions.len(),
        positions,
        errors: wallet_errors(input.failed_wallets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wallet::{Fill, FillHistory};
    use crate::endpoints::screener::Refresh;
    use crate::upstream::Provenance;
    use std::collections::HashMap;

    fn input<'a>(
        tracked_wallets: &'a TrackedWallets,
        positions: &'a [Position],
        histories: &'a HashMap<String, FillHistory>,
        marks: &'a HashMap<String, Px>,
    ) -> WalletsInput<'a> {
        WalletsInput {
            tracked_wallets,
            positions,
            histories,
            marks,
            failed_wallets: &[],
            provenance: Provenance {
                source: "test",
                from_memo: false,
                stale: false,
                age: None,
            },
            refresh: Refresh::NotAsked,
            now_ms: NOW,
        }
    }

    const H: i64 = 3_600_000;
    const NOW: i64 = 500 * H;

    fn parse(pairs: &[(&str, &str)]) -> Result<PositionsParams, ApiError> {
        PositionsParams::from_query(&Query::new(pairs.iter().copied(), PARAMS)?)
    }

    fn position(wallet: &str, coin: &str, coins: i64, usd: i64) -> Position {
        Position {
            wallet: wallet.into(),
            coin: coin.into(),
            size: Fixed(coins * 100_000_000),
            notional_usd: Fixed(usd * 100),
            entry_px: Fixed(0),
            leverage: 3,
            unrealized_pnl_usd: Fixed(0),
        }
    }

    #[test]
    fn coin_is_required_and_each_bad_value_names_its_parameter() {
        for (pairs, parameter) in [
            (&[][..], "coin"),
            (&[("coin", "B$C")][..], "coin"),
            (&[("coin", "BTC"), ("limit", "201")][..], "limit"),
            (
                &[("coin", "BTC"), ("min_notional_usd", "-5")][..],
                "min_notional_usd",
            ),
            (&[("coin", "BTC"), ("wallet", "0x1")][..], "wallet"),
        ] {
            let e = parse(pairs).unwrap_err();
            assert_eq!(
                (e.status(), e.parameter()),
                (400, Some(parameter)),
                "{pairs:?}"
            );
        }
        let p = parse(&[("coin", "kpepe")]).unwrap();
        assert_eq!((p.coin.as_str(), p.limit), ("KPEPE", 50));
    }

    #[test]
    fn positions_are_largest_notional_first_with_their_holds() {
        let tracked = TrackedWallets {
            rule: "test".into(),
            wallets: vec!["0xa".into(), "0xb".into(), "0xc".into()],
            as_of: NOW,
        };
        let positions = [
            position("0xa", "kPEPE", 1_000_000, 10_000),
            position("0xb", "kPEPE", -3_000_000, 30_000),
            position("0xc", "kPEPE", 500_000, 5_000),
            position("0xa", "BTC", 1, 60_000),
        ];
        let mut histories = HashMap::new();
        histories.insert(
            "0xb".to_string(),
            FillHistory {
                since_ms: NOW - 168 * H,
                fills: vec![Fill {
                    coin: "kPEPE".into(),
                    time_ms: NOW - 12 * H,
                    start_position: Fixed(0),
                    signed_size: Fixed(-3_000_000 * 100_000_000),
                    tid: 1,
                }],
            },
        );
        histories.insert(
            "0xa".to_string(),
            FillHistory {
                since_ms: NOW - 168 * H,
                fills: vec![],
            },
        );
        let p = parse(&[("coin", "KPEPE"), ("min_notional_usd", "6000")]).unwrap();
        let marks = HashMap::new();
        let d = answer(&p, &input(&tracked, &positions, &histories, &marks));
        assert_eq!(d.token, "kPEPE");
        assert_eq!(
            (d.coverage.wallets_known, d.coverage.wallets_holding),
            (2, 2),
            "0xc is under the filter"
        );
        type Row<'a> = (&'a str, &'a str, Option<i64>, Option<Fixed<1>>, bool);
        let rows: Vec<Row<'_>> = d
            .positions
            .iter()
            .map(|w| {
                (
                    w.wallet.as_str(),
                    w.side,
                    w.opened_at,
                    w.hold_hours,
                    w.hold_lower_bound,
                )
            })
            .collect();
        // 0xc (5,000 USD) is under the filter; 0xb opened its short 12 h ago; 0xa's fills since
        // 168 h hold no kPEPE: at least 168 h.
        assert_eq!(
            rows,
            [
                ("0xb", "short", Some(NOW - 12 * H), Some(Fixed(120)), false),
                ("0xa", "long", None, Some(Fixed(1_680)), true),
            ]
        );
        let none = HashMap::new();
        let d = answer(
            &parse(&[("coin", "KPEPE"), ("limit", "1")]).unwrap(),
            &input(&tracked, &positions, &none, &marks),
        );
        assert_eq!(d.positions.len(), 1);
        assert_eq!(
            (d.coverage.wallets_known, d.coverage.wallets_holding),
            (0, 3),
            "coverage counts every holder, not only the rows the limit keeps"
        );
        assert_eq!(
            (d.positions[0].hold_hours, d.positions[0].opened_at),
            (None, None),
            "fills not known yet"
        );
    }
}
