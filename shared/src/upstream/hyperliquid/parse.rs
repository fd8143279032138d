//! Parsing Hyperliquid's info answers: every size, price and USD amount arrives as a JSON string
//! (a number in its place is read the same, [`NumText`]) and is held exactly as a [`Num`];
//! times, `tid` and leverage are JSON numbers. What a status and body mean: [`classify`].

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Decimal, Fixed};
use crate::upstream::wire::{body_error, epoch_millis, signed_amount, NumText};
pub use crate::upstream::wire::{BodyError, Classified};

/// Fills per `userFillsByTime` answer at most: a full page means there may be more.
pub const MAX_FILLS_PER_PAGE: usize = 2_000;

/// A size (coins), price or USD amount, exact to 10⁻⁶: Hyperliquid prints sizes with at most
/// `szDecimals` (≤ 5) decimals and perpetual prices with at most 6, so those are exact; a USD
/// amount printed longer is rounded half away from zero. Up to ±9.2 × 10¹², so no size of a
/// cheap coin or an account's value overflows it.
pub type Num = Fixed<6>;

/// `text` as a [`Num`]; `field` names it in the error.
pub fn num(field: &str, text: &str) -> Result<Num, BodyError> {
    signed_amount::<6>(text).ok_or_else(|| BodyError(format!("{field} {text:?} is not a decimal")))
}

fn num_of(field: &str, t: &NumText<'_>) -> Result<Num, BodyError> {
    num(field, &t.0)
}

fn opt_num(field: &str, t: &Option<NumText<'_>>) -> Result<Option<Num>, BodyError> {
    t.as_ref().map(|t| num_of(field, t)).transpose()
}

/// What `status` and `body` mean. Hyperliquid's errors carry no code: a 429 (body `null`) is its
/// rate limit; a 422 (text) means it could not read our request body, which is our bug and will
/// not get better on a retry; a 500 with body `null` is its answer to an unknown coin, not
/// transient; any other 5xx is worth a retry.
pub fn classify(status: u16, body: &[u8]) -> Classified {
    match status {
        200..=299 => Classified::Ok,
        429 => Classified::RateLimited,
        422 => Classified::BadRequest(format!(
            "Hyperliquid could not read our request body (a bug on our side): {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
        500 if body.trim_ascii() == b"null" => Classified::BadRequest(
            "Hyperliquid answered 500 null (what it answers for an unknown coin)".into(),
        ),
        500..=599 => Classified::ServerError,
        _ => Classified::BadRequest(format!(
            "Hyperliquid answered HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
    }
}

/// Cross or isolated margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginMode {
    Cross,
    Isolated,
}

/// One open perpetual position (`clearinghouseState`'s `assetPositions[].position`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub coin: String,
    /// Signed size in coins: positive long, negative short.
    pub szi: Num,
    pub entry_px: Num,
    /// Absolute notional in USD at the mark price.
    pub position_value: Num,
    pub unrealized_pnl: Num,
    pub margin_mode: MarginMode,
    pub leverage: u32,
    /// `None` where Hyperliquid sends `null` (no liquidation price).
    pub liquidation_px: Option<Num>,
    pub margin_used: Num,
}

/// One wallet's perpetual positions now (`clearinghouseState`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearinghouseState {
    /// `marginSummary.accountValue` (USD).
    pub account_value: Num,
    /// `marginSummary.totalNtlPos` (USD).
    pub total_notional: Num,
    pub total_margin_used: Num,
    /// Hyperliquid's time of the state (epoch ms).
    pub time: i64,
    /// Positions with a non-zero size, in the order served.
    pub positions: Vec<Position>,
}

#[derive(Deserialize)]
struct WireState<'a> {
    #[serde(rename = "marginSummary", borrow)]
    margin_summary: WireSummary<'a>,
    #[serde(rename = "assetPositions", borrow)]
    asset_positions: Vec<WireAssetPosition<'a>>,
    time: NumText<'a>,
}

#[derive(Deserialize)]
struct WireSummary<'a> {
    #[serde(rename = "accountValue", borrow)]
    account_value: NumText<'a>,
    #[serde(rename = "totalNtlPos", borrow)]
    total_ntl_pos: NumText<'a>,
    #[serde(rename = "totalMarginUsed", borrow)]
    total_margin_used: NumText<'a>,
}

#[derive(Deserialize)]
struct WireAssetPosition<'a> {
    #[serde(borrow)]
    position: WirePosition<'a>,
}

#[derive(Deserialize)]
struct WirePosition<'a> {
    #[serde(borrow)]
    coin: Cow<'a, str>,
    #[serde(borrow)]
    szi: NumText<'a>,
    #[serde(rename = "entryPx", borrow)]
    entry_px: NumText<'a>,
    #[serde(rename = "positionValue", borrow)]
    position_value: NumText<'a>,
    #[serde(rename = "unrealizedPnl", borrow)]
    unrealized_pnl: NumText<'a>,
    leverage: WireLeverage<'a>,
    #[serde(rename = "liquidationPx", borrow, default)]
    liquidation_px: Option<NumText<'a>>,
    #[serde(rename = "marginUsed", borrow)]
    margin_used: NumText<'a>,
}

#[derive(Deserialize)]
struct WireLeverage<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    value: u32,
}

/// Parses a `clearinghouseState` answer. An address with nothing is zero summaries and no
/// positions; a position of size zero, should one be served, is left out.
pub fn parse_clearinghouse_state(body: &[u8]) -> Result<ClearinghouseState, BodyError> {
    let wire: WireState<'_> = serde_json::from_slice(body)
        .map_err(|e| body_error(&e, "not a clearinghouseState answer"))?;
    let s = &wire.margin_summary;
    let mut positions = Vec::with_capacity(wire.asset_positions.len());
    for p in &wire.asset_positions {
        let p = &p.position;
        let margin_mode = match p.leverage.kind.as_ref() {
            "cross" => MarginMode::Cross,
            "isolated" => MarginMode::Isolated,
            other => return Err(BodyError(format!("leverage type {other:?}"))),
        };
        let position = Position {
            coin: p.coin.to_string(),
            szi: num_of("szi", &p.szi)?,
            entry_px: num_of("entryPx", &p.entry_px)?,
            position_value: num_of("positionValue", &p.position_value)?,
            unrealized_pnl: num_of("unrealizedPnl", &p.unrealized_pnl)?,
            margin_mode,
            leverage: p.leverage.value,
            liquidation_px: opt_num("liquidationPx", &p.liquidation_px)?,
            margin_used: num_of("marginUsed", &p.margin_used)?,
        };
        if position.szi.0 != 0 {
            positions.push(position);
        }
    }
    Ok(ClearinghouseState {
        account_value: num_of("accountValue", &s.account_value)?,
        total_notional: num_of("totalNtlPos", &s.total_ntl_pos)?,
        total_margin_used: num_of("totalMarginUsed", &s.total_margin_used)?,
        time: epoch_millis(&wire.time)?,
        positions,
    })
}

/// Buy (`B`: adds `sz` to the signed size) or sell (`A`: subtracts it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

/// One fill (`userFillsByTime`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    /// A perpetual's name (`BTC`), or a spot pair (`@107`, `PURR/USDC`).
    pub coin: String,
    pub px: Num,
    pub sz: Num,
    pub side: Side,
    /// Epoch ms.
    pub time: i64,
    /// The signed size before this fill.
    pub start_position: Num,
    /// `Open Long`, `Close Short`, `Long > Short`, `Liquidated …`, `Buy` (spot), … as served.
    pub dir: String,
    pub closed_pnl: Num,
    /// Unique per fill: what pages are de-duplicated on.
    pub tid: u64,
}

impl Fill {
    /// `sz` signed by the side: what the fill adds to the position.
    pub fn signed_sz(&self) -> Num {
        match self.side {
            Side::Buy => self.sz,
            Side::Sell => -self.sz,
        }
    }

    /// The signed size after this fill (`startPosition + signed sz`): the next fill of the coin
    /// starts there unless the chain is broken (a missing TWAP slice).
    pub fn end_position(&self) -> Num {
        Fixed(self.start_position.0 + self.signed_sz().0)
    }

    /// A perpetual's fill: not spot (`@107`, `PURR/USDC`, `dir` `Buy`/`Sell`).
    pub fn is_perpetual(&self) -> bool {
        !self.coin.starts_with('@')
            && !self.coin.contains('/')
            && !matches!(self.dir.as_str(), "Buy" | "Sell")
    }

    /// A liquidation or auto-deleveraging fill.
    pub fn is_liquidation(&self) -> bool {
        self.dir.starts_with("Liquidated") || self.dir == "Auto-Deleveraging"
    }
}

#[derive(Deserialize)]
struct WireFill<'a> {
    #[serde(borrow)]
    coin: Cow<'a, str>,
    #[serde(borrow)]
    px: NumText<'a>,
    #[serde(borrow)]
    sz: NumText<'a>,
    #[serde(borrow)]
    side: Cow<'a, str>,
    #[serde(borrow)]
    time: NumText<'a>,
    #[serde(rename = "startPosition", borrow)]
    start_position: NumText<'a>,
    #[serde(borrow)]
    dir: Cow<'a, str>,
    #[serde(rename = "closedPnl", borrow)]
    closed_pnl: NumText<'a>,
    tid: u64,
}

/// Parses one `userFillsByTime` answer, in the order served (the caller sorts: the order is
/// unconfirmed upstream).
pub fn parse_fills(body: &[u8]) -> Result<Vec<Fill>, BodyError> {
    let wire: Vec<WireFill<'_>> =
        serde_json::from_slice(body).map_err(|e| body_error(&e, "not a list of fills"))?;
    wire.iter()
        .map(|f| {
            Ok(Fill {
                coin: f.coin.to_string(),
                px: num_of("px", &f.px)?,
                sz: num_of("sz", &f.sz)?,
                side: match f.side.as_ref() {
                    "B" => Side::Buy,
                    "A" => Side::Sell,
                    other => return Err(BodyError(format!("side {other:?}"))),
                },
                time: epoch_millis(&f.time)?,
                start_position: num_of("startPosition", &f.start_position)?,
                dir: f.dir.to_string(),
                closed_pnl: num_of("closedPnl", &f.closed_pnl)?,
                tid: f.tid,
            })
        })
        .collect()
}

/// One perpetual and its market state (`metaAndAssetCtxs`: `universe[i]` with `ctxs[i]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetCtx {
    pub coin: String,
    pub sz_decimals: u32,
    pub max_leverage: u32,
    pub is_delisted: bool,
    pub mark_px: Num,
    /// `None` where Hyperliquid sends `null` (no book, e.g. delisted).
    pub mid_px: Option<Num>,
    pub oracle_px: Num,
    /// In coins (× `mark_px` for USD).
    pub open_interest: Num,
    /// The hourly funding rate.
    pub funding: Decimal,
    /// USD notional traded over the last day.
    pub day_ntl_vlm: Num,
    pub prev_day_px: Num,
}

#[derive(Deserialize)]
struct WireMeta<'a> {
    #[serde(borrow)]
    universe: Vec<WireUniverse<'a>>,
}

#[derive(Deserialize)]
struct WireUniverse<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(rename = "szDecimals")]
    sz_decimals: u32,
    #[serde(rename = "maxLeverage")]
    max_leverage: u32,
    #[serde(rename = "isDelisted", default)]
    is_delisted: bool,
}

#[derive(Deserialize)]
struct WireCtx<'a> {
    #[serde(rename = "markPx", borrow)]
    mark_px: NumText<'a>,
    #[serde(rename = "midPx", borrow, default)]
    mid_px: Option<NumText<'a>>,
    #[serde(rename = "oraclePx", borrow)]
    oracle_px: NumText<'a>,
    #[serde(rename = "openInterest", borrow)]
    open_interest: NumText<'a>,
    #[serde(borrow)]
    funding: NumText<'a>,
    #[serde(rename = "dayNtlVlm", borrow)]
    day_ntl_vlm: NumText<'a>,
    #[serde(rename = "prevDayPx", borrow)]
    prev_day_px: NumText<'a>,
}

/// Parses a `metaAndAssetCtxs` answer `[meta, ctxs]`, matched by index (a different count is an
/// error), in the universe's order.
pub fn parse_asset_ctxs(body: &[u8]) -> Result<Vec<AssetCtx>, BodyError> {
    let (meta, ctxs): (WireMeta<'_>, Vec<WireCtx<'_>>) = serde_json::from_slice(body)
        .map_err(|e| body_error(&e, "not a [meta, asset contexts] pair"))?;
    if meta.universe.len() != ctxs.len() {
        return Err(BodyError(format!(
            "{} perpetuals but {} asset contexts",
            meta.universe.len(),
            ctxs.len()
        )));
    }
    meta.universe
        .iter()
        .zip(&ctxs)
        .map(|(u, c)| {
            Ok(AssetCtx {
                coin: u.name.to_string(),
                sz_decimals: u.sz_decimals,
                max_leverage: u.max_leverage,
                is_delisted: u.is_delisted,
                mark_px: num_of("markPx", &c.mark_px)?,
                mid_px: opt_num("midPx", &c.mid_px)?,
                oracle_px: num_of("oraclePx", &c.oracle_px)?,
                open_interest: num_of("openInterest", &c.open_interest)?,
                funding: Decimal::parse(&c.funding.0)
                    .map_err(|e| BodyError(format!("funding: {e}")))?,
                day_ntl_vlm: num_of("dayNtlVlm", &c.day_ntl_vlm)?,
                prev_day_px: num_of("prevDayPx", &c.prev_day_px)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
