//! Smart money by wallet: the tracked wallets' positions per token (count beside money), how long
//! they have been held, how they changed over a window, and how much to trust a row. Pure
//! functions on `domain::wallet` values; the formulas, with a worked example, are in
//! docs/SIGNALS.md ("Wallets").

use std::collections::BTreeMap;

use serde::Serialize;

use super::stats::div_round;
use crate::domain::wallet::{FillHistory, Position, Px, Size, Usd};
use crate::domain::{Fixed, Pct};

const HOUR_MS: i64 = 3_600_000;
/// Both shares at or above this: `LONG`; both at or below 100 − this: `SHORT` (Athena's rule).
pub const LEAN: Pct = Fixed(5_500);

/// A token's call from its two shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lean {
    Long,
    Short,
    Neutral,
}

/// One token's row: the positions of the tracked wallets in it that pass the notional filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    pub token: String,
    pub traders: u32,
    pub long_positions: u32,
    pub short_positions: u32,
    /// long_positions / traders × 100.
    pub position_long_pct: Pct,
    /// long notional / (long + short notional) × 100.
    pub money_long_pct: Pct,
    pub position: Lean,
    pub long_notional_usd: Usd,
    pub short_notional_usd: Usd,
    pub net_notional_usd: Usd,
}

/// `n / d × 100` to 2 decimals, half away from zero.
fn pct(n: i128, d: i128) -> Pct {
    Fixed(div_round(n * 10_000, d))
}

/// One row per coin held by at least `min_positions` wallets, counting only positions whose
/// notional is at least `min_notional`; ordered by coin. A coin whose counted notional is all
/// zero has `money_long_pct` 50 (no money on either side).
pub fn token_rows(positions: &[Position], min_notional: Usd, min_positions: u32) -> Vec<TokenRow> {
    let mut by_coin: BTreeMap<&str, Vec<&Position>> = BTreeMap::new();
    for p in positions {
        if p.size.0 != 0 && p.notional_usd >= min_notional {
            by_coin.entry(&p.coin).or_default().push(p);
        }
    }
    by_coin
        .into_iter()
        .filter(|(_, ps)| ps.len() as u32 >= min_positions.max(1))
        .map(|(coin, ps)| {
            let (longs, shorts): (Vec<&Position>, Vec<&Position>) =
                ps.iter().partition(|p| p.size.0 > 0);
            let sum = |side: &[&Position]| {
                side.iter()
                    .map(|p| i128::from(p.notional_usd.0))
                    .sum::<i128>()
            };
            let (long_usd, short_usd) = (sum(&longs), sum(&shorts));
            let traders = ps.len() as u32;
            let position_long_pct = pct(longs.len() as i128, i128::from(traders));
            let money_long_pct = if long_usd + short_usd == 0 {
                Fixed(5_000)
            } else {
                pct(long_usd, long_usd + short_usd)
            };
            TokenRow {
                token: coin.to_string(),
                traders,
                long_positions: longs.len() as u32,
                short_positions: shorts.len() as u32,
                position_long_pct,
                money_long_pct,
                position: lean(position_long_pct, money_long_pct),
                long_notional_usd: Fixed(long_usd as i64),
                short_notional_usd: Fixed(short_usd as i64),
                net_notional_usd: Fixed((long_usd - short_usd) as i64),
            }
        })
        .collect()
}

/// `LONG` when both shares are ≥ 55, `SHORT` when both are ≤ 45, else `NEUTRAL`.
pub fn lean(position_long_pct: Pct, money_long_pct: Pct) -> Lean {
    let short_line = Fixed(10_000 - LEAN.0);
    if position_long_pct >= LEAN && money_long_pct >= LEAN {
        Lean::Long
    } else if position_long_pct <= short_line && money_long_pct <= short_line {
        Lean::Short
    } else {
        Lean::Neutral
    }
}

/// How long a position has been held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hold {
    /// Milliseconds from its opening to now; at least this when `lower_bound`.
    pub held_ms: i64,
    /// The fills looked at do not reach the opening (or their chain broke): `held_ms` is only
    /// how far they are known to go back.
    pub lower_bound: bool,
    /// The opening fill's time, when found.
    pub opened_at_ms: Option<i64>,
}

impl Hold {
    /// Hours, 1 decimal.
    pub fn hours(&self) -> Fixed<1> {
        hours(i128::from(self.held_ms), 1)
    }
}

/// `ms / n` as hours to 1 decimal.
fn hours(ms: i128, n: i128) -> Fixed<1> {
    Fixed(div_round(ms * 10, n * i128::from(HOUR_MS)))
}

/// The hold of a position of `size_now` in `coin` from the wallet's fills: its opening is the
/// newest fill whose `start_position` is 0 or of the opposite sign. Walking back from now, each
/// fill must end at the size the next one started from (or, for the newest, at `size_now`); where
/// it does not, a fill is missing (a TWAP slice: the facts say they may be) and what is older is
/// unknown: the hold is then at least back to the oldest fill still on the chain. When the fills
/// end before the opening, the hold is at least the span looked at.
pub fn hold(size_now: Size, coin: &str, history: &FillHistory, now_ms: i64) -> Hold {
    let sign = size_now.0.signum();
    let mut running = size_now;
    let mut known_since = now_ms;
    for fill in history.of(coin).rev() {
        if fill.end_position() != running {
            return Hold {
                held_ms: now_ms - known_since,
                lower_bound: true,
                opened_at_ms: None,
            };
        }
        let before = fill.start_position.0.signum();
        if before == 0 || before == -sign {
            return Hold {
                held_ms: now_ms - fill.time_ms,
                lower_bound: false,
                opened_at_ms: Some(fill.time_ms),
            };
        }
        running = fill.start_position;
        known_since = fill.time_ms;
    }
    Hold {
        held_ms: now_ms - history.since_ms,
        lower_bound: true,
        opened_at_ms: None,
    }
}

/// A token's hold times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HoldSummary {
    pub avg_hold_hours: Fixed<1>,
    pub median_hold_hours: Fixed<1>,
    pub signal_duration: &'static str,
    /// Some hold is only a lower bound: avg and median are "at least".
    pub hold_lower_bound: bool,
}

/// The mean and median of `holds` (computed on milliseconds, rounded once), and the duration
/// class of the median: < 6 h `ultra-short-term`, 6 h to < 24 h `short-term`, 24 h to 168 h
/// `medium-term`, > 168 h `long-term`. A median that is only a lower bound (a hold at the middle
/// is) is strictly more than its value: exactly 168 h is then `long-term` (the position was open
/// before the span looked at began). `None` for no holds.
pub fn hold_summary(holds: &[Hold]) -> Option<HoldSummary> {
    if holds.is_empty() {
        return None;
    }
    let mut sorted: Vec<(i128, bool)> = holds
        .iter()
        .map(|h| (i128::from(h.held_ms), h.lower_bound))
        .collect();
    sorted.sort_unstable();
    let n = sorted.len();
    let middle = if n % 2 == 1 {
        &sorted[n / 2..=n / 2]
    } else {
        &sorted[n / 2 - 1..=n / 2]
    };
    let median_sum: i128 = middle.iter().map(|(ms, _)| ms).sum();
    let median_n = middle.len() as i128;
    let at_least = middle.iter().any(|(_, lower)| *lower);
    let median_ms2 = median_sum * 2 / median_n; // twice the median, exactly
    let hour2 = 2 * i128::from(HOUR_MS);
    let signal_duration = if median_ms2 < 6 * hour2 {
        "ultra-short-term"
    } else if median_ms2 < 24 * hour2 {
        "short-term"
    } else if median_ms2 < 168 * hour2 || (median_ms2 == 168 * hour2 && !at_least) {
        "medium-term"
    } else {
        "long-term"
    };
    Some(HoldSummary {
        avg_hold_hours: hours(sorted.iter().map(|(ms, _)| ms).sum(), n as i128),
        median_hold_hours: hours(median_sum, median_n),
        signal_duration,
        hold_lower_bound: holds.iter().any(|h| h.lower_bound),
    })
}

/// A wallet's size in `coin` at `t_ms`: the `start_position` of its first fill of the coin after
/// `t_ms`, or `size_now` if it has none since; `None` when its fills do not reach back to `t_ms`.
pub fn size_at(size_now: Size, coin: &str, history: &FillHistory, t_ms: i64) -> Option<Size> {
    if history.since_ms > t_ms {
        return None;
    }
    Some(
        history
            .of(coin)
            .find(|f| f.time_ms > t_ms)
            .map_or(size_now, |f| f.start_position),
    )
}

/// How a token's positions changed over a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// position_long_pct now − position_long_pct at the window's start (null when no wallet held
    /// the coin then or now).
    pub position_change_pp: Option<Pct>,
    /// Σ (size now − size then) × mark now: positive, capital moved to the long side.
    pub money_flow_usd: Usd,
    /// Wallets holding the coin now whose fills do not reach the window's start: counted as
    /// unchanged.
    pub changes_incomplete_wallets: u32,
}

/// One tracked wallet's size in a coin now and what is known of its fills.
#[derive(Clone, Copy, Debug)]
pub struct WalletCoin<'a> {
    pub size_now: Size,
    pub history: &'a FillHistory,
}

/// The changes of `coin` since `t_ms` over every tracked wallet (holding it now or not), with
/// sizes valued at today's `mark` for the notional filter `min_notional`.
pub fn changes(
    coin: &str,
    wallets: &[WalletCoin<'_>],
    mark: Px,
    min_notional: Usd,
    t_ms: i64,
) -> Changes {
    let mut incomplete = 0;
    let mut flow: i128 = 0;
    let (mut now_counted, mut now_long, mut then_counted, mut then_long) =
        (0i128, 0i128, 0i128, 0i128);
    // |size| × mark in cents: sizes and prices have 8 decimals each.
    let notional = |s: Size| {
        div_round(
            i128::from(s.0).abs() * i128::from(mark.0),
            100_000_000_000_000,
        )
    };
    for w in wallets {
        let then = match size_at(w.size_now, coin, w.history, t_ms) {
            Some(then) => then,
            None => {
                if w.size_now.0 != 0 {
                    incomplete += 1;
                }
                w.size_now
            }
        };
        flow += i128::from(w.size_now.0 - then.0) * i128::from(mark.0);
        for (size, counted, long) in [
            (w.size_now, &mut now_counted, &mut now_long),
            (then, &mut then_counted, &mut then_long),
        ] {
            if size.0 != 0 && notional(size) >= min_notional.0 {
                *counted += 1;
                *long += i128::from(size.0 > 0);
            }
        }
    }
    let share = |long: i128, counted: i128| (counted > 0).then(|| pct(long, counted));
    Changes {
        position_change_pp: share(now_long, now_counted)
            .zip(share(then_long, then_counted))
            .map(|(now, then)| now - then),
        money_flow_usd: Fixed(div_round(flow, 100_000_000_000_000)),
        changes_incomplete_wallets: incomplete,
    }
}

/// How much to trust a token's row, 0–100, and its strength.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Confidence {
    pub score: u32,
    pub strength: &'static str,
}

/// Traders that make a full sample.
pub const FULL_SAMPLE: u32 = 30;

/// 40 × sample (traders / 30, at most 1) + 40 × agreement (the mean distance of the two shares
/// from 50, over 50) + 20 × spread (1 − the Herfindahl index of the positions' notionals: one
/// whale is 0), rounded; strong from 70, moderate from 40, else weak.
pub fn confidence(row: &TokenRow, notionals: &[Usd]) -> Confidence {
    let sample = f64::from(row.traders.min(FULL_SAMPLE)) / f64::from(FULL_SAMPLE);
    let distance = |p: Pct| (p.to_f64() - 50.0).abs() / 50.0;
    let agreement = (distance(row.position_long_pct) + distance(row.money_long_pct)) / 2.0;
    let total: f64 = notionals.iter().map(|n| n.to_f64()).sum();
    let spread = if total > 0.0 {
        1.0 - notionals
            .iter()
            .map(|n| (n.to_f64() / total).powi(2))
            .sum::<f64>()
    } else {
        0.0
    };
    let score = (40.0 * sample + 40.0 * agreement + 20.0 * spread)
        .round()
        .clamp(0.0, 100.0) as u32;
    let strength = match score {
        70.. => "strong",
        40.. => "moderate",
        _ => "weak",
    };
    Confidence { score, strength }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wallet::Fill;

    const H: i64 = HOUR_MS;
    const NOW: i64 = 1_000 * H;

    fn size(coins: f64) -> Size {
        Fixed((coins * 1e8).round() as i64)
    }

    fn position(wallet: &str, coin: &str, coins: f64, usd: i64) -> Position {
        Position {
            wallet: wallet.into(),
            coin: coin.into(),
            size: size(coins),
            notional_usd: Fixed(usd * 100),
            entry_px: Fixed(0),
            leverage: 1,
            unrealized_pnl_usd: Fixed(0),
        }
    }

    fn fill(coin: &str, hours_ago: i64, start: f64, traded: f64) -> Fill {
        Fill {
            coin: coin.into(),
            time_ms: NOW - hours_ago * H,
            start_position: size(start),
            signed_size: size(traded),
            tid: hours_ago as u64,
        }
    }

    fn history(since_hours_ago: i64, fills: Vec<Fill>) -> FillHistory {
        FillHistory {
            since_ms: NOW - since_hours_ago * H,
            fills,
        }
    }

    #[test]
    fn a_row_counts_positions_beside_money_after_the_notional_filter() {
        // BTC: three longs of 10k, 20k, 30k and one short of 100k; a 500 USD long filtered out.
        let ps = [
            position("a", "BTC", 0.1, 10_000),
            position("b", "BTC", 0.2, 20_000),
            position("c", "BTC", 0.3, 30_000),
            position("d", "BTC", -1.0, 100_000),
            position("e", "BTC", 0.005, 500),
            position("a", "ETH", 1.0, 3_000),
        ];
        let rows = token_rows(&ps, Fixed(1_000 * 100), 2);
        assert_eq!(rows.len(), 1, "ETH has one position: under min_positions");
        let btc = &rows[0];
        assert_eq!(
            (btc.traders, btc.long_positions, btc.short_positions),
            (4, 3, 1)
        );
        // 3/4 = 75.00 %; 60k / 160k = 37.50 %: the count is long, the money short.
        assert_eq!(
            (btc.position_long_pct, btc.money_long_pct),
            (Fixed(7_500), Fixed(3_750))
        );
        assert_eq!(btc.position, Lean::Neutral);
        assert_eq!(
            (
                btc.long_notional_usd,
                btc.short_notional_usd,
                btc.net_notional_usd
            ),
            (Fixed(6_000_000), Fixed(10_000_000), Fixed(-4_000_000))
        );
    }

    #[test]
    fn the_call_needs_both_shares_past_the_line() {
        let p = |x: i64| Fixed(x * 100);
        assert_eq!(lean(p(55), p(55)), Lean::Long);
        assert_eq!(lean(p(55), Fixed(5_499)), Lean::Neutral);
        assert_eq!(lean(p(45), p(10)), Lean::Short);
        assert_eq!(lean(Fixed(4_501), p(10)), Lean::Neutral);
        // 2 of 3 = 66.67 % (half away from zero).
        assert_eq!(pct(2, 3), Fixed(6_667));
    }

    #[test]
    fn the_opening_is_the_newest_fill_from_flat_or_the_other_side() {
        // Opened long 100 h ago, added 50 h ago, partly closed 10 h ago: held 100 h.
        let h = history(
            200,
            vec![
                fill("BTC", 100, 0.0, 1.0),
                fill("BTC", 50, 1.0, 0.5),
                fill("BTC", 10, 1.5, -0.5),
                fill("ETH", 5, 0.0, 3.0),
            ],
        );
        let held = hold(size(1.0), "BTC", &h, NOW);
        assert_eq!((held.held_ms, held.lower_bound), (100 * H, false));
        assert_eq!(held.opened_at_ms, Some(NOW - 100 * H));
        // A flip through zero (long 2 → short 1, 30 h ago) opens the short there.
        let flip = history(
            200,
            vec![fill("SOL", 80, 0.0, 2.0), fill("SOL", 30, 2.0, -3.0)],
        );
        assert_eq!(hold(size(-1.0), "SOL", &flip, NOW).held_ms, 30 * H);
        // Fills that never reach the opening: at least the span looked at (200 h).
        let old = history(200, vec![fill("BTC", 20, 2.0, -1.0)]);
        let held = hold(size(1.0), "BTC", &old, NOW);
        assert_eq!(
            (held.held_ms, held.lower_bound, held.opened_at_ms),
            (200 * H, true, None)
        );
        assert_eq!(held.hours(), Fixed(2_000));
    }

    #[test]
    fn a_broken_chain_makes_what_is_older_unknown() {
        // Now 1.0; the 10 h fill ends at 1.0 (on the chain), but the 40 h fill ends at 0.7 while
        // the 10 h one started from 0.6: a fill between is missing. The opening at 90 h is not
        // believed; the hold is at least 10 h.
        let h = history(
            300,
            vec![
                fill("BTC", 90, 0.0, 0.5),
                fill("BTC", 40, 0.5, 0.2),
                fill("BTC", 10, 0.6, 0.4),
            ],
        );
        let held = hold(size(1.0), "BTC", &h, NOW);
        assert_eq!((held.held_ms, held.lower_bound), (10 * H, true));
        // The newest fill already off the chain: nothing is known, at least 0 h.
        let h = history(300, vec![fill("BTC", 5, 0.0, 0.5)]);
        assert_eq!(hold(size(1.0), "BTC", &h, NOW).held_ms, 0);
    }

    #[test]
    fn the_summary_rounds_once_and_classes_the_median() {
        let held = |ms: i64, lower_bound| Hold {
            held_ms: ms,
            lower_bound,
            opened_at_ms: None,
        };
        // 1 h, 5 h, 30 h: mean 12 h, median 5 h (ultra-short).
        let s = hold_summary(&[held(H, false), held(5 * H, false), held(30 * H, false)]).unwrap();
        assert_eq!(
            (
                s.avg_hold_hours,
                s.median_hold_hours,
                s.signal_duration,
                s.hold_lower_bound
            ),
            (Fixed(120), Fixed(50), "ultra-short-term", false)
        );
        // Even count: the median is the mean of the middle two (6 h and 7 h → 6.5 h, short).
        let s = hold_summary(&[
            held(6 * H, false),
            held(7 * H, true),
            held(H, false),
            held(99 * H, false),
        ])
        .unwrap();
        assert_eq!(
            (s.median_hold_hours, s.signal_duration, s.hold_lower_bound),
            (Fixed(65), "short-term", true)
        );
        // The class boundaries: exactly 6 h is short, 24 h medium, 168 h medium, beyond long.
        let class = |ms| hold_summary(&[held(ms, false)]).unwrap().signal_duration;
        assert_eq!(
            [
                class(6 * H - 1),
                class(6 * H),
                class(24 * H),
                class(168 * H),
                class(168 * H + 1)
            ],
            [
                "ultra-short-term",
                "short-term",
                "medium-term",
                "medium-term",
                "long-term"
            ]
        );
        // At least 168 h (the fills looked at end before the opening): more than 168 h, long.
        let at_least = |ms| hold_summary(&[held(ms, true)]).unwrap().signal_duration;
        assert_eq!(
            [at_least(168 * H - 1), at_least(168 * H)],
            ["medium-term", "long-term"]
        );
        assert_eq!(hold_summary(&[]), None);
    }

    #[test]
    fn changes_compare_the_sizes_at_the_window_start_valued_at_today_s_mark() {
        let mark: Px = Fixed(100 * 100_000_000); // 100 USD a coin
                                                 // a: long 2 now, was long 1 before its 3 h fill (+1): +100 USD of flow.
        let a = history(48, vec![fill("X", 3, 1.0, 1.0)]);
        // b: flat now, was short 5 until 2 h ago: +500 USD.
        let b = history(48, vec![fill("X", 2, -5.0, 5.0)]);
        // c: long 3 now, no fill since: unchanged.
        let c = history(48, vec![]);
        // d: short 1 now, its fills reach back only 1 h: unchanged and counted incomplete.
        let d = history(1, vec![]);
        let wallets = [
            WalletCoin {
                size_now: size(2.0),
                history: &a,
            },
            WalletCoin {
                size_now: size(0.0),
                history: &b,
            },
            WalletCoin {
                size_now: size(3.0),
                history: &c,
            },
            WalletCoin {
                size_now: size(-1.0),
                history: &d,
            },
        ];
        let ch = changes("X", &wallets, mark, Fixed(0), NOW - 24 * H);
        // Now: a, c long, d short → 66.67 %; then: a, c long, b, d short → 50.00 %.
        assert_eq!(ch.position_change_pp, Some(Fixed(1_667)));
        assert_eq!(ch.money_flow_usd, Fixed(60_000));
        assert_eq!(ch.changes_incomplete_wallets, 1);
        // A notional filter of 150 USD (valued at today's mark) drops a-then (1 coin) and d.
        let ch = changes("X", &wallets, mark, Fixed(15_000), NOW - 24 * H);
        // Now: a (200), c (300) long → 100 %; then: c long, b short (500) → 50 %.
        assert_eq!(ch.position_change_pp, Some(Fixed(5_000)));
        assert_eq!(size_at(size(2.0), "X", &a, NOW - 2 * H), Some(size(2.0)));
        assert_eq!(size_at(size(2.0), "X", &d, NOW - 2 * H), None);
    }

    #[test]
    fn confidence_weighs_sample_agreement_and_spread() {
        let row = |traders, pos: i64, money: i64| TokenRow {
            token: "X".into(),
            traders,
            long_positions: 0,
            short_positions: 0,
            position_long_pct: Fixed(pos * 100),
            money_long_pct: Fixed(money * 100),
            position: Lean::Neutral,
            long_notional_usd: Fixed(0),
            short_notional_usd: Fixed(0),
            net_notional_usd: Fixed(0),
        };
        let usd = |x: i64| Fixed(x * 100);
        // 30 traders, all long by count and money, 30 equal notionals:
        // 40 + 40 + 20 × (1 − 30 × (1/30)²) = 80 + 20 × 29/30 = 99.33 → 99, strong.
        let c = confidence(&row(30, 100, 100), &vec![usd(1_000); 30]);
        assert_eq!((c.score, c.strength), (99, "strong"));
        // 3 traders (0.1), shares 60/70 (agreement (0.2 + 0.4)/2 = 0.3), notionals 1:1:2
        // (HHI 1/16 + 1/16 + 1/4 = 0.375): 4 + 12 + 12.5 = 28.5 → 29 (half away), weak.
        let c = confidence(&row(3, 60, 70), &[usd(1), usd(1), usd(2)]);
        assert_eq!((c.score, c.strength), (29, "weak"));
        // One whale: spread 0.
        let c = confidence(&row(1, 100, 100), &[usd(5)]);
        assert_eq!(c.score, 41, "40/30 + 40 + 0 = 41.33");
    }
}
