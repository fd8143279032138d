//! The wallet routes' reading (`upstream::hyperliquid::warm`) against the stand-in's fixture
//! wallets, checked against the stand-in's raw answers and hand-worked figures: the cohort, every
//! position to the cent, the hold of each fixture case, the memo, and the weight spent.

use shared::domain::wallet::Position;
use shared::domain::Fixed;
use shared::maths::wallets::{hold, token_rows};
use shared::upstream::hyperliquid::leaderboard::TrackingSource;
use shared::upstream::hyperliquid::warm::{Sweep, WalletsWarm, FILLS_LOOKBACK_MS};
use shared::upstream::hyperliquid::{weight_budget, Hyperliquid, PLANNED_WEIGHT};
use shared::upstream::policy;
use standin::hyperliquid as hl;
use standin::{StandInHandle, Switches, DEMO_NOW_MS};

const H: i64 = 3_600_000;

async fn setup() -> (StandInHandle, Hyperliquid) {
    let standin = standin::spawn(Switches::demo()).await.unwrap();
    let base = standin.base_url();
    let client = Hyperliquid::new(
        policy::http_client().unwrap(),
        Some(&base),
        Some(&base),
        weight_budget(PLANNED_WEIGHT),
    );
    (standin, client)
}

fn address(label: &str) -> &'static str {
    hl::WALLETS
        .iter()
        .find(|w| w.label == label)
        .unwrap()
        .address
}

/// A decimal as Hyperliquid prints it in units of 10^-`places`, rounded half away from zero.
fn units(text: &str, places: u32) -> i64 {
    let (sign, text) = text.strip_prefix('-').map_or((1, text), |t| (-1, t));
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digit = |i: usize| i64::from(frac.as_bytes().get(i).map_or(0, |d| d - b'0'));
    let mut n = whole.parse::<i64>().unwrap();
    for i in 0..places as usize {
        n = n * 10 + digit(i);
    }
    if digit(places as usize) >= 5 {
        n += 1;
    }
    sign * n
}

fn position_of<'a>(positions: &'a [Position], wallet: &str, coin: &str) -> &'a Position {
    positions
        .iter()
        .find(|p| p.wallet == wallet && p.coin == coin)
        .unwrap_or_else(|| panic!("no {coin} position of {wallet}"))
}

#[tokio::test]
async fn the_cohort_and_its_positions_are_the_stand_in_s_to_the_cent_and_a_repeat_is_free() {
    let (standin, client) = setup().await;
    let warm = WalletsWarm::default();
    let fetched = warm
        .read(
            &client,
            &TrackingSource::default(),
            Sweep::Off,
            false,
            DEMO_NOW_MS,
        )
        .await;
    let (report, read) = (fetched.report, fetched.result.unwrap());
    // The rule by hand over the fixture leaderboard (accountValue ≥ 100,000, allTime and month pnl
    // > 0, not the HLP vault; month pnl descending, ties by address).
    let want: Vec<&str> = [
        "whale",
        "flipper",
        "busy",
        "tie_a",
        "tie_b",
        "liquidated",
        "old_holder",
        "twap_gap",
        "isolated_and_spot",
        "flat",
        "at_the_minimum",
    ]
    .map(address)
    .to_vec();
    assert_eq!(read.tracked_wallets.wallets, want);
    assert!(read.failed_wallets.is_empty());
    // Every position as served: size to 10⁻⁸ coin, notional and pnl to the cent.
    let mut served = 0;
    for wallet in &want {
        for raw in hl::positions(wallet, DEMO_NOW_MS) {
            let got = position_of(&read.positions, wallet, raw.coin);
            assert_eq!(got.size, Fixed(units(&raw.szi, 8)), "{wallet} {}", raw.coin);
            assert_eq!(got.notional_usd, Fixed(units(&raw.position_value, 2)));
            assert_eq!(got.unrealized_pnl_usd, Fixed(units(&raw.unrealized_pnl, 2)));
            served += 1;
        }
    }
    assert_eq!(read.positions.len(), served);
    // Marks: every listed asset's markPx.
    for asset in hl::ASSETS.iter() {
        let mark = hl::mark(asset.name).unwrap();
        assert_eq!(
            read.marks[asset.name],
            Fixed(units(mark, 8)),
            "{}",
            asset.name
        );
    }
    // One leaderboard, one asset-context and one state request per wallet.
    assert_eq!(report.requests as usize, 2 + want.len());
    let sent = standin.request_count();
    let again = warm
        .read(
            &client,
            &TrackingSource::default(),
            Sweep::Off,
            false,
            DEMO_NOW_MS + 60_000,
        )
        .await;
    assert!(again.from_memo);
    assert_eq!(
        standin.request_count(),
        sent,
        "positions kept until the 5-minute boundary"
    );
    assert_eq!(again.result.unwrap().positions, read.positions);

    // A token row recomputed by hand from the served positions: BTC's longs and shorts.
    let rows = token_rows(&read.positions, Fixed(0), 1);
    let btc = rows.iter().find(|r| r.token == "BTC").unwrap();
    let (mut longs, mut shorts, mut long_cents, mut short_cents) = (0, 0, 0i64, 0i64);
    for wallet in &want {
        for raw in hl::positions(wallet, DEMO_NOW_MS)
            .iter()
            .filter(|p| p.coin == "BTC")
        {
            if raw.szi.starts_with('-') {
                shorts += 1;
                short_cents += units(&raw.position_value, 2);
            } else {
                longs += 1;
                long_cents += units(&raw.position_value, 2);
            }
        }
    }
    assert_eq!((btc.long_positions, btc.short_positions), (longs, shorts));
    assert_eq!(
        (btc.long_notional_usd, btc.short_notional_usd),
        (Fixed(long_cents), Fixed(short_cents))
    );
}

#[tokio::test]
async fn holds_are_read_from_the_fills_as_each_fixture_case_says() {
    let (standin, client) = setup().await;
    let warm = WalletsWarm::default();
    let read = warm
        .read(
            &client,
            &TrackingSource::default(),
            Sweep::LargestFirst,
            false,
            DEMO_NOW_MS,
        )
        .await
        .result
        .unwrap();
    let anchor = hl::anchor(DEMO_NOW_MS);
    let held = |label: &str, coin: &str| {
        let wallet = address(label);
        let p = position_of(&read.positions, wallet, coin);
        let history = read
            .histories
            .get(wallet)
            .unwrap_or_else(|| panic!("{label}'s fills not read"));
        hold(p.size, coin, history, DEMO_NOW_MS)
    };
    // The whale opened BTC with its buy 3 h before the anchor (and added 2 h before it).
    let whale = held("whale", "BTC");
    assert_eq!(
        (whale.opened_at_ms, whale.lower_bound),
        (Some(anchor - 3 * H), false)
    );
    assert_eq!(whale.held_ms, DEMO_NOW_MS - (anchor - 3 * H));
    // The flipper's SOL short opened at its Long > Short 20 h before the anchor.
    assert_eq!(held("flipper", "SOL").opened_at_ms, Some(anchor - 20 * H));
    // The old holder's fills never reach its BTC opening: at least the 7 days looked at.
    let old = held("old_holder", "BTC");
    assert_eq!((old.held_ms, old.lower_bound), (FILLS_LOOKBACK_MS, true));
    // The TWAP gap breaks the chain: a lower bound, no opening.
    let gap = read.histories.get(address("twap_gap")).unwrap();
    let coin = &gap.fills.last().unwrap().coin;
    let p = position_of(&read.positions, address("twap_gap"), coin);
    let h = hold(p.size, coin, gap, DEMO_NOW_MS);
    assert!(h.lower_bound && h.opened_at_ms.is_none(), "{h:?}");
    // The busy wallet's 2,600 fills, more than a page, are all there, once each.
    let busy = read.histories.get(address("busy")).unwrap();
    let served: Vec<u64> = hl::fills(address("busy"), DEMO_NOW_MS)
        .iter()
        .map(|f| f.tid)
        .collect();
    let mut read_tids: Vec<u64> = busy.fills.iter().map(|f| f.tid).collect();
    read_tids.sort_unstable();
    let mut want = served.clone();
    want.sort_unstable();
    assert_eq!(read_tids, want);
    // Never over the venue's 1,200 weight in a minute, counted at the stand-in.
    assert!(
        standin.max_weight_in_any_minute() <= 1_200,
        "{}",
        standin.max_weight_in_any_minute()
    );
}

/// A function with a small share (wallet-positions': 240 a minute) spends 42 on a cold read of the
/// 11 fixture wallets (asset contexts 20, positions 2 each); the sweep then asks only as many
/// wallets at once as it can reserve a full page (120) for, so it goes on wallet after wallet
/// instead of refusing itself; and the asked coin's holders come first, where the largest-first
/// order would leave one of them out.
#[tokio::test]
async fn a_small_share_sweeps_the_asked_coin_s_holders_first_within_its_weight() {
    use shared::domain::route::WALLET_POSITIONS;
    use std::collections::HashSet;
    let standin = standin::spawn(Switches::demo()).await.unwrap();
    let base = standin.base_url();
    let share = WALLET_POSITIONS.hyperliquid_weight;
    let cold_read = |sweep| {
        let client = Hyperliquid::new(
            policy::http_client().unwrap(),
            Some(&base),
            Some(&base),
            weight_budget(share),
        );
        async move {
            WalletsWarm::default()
                .read(
                    &client,
                    &TrackingSource::default(),
                    sweep,
                    false,
                    DEMO_NOW_MS,
                )
                .await
                .result
                .unwrap()
        }
    };
    let largest_first = cold_read(Sweep::LargestFirst).await;
    let holders: HashSet<&str> = largest_first
        .positions
        .iter()
        .map(|p| p.wallet.as_str())
        .collect();
    let swept = largest_first.histories.len();
    assert!(
        swept >= 3 && swept < holders.len(),
        "several wallets, one after another, but not all {}: {swept}",
        holders.len()
    );
    // A coin one of whose holders the largest-first order did not reach.
    let holders_of = |read: &shared::upstream::hyperliquid::warm::WalletsRead, coin: &str| {
        read.positions
            .iter()
            .filter(|p| p.coin == coin)
            .map(|p| p.wallet.clone())
            .collect::<Vec<_>>()
    };
    let coin = largest_first
        .positions
        .iter()
        .map(|p| p.coin.clone())
        .find(|c| {
            holders_of(&largest_first, c).len() <= 3
                && holders_of(&largest_first, c)
                    .iter()
                    .any(|w| !largest_first.histories.contains_key(w))
        })
        .expect("a coin the largest-first sweep leaves a holder of");
    let first = cold_read(Sweep::HoldersOf(&coin)).await;
    for wallet in holders_of(&first, &coin) {
        assert!(
            first.histories.contains_key(&wallet),
            "{coin}: {wallet}'s fills not swept"
        );
    }
    assert!(
        standin.max_weight_in_any_minute() <= 2 * (share + share / 10),
        "{} > two reads of the share and its headroom",
        standin.max_weight_in_any_minute()
    );
}
