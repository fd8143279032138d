//! Hyperliquid's deterministic data: the perpetuals and their marks, the fixture wallets (each
//! exercising a rule of `/v1/wallets`), their fills and the positions those fills add up to, and
//! the leaderboard. Everything is exact integer arithmetic (sizes and prices in 10⁻⁶), printed as
//! Hyperliquid prints numbers: decimal strings, trailing zeros trimmed but one decimal kept
//! (`"26951.0"`, `"0.0"`).
//!
//! Times are offsets before the **anchor**, the stand-in's clock floored to the minute
//! ([`anchor`]), so that positions and fills agree for a minute on the system clock and are
//! fixed on [`crate::DEMO_NOW_MS`].

use std::collections::BTreeMap;

use crate::data::{DAY_MS, HOUR_MS, MINUTE_MS};

/// 10⁻⁶: sizes and prices are held in millionths.
const UNIT: i128 = 1_000_000;

/// The HLP vault: on the leaderboard with a huge month pnl, excluded by default.
pub const HLP_VAULT: &str = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303";

/// Rows generated after the fixtures for the benchmark's leaderboard: about 40 MB in all (about
/// 590 bytes a row: more rows than the live one's 47,000 in 40 MB, so more to parse).
pub const BENCH_LEADERBOARD_ROWS: u32 = 68_000;

/// The anchor of every fill time at clock `now_ms`: the minute it is in.
pub fn anchor(now_ms: i64) -> i64 {
    now_ms.div_euclid(MINUTE_MS) * MINUTE_MS
}

/// One perpetual of `metaAndAssetCtxs`, with its market state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    pub name: &'static str,
    pub sz_decimals: u32,
    pub max_leverage: u32,
    pub is_delisted: bool,
    pub mark_px: &'static str,
    pub mid_px: Option<&'static str>,
    pub oracle_px: &'static str,
    /// In coins.
    pub open_interest: &'static str,
    pub funding: &'static str,
    pub premium: &'static str,
    pub day_ntl_vlm: &'static str,
    pub day_base_vlm: &'static str,
    pub prev_day_px: &'static str,
}

const fn asset(
    name: &'static str,
    sz_decimals: u32,
    max_leverage: u32,
    mark_px: &'static str,
    open_interest: &'static str,
    funding: &'static str,
) -> Asset {
    Asset {
        name,
        sz_decimals,
        max_leverage,
        is_delisted: false,
        mark_px,
        mid_px: Some(mark_px),
        oracle_px: mark_px,
        open_interest,
        funding,
        premium: "0.0001234",
        day_ntl_vlm: "1234567890.12",
        day_base_vlm: "98765.4321",
        prev_day_px: mark_px,
    }
}

/// The universe, in `metaAndAssetCtxs` order (the contexts match by index). FTT is delisted
/// (no mid price, no impact prices).
pub const ASSETS: [Asset; 7] = [
    asset("BTC", 5, 40, "65000.0", "31234.56789", "0.0000125"),
    asset("ETH", 4, 25, "3200.5", "612345.6789", "0.00001"),
    asset("SOL", 2, 20, "150.25", "2345678.91", "-0.0000042"),
    asset("DOGE", 0, 10, "0.16234", "987654321.0", "0.0000125"),
    asset("kPEPE", 0, 10, "0.011234", "12345678901.0", "0.00003"),
    asset("HYPE", 2, 10, "40.125", "34567890.12", "0.0000078"),
    Asset {
        is_delisted: true,
        mid_px: None,
        ..asset("FTT", 1, 3, "1.2345", "0.0", "0.0")
    },
];

/// The perpetual named `coin` (`None`: not listed, such as a spot pair `@107`).
pub fn asset_named(coin: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == coin)
}

/// `coin`'s mark price as served (`None`: not a listed perpetual).
pub fn mark(coin: &str) -> Option<&'static str> {
    asset_named(coin).map(|a| a.mark_px)
}

/// Buy (`B`, adds to the signed size) or sell (`A`, subtracts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    B,
    A,
}

/// What a trade is beside an ordinary fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Fill,
    /// A liquidation: `dir` "Liquidated Cross Long/Short", with a `liquidation` object.
    Liquidation,
    /// A TWAP slice the API does not return: it moves the position but is never served, so the
    /// next served fill's `startPosition` breaks the chain.
    HiddenTwap,
    /// A spot fill (coin `@107`, `dir` "Buy"/"Sell"): not a perpetual.
    Spot,
}

/// One trade of a wallet's history: `ago_ms` before the anchor; size and price in 10⁻⁶.
#[derive(Debug, Clone, Copy)]
pub(super) struct Trade {
    pub(super) coin: &'static str,
    pub(super) ago_ms: i64,
    pub(super) side: Side,
    pub(super) sz: i128,
    pub(super) px: i128,
    pub(super) kind: Kind,
}

/// A size or price in millionths from its decimal text (exact: fixtures only).
pub(crate) fn units(text: &str) -> i128 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let negative = whole.starts_with('-');
    let whole: i128 = whole.trim_start_matches('-').parse().unwrap_or(0);
    let mut f = frac.to_string();
    f.truncate(6);
    while f.len() < 6 {
        f.push('0');
    }
    let v = whole * UNIT + f.parse::<i128>().unwrap_or(0);
    if negative {
        -v
    } else {
        v
    }
}

fn trade(coin: &'static str, ago_ms: i64, side: Side, sz: &str, px: &str) -> Trade {
    Trade {
        coin,
        ago_ms,
        side,
        sz: units(sz),
        px: units(px),
        kind: Kind::Fill,
    }
}

fn liquidation(coin: &'static str, ago_ms: i64, side: Side, sz: &str, px: &str) -> Trade {
    Trade {
        kind: Kind::Liquidation,
        ..trade(coin, ago_ms, side, sz, px)
    }
}

fn hidden_twap(coin: &'static str, ago_ms: i64, side: Side, sz: &str, px: &str) -> Trade {
    Trade {
        kind: Kind::HiddenTwap,
        ..trade(coin, ago_ms, side, sz, px)
    }
}

fn spot(coin: &'static str, ago_ms: i64, side: Side, sz: &str, px: &str) -> Trade {
    Trade {
        kind: Kind::Spot,
        ..trade(coin, ago_ms, side, sz, px)
    }
}

/// How a wallet's positions are margined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Margin {
    Cross(u32),
    Isolated(u32),
}

/// One fixture wallet: its leaderboard figures, its trades, and what rule of `/v1/wallets` it
/// exercises.
#[derive(Debug, Clone, Copy)]
pub struct Wallet {
    pub address: &'static str,
    pub label: &'static str,
    /// What it exercises, in words.
    pub exercises: &'static str,
    pub account_value: &'static str,
    /// Leaderboard pnl per window: day, week, month, allTime.
    pub pnl: [&'static str; 4],
    pub display_name: Option<&'static str>,
    /// Signed sizes held before its oldest fill (the opening is older than any fill), with the
    /// entry price: `(coin, size, entry)`.
    priors: &'static [(&'static str, &'static str, &'static str)],
    trades: fn() -> Vec<Trade>,
    margin: fn(&str) -> Margin,
}

const H: i64 = HOUR_MS;
const D: i64 = DAY_MS;
use Side::{A, B};

fn cross10(_: &str) -> Margin {
    Margin::Cross(10)
}

/// Fills of the busy wallet: more than one page (2,600 kPEPE fills over 5.7 days), every pair
/// after the first sharing a millisecond, so that a page boundary (fills 2,000 and 2,001 from
/// the oldest) falls inside one millisecond.
pub const BUSY_FILLS: usize = 2_600;
/// The busy wallet's fills are this far apart (per pair).
const BUSY_STEP_MS: i64 = 380_000;

fn busy_trades() -> Vec<Trade> {
    let first_ago = (BUSY_FILLS as i64 / 2) * BUSY_STEP_MS + 7 * MINUTE_MS;
    (0..BUSY_FILLS)
        .map(|i| {
            let ago = first_ago - ((i as i64 + 1) / 2) * BUSY_STEP_MS;
            // Buys of 1,500 and sells of 1,000 in turn: long from the first fill on.
            let (side, sz) = if i % 2 == 0 { (B, "1500") } else { (A, "1000") };
            let px = format!("0.0{}", 10_000 + (i as i64 * 37) % 2_000);
            trade("kPEPE", ago, side, sz, &px)
        })
        .collect()
}

/// The fixture wallets, in no particular order (the leaderboard ranks them).
pub const WALLETS: [Wallet; 16] = [
    Wallet {
        address: "0x1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b2c3",
        label: "whale",
        exercises:
            "an opening inside 7 days (BTC, two buys 3 h and 2 h ago); an opening beyond 7 days \
                    (ETH short opened 10 days ago) with a partial close 2 days ago",
        account_value: "2500000.0",
        pnl: ["12000.5", "80000.25", "450000.5", "3100000.0"],
        display_name: Some("whale"),
        priors: &[],
        trades: || {
            vec![
                trade("ETH", 10 * D, A, "20", "3400.0"),
                trade("ETH", 9 * D, A, "10", "3300.0"),
                trade("ETH", 2 * D, B, "12", "3100.0"),
                trade("BTC", 3 * H, B, "0.5", "64000.0"),
                trade("BTC", 2 * H, B, "0.25", "64600.0"),
            ]
        },
        margin: cross10,
    },
    Wallet {
        address: "0x2b3c4d5e6f708192a3b4c5d6e7f80910a1b2c3d4",
        label: "flipper",
        exercises: "flips through zero: SOL Long > Short 20 h ago then added to, BTC Short > Long \
                    30 minutes ago (the opening is the flip)",
        account_value: "850000.0",
        pnl: ["-1500.0", "20000.0", "210000.0", "640000.0"],
        display_name: None,
        priors: &[],
        trades: || {
            vec![
                trade("SOL", 5 * D, B, "400", "140.0"),
                trade("BTC", 3 * D, A, "0.3", "66000.0"),
                trade("SOL", 20 * H, A, "1000", "160.0"),
                trade("SOL", 2 * H, A, "200", "155.0"),
                trade("BTC", 30 * MINUTE_MS, B, "0.5", "65500.0"),
            ]
        },
        margin: cross10,
    },
    Wallet {
        address: "0x3c4d5e6f708192a3b4c5d6e7f80910a1b2c3d4e5",
        label: "liquidated",
        exercises: "a liquidation fill (HYPE long liquidated 1 day ago, reopened 6 h ago: the \
                    opening is the reopening); a DOGE short opened 8 days ago",
        account_value: "640000.0",
        pnl: ["3000.0", "-25000.0", "95000.0", "400000.0"],
        display_name: Some("liq"),
        priors: &[],
        trades: || {
            vec![
                trade("DOGE", 8 * D, A, "100000", "0.17"),
                trade("HYPE", 4 * D, B, "5000", "45.0"),
                liquidation("HYPE", D, A, "5000", "38.5"),
                trade("HYPE", 6 * H, B, "2000", "39.0"),
            ]
        },
        margin: cross10,
    },
    Wallet {
        address: "0x4d5e6f708192a3b4c5d6e7f80910a1b2c3d4e5f6",
        label: "busy",
        exercises:
            "more fills than one page (2,600 kPEPE fills in 5.7 days; a page boundary inside \
                    one millisecond); the opening is its oldest fill",
        account_value: "1200000.0",
        pnl: ["500.0", "9000.0", "150000.0", "900000.0"],
        display_name: Some("mm"),
        priors: &[],
        trades: busy_trades,
        margin: cross10,
    },
    Wallet {
        address: "0x5e6f708192a3b4c5d6e7f80910a1b2c3d4e5f607",
        label: "old_holder",
        exercises: "an opening older than every fill: its oldest BTC fill (20 days ago) starts at \
                    2.0, so the fills never reach the opening (a lower bound)",
        account_value: "3000000.0",
        pnl: ["100.0", "1000.0", "60000.0", "1500000.0"],
        display_name: None,
        priors: &[("BTC", "2.0", "50000.0")],
        trades: || {
            vec![
                trade("BTC", 20 * D, B, "1.0", "60000.0"),
                trade("BTC", 12 * H, A, "0.5", "66000.0"),
            ]
        },
        margin: cross10,
    },
    Wallet {
        address: "0x6f708192a3b4c5d6e7f80910a1b2c3d4e5f60718",
        label: "twap_gap",
        exercises: "a chain break: a TWAP slice 4 days ago is missing from the fills, so the ETH \
                    fill 3 days ago starts at 3.0 where the fills add up to 1.0",
        account_value: "400000.0",
        pnl: ["0.0", "5000.0", "40000.0", "120000.0"],
        display_name: Some("twap"),
        priors: &[],
        trades: || {
            vec![
                trade("ETH", 5 * D, B, "1.0", "3000.0"),
                hidden_twap("ETH", 4 * D, B, "2.0", "3050.0"),
                trade("ETH", 3 * D, B, "0.5", "3150.0"),
            ]
        },
        margin: cross10,
    },
    Wallet {
        address: "0x708192a3b4c5d6e7f80910a1b2c3d4e5f6071829",
        label: "isolated_and_spot",
        exercises: "an isolated SOL short (rawUsd, a liquidation price) and a spot fill (@107, \
                    dir Buy) that is not a perpetual",
        account_value: "250000.0",
        pnl: ["10.0", "200.0", "30000.0", "50000.0"],
        display_name: None,
        priors: &[],
        trades: || {
            vec![
                trade("SOL", H, A, "300", "152.0"),
                spot("@107", 30 * MINUTE_MS, B, "100", "1.5"),
                trade("ETH", 50 * H, B, "2", "3150.0"),
            ]
        },
        margin: |coin| {
            if coin == "SOL" {
                Margin::Isolated(5)
            } else {
                Margin::Cross(10)
            }
        },
    },
    Wallet {
        address: "0x8192a3b4c5d6e7f80910a1b2c3d4e5f607182930",
        label: "small",
        exercises: "fails the cohort rule: account value 99,999.99 < 100,000",
        account_value: "99999.99",
        pnl: ["10.0", "100.0", "900000.0", "950000.0"],
        display_name: None,
        priors: &[],
        trades: || vec![trade("BTC", D, B, "0.1", "63000.0")],
        margin: cross10,
    },
    Wallet {
        address: "0x92a3b4c5d6e7f80910a1b2c3d4e5f60718293041",
        label: "all_time_loser",
        exercises: "fails the cohort rule: allTime pnl -20,000 ≤ 0 (month pnl positive)",
        account_value: "500000.0",
        pnl: ["10.0", "100.0", "800000.0", "-20000.0"],
        display_name: None,
        priors: &[],
        trades: || vec![trade("ETH", 2 * D, B, "5", "3100.0")],
        margin: cross10,
    },
    Wallet {
        address: "0xa3b4c5d6e7f80910a1b2c3d4e5f6071829304152",
        label: "month_loser",
        exercises: "fails the cohort rule: month pnl -5,000 ≤ 0 (allTime positive)",
        account_value: "500000.0",
        pnl: ["10.0", "100.0", "-5000.0", "700000.0"],
        display_name: None,
        priors: &[],
        trades: || vec![trade("SOL", 3 * D, A, "100", "151.0")],
        margin: cross10,
    },
    Wallet {
        address: "0xb4c5d6e7f80910a1b2c3d4e5f60718293041526a",
        label: "month_zero",
        exercises: "fails the cohort rule at its edge: month pnl exactly 0.0",
        account_value: "500000.0",
        pnl: ["0.0", "0.0", "0.0", "700000.0"],
        display_name: None,
        priors: &[],
        trades: || vec![trade("HYPE", 3 * D, B, "100", "41.0")],
        margin: cross10,
    },
    Wallet {
        address: "0xc5d6e7f80910a1b2c3d4e5f60718293041526a7b",
        label: "at_the_minimum",
        exercises: "passes the cohort rule at its edge: account value exactly 100,000.0",
        account_value: "100000.0",
        pnl: ["1.0", "2.0", "3.0", "4.0"],
        display_name: None,
        priors: &[],
        trades: || vec![trade("DOGE", 4 * D, B, "50000", "0.15")],
        margin: cross10,
    },
    Wallet {
        address: "0xd6e7f80910a1b2c3d4e5f60718293041526a7b8c",
        label: "tie_b",
        exercises: "ties on month pnl (120,000.0) with tie_a: ranked after it (address ascending)",
        account_value: "700000.0",
        pnl: ["1.0", "2.0", "120000.0", "130000.0"],
        display_name: Some("tie b"),
        priors: &[],
        trades: || vec![trade("BTC", 5 * H, A, "1.5", "65500.0")],
        margin: cross10,
    },
    Wallet {
        address: "0xd6e7f80910a1b2c3d4e5f60718293041526a7b8b",
        label: "tie_a",
        exercises: "ties on month pnl (120,000.0) with tie_b: ranked before it (address ascending)",
        account_value: "700000.0",
        pnl: ["1.0", "2.0", "120000.0", "130000.0"],
        display_name: Some("tie a"),
        priors: &[],
        trades: || vec![trade("ETH", 7 * H, B, "10", "3180.0")],
        margin: cross10,
    },
    Wallet {
        address: "0xe7f80910a1b2c3d4e5f60718293041526a7b8c9d",
        label: "flat",
        exercises: "in the cohort with nothing: zero positions and no fills",
        account_value: "180000.0",
        pnl: ["0.0", "0.0", "20000.0", "60000.0"],
        display_name: None,
        priors: &[],
        trades: Vec::new,
        margin: cross10,
    },
    Wallet {
        address: HLP_VAULT,
        label: "hlp_vault",
        exercises: "the HLP vault: the largest month pnl on the leaderboard, excluded by default",
        account_value: "350000000.0",
        pnl: ["250000.0", "4000000.0", "25000000.0", "90000000.0"],
        display_name: Some("HLP"),
        priors: &[("BTC", "-120.0", "64000.0")],
        trades: Vec::new,
        margin: cross10,
    },
];

/// The fixture wallet at `address` (lower-cased).
pub fn wallet(address: &str) -> Option<&'static Wallet> {
    let address = address.to_ascii_lowercase();
    WALLETS.iter().find(|w| w.address == address)
}

/// One fill as served (every number as Hyperliquid writes it), and what the wallet's fills of
/// that coin add up to after it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFill {
    pub coin: &'static str,
    pub px: String,
    pub sz: String,
    /// `"B"` or `"A"`.
    pub side: &'static str,
    pub time: i64,
    /// The signed size before the fill (for a spot fill: the coin's balance before it).
    pub start_position: String,
    pub dir: String,
    pub closed_pnl: String,
    pub hash: String,
    pub oid: u64,
    pub tid: u64,
    pub crossed: bool,
    pub fee: String,
    /// `Some(id)` for a TWAP slice (none is served: they are the missing ones).
    pub twap_id: Option<u64>,
    /// A liquidation fill (it carries a `liquidation` object).
    pub liquidation: bool,
}

impl RawFill {
    /// The fill as `userFillsByTime` serves it.
    pub fn json(&self, user: &str) -> serde_json::Value {
        let mut v = serde_json::json!({
            "coin": self.coin,
            "px": self.px,
            "sz": self.sz,
            "side": self.side,
            "time": self.time,
            "startPosition": self.start_position,
            "dir": self.dir,
            "closedPnl": self.closed_pnl,
            "hash": self.hash,
            "oid": self.oid,
            "crossed": self.crossed,
            "fee": self.fee,
            "tid": self.tid,
            "feeToken": "USDC",
            "twapId": self.twap_id,
        });
        if self.liquidation {
            v["liquidation"] = serde_json::json!({
                "liquidatedUser": user,
                "markPx": self.px,
                "method": "market",
            });
        }
        v
    }
}

/// One open position as `clearinghouseState` serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPosition {
    pub coin: &'static str,
    pub szi: String,
    pub entry_px: String,
    pub position_value: String,
    pub unrealized_pnl: String,
    pub return_on_equity: String,
    pub liquidation_px: Option<String>,
    pub margin: Margin,
    pub margin_used: String,
    pub max_leverage: u32,
    /// Margin used in 10⁻¹² (for the summaries).
    margin_units: i128,
    value_units: i128,
    szi_units: i128,
}

/// Hyperliquid's print of `units` × 10^-`places`: trailing zeros trimmed, one decimal kept.
pub fn dec(units: i128, places: u32) -> String {
    let scale = 10_i128.pow(places);
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    let whole = abs / scale as u128;
    let mut frac = format!("{:0width$}", abs % scale as u128, width = places as usize);
    while frac.len() > 1 && frac.ends_with('0') {
        frac.pop();
    }
    if frac.is_empty() {
        frac.push('0');
    }
    format!("{sign}{whole}.{frac}")
}

/// `n / d` rounded half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

/// Per coin: signed size and entry price, in 10⁻⁶.
#[derive(Default, Clone, Copy)]
pub(super) struct Book {
    pub(super) size: i128,
    pub(super) entry: i128,
}

/// What a wallet's fills and positions are made from: its holdings before its oldest trade,
/// its trades, and where its trade ids start.
pub(super) struct History {
    /// Per coin: signed size and entry price held before the oldest trade.
    pub(super) priors: Vec<(&'static str, Book)>,
    pub(super) trades: Vec<Trade>,
    /// The `tid` of its oldest trade; the others follow one by one.
    pub(super) first_tid: u64,
}

/// The fixture wallet's history.
fn history(w: &Wallet) -> History {
    let seed = u64::from_str_radix(&w.address[2..14], 16).unwrap_or(0) % 1_000_000;
    History {
        priors: w
            .priors
            .iter()
            .map(|(coin, size, entry)| {
                let book = Book {
                    size: units(size),
                    entry: units(entry),
                };
                (*coin, book)
            })
            .collect(),
        trades: (w.trades)(),
        first_tid: 100_000_000_000_000 + seed * 10_000,
    }
}

/// The wallet's history replayed: the served fills oldest first, and the final book per coin.
pub(super) fn replay(h: History, anchor_ms: i64) -> (Vec<RawFill>, BTreeMap<&'static str, Book>) {
    let mut books: BTreeMap<&'static str, Book> = h.priors.into_iter().collect();
    let mut spot_balance: BTreeMap<&'static str, i128> = BTreeMap::new();
    let mut trades = h.trades;
    // Oldest first; the listed order within one millisecond.
    trades.sort_by_key(|t| std::cmp::Reverse(t.ago_ms));
    let mut fills = Vec::with_capacity(trades.len());
    for (i, t) in trades.iter().enumerate() {
        let signed = if t.side == Side::B { t.sz } else { -t.sz };
        let tid = h.first_tid + i as u64;
        let notional = t.sz * t.px; // 10⁻¹²
        let fee = div_round(notional * 35, 100_000 * UNIT); // 3.5 bp, in 10⁻⁶
        if t.kind == Kind::Spot {
            let balance = spot_balance.entry(t.coin).or_default();
            fills.push(RawFill {
                coin: t.coin,
                px: dec(t.px, 6),
                sz: dec(t.sz, 6),
                side: if t.side == Side::B { "B" } else { "A" },
                time: anchor_ms - t.ago_ms,
                start_position: dec(*balance, 6),
                dir: if t.side == Side::B { "Buy" } else { "Sell" }.into(),
                closed_pnl: "0.0".into(),
                hash: format!("0x{:064x}", u128::from(tid) * 0x9e37_79b9),
                oid: tid - 10_000_000_000_000,
                tid,
                crossed: true,
                fee: dec(fee, 6),
                twap_id: None,
                liquidation: false,
            });
            *balance += signed;
            continue;
        }
        let book = books.entry(t.coin).or_default();
        let start = book.size;
        let end = start + signed;
        let adds = start == 0 || start.signum() == signed.signum();
        let crosses = !adds && end != 0 && end.signum() != start.signum();
        let long_short = |size: i128| if size > 0 { "Long" } else { "Short" };
        let dir = match t.kind {
            Kind::Liquidation => format!("Liquidated Cross {}", long_short(start)),
            _ if adds => format!("Open {}", long_short(signed)),
            _ if crosses => {
                if start > 0 {
                    "Long > Short".into()
                } else {
                    "Short > Long".into()
                }
            }
            _ => format!("Close {}", long_short(start)),
        };
        let closed = if adds { 0 } else { start.abs().min(t.sz) };
        // (px − entry) × closed, signed by the side closed; 10⁻¹² → 10⁻⁶.
        let closed_pnl = div_round(start.signum() * (t.px - book.entry) * closed, UNIT);
        book.entry = if adds {
            div_round(book.entry * start.abs() + t.px * t.sz, end.abs())
        } else if crosses {
            t.px
        } else if end == 0 {
            0
        } else {
            book.entry
        };
        book.size = end;
        if t.kind == Kind::HiddenTwap {
            continue;
        }
        fills.push(RawFill {
            coin: t.coin,
            px: dec(t.px, 6),
            sz: dec(t.sz, 6),
            side: if t.side == Side::B { "B" } else { "A" },
            time: anchor_ms - t.ago_ms,
            start_position: dec(start, 6),
            dir,
            closed_pnl: dec(closed_pnl, 6),
            hash: format!("0x{:064x}", u128::from(tid) * 0x9e37_79b9),
            oid: tid - 10_000_000_000_000,
            tid,
            crossed: i % 3 != 0,
            fee: dec(fee, 6),
            twap_id: None,
            liquidation: t.kind == Kind::Liquidation,
        });
    }
    (fills, books)
}

/// Every fill the stand-in serves for `address` at clock `now_ms`, oldest first (the order
/// within one millisecond is the order they happened in). Empty for an unknown address. A
/// missing TWAP slice is not among them.
pub fn fills(address: &str, now_ms: i64) -> Vec<RawFill> {
    wallet(address).map_or_else(Vec::new, |w| replay(history(w), anchor(now_ms)).0)
}

/// The positions the stand-in serves for `address` at clock `now_ms` (coin order), consistent
/// with its fills: each `szi` is its coin's last served fill's startPosition + its signed size
/// (but where a hidden TWAP slice came after it, which never happens in the fixtures).
pub fn positions(address: &str, now_ms: i64) -> Vec<RawPosition> {
    let Some(w) = wallet(address) else {
        return Vec::new();
    };
    let (_, books) = replay(history(w), anchor(now_ms));
    positions_of(books, w.margin)
}

/// The open positions of `books` (coin order), margined as `margin` says.
pub(super) fn positions_of(
    books: BTreeMap<&'static str, Book>,
    margin: impl Fn(&str) -> Margin,
) -> Vec<RawPosition> {
    books
        .into_iter()
        .filter(|(_, b)| b.size != 0)
        .filter_map(|(coin, b)| {
            let a = asset_named(coin)?;
            let mark = units(a.mark_px);
            let value = b.size.abs() * mark; // 10⁻¹²
            let upnl = b.size * (mark - b.entry); // 10⁻¹²
            let margin = margin(coin);
            let leverage = match margin {
                Margin::Cross(l) | Margin::Isolated(l) => i128::from(l),
            };
            let margin_used = value / leverage;
            let roe = if margin_used == 0 {
                0
            } else {
                div_round(upnl * UNIT, margin_used)
            };
            let liquidation_px = match margin {
                Margin::Cross(_) => None,
                // Isolated: where the margin is gone, at 90% of it (a short above, a long below).
                Margin::Isolated(l) => {
                    let move_ = div_round(b.entry * 9, 10 * i128::from(l));
                    Some(dec(b.entry + b.size.signum() * -move_, 6))
                }
            };
            Some(RawPosition {
                coin: a.name,
                szi: dec(b.size, 6),
                entry_px: dec(b.entry, 6),
                position_value: dec(div_round(value, UNIT), 6),
                unrealized_pnl: dec(div_round(upnl, UNIT), 6),
                return_on_equity: dec(roe, 6),
                liquidation_px,
                margin,
                margin_used: dec(div_round(margin_used, UNIT), 6),
                max_leverage: a.max_leverage,
                margin_units: margin_used,
                value_units: value,
                szi_units: b.size,
            })
        })
        .collect()
}

impl RawPosition {
    fn json(&self) -> serde_json::Value {
        let (kind, value) = match self.margin {
            Margin::Cross(l) => ("cross", l),
            Margin::Isolated(l) => ("isolated", l),
        };
        let mut leverage = serde_json::json!({"type": kind, "value": value});
        if let Margin::Isolated(_) = self.margin {
            // The isolated margin's USD: what the entry cost, less, plus the margin put up.
            let raw = -self.szi_units * units(&self.entry_px) + self.margin_units;
            leverage["rawUsd"] = dec(div_round(raw, UNIT), 6).into();
        }
        serde_json::json!({
            "type": "oneWay",
            "position": {
                "coin": self.coin,
                "szi": self.szi,
                "leverage": leverage,
                "entryPx": self.entry_px,
                "positionValue": self.position_value,
                "unrealizedPnl": self.unrealized_pnl,
                "returnOnEquity": self.return_on_equity,
                "liquidationPx": self.liquidation_px,
                "marginUsed": self.margin_used,
                "maxLeverage": self.max_leverage,
                "cumFunding": {"allTime": "12.345", "sinceOpen": "1.2", "sinceChange": "0.5"},
            }
        })
    }
}

/// `clearinghouseState` for `address` at clock `now_ms`: an unknown address has zero summaries
/// and no positions.
pub fn clearinghouse_state(address: &str, now_ms: i64) -> serde_json::Value {
    let account = wallet(address).map_or(0, |w| units(w.account_value));
    state_json(&positions(address, now_ms), account, now_ms)
}

/// `clearinghouseState` of `positions` with an account value of `account_units` (10⁻⁶ USD).
pub(super) fn state_json(
    positions: &[RawPosition],
    account_units: i128,
    now_ms: i64,
) -> serde_json::Value {
    let account = account_units * UNIT;
    let ntl: i128 = positions.iter().map(|p| p.value_units).sum();
    let margin: i128 = positions.iter().map(|p| p.margin_units).sum();
    let signed: i128 = positions
        .iter()
        .map(|p| p.value_units * p.szi_units.signum())
        .sum();
    let raw = account - signed;
    let usd = |u: i128| dec(div_round(u, UNIT), 6);
    let summary = serde_json::json!({
        "accountValue": usd(account),
        "totalNtlPos": usd(ntl),
        "totalRawUsd": usd(raw),
        "totalMarginUsed": usd(margin),
    });
    serde_json::json!({
        "marginSummary": summary,
        "crossMarginSummary": summary,
        "crossMaintenanceMarginUsed": usd(margin / 2),
        "withdrawable": usd((account - margin).max(0)),
        "assetPositions": positions.iter().map(RawPosition::json).collect::<Vec<_>>(),
        "time": now_ms,
    })
}

/// `metaAndAssetCtxs`: `[meta, ctxs]`, matched by index.
pub fn meta_and_asset_ctxs() -> serde_json::Value {
    let universe: Vec<serde_json::Value> = ASSETS
        .iter()
        .map(|a| {
            let mut v = serde_json::json!({
                "name": a.name,
                "szDecimals": a.sz_decimals,
                "maxLeverage": a.max_leverage,
                "marginTableId": a.max_leverage,
            });
            if a.is_delisted {
                v["isDelisted"] = true.into();
            }
            v
        })
        .collect();
    let ctxs: Vec<serde_json::Value> = ASSETS
        .iter()
        .map(|a| {
            serde_json::json!({
                "funding": a.funding,
                "openInterest": a.open_interest,
                "prevDayPx": a.prev_day_px,
                "dayNtlVlm": a.day_ntl_vlm,
                "premium": if a.is_delisted { None } else { Some(a.premium) },
                "oraclePx": a.oracle_px,
                "markPx": a.mark_px,
                "midPx": a.mid_px,
                "impactPxs": a.mid_px.map(|m| [m, m]),
                "dayBaseVlm": a.day_base_vlm,
            })
        })
        .collect();
    serde_json::json!([{"universe": universe, "marginTables": [], "collateralToken": 0}, ctxs])
}

/// One leaderboard row as the stand-in holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderboardRow {
    pub eth_address: String,
    pub account_value: String,
    /// pnl per window: day, week, month, allTime.
    pub pnl: [String; 4],
    pub display_name: Option<String>,
}

const WINDOWS: [&str; 4] = ["day", "week", "month", "allTime"];

impl LeaderboardRow {
    /// The row as the leaderboard serves it (`windowPerformances` a list of pairs).
    pub fn json(&self) -> String {
        let account = units(&self.account_value).max(1);
        let windows: Vec<serde_json::Value> = WINDOWS
            .iter()
            .zip(&self.pnl)
            .map(|(name, pnl)| {
                let roi = dec(div_round(units(pnl) * UNIT, account), 6);
                let vlm = dec(units(pnl).abs() * 37 + 123_456_789, 6);
                serde_json::json!([name, {"pnl": pnl, "roi": roi, "vlm": vlm}])
            })
            .collect();
        serde_json::json!({
            "ethAddress": self.eth_address,
            "accountValue": self.account_value,
            "windowPerformances": windows,
            "prize": 0,
            "displayName": self.display_name,
        })
        .to_string()
    }
}

/// The fixture leaderboard: every fixture wallet plus two small accounts, in no useful order
/// (as served).
pub fn leaderboard_rows() -> Vec<LeaderboardRow> {
    let mut rows: Vec<LeaderboardRow> = WALLETS
        .iter()
        .map(|w| LeaderboardRow {
            eth_address: w.address.to_string(),
            account_value: w.account_value.to_string(),
            pnl: w.pnl.map(String::from),
            display_name: w.display_name.map(String::from),
        })
        .collect();
    rows.push(LeaderboardRow {
        eth_address: "0x0000000000000000000000000000000000000bad".into(),
        account_value: "12.5".into(),
        pnl: ["0.0", "0.0", "1.0", "2.0"].map(String::from),
        display_name: None,
    });
    rows.push(LeaderboardRow {
        eth_address: "0x00000000000000000000000000000000000000aa".into(),
        account_value: "0.0".into(),
        pnl: ["0.0", "0.0", "0.0", "0.0"].map(String::from),
        display_name: None,
    });
    // Shuffled deterministically so that ranking is the reader's work.
    rows.sort_by_key(|r| r.eth_address[5..9].to_string());
    rows
}

/// A small deterministic generator (xorshift).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A decimal below `max` with 16 decimals, as the live leaderboard prints them; negative
    /// one time in three when `signed`.
    fn amount(&mut self, max: u64, signed: bool) -> String {
        let whole = self.next() % max;
        let frac = self.next() % 10_000_000_000_000_000;
        let sign = if signed && self.next() % 3 == 0 {
            "-"
        } else {
            ""
        };
        format!("{sign}{whole}.{frac:016}")
    }
}

/// Generated leaderboard row `i` (the benchmark's), serialized: deterministic, mostly accounts
/// the cohort rule drops.
pub fn generated_row(i: u32) -> String {
    let mut r = Rng(u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d);
    let address = format!(
        "0x{:016x}{:016x}{:08x}",
        r.next(),
        r.next(),
        r.next() as u32
    );
    let account = r.amount(2_000_000, false);
    let mut windows = String::new();
    for (k, name) in WINDOWS.iter().enumerate() {
        if k > 0 {
            windows.push(',');
        }
        let pnl = r.amount(900_000, true);
        let roi = format!("{}.{:016}", r.next() % 3, r.next() % 10_000_000_000_000_000);
        let vlm = r.amount(40_000_000_000, false);
        windows.push_str(&format!(
            r#"["{name}",{{"pnl":"{pnl}","roi":"{roi}","vlm":"{vlm}"}}]"#
        ));
    }
    let name = if r.next() % 4 == 0 {
        format!(r#""trader \"{i}\" {}""#, "x".repeat(20))
    } else {
        "null".into()
    };
    format!(
        r#"{{"ethAddress":"{address}","accountValue":"{account}","windowPerformances":[{windows}],"prize":0,"displayName":{name}}}"#
    )
}
