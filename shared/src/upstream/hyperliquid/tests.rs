//! The adapter against the stand-in: what it reads is what the stand-in's helpers say it
//! served; paging, weight, and Hyperliquid's error forms.

use super::*;
use crate::domain::Fixed;
use standin::hyperliquid as hl;
use standin::{Fault, FaultKind, HlEndpoint, StandInHandle, Switches, DEMO_NOW_MS};

const DAY: i64 = 86_400_000;

async fn setup(switches: Switches, planned: u32) -> (StandInHandle, Hyperliquid) {
    let standin = standin::spawn(switches).await.unwrap();
    let base = standin.base_url();
    let client = Hyperliquid::new(
        policy::http_client().unwrap(),
        Some(&base),
        Some(&base),
        weight_budget(planned),
    );
    (standin, client)
}

fn label(l: &str) -> &'static str {
    hl::WALLETS.iter().find(|w| w.label == l).unwrap().address
}

fn n(text: &str) -> parse::Num {
    parse::num("test", text).unwrap()
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn positions_and_marks_read_exactly_what_the_stand_in_served() {
    let (standin, client) = setup(Switches::demo(), 540).await;
    let whale = label("isolated_and_spot");
    let fetched = client.clearinghouse_state(whale, deadline()).await;
    assert_eq!(fetched.report.requests, 1);
    let state = fetched.result.unwrap();
    let served = hl::positions(whale, DEMO_NOW_MS);
    assert_eq!(state.positions.len(), served.len());
    for (got, raw) in state.positions.iter().zip(&served) {
        assert_eq!(got.coin, raw.coin);
        assert_eq!(got.szi, n(&raw.szi));
        assert_eq!(got.entry_px, n(&raw.entry_px));
        assert_eq!(got.position_value, n(&raw.position_value));
        assert_eq!(got.unrealized_pnl, n(&raw.unrealized_pnl));
        assert_eq!(got.liquidation_px, raw.liquidation_px.as_deref().map(n));
    }
    assert_eq!(state.account_value, Fixed(250_000_000_000));
    let ctxs = client.asset_ctxs(deadline()).await.result.unwrap();
    assert_eq!(ctxs.len(), hl::ASSETS.len());
    for (c, a) in ctxs.iter().zip(hl::ASSETS) {
        assert_eq!(
            (c.coin.as_str(), c.mark_px, c.is_delisted),
            (a.name, n(a.mark_px), a.is_delisted)
        );
        assert_eq!(c.open_interest, n(a.open_interest));
    }
    assert_eq!(standin.weight_in_last_minute(), 2 + 20);
    assert_eq!(client.budget.used(WEIGHT_KEY, now_ms()), 22);
}

#[tokio::test]
async fn fills_page_past_2000_in_either_order_to_the_same_history_and_weigh_what_was_counted() {
    for newest_first in [false, true] {
        let switches = Switches {
            hyperliquid_fills_newest_first: newest_first,
            ..Switches::demo()
        };
        let (standin, client) = setup(switches, 540).await;
        let busy = label("busy");
        let start = DEMO_NOW_MS - 7 * DAY;
        let future = client.user_fills(busy, start, None, deadline());
        assert_send(&future);
        let fetched = future.await;
        let history = fetched.result.unwrap();
        let served = hl::fills(busy, DEMO_NOW_MS);
        assert_eq!(
            history.fills.len(),
            hl::BUSY_FILLS,
            "newest first: {newest_first}"
        );
        assert_eq!(
            (history.pages, history.complete, fetched.report.requests),
            (2, true, 2)
        );
        let tids: Vec<u64> = history.fills.iter().map(|f| f.tid).collect();
        let want: Vec<u64> = served.iter().map(|f| f.tid).collect();
        assert_eq!(
            tids, want,
            "oldest first, the order they happened in within a millisecond"
        );
        // The chain holds across the page boundary (inside one millisecond).
        for pair in history.fills.windows(2) {
            assert_eq!(pair[0].end_position(), pair[1].start_position);
        }
        let last = history.fills.last().unwrap();
        let held = &hl::positions(busy, DEMO_NOW_MS)[0];
        assert_eq!(last.end_position(), n(&held.szi));
        // Oldest first: 2,000 then 601 (one repeated) = 120 + 51; newest first: 2,000 then the
        // 601 older ones (one repeated) — the same weights.
        assert_eq!(standin.weight_in_last_minute(), 171);
        assert_eq!(
            client.budget.used(WEIGHT_KEY, now_ms()),
            171,
            "settled to what was counted"
        );
    }
}

#[tokio::test]
async fn a_request_the_weight_budget_cannot_afford_is_not_sent() {
    // A share of 100: a fills page reserves 120 and is refused without asking.
    let (standin, client) = setup(Switches::demo(), 100).await;
    let got = client.user_fills(label("whale"), 0, None, deadline()).await;
    assert!(
        matches!(got.result, Err(ApiError::UpstreamBudgetExhausted { .. })),
        "{:?}",
        got.result
    );
    assert_eq!((got.report.requests, standin.request_count()), (0, 0));
    for _ in 0..5 {
        client.asset_ctxs(deadline()).await.result.unwrap();
    }
    assert!(matches!(
        client.asset_ctxs(deadline()).await.result,
        Err(ApiError::UpstreamBudgetExhausted {
            retry_after_secs: 60
        })
    ));
    assert_eq!(standin.request_count(), 5);
    assert_eq!(standin.max_weight_in_any_minute(), 100);
}

#[tokio::test]
async fn hyperliquid_s_error_forms_map_onto_the_policy() {
    let (standin, client) = setup(Switches::demo(), 540).await;
    let at = |kind| {
        Fault::new(kind)
            .at_hyperliquid(HlEndpoint::MetaAndAssetCtxs)
            .once()
    };
    // 422: our bug, 502, not retried.
    standin.push_fault(at(FaultKind::BadBody));
    let got = client.asset_ctxs(deadline()).await;
    assert_eq!(
        (got.result.unwrap_err().status(), got.report.requests),
        (502, 1)
    );
    // 500 null: not transient, not retried.
    standin.push_fault(at(FaultKind::InvalidSymbol));
    let got = client.asset_ctxs(deadline()).await;
    assert_eq!(
        (got.result.unwrap_err().code(), got.report.requests),
        ("upstream_error", 1)
    );
    // Another 5xx: retried.
    standin.push_fault(at(FaultKind::Unavailable));
    let got = client.asset_ctxs(deadline()).await;
    assert!(got.result.is_ok());
    assert_eq!(got.report.requests, 2);
    // HTML and a truncated body: unreadable, 502.
    for kind in [
        FaultKind::Html,
        FaultKind::Truncated,
        FaultKind::GarbageNumbers,
    ] {
        standin.push_fault(at(kind));
        assert_eq!(
            client
                .asset_ctxs(deadline())
                .await
                .result
                .unwrap_err()
                .code(),
            "upstream_error",
            "{kind:?}"
        );
    }
    // 429 null: rate limited, quiet for a minute, nothing sent meanwhile.
    standin.push_fault(at(FaultKind::RateLimited));
    let got = client.asset_ctxs(deadline()).await;
    assert!(matches!(
        got.result,
        Err(ApiError::UpstreamRateLimited {
            retry_after_secs: 60
        })
    ));
    let sent = standin.request_count();
    let got = client.clearinghouse_state(label("whale"), deadline()).await;
    assert!(matches!(
        got.result,
        Err(ApiError::UpstreamRateLimited { .. })
    ));
    assert!(matches!(
        client
            .leaderboard(&TrackingRule::default(), deadline())
            .await
            .result,
        Err(ApiError::UpstreamRateLimited { .. })
    ));
    assert_eq!(standin.request_count(), sent, "quiet");
}

#[tokio::test]
async fn a_hang_ends_at_the_deadline() {
    let (standin, client) = setup(Switches::demo(), 540).await;
    standin.push_fault(
        Fault::new(FaultKind::Hang)
            .at_hyperliquid(HlEndpoint::Any)
            .once(),
    );
    let soon = Instant::now() + std::time::Duration::from_millis(300);
    let got = client.clearinghouse_state(label("whale"), soon).await;
    assert!(matches!(got.result, Err(ApiError::UpstreamTimeout)));
}

#[tokio::test]
async fn the_leaderboard_streams_into_the_contract_s_cohort() {
    let (standin, client) = setup(Switches::demo(), 540).await;
    let got = client
        .leaderboard(&TrackingRule::default(), deadline())
        .await
        .result
        .unwrap();
    // By hand from the fixtures (README of the stand-in's wallets): accountValue ≥ 100,000,
    // allTime > 0, month > 0, not the vault; month pnl descending, ties by address.
    let want = [
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
    ];
    let got_labels: Vec<&str> = got
        .wallets
        .iter()
        .map(|w| {
            hl::WALLETS
                .iter()
                .find(|f| f.address == w.address)
                .unwrap()
                .label
        })
        .collect();
    assert_eq!(got_labels, want);
    assert_eq!(got.rows_read as usize, hl::leaderboard_rows().len());
    // A generated leaderboard streams in chunks; a truncated one is unreadable.
    standin.update(|sw| sw.hyperliquid_leaderboard_rows = 3_000);
    let big = client
        .leaderboard(&TrackingRule::default(), deadline())
        .await
        .result
        .unwrap();
    assert_eq!(big.rows_read as usize, hl::leaderboard_rows().len() + 3_000);
    assert_eq!(big.wallets.len(), 60);
    standin.push_fault(
        Fault::new(FaultKind::Truncated)
            .at_hyperliquid(HlEndpoint::Leaderboard)
            .once(),
    );
    let cut = client
        .leaderboard(&TrackingRule::default(), deadline())
        .await;
    assert_eq!(cut.result.unwrap_err().code(), "upstream_error");
    assert_eq!(
        standin.weight_in_last_minute(),
        0,
        "the leaderboard is not an info request"
    );
}

/// The capacity model's shares of Hyperliquid's weight (`domain::route`): together within the
/// plan, the plan a tenth under the limit, and every function that reads Hyperliquid (the two
/// wallet routes, and MCP for its `wallets` and `wallet_positions` tools) able to afford a cold
/// read: the asset contexts and every tracked wallet's positions.
#[test]
fn the_shares_of_hyperliquid_s_weight_sum_within_the_plan_and_each_affords_a_cold_read() {
    use crate::domain::route::{self, share, CAPACITY_MODEL};
    use leaderboard::DEFAULT_COHORT_SIZE;

    // Hyperliquid's documented limit, as the stand-in enforces it; the plan keeps 10% headroom.
    assert_eq!(WEIGHT_LIMIT, hl::WEIGHT_PER_MINUTE);
    assert_eq!(WEIGHT_LIMIT, 1_200);
    assert_eq!(PLANNED_WEIGHT, WEIGHT_LIMIT - WEIGHT_LIMIT / 10);

    let planned: u32 = CAPACITY_MODEL
        .iter()
        .map(|s| s.hyperliquid_weight * s.instances)
        .sum();
    assert!(planned <= PLANNED_WEIGHT, "{planned} > {PLANNED_WEIGHT}");

    let cold_read =
        META_AND_ASSET_CTXS_WEIGHT + DEFAULT_COHORT_SIZE as u32 * CLEARINGHOUSE_STATE_WEIGHT;
    assert_eq!(
        cold_read, 140,
        "asset contexts 20, 60 wallets' positions at 2"
    );
    let readers = [
        route::WALLETS.route,
        route::WALLET_POSITIONS.route,
        route::MCP.route,
    ];
    for route in readers {
        let s = share(route).unwrap();
        assert!(
            s.hyperliquid_weight >= cold_read,
            "{route}: {} < {cold_read}",
            s.hyperliquid_weight
        );
    }
    for s in CAPACITY_MODEL {
        assert_eq!(
            s.hyperliquid_weight > 0,
            readers.contains(&s.route),
            "{}: only the functions with a wallet route or tool read Hyperliquid",
            s.route
        );
    }
}
