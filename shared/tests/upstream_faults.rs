//! One test per upstream fault the policy documents (shared/src/binance/mod.rs), driven through
//! the Binance adapter's `PositioningSource::fetch` against the in-process stand-in, and the HTTP answer each error
//! becomes through `envelope::failure`: status, `error.code`, headers and the time taken.
//!
//! Time bounds are upper bounds only, and only where they prove the policy (no retry, fail fast,
//! the budget holds). Each test owns its client and its stand-in, so tests are independent.

use std::time::{Duration, Instant};

use lambda_http::http::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use shared::domain::{ApiError, Cohort, CohortSeries, Pct, Period, Symbol};
use shared::edge::envelope;
use shared::endpoints::NEWEST_ROWS;
use shared::maths::divergence::{CohortReading, Divergence};
use shared::upstream::binance::BinanceClient;
use shared::upstream::{policy, PositioningSource, UpstreamReport};
use standin::{Fault, FaultKind, StandInHandle, Switches};

const HOUR: i64 = 3_600_000;

struct Setup {
    standin: StandInHandle,
    client: BinanceClient,
}

async fn setup() -> Setup {
    setup_with(Switches::demo()).await
}

async fn setup_with(switches: Switches) -> Setup {
    Setup {
        standin: standin::spawn(switches).await.unwrap(),
        client: BinanceClient::new(policy::http_client().unwrap()),
    }
}

/// One fetch: what it returned, how long it took, how many upstream requests it sent.
struct Outcome {
    result: Result<CohortSeries, ApiError>,
    report: UpstreamReport,
    elapsed: Duration,
    requests: usize,
}

impl Setup {
    async fn fetch(&self) -> Outcome {
        self.fetch_symbol("BTCUSDT").await
    }

    async fn fetch_symbol(&self, symbol: &str) -> Outcome {
        let before = self.standin.request_count();
        let started = Instant::now();
        let fetched = self
            .client
            .at(Some(&self.standin.base_url()))
            .fetch(
                &Symbol::from_symbol(symbol).unwrap(),
                Period::H1,
                NEWEST_ROWS,
            )
            .await;
        Outcome {
            report: fetched.report,
            result: fetched.result,
            elapsed: started.elapsed(),
            requests: self.standin.request_count() - before,
        }
    }

    /// Upstream requests per cohort path so far.
    fn per_cohort(&self) -> Vec<usize> {
        let log = self.standin.requests();
        standin::Cohort::ALL
            .iter()
            .map(|c| log.iter().filter(|r| r.path == c.path()).count())
            .collect()
    }
}

/// The HTTP answer for an error, checked against the contract's envelope; returns (status, body,
/// Retry-After).
fn answer(error: &ApiError) -> (u16, Value, Option<String>) {
    let r = envelope::failure(error, "req-test");
    assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["status"], "error");
    assert_eq!(body["data"], Value::Null);
    let message = body["message"].as_str().unwrap();
    assert!(
        !message.contains("http://") && !message.contains("127.0.0.1") && !message.contains("::"),
        "no upstream URL or Rust path in messages: {message}"
    );
    let retry_after = r
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_string());
    let status = r.status().as_u16();
    assert_eq!(
        status == 503,
        retry_after.is_some(),
        "Retry-After on every 503 and only there"
    );
    if let Some(ra) = &retry_after {
        assert_eq!(body["error"]["retry_after_seconds"].to_string(), *ra);
    }
    (status, body, retry_after)
}

/// Asserts the fetch failed with `status` / `code`; returns the message and Retry-After.
fn expect_error(o: &Outcome, status: u16, code: &str) -> (String, Option<u64>) {
    let error = match &o.result {
        Err(e) => e,
        Ok(_) => panic!("expected {status} {code}, got data"),
    };
    let (got, body, retry_after) = answer(error);
    assert_eq!(
        (got, body["error"]["code"].as_str().unwrap()),
        (status, code)
    );
    (
        body["message"].as_str().unwrap().to_string(),
        retry_after.map(|s| s.parse().unwrap()),
    )
}

fn expect_series(o: Outcome) -> CohortSeries {
    match o.result {
        Ok(s) => s,
        Err(e) => panic!("expected data, got {e:?}"),
    }
}

fn newest_1h() -> i64 {
    standin::newest_bucket(standin::DEMO_NOW_MS, HOUR)
}

#[tokio::test]
async fn a_position_ratio_spelled_long_position_is_read_like_long_account() {
    let plain = expect_series(setup().await.fetch().await);
    let s = setup_with(Switches {
        position_keys: true,
        ..Switches::demo()
    })
    .await;
    let respelled = expect_series(s.fetch().await);
    assert_eq!(
        respelled.top_traders_by_position,
        plain.top_traders_by_position
    );
    assert_eq!(
        respelled.top_traders_by_position.last().unwrap().timestamp,
        newest_1h()
    );
}

/// A fetch that sends nothing and needs no retry answers at once; generous for a loaded CI box.
const AT_ONCE: Duration = Duration::from_millis(1500);

// ---------- 429 / 418: never retried, 503 with Retry-After, then quiet ----------

#[tokio::test]
async fn rate_limited_429_answers_503_with_retry_after_without_retry_then_stays_quiet() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::RateLimited).retry_after_s(7));
    let first = s.fetch().await;
    let (_, retry_after) = expect_error(&first, 503, "upstream_rate_limited");
    assert_eq!(retry_after, Some(7));
    assert!(first.elapsed < AT_ONCE, "{:?}", first.elapsed);
    assert!(
        s.per_cohort().iter().all(|n| *n <= 1),
        "a 429 is never retried: {:?}",
        s.per_cohort()
    );
    // Binance bans IPs that keep calling after a 429: the next call sends nothing.
    let second = s.fetch().await;
    let (_, retry_after) = expect_error(&second, 503, "upstream_rate_limited");
    assert!((1..=7).contains(&retry_after.unwrap()));
    assert_eq!(second.requests, 0, "quiet after a 429");
    assert!(second.elapsed < Duration::from_millis(100));
}

#[tokio::test]
async fn one_rate_limited_cohort_fails_the_whole_request_with_503() {
    let s = setup().await;
    s.standin.push_fault(
        Fault::new(FaultKind::RateLimited)
            .on(standin::Cohort::TopTradersByAccounts)
            .retry_after_s(3),
    );
    let o = s.fetch().await;
    let (_, retry_after) = expect_error(&o, 503, "upstream_rate_limited");
    assert_eq!(retry_after, Some(3));
    assert!(o.elapsed < AT_ONCE);
}

#[tokio::test]
async fn banned_418_answers_503_and_sends_nothing_until_the_ban_ends() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::Banned).retry_after_s(120).once());
    let first = s.fetch().await;
    let (_, retry_after) = expect_error(&first, 503, "upstream_rate_limited");
    assert_eq!(retry_after, Some(120));
    assert!(first.elapsed < AT_ONCE);
    assert!(s.per_cohort().iter().all(|n| *n <= 1), "never retried");
    // The fault is spent and Binance would now answer, but calling during a ban lengthens it.
    let second = s.fetch().await;
    let (_, retry_after) = expect_error(&second, 503, "upstream_rate_limited");
    assert!(
        (118..=120).contains(&retry_after.unwrap()),
        "{retry_after:?}"
    );
    assert_eq!(second.requests, 0, "ban memory: no upstream request");
    assert!(second.elapsed < Duration::from_millis(100));
}

#[tokio::test]
async fn a_ban_ends_when_its_retry_after_has_passed() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::Banned).retry_after_s(1).once());
    expect_error(&s.fetch().await, 503, "upstream_rate_limited");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let o = s.fetch().await;
    assert_eq!(o.requests, 3);
    expect_series(o);
}

#[tokio::test]
async fn an_absurd_retry_after_is_capped_at_binances_longest_ban() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::Banned).retry_after_s(999_999_999_999));
    let (_, retry_after) = expect_error(&s.fetch().await, 503, "upstream_rate_limited");
    assert_eq!(retry_after, Some(policy::MAX_RETRY_AFTER_SECS));
}

// ---------- 451 / 403: an upstream refusal; the operator's hint goes to the log only ----------

#[tokio::test]
async fn restricted_451_answers_502_as_an_upstream_refusal() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::Restricted);
    let o = s.fetch().await;
    let (message, _) = expect_error(&o, 502, "upstream_error");
    assert!(
        message.contains("451") && message.contains("refused") && !message.contains("region"),
        "{message}"
    );
    assert!(s.per_cohort().iter().all(|n| *n <= 1), "not retried");
    assert!(o.elapsed < AT_ONCE);
}

#[tokio::test]
async fn forbidden_403_with_an_html_body_answers_502_without_the_html() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::ForbiddenHtml);
    let o = s.fetch().await;
    let (message, _) = expect_error(&o, 502, "upstream_error");
    assert!(
        message.contains("403")
            && message.contains("refused")
            && !message.contains('<')
            && !message.contains("location"),
        "a 403 is not necessarily a geo-block: {message}"
    );
    assert!(s.per_cohort().iter().all(|n| *n <= 1), "not retried");
    assert!(o.elapsed < AT_ONCE);
}

// ---------- 5xx: retried a few times, then 502 ----------

#[tokio::test]
async fn server_error_500_is_retried_then_answers_502_quickly() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::ServerError);
    let o = s.fetch().await;
    expect_error(&o, 502, "upstream_error");
    let per = s.per_cohort();
    let most = 1 + policy::MAX_RETRIES as usize;
    assert!(per.iter().all(|n| *n <= most), "{per:?}");
    assert!(per.contains(&most), "retried up to the limit: {per:?}");
    assert!(o.elapsed < Duration::from_secs(2), "{:?}", o.elapsed);
}

#[tokio::test]
async fn unavailable_503_is_retried_then_answers_502_quickly() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::Unavailable);
    let o = s.fetch().await;
    expect_error(&o, 502, "upstream_error");
    let most = 1 + policy::MAX_RETRIES as usize;
    assert!(s.per_cohort().contains(&most), "{:?}", s.per_cohort());
    assert!(o.elapsed < Duration::from_secs(2), "{:?}", o.elapsed);
}

#[tokio::test]
async fn a_flaky_upstream_failing_once_answers_200() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::ServerError).once());
    let o = s.fetch().await;
    assert_eq!(o.requests, 4, "three cohorts and one retry");
    assert!(o.elapsed < Duration::from_secs(2));
    let series = expect_series(o);
    assert_eq!(series.retail_crowd.last().unwrap().timestamp, newest_1h());
}

#[tokio::test]
async fn a_503_once_then_success_answers_200() {
    let s = setup().await;
    s.standin.push_fault(
        Fault::new(FaultKind::Unavailable)
            .on(standin::Cohort::TopTradersByPosition)
            .once(),
    );
    let o = s.fetch().await;
    assert_eq!(o.requests, 4);
    expect_series(o);
}

#[tokio::test]
async fn a_retry_the_budget_s_headroom_cannot_afford_is_not_sent() {
    use shared::domain::route::Share;
    use shared::upstream::binance::{self, BinanceClient};
    let budget = |requests| {
        binance::budget(Share {
            route: "test",
            instances: 1,
            requests,
            klines_weight: 0,
            hyperliquid_weight: 0,
        })
    };
    // 9 per path plans 9 and allows 10 with the headroom: one retry fits. 1 per path plans 1 and
    // allows 1: no headroom, so the retry is not sent and the fetch fails as it would have.
    for (requests, sent, ok) in [(9, 4, true), (1, 3, false)] {
        let mut s = setup().await;
        s.client = BinanceClient::with_budget(policy::http_client().unwrap(), budget(requests));
        s.standin
            .push_fault(Fault::new(FaultKind::ServerError).once());
        // As Warm::fetch does: the first attempts are reserved before the fetch.
        let source = s.client.at(Some(&s.standin.base_url()));
        source
            .reserve(NEWEST_ROWS, shared::domain::clock::now_ms())
            .unwrap();
        let o = s.fetch().await;
        assert_eq!(
            (o.requests, o.result.is_ok()),
            (sent, ok),
            "budget {requests}"
        );
    }
}

// ---------- bodies that are not the expected array ----------

async fn body_fault_answers_502(kind: FaultKind) {
    let s = setup().await;
    s.standin.push_fault(kind);
    let o = s.fetch().await;
    expect_error(&o, 502, "upstream_error");
    assert!(
        s.per_cohort().iter().all(|n| *n <= 1),
        "{kind:?}: an unreadable 200 is not retried"
    );
    assert!(o.elapsed < AT_ONCE);
}

#[tokio::test]
async fn truncated_json_answers_502() {
    body_fault_answers_502(FaultKind::Truncated).await;
}

#[tokio::test]
async fn an_object_instead_of_an_array_answers_502() {
    body_fault_answers_502(FaultKind::Object).await;
}

#[tokio::test]
async fn an_html_page_with_200_answers_502() {
    body_fault_answers_502(FaultKind::Html).await;
}

#[tokio::test]
async fn rows_with_missing_keys_answer_502() {
    body_fault_answers_502(FaultKind::MissingKeys).await;
}

#[tokio::test]
async fn rows_with_garbage_numbers_answer_502() {
    body_fault_answers_502(FaultKind::GarbageNumbers).await;
}

#[tokio::test]
async fn rows_with_non_finite_numbers_answer_502() {
    body_fault_answers_502(FaultKind::NonFinite).await;
}

#[tokio::test]
async fn an_empty_array_from_every_cohort_is_an_unknown_symbol_404() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::Empty);
    expect_error(&s.fetch().await, 404, "unknown_symbol");
}

#[tokio::test]
async fn an_empty_array_from_one_cohort_is_a_502_never_a_half_answer() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::Empty).on(standin::Cohort::TopTradersByPosition));
    let (message, _) = expect_error(&s.fetch().await, 502, "upstream_error");
    assert!(message.contains("top_traders_by_position"), "{message}");
}

#[tokio::test]
async fn binance_invalid_symbol_400_is_an_unknown_symbol_404() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::InvalidSymbol);
    expect_error(&s.fetch().await, 404, "unknown_symbol");
}

// ---------- odd but legitimate data: served ----------

#[tokio::test]
async fn a_zero_short_share_is_served_with_null_ratios() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::ZeroShort);
    let series = expect_series(s.fetch().await);
    let newest = series.top_traders_by_position.last().unwrap();
    assert_eq!(newest.long_short_ratio, None);
    let reading =
        serde_json::to_value(CohortReading::new(Cohort::TopTradersByPosition, newest)).unwrap();
    assert_eq!(reading["long_short_ratio"], Value::Null);
    assert_eq!(reading["long_account_pct"], 100.0);
    assert_eq!(reading["short_account_pct"], 0.0);
    let divergence = Divergence::at_common_bucket(&series, Pct::from_units(800)).unwrap();
    let d = serde_json::to_value(&divergence).unwrap();
    assert_eq!(d["ratio_gap"], Value::Null);
    assert!(d["long_pct_gap"].is_number());
    // And the whole answer serialises as a 200.
    let r = envelope::success(&d, "ok", "req");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn duplicate_and_unsorted_timestamps_are_sorted_and_deduplicated() {
    let healthy = expect_series(setup().await.fetch().await);
    let s = setup().await;
    s.standin.push_fault(FaultKind::DuplicateUnsorted);
    let series = expect_series(s.fetch().await);
    for cohort in Cohort::ALL {
        let ts: Vec<i64> = series.get(cohort).iter().map(|r| r.timestamp).collect();
        assert!(ts.windows(2).all(|w| w[0] < w[1]), "{ts:?}");
    }
    assert_eq!(series, healthy);
}

#[tokio::test]
async fn cohorts_with_different_newest_buckets_give_the_divergence_at_the_common_one() {
    let s = setup_with(Switches {
        lagging_cohort: Some(standin::Cohort::TopTradersByPosition),
        ..Switches::demo()
    })
    .await;
    let series = expect_series(s.fetch().await);
    assert_eq!(series.retail_crowd.last().unwrap().timestamp, newest_1h());
    assert_eq!(
        series.top_traders_by_position.last().unwrap().timestamp,
        newest_1h() - HOUR
    );
    let d = Divergence::at_common_bucket(&series, Pct::from_units(800)).unwrap();
    assert_eq!(d.timestamp, newest_1h() - HOUR);
}

// ---------- time: hangs, slowness, refused and dropped connections ----------

#[tokio::test]
async fn a_hang_longer_than_the_budget_answers_504_within_the_budget() {
    let s = setup().await;
    s.standin.push_fault(
        Fault::new(FaultKind::Hang)
            .on(standin::Cohort::RetailCrowd)
            .hang_ms(60_000),
    );
    let o = s.fetch().await;
    expect_error(&o, 504, "upstream_timeout");
    assert!(
        o.elapsed < policy::DEADLINE + Duration::from_secs(2),
        "{:?}",
        o.elapsed
    );
}

#[tokio::test]
async fn a_slow_answer_inside_the_budget_is_served() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::Slow).delay_ms(1500));
    let o = s.fetch().await;
    assert_eq!(o.requests, 3, "slow is not retried");
    assert!(o.elapsed < policy::DEADLINE, "{:?}", o.elapsed);
    expect_series(o);
}

#[tokio::test]
async fn connection_refused_answers_502_quickly() {
    // A port that was free a moment ago and has nothing listening now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = BinanceClient::new(policy::http_client().unwrap());
    let started = Instant::now();
    let fetched = client
        .at(Some(&format!("http://127.0.0.1:{port}")))
        .fetch(&Symbol::from_symbol("BTCUSDT").unwrap(), Period::H1, 6)
        .await;
    let o = Outcome {
        report: fetched.report,
        result: fetched.result,
        elapsed: started.elapsed(),
        requests: 0,
    };
    let (message, _) = expect_error(&o, 502, "upstream_error");
    assert!(message.contains("connect"), "{message}");
    assert!(o.elapsed < Duration::from_secs(2), "{:?}", o.elapsed);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_then_answers_502() {
    let s = setup().await;
    s.standin.push_fault(FaultKind::Close);
    let o = s.fetch().await;
    expect_error(&o, 502, "upstream_error");
    let most = 1 + policy::MAX_RETRIES as usize;
    assert!(s.per_cohort().contains(&most), "{:?}", s.per_cohort());
    assert!(o.elapsed < Duration::from_secs(2), "{:?}", o.elapsed);
}

#[tokio::test]
async fn a_connection_dropped_once_is_retried_and_served() {
    let s = setup().await;
    s.standin.push_fault(Fault::new(FaultKind::Close).once());
    let o = s.fetch().await;
    assert_eq!(o.requests, 4);
    expect_series(o);
}

#[tokio::test]
async fn every_fetch_returns_its_report_with_its_result() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::ServerError).once());
    let o = s.fetch().await;
    assert_eq!((o.report.requests, o.report.outcome), (4, "ok"));
    assert_eq!(o.report.requests as usize, o.requests);
    expect_series(o);
    s.standin
        .push_fault(Fault::new(FaultKind::RateLimited).retry_after_s(5));
    let limited = s.fetch().await;
    assert_eq!(
        (limited.report.requests, limited.report.outcome),
        (3, "upstream_rate_limited")
    );
    let quiet = s.fetch().await;
    assert_eq!(
        (quiet.report.requests, quiet.report.outcome),
        (0, "upstream_rate_limited")
    );
}
