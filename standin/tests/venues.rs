//! OKX, Bybit, Gate, Bitget and Binance's open interest and klines over real HTTP: each venue's
//! wire format, ordering, paging and error forms, as `upstream-venues.md` describes them.

use serde_json::Value;
use standin::venues::{binance, bitget, bybit, gate, okx};
use standin::*;

const H: i64 = 3_600_000;
const DAY: i64 = 24 * H;

struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn get(s: &StandInHandle, path: &str) -> Reply {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}{path}", s.base_url()))
        .send()
        .await
        .unwrap();
    Reply {
        status: r.status().as_u16(),
        body: r.text().await.unwrap(),
    }
}

async fn demo() -> StandInHandle {
    spawn(Switches::demo()).await.unwrap()
}

fn text_i64(v: &Value) -> i64 {
    v.as_str().unwrap().parse().unwrap()
}

fn text_f64(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

fn share(venue: Venue, cohort: Cohort, period_ms: i64, ts: i64) -> f64 {
    venue_long_share(venue, "BTCUSDT", cohort, period_ms, ts).unwrap()
}

#[tokio::test]
async fn okx_serves_unrounded_ratio_pairs_newest_first_and_pages_by_exclusive_end() {
    let s = demo().await;
    let path = okx::RATIO_PATHS[2].0; // top traders by position
    let body = get(&s, &format!("{path}?instId=BTC-USDT-SWAP&period=1H")).await;
    assert_eq!(body.status, 200);
    let v = body.json();
    assert_eq!(v["code"], "0");
    let rows = v["data"].as_array().unwrap();
    assert_eq!(rows.len(), 100, "default and maximum limit");
    let stamps: Vec<i64> = rows.iter().map(|r| text_i64(&r[0])).collect();
    assert_eq!(stamps[0], DEMO_NEWEST_1H_MS, "newest first");
    assert!(stamps.windows(2).all(|w| w[0] - w[1] == H));
    for (row, ts) in rows.iter().zip(&stamps) {
        let s = share(Venue::Okx, Cohort::TopTradersByPosition, H, *ts);
        assert_eq!(text_f64(&row[1]), s / (1.0 - s), "ratio at {ts}, unrounded");
    }
    assert!(
        rows.iter()
            .any(|r| r[1].as_str().unwrap().split('.').nth(1).unwrap().len() > 4),
        "some ratio carries more than 4 decimals"
    );
    // The next page: `end` is exclusive, so it starts one bucket before the oldest row.
    let oldest = stamps[99];
    let next = get(
        &s,
        &format!("{path}?instId=BTC-USDT-SWAP&period=1H&limit=3&end={oldest}"),
    )
    .await
    .json();
    let page: Vec<i64> = next["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| text_i64(&r[0]))
        .collect();
    assert_eq!(page, [oldest - H, oldest - 2 * H, oldest - 3 * H]);
}

#[tokio::test]
async fn okx_spells_periods_its_own_way_and_answers_errors_in_its_envelope() {
    let s = demo().await;
    let path = okx::RATIO_PATHS[0].0;
    let code = |r: &Reply| (r.status, r.json()["code"].as_str().unwrap().to_string());
    let lower = get(&s, &format!("{path}?instId=BTC-USDT-SWAP&period=1h")).await;
    assert_eq!(
        code(&lower),
        (400, "51000".into()),
        "1h is not OKX's spelling"
    );
    let over = get(
        &s,
        &format!("{path}?instId=BTC-USDT-SWAP&period=1H&limit=101"),
    )
    .await;
    assert_eq!(code(&over), (400, "51000".into()));
    let unknown = get(&s, &format!("{path}?instId=NOPE-USDT-SWAP&period=1H")).await;
    assert_eq!(
        code(&unknown),
        (200, "51001".into()),
        "unknown instrument: HTTP 200"
    );
    // 1D opens at UTC+8 (16:00 UTC); 1Dutc at midnight UTC, a day apart at most.
    let first = |spelled: &str| {
        let s = &s;
        let spelled = spelled.to_string();
        async move {
            let v = get(
                s,
                &format!("{path}?instId=BTC-USDT-SWAP&period={spelled}&limit=1"),
            )
            .await
            .json();
            text_i64(&v["data"][0][0])
        }
    };
    let (utc, utc8) = (first("1Dutc").await, first("1D").await);
    assert_eq!(utc.rem_euclid(DAY), 0);
    assert_eq!(utc8.rem_euclid(DAY), 16 * H);
    assert_eq!(utc - utc8, 8 * H);
    // The open interest: [ts, contracts, coins, usd], contracts = coins × 100.
    let oi = get(
        &s,
        &format!(
            "{}?instId=BTC-USDT-SWAP&period=1H&limit=1",
            okx::OPEN_INTEREST_PATH
        ),
    )
    .await
    .json();
    let row = &oi["data"][0];
    let (coins, usd) = open_interest(Venue::Okx, "BTCUSDT", DEMO_NEWEST_1H_MS).unwrap();
    assert_eq!(text_i64(&row[0]), DEMO_NEWEST_1H_MS);
    assert_eq!(text_f64(&row[1]), (coins * 100.0).round());
    assert_eq!(row[2].as_str().unwrap(), format!("{coins:.4}"));
    assert_eq!(row[3].as_str().unwrap(), format!("{usd:.4}"));
}

#[tokio::test]
async fn bybit_serves_all_accounts_as_strings_newest_first_and_limits_with_a_bare_403() {
    let s = demo().await;
    let base = format!(
        "{}?category=linear&symbol=BTCUSDT",
        bybit::ACCOUNT_RATIO_PATH
    );
    let wrong = get(&s, &format!("{base}&period=5m")).await;
    assert_eq!(wrong.status, 200, "Bybit's errors are HTTP 200");
    assert_eq!(wrong.json()["retCode"], 10001, "5m is spelled 5min");
    let v = get(&s, &format!("{base}&period=1h&limit=3")).await.json();
    assert_eq!(
        (v["retCode"].as_i64(), v["retMsg"].as_str()),
        (Some(0), Some("OK"))
    );
    let list = v["result"]["list"].as_array().unwrap();
    let stamps: Vec<i64> = list.iter().map(|r| text_i64(&r["timestamp"])).collect();
    assert_eq!(
        stamps,
        [
            DEMO_NEWEST_1H_MS,
            DEMO_NEWEST_1H_MS - H,
            DEMO_NEWEST_1H_MS - 2 * H
        ]
    );
    let newest = &list[0];
    let expected = share(Venue::Bybit, Cohort::RetailCrowd, H, DEMO_NEWEST_1H_MS);
    let long = (expected * 1e4).round() as i64;
    assert_eq!(newest["buyRatio"], data::fmt_e4(long).as_str());
    assert_eq!(newest["sellRatio"], data::fmt_e4(10_000 - long).as_str());
    let five = get(&s, &format!("{base}&period=5min&limit=1")).await.json();
    assert_eq!(
        text_i64(&five["result"]["list"][0]["timestamp"]),
        newest_bucket(DEMO_NOW_MS, 5 * 60_000)
    );

    s.push_fault(Fault::new(FaultKind::RateLimited).at(Venue::Bybit).once());
    let limited = get(&s, &format!("{base}&period=1h")).await;
    assert_eq!(
        (limited.status, limited.body.as_str()),
        (403, "access too frequent")
    );
    assert_eq!(get(&s, &format!("{base}&period=1h")).await.status, 200);
    // Its API rate limit: HTTP 200, retCode 10006 (https://bybit-exchange.github.io/docs/v5/rate-limit).
    s.push_fault(
        Fault::new(FaultKind::RateLimitedInBody)
            .at(Venue::Bybit)
            .once(),
    );
    let visits = get(&s, &format!("{base}&period=1h")).await;
    assert_eq!(visits.status, 200);
    let v = visits.json();
    assert_eq!(
        (v["retCode"].as_i64(), v["retMsg"].as_str()),
        (Some(10006), Some("Too many visits!"))
    );
}

#[tokio::test]
async fn gate_serves_numbers_with_second_timestamps_oldest_first_and_zero_for_no_data() {
    let s = demo().await;
    let missing = DEMO_NEWEST_1H_MS - 2 * H;
    s.update(|sw| {
        sw.missing_buckets
            .push(MissingBucket::only(Cohort::TopTradersByPosition, missing).on(Venue::Gate))
    });
    let rows = get(
        &s,
        &format!("{}?contract=BTC_USDT&interval=1h&limit=4", gate::PATH),
    )
    .await
    .json();
    let rows = rows.as_array().unwrap();
    let times: Vec<i64> = rows.iter().map(|r| r["time"].as_i64().unwrap()).collect();
    assert_eq!(
        times,
        (0..4)
            .rev()
            .map(|i| (DEMO_NEWEST_1H_MS - i * H) / 1000)
            .collect::<Vec<_>>(),
        "seconds, oldest first"
    );
    // Closed rows hold the state at their close (ts + 1h); the newest, still open, moves.
    for row in &rows[..3] {
        let ts = row["time"].as_i64().unwrap() * 1000;
        let ratio = |c| {
            let s = share(Venue::Gate, c, H, ts + H);
            s / (1.0 - s)
        };
        assert!(row["lsr_account"].is_f64(), "a JSON number");
        // serde_json's default float parsing may miss the written f64 by an ulp.
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        let all = row["lsr_account"].as_f64().unwrap();
        assert!(near(all, ratio(Cohort::RetailCrowd)), "{all}");
        let top = row["top_lsr_size"].as_f64().unwrap();
        if ts == missing {
            assert_eq!(top, 0.0, "no data reads 0");
        } else {
            assert!(near(top, ratio(Cohort::TopTradersByPosition)), "{top}");
        }
    }
    // `from` (seconds) pages forward: the first `limit` rows from it.
    let from = (DEMO_NEWEST_1H_MS - 10 * H) / 1000;
    let page = get(
        &s,
        &format!(
            "{}?contract=BTC_USDT&interval=1h&limit=2&from={from}",
            gate::PATH
        ),
    )
    .await
    .json();
    let page: Vec<i64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["time"].as_i64().unwrap())
        .collect();
    assert_eq!(page, [from, from + 3600]);
    let unknown = get(
        &s,
        &format!("{}?contract=NOPE_USDT&interval=1h", gate::PATH),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.json()["label"].as_str()),
        (400, Some("CONTRACT_NOT_FOUND"))
    );
    let two_hours = get(&s, &format!("{}?contract=BTC_USDT&interval=2h", gate::PATH)).await;
    assert_eq!(two_hours.status, 400, "Gate has no 2h");
    // `limit` is at most 100, as Gate's own SDK checks it (gateapi-python, list_contract_stats).
    let over = get(
        &s,
        &format!("{}?contract=BTC_USDT&interval=1h&limit=101", gate::PATH),
    )
    .await;
    assert_eq!(
        (over.status, over.json()["label"].as_str()),
        (400, Some("INVALID_PARAM_VALUE"))
    );
    let full = get(
        &s,
        &format!("{}?contract=BTC_USDT&interval=1h&limit=100", gate::PATH),
    )
    .await;
    assert_eq!(full.json().as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn gate_s_newest_row_is_the_open_bucket_and_moves_until_it_closes() {
    let s = demo().await;
    let path = format!("{}?contract=BTC_USDT&interval=1h&limit=2", gate::PATH);
    let at = |now: i64| {
        let s = &s;
        let path = path.clone();
        async move {
            s.update(|sw| sw.now_ms = Some(now));
            get(s, &path).await.json()
        }
    };
    // 13:00:50 and 13:30: the newest row is the 13:00 bucket, still open.
    let early = at(DEMO_NOW_MS).await;
    let later = at(DEMO_NEWEST_1H_MS + H / 2).await;
    let time = |v: &Value, i: usize| v[i]["time"].as_i64().unwrap() * 1000;
    assert_eq!(
        (time(&early, 1), time(&later, 1)),
        (DEMO_NEWEST_1H_MS, DEMO_NEWEST_1H_MS)
    );
    for key in [
        "lsr_account",
        "top_lsr_account",
        "top_lsr_size",
        "open_interest_usd",
    ] {
        assert_ne!(
            early[1][key], later[1][key],
            "{key} moves while the bucket is open"
        );
        assert_eq!(
            early[0][key], later[0][key],
            "{key} of a closed bucket holds"
        );
    }
    // Once closed (14:00:05), the 13:00 row holds the state at 14:00, and keeps it.
    let closed = at(DEMO_NEWEST_1H_MS + H + 5_000).await;
    let after = at(DEMO_NEWEST_1H_MS + 2 * H).await;
    assert_eq!(time(&closed, 0), DEMO_NEWEST_1H_MS);
    let s14 = share(Venue::Gate, Cohort::RetailCrowd, H, DEMO_NEWEST_1H_MS + H);
    let served = closed[0]["lsr_account"].as_f64().unwrap();
    assert!((served - s14 / (1.0 - s14)).abs() < 1e-12, "{served}");
    assert_eq!(closed[0], after[0]);
}

#[tokio::test]
async fn bitget_serves_shares_oldest_first_with_a_ratio_field_scaled_by_one_hundredth() {
    let s = demo().await;
    let (path, _, [long_key, short_key, ratio_key]) = bitget::PATHS[2];
    let v = get(&s, &format!("{path}?symbol=BTCUSDT&period=1h"))
        .await
        .json();
    assert_eq!(v["code"], "00000");
    let rows = v["data"].as_array().unwrap();
    assert_eq!(rows.len(), bitget::ROWS);
    let stamps: Vec<i64> = rows.iter().map(|r| text_i64(&r["ts"])).collect();
    assert_eq!(*stamps.last().unwrap(), DEMO_NEWEST_1H_MS, "oldest first");
    assert!(stamps.windows(2).all(|w| w[1] - w[0] == H));
    let newest = rows.last().unwrap();
    let long = (share(
        Venue::Bitget,
        Cohort::TopTradersByPosition,
        H,
        DEMO_NEWEST_1H_MS,
    ) * 1e4)
        .round() as i64;
    assert_eq!(newest[long_key], data::fmt_e4(long).as_str());
    assert_eq!(newest[short_key], data::fmt_e4(10_000 - long).as_str());
    // (long / short) / 100, truncated: e.g. 0.6 / 0.4 → "0.0150", not "1.5000".
    let scaled = (long as f64 / (10_000 - long) as f64 / 100.0 * 1e4).trunc() as i64;
    assert_eq!(newest[ratio_key], data::fmt_e4(scaled).as_str());
    assert!(text_f64(&newest[ratio_key]) < 0.1);

    let day = |path: &str, spelled: &str| format!("{path}?symbol=BTCUSDT&period={spelled}");
    let all = bitget::PATHS[0].0;
    assert_eq!(get(&s, &day(all, "1d")).await.json()["code"], "40019");
    assert_eq!(get(&s, &day(all, "1Dutc")).await.json()["code"], "00000");
    assert_eq!(get(&s, &day(path, "1Dutc")).await.json()["code"], "40019");
    assert_eq!(get(&s, &day(path, "1d")).await.json()["code"], "00000");
    let unknown = get(&s, &format!("{path}?symbol=NOPEUSDT&period=1h")).await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].as_str()),
        (400, Some("40034"))
    );
    s.push_fault(Fault::new(FaultKind::RateLimited).at(Venue::Bitget).once());
    let limited = get(&s, &format!("{path}?symbol=BTCUSDT&period=1h")).await;
    assert_eq!(
        (limited.status, limited.json()["code"].as_str()),
        (429, Some("429"))
    );
    s.push_fault(
        Fault::new(FaultKind::RateLimitedInBody)
            .at(Venue::Bitget)
            .once(),
    );
    let in_body = get(&s, &format!("{path}?symbol=BTCUSDT&period=1h")).await;
    assert_eq!(
        (in_body.status, in_body.json()["code"].as_str()),
        (200, Some("429"))
    );
}

#[tokio::test]
async fn bitget_s_large_holder_days_open_at_16_utc_and_its_all_accounts_1dutc_at_midnight() {
    let s = demo().await;
    let newest = |path: &'static str, spelled: &'static str| {
        let s = &s;
        async move {
            let v = get(s, &format!("{path}?symbol=BTCUSDT&period={spelled}"))
                .await
                .json();
            let rows = v["data"].as_array().unwrap().clone();
            rows.iter()
                .map(|r| text_i64(&r["ts"]))
                .collect::<Vec<i64>>()
        }
    };
    let utc = newest(bitget::PATHS[0].0, "1Dutc").await;
    assert!(utc.iter().all(|ts| ts.rem_euclid(DAY) == 0), "{utc:?}");
    for (path, _, _) in &bitget::PATHS[1..] {
        let days = newest(path, "1d").await;
        assert!(
            days.iter().all(|ts| ts.rem_euclid(DAY) == 16 * H),
            "{days:?}"
        );
        assert!(days.windows(2).all(|w| w[1] - w[0] == DAY));
        // 13:00:50 UTC on the demo day: the newest day opened at 16:00 UTC the day before.
        assert_eq!(*days.last().unwrap(), DEMO_NEWEST_1H_MS - 13 * H - 8 * H);
    }
    // Shorter periods stay on the UTC grid.
    let hours = newest(bitget::PATHS[2].0, "12h").await;
    assert!(hours.iter().all(|ts| ts.rem_euclid(12 * H) == 0));
}

#[tokio::test]
async fn a_fault_at_one_venue_leaves_the_others_alone() {
    let s = demo().await;
    s.push_fault(Fault::new(FaultKind::RateLimited).at(Venue::Okx));
    let okx_path = format!("{}?instId=BTC-USDT-SWAP&period=1H", okx::RATIO_PATHS[0].0);
    let limited = get(&s, &okx_path).await;
    assert_eq!(
        (limited.status, limited.json()["code"].as_str()),
        (429, Some("50011"))
    );
    let gate = get(&s, &format!("{}?contract=BTC_USDT&interval=1h", gate::PATH)).await;
    assert_eq!(gate.status, 200);
    let binance = get(
        &s,
        "/futures/data/globalLongShortAccountRatio?symbol=BTCUSDT&period=1h",
    )
    .await;
    assert_eq!(binance.status, 200);
    assert_eq!(get(&s, &okx_path).await.status, 429, "not a one-off");
    let venues: Vec<Option<Venue>> = s.requests().iter().map(|r| r.venue).collect();
    let okx = Some(Venue::Okx);
    assert_eq!(venues, [okx, Some(Venue::Gate), Some(Venue::Binance), okx]);
}

#[tokio::test]
async fn binance_klines_end_with_the_open_bar_and_each_close_is_the_next_open() {
    let s = demo().await;
    let rows = get(
        &s,
        &format!(
            "{}?symbol=BTCUSDT&interval=1h&limit=3",
            binance::KLINES_PATH
        ),
    )
    .await
    .json();
    let rows = rows.as_array().unwrap();
    let opens: Vec<i64> = rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    let open_bar = DEMO_NOW_MS.div_euclid(H) * H;
    assert_eq!(opens, [open_bar - 2 * H, open_bar - H, open_bar]);
    assert_eq!(rows[2][6].as_i64(), Some(open_bar + H - 1), "close time");
    let price_text = |ts| binance::price_text(price("BTCUSDT", ts).unwrap());
    for (row, open) in rows.iter().zip(&opens) {
        assert_eq!(
            row[1].as_str().unwrap(),
            price_text(*open),
            "open, a string"
        );
    }
    assert_eq!(
        rows[0][4], rows[1][1],
        "a closed bar closes at the next bar's open"
    );
    assert_eq!(
        rows[2][4].as_str().unwrap(),
        price_text(DEMO_NOW_MS),
        "the open bar's close is the price now"
    );
    let bad = get(
        &s,
        &format!("{}?symbol=NOPEUSDT&interval=1h", binance::KLINES_PATH),
    )
    .await;
    assert_eq!(
        (bad.status, bad.json()["code"].as_i64()),
        (400, Some(-1121))
    );

    let oi = get(
        &s,
        &format!(
            "{}?symbol=BTCUSDT&period=1h&limit=2",
            binance::OPEN_INTEREST_PATH
        ),
    )
    .await
    .json();
    let newest = &oi[1];
    let (coins, usd) = open_interest(Venue::Binance, "BTCUSDT", DEMO_NEWEST_1H_MS).unwrap();
    assert_eq!(newest["timestamp"].as_i64(), Some(DEMO_NEWEST_1H_MS));
    assert_eq!(newest["sumOpenInterest"], format!("{coins:.8}").as_str());
    assert_eq!(newest["sumOpenInterestValue"], format!("{usd:.8}").as_str());
    assert_eq!(oi[0]["timestamp"].as_i64(), Some(DEMO_NEWEST_1H_MS - H));
}
