//! A synthetic cohort for benchmarks (switches `hyperliquid_synthetic_wallets` = N and
//! `hyperliquid_synthetic_fills` = K; off by default): N extra leaderboard rows that pass the
//! default cohort rule and rank above every other row it admits (month pnl 2,000,000 − 1,000 ×
//! index USD, above the fixtures' 450,000 and the generated rows' < 900,000), so with N ≥ 60
//! the default cohort of 60 is synthetic wallets 0–59 and none of the fixtures; with N < 60 it is
//! the N synthetic wallets, then the best fixtures.
//!
//! Wallet `i` (address [`address`]`(i)`) holds 1–3 perpetual positions among the listed assets
//! (not the delisted one), each worth roughly 50,000–2,050,000 USD at the mark, and has K fills
//! spread evenly over the last 7 days (the oldest 7 days − 1 hour before the anchor, one every
//! (7 days − 1 hour) / K, all at distinct milliseconds) that build those positions: each coin's
//! first fill starts at 0, each fill starts where the previous one of its coin ended, and the
//! newest ends at the size served by `clearinghouseState`. Sizes are whole lots (a power of ten
//! of coins worth 100 USD or more); prices within 2% of the mark. With K = 0 the positions are
//! held from before any fill. Everything is deterministic from the index (and the anchor).

use std::collections::BTreeMap;

use super::wallets::{
    positions_of, replay, state_json, units, Book, History, Kind, LeaderboardRow, Margin, RawFill,
    RawPosition, Rng, Side, Trade, ASSETS,
};
use crate::data::{DAY_MS, HOUR_MS};
use crate::switches::Switches;

/// What every synthetic address starts with (then the index, 32 hex digits).
pub const SYNTHETIC_PREFIX: &str = "0x5e1ec7ed";
/// At most this many synthetic wallets (their month pnl stays ≥ 1,001,000 USD).
pub const MAX_SYNTHETIC_WALLETS: u32 = 1_000;
/// At most this many fills per synthetic wallet (one every ~6 s over 7 days; their `tid`s stay
/// within the wallet's own range of 1,000,000).
pub const MAX_SYNTHETIC_FILLS: u32 = 100_000;
/// The fills span this much before the anchor: inside the adapter's 7-day look-back even when
/// its clock is up to an hour ahead of the stand-in's anchor.
pub const SYNTHETIC_SPAN_MS: i64 = 7 * DAY_MS - HOUR_MS;

/// The synthetic cohort a stand-in serves (both numbers clamped to their maxima).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Synthetic {
    pub wallets: u32,
    pub fills: u32,
}

/// The address of synthetic wallet `i` (lower-case, 40 hex digits).
pub fn address(i: u32) -> String {
    format!("{SYNTHETIC_PREFIX}{i:032x}")
}

/// One synthetic wallet's plan: per coin, the signed size it ends at (in 10⁻⁶) and its lot.
struct Plan {
    /// (coin, target size, lot), in the order picked.
    holdings: Vec<(&'static str, i128, i128)>,
    leverage: u32,
    /// In 10⁻⁶ USD.
    account_value: i128,
}

/// A lot of the asset with mark `mark` (10⁻⁶): the smallest power of ten of coins (at least
/// 10^-szDecimals) worth 100 USD or more.
fn lot(mark: i128, sz_decimals: u32) -> i128 {
    let mut lot = 10_i128.pow(6 - sz_decimals.min(6));
    while lot * mark < 100 * 1_000_000 * 1_000_000 {
        lot *= 10;
    }
    lot
}

impl Synthetic {
    pub fn of(sw: &Switches) -> Self {
        Synthetic {
            wallets: sw.hyperliquid_synthetic_wallets.min(MAX_SYNTHETIC_WALLETS),
            fills: sw.hyperliquid_synthetic_fills.min(MAX_SYNTHETIC_FILLS),
        }
    }

    /// The index of the synthetic wallet at `address` (any case), if this cohort has it.
    pub fn index(&self, address: &str) -> Option<u32> {
        let address = address.to_ascii_lowercase();
        let rest = address.strip_prefix(SYNTHETIC_PREFIX)?;
        let i = u32::try_from(u128::from_str_radix(rest, 16).ok()?).ok()?;
        (rest.len() == 32 && i < self.wallets).then_some(i)
    }

    fn plan(i: u32) -> Plan {
        let mut r = Rng(u64::from(i).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x1405_7b7e_f767_814f);
        let listed: Vec<_> = ASSETS.iter().filter(|a| !a.is_delisted).collect();
        let count = 1 + (r.next() % 3) as usize;
        let mut holdings = Vec::with_capacity(count);
        while holdings.len() < count {
            let a = listed[(r.next() % listed.len() as u64) as usize];
            if holdings.iter().any(|(c, _, _)| *c == a.name) {
                continue;
            }
            let mark = units(a.mark_px);
            let lot = lot(mark, a.sz_decimals);
            // 50,000–2,050,000 USD, in whole lots.
            let usd = 50_000 + i128::from(r.next() % 2_000_000);
            let lots = (usd * 1_000_000 * 1_000_000 / (lot * mark)).max(1);
            let sign = if r.next() % 3 == 0 { -1 } else { 1 };
            holdings.push((a.name, sign * lots * lot, lot));
        }
        Plan {
            holdings,
            leverage: [3, 5, 10, 20][(r.next() % 4) as usize],
            account_value: (500_000 + 25_000 * i128::from(i % 40)) * 1_000_000,
        }
    }

    /// Synthetic wallet `i`'s history: its trades oldest first (K of them) or, with K = 0, its
    /// positions held from before.
    fn history(&self, i: u32) -> History {
        let plan = Self::plan(i);
        let first_tid = 200_000_000_000_000 + u64::from(i) * 1_000_000;
        let mut r = Rng(u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2f1d_09a3_c4b2_77e1);
        let k = self.fills as usize;
        let mark = |coin: &str| units(super::mark(coin).unwrap_or("1.0"));
        if k == 0 {
            let priors = plan
                .holdings
                .iter()
                .map(|(coin, size, _)| {
                    let book = Book {
                        size: *size,
                        entry: mark(coin),
                    };
                    (*coin, book)
                })
                .collect();
            return History {
                priors,
                trades: Vec::new(),
                first_tid,
            };
        }
        // Which coin each fill trades: every coin at least once (fill c × K / m is coin c's),
        // the others at random.
        let m = plan.holdings.len().min(k);
        let mut coin_of: Vec<usize> = (0..k).map(|_| (r.next() % m as u64) as usize).collect();
        for c in 0..m {
            coin_of[c * k / m] = c;
        }
        let mut per_coin = vec![0usize; m];
        for &c in &coin_of {
            per_coin[c] += 1;
        }
        // Each coin's walk in lots: from 0, never at 0 or across it, ending at the target.
        let mut at = vec![0i128; m];
        let mut done = vec![0usize; m];
        let mut trades = Vec::with_capacity(k);
        for (j, &c) in coin_of.iter().enumerate() {
            let (coin, target, lot) = plan.holdings[c];
            let (goal, sign) = (target / lot, target.signum());
            let p = at[c];
            let left = per_coin[c] - done[c];
            let q = if left == 1 {
                goal
            } else {
                let mut q = sign * (1 + (r.next() % (2 * goal.unsigned_abs()) as u64) as i128);
                while q == p || (left == 2 && q == goal) {
                    q += sign;
                }
                q
            };
            let delta = q - p;
            let px = mark(coin) * (100_000 + (r.next() % 4_001) as i128 - 2_000) / 100_000;
            trades.push(Trade {
                coin,
                ago_ms: SYNTHETIC_SPAN_MS - j as i64 * SYNTHETIC_SPAN_MS / k as i64,
                side: if delta > 0 { Side::B } else { Side::A },
                sz: delta.abs() * lot,
                px: px.max(1),
                kind: Kind::Fill,
            });
            at[c] = q;
            done[c] += 1;
        }
        History {
            priors: Vec::new(),
            trades,
            first_tid,
        }
    }

    fn replayed(&self, i: u32, now_ms: i64) -> (Vec<RawFill>, BTreeMap<&'static str, Book>) {
        replay(self.history(i), super::anchor(now_ms))
    }

    /// Synthetic wallet `i`'s fills at clock `now_ms`, oldest first.
    pub fn fills(&self, i: u32, now_ms: i64) -> Vec<RawFill> {
        self.replayed(i, now_ms).0
    }

    /// Synthetic wallet `i`'s positions at clock `now_ms` (coin order): where its fills end.
    pub fn positions(&self, i: u32, now_ms: i64) -> Vec<RawPosition> {
        let leverage = Self::plan(i).leverage;
        let (_, books) = self.replayed(i, now_ms);
        positions_of(books, |coin| {
            let max = super::asset_named(coin).map_or(1, |a| a.max_leverage);
            Margin::Cross(leverage.min(max))
        })
    }

    /// `clearinghouseState` of synthetic wallet `i` at clock `now_ms`.
    pub fn clearinghouse_state(&self, i: u32, now_ms: i64) -> serde_json::Value {
        state_json(
            &self.positions(i, now_ms),
            Self::plan(i).account_value,
            now_ms,
        )
    }

    /// The synthetic wallets' leaderboard rows, ranked (index order).
    pub fn rows(&self) -> Vec<LeaderboardRow> {
        (0..self.wallets)
            .map(|i| {
                let month = 2_000_000 - 1_000 * i64::from(i);
                let usd = |n: i64| format!("{n}.0");
                LeaderboardRow {
                    eth_address: address(i),
                    account_value: usd((Self::plan(i).account_value / 1_000_000) as i64),
                    pnl: [usd(month / 30), usd(month / 4), usd(month), usd(3 * month)],
                    display_name: Some(format!("synthetic {i}")),
                }
            })
            .collect()
    }
}
