//! End-to-end behaviour over real HTTP.

use serde_json::{json, Value};
use standin::*;
use std::time::{Duration, Instant};

const H: i64 = 3_600_000;
const BTC_RETAIL: &str = "/futures/data/globalLongShortAccountRatio?symbol=BTCUSDT&period=1h";

struct Reply {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    let r = req.send().await.unwrap();
    let header = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
    let (content_type, retry_after) = (
        header("content-type").unwrap_or_default(),
        header("retry-after"),
    );
    Reply {
        status: r.status().as_u16(),
        content_type,
        retry_after,
        body: r.text().await.unwrap(),
    }
}

async fn get(s: &StandInHandle, path: &str) -> Reply {
    send(client().get(format!("{}{path}", s.base_url()))).await
}

async fn demo() -> StandInHandle {
    spawn(Switches {
        now_ms: Some(DEMO_NOW_MS),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn stamps(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["timestamp"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn rows_have_binance_shape_and_come_oldest_first() {
    let s = demo().await;
    let r = get(&s, BTC_RETAIL).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/json")
    );
    let rows = r.json();
    let ts = stamps(&rows);
    assert_eq!(ts.len(), 30, "default limit");
    assert_eq!(*ts.last().unwrap(), DEMO_NEWEST_1H_MS);
    assert!(
        ts.windows(2).all(|w| w[1] - w[0] == H),
        "oldest first, contiguous"
    );
    let expected = row("BTCUSDT", Cohort::RetailCrowd, H, DEMO_NEWEST_1H_MS).unwrap();
    let newest = &rows[29];
    let mut keys: Vec<&String> = newest.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "longAccount",
            "longShortRatio",
            "shortAccount",
            "symbol",
            "timestamp"
        ]
    );
    // Raw text keeps Binance's key order and a numeric timestamp.
    assert!(r.body.ends_with(&format!(
        r#"{{"symbol":"BTCUSDT","longAccount":"{}","longShortRatio":"{:.4}","shortAccount":"{}","timestamp":{}}}]"#,
        data::fmt_e4(expected.long_e4()),
        expected.long_short_ratio(),
        data::fmt_e4(expected.short_e4()),
        DEMO_NEWEST_1H_MS
    )));
    for row in rows.as_array().unwrap() {
        let (long, short) = (
            row["longAccount"].as_str().unwrap(),
            row["shortAccount"].as_str().unwrap(),
        );
        for v in [long, short, row["longShortRatio"].as_str().unwrap()] {
            assert_eq!(v.split_once('.').unwrap().1.len(), 4, "{v}");
        }
        let e4 = |v: &str| v.replace('.', "").parse::<i64>().unwrap();
        assert_eq!(e4(long) + e4(short), 10_000);
    }
    s.update(|sw| sw.timestamp_as_string = true);
    let rows = get(&s, BTC_RETAIL).await.json();
    assert_eq!(rows[29]["timestamp"], json!(DEMO_NEWEST_1H_MS.to_string()));
}

#[tokio::test]
async fn the_position_ratio_can_spell_its_shares_long_position_and_short_position() {
    let s = demo().await;
    let position = "/futures/data/topLongShortPositionRatio?symbol=BTCUSDT&period=1h&limit=2";
    let before = get(&s, position).await.json();
    s.update(|sw| sw.position_keys = true);
    let after = get(&s, position).await.json();
    for (old, new) in before
        .as_array()
        .unwrap()
        .iter()
        .zip(after.as_array().unwrap())
    {
        assert_eq!(new["longPosition"], old["longAccount"]);
        assert_eq!(new["shortPosition"], old["shortAccount"]);
        assert!(new.get("longAccount").is_none() && new.get("shortAccount").is_none());
        assert_eq!(new["timestamp"], old["timestamp"]);
    }
    // The two account ratios keep their spelling.
    let retail = get(&s, BTC_RETAIL).await.json();
    assert!(retail[0].get("longAccount").is_some());
}

#[tokio::test]
async fn parameters_are_validated_like_binance() {
    let s = demo().await;
    let base = "/futures/data/topLongShortPositionRatio";
    let check = |status: u16, code: i64, needle: &'static str| {
        move |r: Reply| {
            assert_eq!(r.status, status, "{}", r.body);
            assert_eq!(r.json()["code"], code);
            assert!(
                r.json()["msg"].as_str().unwrap().contains(needle),
                "{}",
                r.body
            );
        }
    };
    for limit in ["0", "501", "abc", "-3", "1.5"] {
        check(400, -1130, "'limit'")(
            get(
                &s,
                &format!("{base}?symbol=BTCUSDT&period=1h&limit={limit}"),
            )
            .await,
        );
    }
    check(400, -1102, "'symbol'")(get(&s, &format!("{base}?period=1h")).await);
    check(400, -1102, "'symbol'")(get(&s, &format!("{base}?symbol=&period=1h")).await);
    check(400, -1130, "'period'")(get(&s, &format!("{base}?symbol=BTCUSDT&period=hourly")).await);
    check(400, -1100, "'endTime'")(
        get(&s, &format!("{base}?symbol=BTCUSDT&period=1h&endTime=x")).await,
    );
    let too_old = DEMO_NOW_MS - RETENTION_MS - 1;
    check(400, -1130, "'startTime'")(
        get(
            &s,
            &format!("{base}?symbol=BTCUSDT&period=1h&startTime={too_old}"),
        )
        .await,
    );
    for q in [
        "symbol=NOPEUSDT&period=1h",
        "symbol=BTCUSDT&period=3m",
        "symbol=BTCUSDT&period=8h",
        "symbol=BTCUSDT&period=1w",
    ] {
        let r = get(&s, &format!("{base}?{q}")).await;
        assert_eq!((r.status, r.body.as_str()), (200, "[]"), "{q}");
    }
    // Odd query strings must never take the server down.
    for q in [
        "%ZZ=%&&=&symbol",
        "symbol=BTCUSDT&period=1h&startTime=99999999999999999999",
        "symbol=%F0%9F&period=%00",
        "symbol=BTCUSDT&period=1%C3%A9",
        "symbol=BTCUSDT&period=1h&limit=99999999999999999999999&endTime=",
    ] {
        assert!(get(&s, &format!("{base}?{q}")).await.status < 500, "{q}");
    }
    assert_eq!(get(&s, "/fapi/v1/ping").await.body, "{}");
}

#[tokio::test]
async fn limits_and_the_30_day_window() {
    let s = demo().await;
    let q = |period: &str, extra: &str| {
        format!("/futures/data/topLongShortAccountRatio?symbol=ETHUSDT&period={period}{extra}")
    };
    assert_eq!(
        stamps(&get(&s, &q("5m", "&limit=500")).await.json()).len(),
        500
    );
    assert_eq!(
        stamps(&get(&s, &q("1h", "&limit=1")).await.json()),
        [DEMO_NEWEST_1H_MS]
    );
    let oldest_allowed = DEMO_NOW_MS - RETENTION_MS;
    for (period, expected) in [("4h", 180), ("1d", 30)] {
        let ts = stamps(&get(&s, &q(period, "&limit=500")).await.json());
        assert_eq!(ts.len(), expected, "{period}");
        assert!(ts[0] >= oldest_allowed);
    }
    let day = stamps(&get(&s, &q("1d", "&limit=1")).await.json());
    assert_eq!(
        day,
        [DEMO_NEWEST_1H_MS - 13 * H],
        "1d buckets start at 00:00 UTC"
    );
    // startTime: the first rows from it; endTime: the newest rows up to it.
    let from = DEMO_NEWEST_1H_MS - 10 * H;
    let ts = stamps(
        &get(&s, &q("1h", &format!("&limit=3&startTime={}", from - 1)))
            .await
            .json(),
    );
    assert_eq!(ts, [from, from + H, from + 2 * H]);
    let ts = stamps(
        &get(&s, &q("1h", &format!("&limit=2&endTime={}", from + 1)))
            .await
            .json(),
    );
    assert_eq!(ts, [from - H, from]);
    // Publication lag: 4 s after a boundary the new bucket is not out yet.
    s.update(|sw| sw.now_ms = Some(DEMO_NEWEST_1H_MS + H + 4_000));
    assert_eq!(
        stamps(&get(&s, &q("1h", "&limit=1")).await.json()),
        [DEMO_NEWEST_1H_MS]
    );
}

#[tokio::test]
async fn lagging_cohort_and_missing_buckets() {
    let s = spawn(Switches {
        now_ms: Some(DEMO_NOW_MS),
        lagging_cohort: Some(Cohort::TopTradersByPosition),
        missing_buckets: vec![
            MissingBucket::all(DEMO_NEWEST_1H_MS - 2 * H),
            MissingBucket::only(Cohort::RetailCrowd, DEMO_NEWEST_1H_MS - 3 * H),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let newest = |c: Cohort| {
        let url = format!(
            "{}{}?symbol=SOLUSDT&period=1h&limit=5",
            s.base_url(),
            c.path()
        );
        async move { stamps(&send(client().get(url)).await.json()) }
    };
    let n = DEMO_NEWEST_1H_MS;
    // `limit` counts rows served, so a gap pulls in an older bucket.
    assert_eq!(
        newest(Cohort::RetailCrowd).await,
        [n - 6 * H, n - 5 * H, n - 4 * H, n - H, n]
    );
    assert_eq!(
        newest(Cohort::TopTradersByAccounts).await,
        [n - 5 * H, n - 4 * H, n - 3 * H, n - H, n]
    );
    assert_eq!(
        newest(Cohort::TopTradersByPosition).await,
        [n - 6 * H, n - 5 * H, n - 4 * H, n - 3 * H, n - H]
    );
}

#[tokio::test]
async fn every_fault_kind_looks_like_upstream() {
    use FaultKind::*;
    let s = demo().await;
    const J: &str = "application/json";
    #[rustfmt::skip]
    let cases: [(FaultKind, u16, &str, Option<&str>, &str); 16] = [
        (RateLimited, 429, J, Some("7"), r#""code":-1003"#),
        (Banned, 418, J, Some("120"), "banned until"),
        (Restricted, 451, J, None, "restricted location"),
        (ForbiddenHtml, 403, "text/html", None, "403 ERROR"),
        (ServerError, 500, J, None, r#""code":-1000"#),
        (Unavailable, 503, "text/plain", None, "Service Unavailable."),
        (Html, 200, "text/html", None, "<html>"),
        (Truncated, 200, J, None, r#"[{"symbol":"BTCUSDT""#),
        (
            Object,
            200,
            J,
            None,
            r#"{"status":"ERROR","code":"99099990","message":"system busy"}"#,
        ),
        (Empty, 200, J, None, "[]"),
        (
            MissingKeys,
            200,
            J,
            None,
            r#"[{"symbol":"BTCUSDT","longShortRatio""#,
        ),
        (GarbageNumbers, 200, J, None, r#""longAccount":"abc""#),
        (NonFinite, 200, J, None, r#""longAccount":"NaN""#),
        (
            ZeroShort,
            200,
            J,
            None,
            r#""longAccount":"1.0000","longShortRatio":"Infinity""#,
        ),
        (DuplicateUnsorted, 200, J, None, "["),
        (
            InvalidSymbol,
            400,
            J,
            None,
            r#"{"code":-1121,"msg":"Invalid symbol."}"#,
        ),
    ];
    for (kind, status, content_type, retry_after, needle) in cases {
        s.push_fault(Fault::new(kind).once());
        let r = get(&s, BTC_RETAIL).await;
        assert_eq!(
            (r.status, r.content_type.as_str(), r.retry_after.as_deref()),
            (status, content_type, retry_after),
            "{kind:?}"
        );
        assert!(r.body.contains(needle), "{kind:?}: {}", r.body);
        match kind {
            Truncated => assert!(serde_json::from_str::<Value>(&r.body).is_err()),
            DuplicateUnsorted => {
                let ts = stamps(&r.json());
                assert_eq!(
                    (ts.len(), ts[0], ts[1], ts[2]),
                    (
                        31,
                        DEMO_NEWEST_1H_MS,
                        DEMO_NEWEST_1H_MS,
                        DEMO_NEWEST_1H_MS - H
                    )
                );
            }
            ZeroShort => assert!(r.body.ends_with(&format!("{DEMO_NEWEST_1H_MS}}}]"))),
            MissingKeys => assert!(!r.body.contains("longAccount")),
            _ => {}
        }
    }
    assert!(s.switches().faults.is_empty(), "every `once` fault expired");
    s.push_fault(Fault::new(RateLimited).retry_after_s(3).times(2));
    for _ in 0..2 {
        assert_eq!(get(&s, BTC_RETAIL).await.retry_after.as_deref(), Some("3"));
    }
    assert_eq!(get(&s, BTC_RETAIL).await.status, 200, "expired after two");
}

#[tokio::test]
async fn faults_can_target_one_cohort_and_delay_or_drop() {
    let s = demo().await;
    s.push_fault(Fault::new(FaultKind::ServerError).on(Cohort::TopTradersByAccounts));
    assert_eq!(get(&s, BTC_RETAIL).await.status, 200);
    assert_eq!(
        get(
            &s,
            "/futures/data/topLongShortAccountRatio?symbol=BTCUSDT&period=1h"
        )
        .await
        .status,
        500
    );
    assert_eq!(
        get(&s, "/fapi/v1/exchangeInfo").await.status,
        200,
        "faults only hit ratio endpoints"
    );
    s.reset();

    s.push_fault(Fault::new(FaultKind::Close).once());
    let url = format!("{}{BTC_RETAIL}", s.base_url());
    assert!(
        client().get(&url).send().await.is_err(),
        "connection dropped without a response"
    );
    assert_eq!(get(&s, BTC_RETAIL).await.status, 200);

    s.push_fault(Fault::new(FaultKind::Hang).once());
    let hung = client()
        .get(&url)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());

    s.push_fault(Fault::new(FaultKind::Slow).delay_ms(250).once());
    s.update(|sw| sw.latency_ms = 100);
    let t = Instant::now();
    assert_eq!(get(&s, BTC_RETAIL).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(350));
}

#[tokio::test]
async fn request_log_and_control_endpoints() {
    let s = demo().await;
    let c = client();
    let control = |p: &str| format!("{}/__standin/{p}", s.base_url());
    get(&s, BTC_RETAIL).await;
    get(&s, "/fapi/v1/exchangeInfo").await;
    get(&s, "/fapi/v1/klines").await;
    let log = send(c.get(control("requests"))).await.json();
    assert_eq!(log["count"], 3);
    assert_eq!(
        log["requests"][0]["path"],
        "/futures/data/globalLongShortAccountRatio"
    );
    assert_eq!(log["requests"][0]["query"], "symbol=BTCUSDT&period=1h");
    assert_eq!(log["requests"][0]["cohort"], "retail_crowd");
    assert_eq!(log["requests"][1]["cohort"], Value::Null);
    assert_eq!(s.request_count(), 3);

    // Partial update leaves other fields alone; unknown fields are rejected.
    let r = send(
        c.put(control("switches"))
            .body(r#"{"latency_ms":5,"lagging_cohort":"retail_crowd"}"#),
    )
    .await
    .json();
    assert_eq!(
        (r["latency_ms"].clone(), r["now_ms"].clone()),
        (json!(5), json!(DEMO_NOW_MS))
    );
    assert_eq!(
        send(c.put(control("switches")).body(r#"{"latncy_ms":5}"#))
            .await
            .status,
        400
    );
    assert_eq!(
        send(c.post(control("faults")).body(r#"{"kind":"nope"}"#))
            .await
            .status,
        400
    );
    let fault = r#"{"kind":"rate_limited","cohort":"retail_crowd","times":1,"retry_after_s":9}"#;
    assert_eq!(
        send(c.post(control("faults")).body(fault)).await.json()["faults"][0]["retry_after_s"],
        9
    );
    let sw = send(c.get(control("switches"))).await.json();
    assert_eq!(sw["faults"][0]["kind"], "rate_limited");
    assert_eq!(get(&s, BTC_RETAIL).await.retry_after.as_deref(), Some("9"));
    assert_eq!(s.request_count(), 4, "control calls are not logged");

    let after = send(c.post(control("reset"))).await.json();
    assert_eq!(
        after,
        serde_json::to_value(Switches::demo()).unwrap(),
        "back to the start-up switches"
    );
    assert_eq!(s.request_count(), 0);
    assert_eq!(get(&s, "/__standin/nope").await.status, 404);
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn exchange_info_and_unknown_paths() {
    let s = demo().await;
    let info = get(&s, "/fapi/v1/exchangeInfo?symbol=BTCUSDT").await.json();
    assert_eq!(
        (info["timezone"].as_str(), info["serverTime"].as_i64()),
        (Some("UTC"), Some(DEMO_NOW_MS))
    );
    let symbols = info["symbols"].as_array().unwrap();
    assert_eq!(symbols.len(), SYMBOLS.len() + 4, "?symbol= is ignored");
    let wanted: Vec<&str> = symbols
        .iter()
        .filter(|s| {
            s["contractType"] == "PERPETUAL"
                && s["quoteAsset"] == "USDT"
                && s["status"] == "TRADING"
        })
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(
        wanted.len(),
        SYMBOLS.len() + 1,
        "only XAUUSDT passes the generic filter"
    );
    assert!(wanted.contains(&"XAUUSDT") && wanted.contains(&"1000PEPEUSDT"));
    let r = get(&s, "/fapi/v1/openInterest").await;
    assert_eq!((r.status, r.content_type.as_str()), (404, "text/html"));
}

#[tokio::test]
async fn binary_prints_its_address_and_serves() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binance-standin"))
        .args(["--port", "0", "--now-ms", &DEMO_NOW_MS.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("binance-standin listening on ")
        .unwrap()
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    let r = send(client().get(format!("{base}{BTC_RETAIL}&limit=1"))).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(stamps(&r.json()), [DEMO_NEWEST_1H_MS]);
}
