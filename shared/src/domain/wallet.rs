//! Smart money by wallet (Hyperliquid): a tracked wallet's open position in one coin and its
//! fills, as exact fixed-point numbers. Sizes are in coins and signed (positive long), prices in
//! USD per coin, amounts in USD to the cent.

use super::Fixed;

/// Coins, signed (positive: long), 8 decimals (Hyperliquid's sizes have at most 6 or so).
pub type Size = Fixed<8>;
/// USD per coin, 8 decimals.
pub type Px = Fixed<8>;
/// USD to the cent.
pub type Usd = Fixed<2>;

/// One wallet's open position in one coin now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The wallet's address, lower-cased (`0x…`).
    pub wallet: String,
    pub coin: String,
    /// Signed size (`szi`).
    pub size: Size,
    /// Absolute notional at the mark price (`positionValue`).
    pub notional_usd: Usd,
    pub entry_px: Px,
    pub leverage: u32,
    pub unrealized_pnl_usd: Usd,
}

/// One fill of one coin: the signed size before it and the signed size it traded (`B` adds,
/// `A` subtracts), so that `start_position + signed_size` is the size after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    pub coin: String,
    pub time_ms: i64,
    pub start_position: Size,
    pub signed_size: Size,
    /// Hyperliquid's trade id (fills are de-duplicated on it).
    pub tid: u64,
}

impl Fill {
    /// The size after this fill.
    pub fn end_position(&self) -> Size {
        Fixed(self.start_position.0 + self.signed_size.0)
    }
}

/// What is known of one wallet's fills: every fill from `since_ms` to now, oldest first (ties in
/// the order the venue gave them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FillHistory {
    pub since_ms: i64,
    pub fills: Vec<Fill>,
}

impl FillHistory {
    /// The fills of `coin`, oldest first.
    pub fn of<'a>(&'a self, coin: &'a str) -> impl DoubleEndedIterator<Item = &'a Fill> + 'a {
        self.fills.iter().filter(move |f| f.coin == coin)
    }
}
