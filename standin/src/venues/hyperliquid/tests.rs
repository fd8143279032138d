use super::wallets::units;
use super::*;
use crate::{spawn, Switches, DEMO_NOW_MS};

const NOW: i64 = DEMO_NOW_MS;

fn by_label(label: &str) -> &'static Wallet {
    WALLETS.iter().find(|w| w.label == label).unwrap()
}

fn signed(f: &RawFill) -> i128 {
    let sz = units(&f.sz);
    if f.side == "B" {
        sz
    } else {
        -sz
    }
}

#[test]
fn every_position_is_its_coin_s_last_fill_start_plus_its_signed_size() {
    for w in WALLETS {
        let fills = fills(w.address, NOW);
        let positions = positions(w.address, NOW);
        for a in ASSETS {
            let last = fills.iter().rfind(|f| f.coin == a.name);
            let held = positions.iter().find(|p| p.coin == a.name);
            let Some(last) = last else {
                // Only the priors (the old holder, the vault) hold without a fill.
                continue;
            };
            let after = units(&last.start_position) + signed(last);
            assert_eq!(
                after,
                held.map_or(0, |p| units(&p.szi)),
                "{} {}",
                w.label,
                a.name
            );
        }
        for p in &positions {
            // positionValue = |szi| × mark, exactly (to 10⁻⁶).
            let mark = units(mark(p.coin).unwrap());
            let value = units(&p.szi).abs() * mark / 1_000_000;
            assert_eq!(units(&p.position_value), value, "{} {}", w.label, p.coin);
        }
    }
}

#[test]
fn the_fixtures_exercise_each_rule() {
    let day = crate::data::DAY_MS;
    let opened = |label: &str, coin: &str| {
        // The newest fill whose startPosition is 0 or of the opposite sign to the position.
        let w = by_label(label);
        let held = units(
            &positions(w.address, NOW)
                .iter()
                .find(|p| p.coin == coin)
                .unwrap()
                .szi,
        );
        fills(w.address, NOW)
            .into_iter()
            .filter(|f| f.coin == coin)
            .rfind(|f| {
                let s = units(&f.start_position);
                s == 0 || s.signum() != held.signum()
            })
            .map(|f| f.time)
    };
    let a = anchor(NOW);
    assert_eq!(opened("whale", "BTC"), Some(a - 3 * 3_600_000));
    assert_eq!(opened("whale", "ETH"), Some(a - 10 * day), "beyond 7 days");
    assert_eq!(
        opened("flipper", "SOL"),
        Some(a - 20 * 3_600_000),
        "the flip"
    );
    assert_eq!(opened("liquidated", "HYPE"), Some(a - 6 * 3_600_000));
    assert_eq!(opened("old_holder", "BTC"), None, "older than every fill");
    let dirs: Vec<String> = fills(by_label("flipper").address, NOW)
        .into_iter()
        .map(|f| f.dir)
        .collect();
    assert!(dirs.contains(&"Long > Short".to_string()) && dirs.contains(&"Short > Long".into()));
    let liq = fills(by_label("liquidated").address, NOW);
    assert!(liq
        .iter()
        .any(|f| f.dir == "Liquidated Cross Long" && f.liquidation));
    // The chain break: the second ETH fill starts at 3.0 where the first ends at 1.0.
    let twap = fills(by_label("twap_gap").address, NOW);
    assert_eq!(units(&twap[0].start_position) + signed(&twap[0]), 1_000_000);
    assert_eq!(twap[1].start_position, "3.0");
    assert!(fills(by_label("busy").address, NOW).len() > MAX_FILLS);
    assert!(fills(by_label("isolated_and_spot").address, NOW)
        .iter()
        .any(|f| f.coin == "@107" && f.dir == "Buy"));
    // The vault has the largest month pnl on the leaderboard.
    let rows = leaderboard_rows();
    let top = rows.iter().max_by_key(|r| units(&r.pnl[2])).unwrap();
    assert_eq!(top.eth_address, HLP_VAULT);
}

#[test]
fn the_generated_leaderboard_is_about_40_mb() {
    let total: usize = (0..BENCH_LEADERBOARD_ROWS)
        .map(|i| generated_row(i).len() + 1)
        .sum();
    assert!((38_000_000..42_000_000).contains(&total), "{total}");
    let row: Value = serde_json::from_str(&generated_row(7)).unwrap();
    assert_eq!(row["windowPerformances"].as_array().unwrap().len(), 4);
}

async fn post(base: &str, body: &str) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .post(format!("{base}/info"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

fn fills_body(user: &str, start: i64) -> String {
    format!(
        r#"{{"type":"userFillsByTime","user":"{user}","startTime":{start},"aggregateByTime":false}}"#
    )
}

#[tokio::test]
async fn fills_page_by_start_time_oldest_first_or_newest_first_with_the_switch() {
    let s = spawn(Switches::demo()).await.unwrap();
    let busy = by_label("busy").address;
    let all = fills(busy, NOW);
    let start = NOW - 7 * crate::data::DAY_MS;
    let (status, _, body) = post(&s.base_url(), &fills_body(busy, start)).await;
    assert_eq!(status, 200);
    let page: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(page.len(), MAX_FILLS);
    assert_eq!(page[0]["tid"], all[0].tid);
    // The page ends inside one millisecond: the next page from its last time repeats a fill.
    let last = page[MAX_FILLS - 1]["time"].as_i64().unwrap();
    assert_eq!(all[MAX_FILLS].time, last);
    let (_, _, body) = post(&s.base_url(), &fills_body(busy, last)).await;
    let next: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(next.len(), BUSY_FILLS - MAX_FILLS + 1);
    assert_eq!(next[0]["tid"], all[MAX_FILLS - 1].tid);
    // Weight: 20 + 100, then 20 + ⌈601 / 20⌉ = 51.
    assert_eq!(s.weight_in_last_minute(), 120 + 51);
    s.update(|sw| sw.hyperliquid_fills_newest_first = true);
    let (_, _, body) = post(&s.base_url(), &fills_body(busy, start)).await;
    let newest: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(newest.len(), MAX_FILLS);
    assert_eq!(newest[0]["tid"], all[BUSY_FILLS - 1].tid);
    assert_eq!(
        newest[MAX_FILLS - 1]["tid"],
        all[BUSY_FILLS - MAX_FILLS].tid
    );
}

#[tokio::test]
async fn requests_it_cannot_read_are_415_400_422_and_get_is_405() {
    let s = spawn(Switches::demo()).await.unwrap();
    let base = s.base_url();
    let (status, ct, body) = post(&base, r#"{"type":"clearinghouseState","user":"bob"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (
            422,
            "Failed to deserialize the JSON body into the target type"
        )
    );
    assert!(ct.starts_with("text/plain"));
    for bad in [
        r#"{"type":"nope"}"#,
        r#"{"type":"userFillsByTime","user":"0x1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b2c3"}"#,
        r#"{"type":"userFillsByTime","user":"0x1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b2c3","startTime":"1"}"#,
    ] {
        assert_eq!(post(&base, bad).await.0, 422, "{bad}");
    }
    assert_eq!(post(&base, "{").await.0, 400);
    let text = reqwest::Client::new()
        .post(format!("{base}/info"))
        .body(r#"{"type":"metaAndAssetCtxs"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(text.status().as_u16(), 415);
    let get = reqwest::get(format!("{base}/info")).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(s.weight_in_last_minute(), 0, "nothing answered");
}

#[tokio::test]
async fn the_weight_limit_answers_429_null_and_faults_take_hyperliquid_s_forms() {
    let s = spawn(Switches::demo()).await.unwrap();
    let base = s.base_url();
    let meta = r#"{"type":"metaAndAssetCtxs"}"#;
    for _ in 0..60 {
        assert_eq!(post(&base, meta).await.0, 200);
    }
    assert_eq!(s.weight_in_last_minute(), 1_200);
    let (status, ct, body) = post(&base, meta).await;
    assert_eq!((status, body.as_str()), (429, "null"));
    assert!(ct.starts_with("application/json"));
    s.reset();
    s.update(|sw| sw.hyperliquid_unlimited_weight = true);
    s.push_fault(
        Fault::new(FaultKind::RateLimited)
            .at_hyperliquid(HlEndpoint::MetaAndAssetCtxs)
            .once(),
    );
    s.push_fault(
        Fault::new(FaultKind::ServerError)
            .at_hyperliquid(HlEndpoint::Any)
            .once(),
    );
    // A Binance fault never touches Hyperliquid.
    s.push_fault(Fault::new(FaultKind::Html));
    assert_eq!(post(&base, meta).await.2, "null");
    let (status, _, body) = post(&base, meta).await;
    assert_eq!((status, body.as_str()), (500, "null"));
    assert_eq!(post(&base, meta).await.0, 200);
    assert_eq!(
        s.max_weight_in_any_minute(),
        40,
        "the 500 and the answer, not the 429"
    );
    s.push_fault(
        Fault::new(FaultKind::Truncated)
            .at_hyperliquid(HlEndpoint::Leaderboard)
            .once(),
    );
    let lb = reqwest::get(format!("{base}{LEADERBOARD_PATH}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&lb).unwrap_err().is_eof());
    let lb = reqwest::get(format!("{base}{LEADERBOARD_PATH}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&lb).unwrap();
    assert_eq!(
        v["leaderboardRows"].as_array().unwrap().len(),
        leaderboard_rows().len()
    );
}

#[tokio::test]
async fn positions_and_marks_are_served_as_the_helpers_say() {
    let s = spawn(Switches::demo()).await.unwrap();
    let w = by_label("isolated_and_spot");
    let body = format!(
        r#"{{"type":"clearinghouseState","user":"{}"}}"#,
        w.address.to_uppercase().replace("0X", "0x")
    );
    let (status, _, body) = post(&s.base_url(), &body).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v, clearinghouse_state(w.address, NOW));
    let sol = &v["assetPositions"][1]["position"];
    assert_eq!(
        (sol["szi"].as_str(), sol["leverage"]["type"].as_str()),
        (Some("-300.0"), Some("isolated"))
    );
    assert!(sol["liquidationPx"].is_string());
    let (_, _, body) = post(&s.base_url(), r#"{"type":"metaAndAssetCtxs"}"#).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["universe"][0]["name"], "BTC");
    assert_eq!(v[1][0]["markPx"], "65000.0");
    assert_eq!(v[0]["universe"][6]["isDelisted"], true);
    assert_eq!(s.weight_in_last_minute(), 22);
}

// ---------------------------------------------------------------------------------------------
// The synthetic cohort (benchmarks)

use super::synthetic::{self, SYNTHETIC_SPAN_MS};
use std::collections::BTreeMap;

/// (coin, signed size) of each position served.
fn sizes(positions: &[RawPosition]) -> Vec<(&'static str, String)> {
    positions.iter().map(|p| (p.coin, p.szi.clone())).collect()
}

/// The default cohort rule of `/v1/wallets` (shared's `TrackingRule::default()`), restated:
/// account value ≥ 100,000, allTime and month pnl > 0, not the HLP vault; the 60 with the
/// largest month pnl, ties by address.
fn default_cohort(rows: &[LeaderboardRow]) -> Vec<String> {
    let mut admitted: Vec<&LeaderboardRow> = rows
        .iter()
        .filter(|r| {
            units(&r.account_value) >= 100_000 * 1_000_000
                && units(&r.pnl[3]) > 0
                && units(&r.pnl[2]) > 0
                && r.eth_address != HLP_VAULT
        })
        .collect();
    admitted.sort_by(|a, b| {
        units(&b.pnl[2])
            .cmp(&units(&a.pnl[2]))
            .then_with(|| a.eth_address.cmp(&b.eth_address))
    });
    admitted
        .iter()
        .take(60)
        .map(|r| r.eth_address.clone())
        .collect()
}

fn cohort(wallets: u32, fills: u32) -> Synthetic {
    Synthetic::of(&Switches {
        hyperliquid_synthetic_wallets: wallets,
        hyperliquid_synthetic_fills: fills,
        ..Switches::demo()
    })
}

#[test]
fn synthetic_fills_chain_from_zero_to_the_positions_served() {
    let a = anchor(NOW);
    let mut tids = std::collections::HashSet::new();
    for k in [1, 2, 3, 7, 200, 2_500] {
        let s = cohort(60, k);
        for i in 0..60 {
            let fills = s.fills(i, NOW);
            let positions = s.positions(i, NOW);
            let who = format!("wallet {i}, K = {k}");
            assert_eq!(fills.len(), k as usize, "{who}");
            assert!(
                (1..=3).contains(&positions.len()) || (k < 3 && positions.len() <= k as usize),
                "{who}: {} positions",
                positions.len()
            );
            // Inside the last 7 days, one per millisecond at most, oldest first.
            assert!(fills[0].time >= a - SYNTHETIC_SPAN_MS, "{who}");
            assert!(fills.last().unwrap().time < a, "{who}");
            assert!(fills.windows(2).all(|w| w[0].time < w[1].time), "{who}");
            // Each coin's chain: from 0, each fill starting where the previous one ended, the
            // newest ending at the size served; no fill in a coin not held.
            let mut running: BTreeMap<&str, i128> = BTreeMap::new();
            for f in &fills {
                let at = running.entry(f.coin).or_insert(0);
                assert_eq!(units(&f.start_position), *at, "{who}: {} chain", f.coin);
                assert!(units(&f.sz) > 0, "{who}");
                *at += signed(f);
                assert!(
                    f.dir.starts_with("Open ") || f.dir.starts_with("Close "),
                    "{who}"
                );
            }
            let held: BTreeMap<&str, i128> =
                positions.iter().map(|p| (p.coin, units(&p.szi))).collect();
            assert_eq!(running, held, "{who}: positions are where the fills end");
            for p in &positions {
                let asset = asset_named(p.coin).unwrap();
                assert!(!asset.is_delisted, "{who}");
                assert_ne!(units(&p.szi), 0, "{who}");
            }
            if k == 2_500 {
                assert!(
                    fills.iter().all(|f| tids.insert(f.tid)),
                    "{who}: tids unique"
                );
            }
        }
    }
    // Every wallet holds what it is meant to, with many fills as with few: 1–3 positions each,
    // all three counts met somewhere, and notionals from ~50,000 USD.
    let s = cohort(60, 200);
    let counts: Vec<usize> = (0..60).map(|i| s.positions(i, NOW).len()).collect();
    assert!((1..=3).all(|n| counts.contains(&n)), "{counts:?}");
    for i in 0..60 {
        for p in s.positions(i, NOW) {
            assert!(
                units(&p.position_value) >= 45_000 * 1_000_000,
                "{i} {}",
                p.coin
            );
        }
        assert_eq!(
            sizes(&cohort(60, 2_500).positions(i, NOW)),
            sizes(&s.positions(i, NOW)),
            "the sizes held do not depend on K"
        );
    }
}

#[test]
fn with_no_fills_the_synthetic_positions_are_held_from_before() {
    let s = cohort(5, 0);
    for i in 0..5 {
        assert!(s.fills(i, NOW).is_empty());
        assert_eq!(
            sizes(&s.positions(i, NOW)),
            sizes(&cohort(5, 9).positions(i, NOW))
        );
    }
}

#[test]
fn the_default_rule_selects_the_synthetic_wallets_above_every_other_row() {
    let mut rows = leaderboard_rows();
    let fixtures = default_cohort(&rows);
    assert_eq!(fixtures.len(), 11, "the fixtures alone: 11 pass the rule");
    // 60 synthetic wallets: the cohort is theirs, in index order, no fixture in it.
    rows.extend(cohort(60, 200).rows());
    let picked = default_cohort(&rows);
    let synthetic: Vec<String> = (0..60).map(synthetic::address).collect();
    assert_eq!(picked, synthetic);
    // 49: them, then the 11 fixtures in their own order.
    let mut rows = leaderboard_rows();
    rows.extend(cohort(49, 200).rows());
    let picked = default_cohort(&rows);
    assert_eq!(&picked[..49], &synthetic[..49]);
    assert_eq!(&picked[49..], &fixtures[..]);
    // Above the generated rows of the 40 MB leaderboard too (their month pnl < 900,000).
    let worst = units(&cohort(1_000, 1).rows()[999].pnl[2]);
    for i in (0..BENCH_LEADERBOARD_ROWS).step_by(97) {
        let row: Value = serde_json::from_str(&generated_row(i)).unwrap();
        let month = units(row["windowPerformances"][2][1]["pnl"].as_str().unwrap());
        assert!(month < worst, "row {i}");
    }
    // Off by default: no synthetic row, no synthetic wallet.
    let off = Synthetic::of(&Switches::default());
    assert!(off.rows().is_empty());
    assert_eq!(off.index(&synthetic::address(0)), None);
    assert_eq!(cohort(60, 1).index(&synthetic::address(59)), Some(59));
    assert_eq!(cohort(60, 1).index(&synthetic::address(60)), None);
}

#[tokio::test]
async fn the_synthetic_cohort_is_served_and_the_weight_is_readable_over_http() {
    let s = spawn(Switches::demo()).await.unwrap();
    let base = s.base_url();
    let http = reqwest::Client::new();
    let put = http
        .put(format!("{base}/__standin/switches"))
        .body(r#"{"hyperliquid_synthetic_wallets":3,"hyperliquid_synthetic_fills":2500}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);
    let get = |path: String| async move {
        let text = reqwest::get(path).await.unwrap().text().await.unwrap();
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let lb = get(format!("{base}{LEADERBOARD_PATH}")).await;
    let rows = lb["leaderboardRows"].as_array().unwrap();
    assert_eq!(rows.len(), leaderboard_rows().len() + 3);
    let user = synthetic::address(2);
    assert!(rows.iter().any(|r| r["ethAddress"] == user.as_str()));
    let body = format!(r#"{{"type":"clearinghouseState","user":"{user}"}}"#);
    let (status, _, body) = post(&base, &body).await;
    assert_eq!(status, 200);
    let state: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(state, cohort(3, 2_500).clearinghouse_state(2, NOW));
    // Fills in pages of 2,000, oldest first: 2,000 then the 500 left.
    let (_, _, body) = post(&base, &fills_body(&user, NOW - 7 * crate::data::DAY_MS)).await;
    let page: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(page.len(), MAX_FILLS);
    let last = page[MAX_FILLS - 1]["time"].as_i64().unwrap();
    let (_, _, body) = post(&base, &fills_body(&user, last)).await;
    let next: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(next.len(), 2_500 - MAX_FILLS + 1);
    let weight = get(format!("{base}/__standin/hyperliquid/weight")).await;
    // 2 + (20 + 100) + (20 + ⌈501 / 20⌉ = 46).
    assert_eq!(weight["in_last_minute"], 2 + 120 + 46);
    assert_eq!(weight["max_in_any_minute"], 2 + 120 + 46);
    assert_eq!(weight["total"], 2 + 120 + 46);
    assert_eq!(weight["requests"], 3);
    assert_eq!(weight["limit"], 1_200);
    assert_eq!(s.max_weight_in_any_minute(), 168);
}
