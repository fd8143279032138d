//! The OKX, Bybit, Gate and Bitget adapters against the in-process stand-in: each venue's healthy
//! answer, its rate limit (in its own form: OKX 429 `50011`, Bybit **403**, Gate 429, Bitget
//! 429), its unknown-instrument answer, a failing server (retried, then 502), bodies we cannot
//! read (HTML, truncated, missing keys, garbage numbers: 502, never a panic), a hang (504 at the
//! deadline), and the quiet after a rate limit. Each test owns its stand-in and clients.

use std::time::{Duration, Instant};

use shared::domain::{ApiError, CohortSeries, Period, Symbol};
use shared::upstream::budget::Budget;
use shared::upstream::registry::Clients;
use shared::upstream::{policy, Extras, PositioningSource};
use standin::{Fault, FaultKind, StandInHandle, Switches, Venue};

const VENUES: [Venue; 4] = [Venue::Okx, Venue::Bybit, Venue::Gate, Venue::Bitget];

/// The shared crate's name for the stand-in's venue (the same ids).
fn ours(venue: Venue) -> shared::domain::Venue {
    shared::domain::Venue::from_id(venue.id()).expect("the stand-in serves our venues")
}

/// One stand-in and every venue's client, as a warm instance holds them.
struct Setup {
    standin: StandInHandle,
    clients: Clients,
}

async fn setup() -> Setup {
    Setup {
        standin: standin::spawn(Switches::demo()).await.unwrap(),
        clients: Clients::new(policy::http_client().unwrap(), Budget::unlimited()),
    }
}

impl Setup {
    /// One fetch of `coin` at 1h from `venue`: the result and how many requests reached it.
    async fn fetch(&self, venue: Venue, coin: &str) -> (Result<CohortSeries, ApiError>, usize) {
        let url = self.standin.base_url();
        let before = self.standin.request_count();
        let symbol = Symbol::from_coin(coin).unwrap();
        let fetched = self
            .clients
            .adapter(ours(venue), Some(&url), Extras::NONE)
            .fetch(&symbol, Period::H1, 25)
            .await;
        // A request abandoned mid-flight (another part of the fetch failed first) may reach
        // the stand-in just after the fetch returns: give it a moment to arrive.
        let sent = fetched.report.requests as usize;
        for _ in 0..50 {
            if self.standin.request_count() - before >= sent {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            sent,
            self.standin.request_count() - before,
            "the report counts what was sent"
        );
        (fetched.result, self.standin.request_count() - before)
    }
}

#[tokio::test]
async fn every_venue_reads_its_healthy_answer() {
    let s = setup().await;
    let t = standin::newest_bucket(standin::DEMO_NOW_MS, 3_600_000);
    for (venue, requests, cohorts) in [
        (Venue::Okx, 4, 3),
        (Venue::Bybit, 1, 1),
        (Venue::Gate, 1, 3),
        (Venue::Bitget, 3, 3),
    ] {
        let (result, sent) = s.fetch(venue, "1000PEPE").await;
        let series = result.unwrap_or_else(|e| panic!("{venue:?}: {e}"));
        assert_eq!(sent, requests, "{venue:?}");
        let published = [
            &series.retail_crowd,
            &series.top_traders_by_accounts,
            &series.top_traders_by_position,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .count();
        assert_eq!(published, cohorts, "{venue:?}");
        assert_eq!(
            series.retail_crowd.last().unwrap().timestamp,
            t,
            "{venue:?}"
        );
        // At most the rows asked for (Bitget gives its own 30: the newest 25 are kept).
        assert!(
            series.retail_crowd.len() <= 25 && series.retail_crowd.len() >= 24,
            "{venue:?}"
        );
        // Open interest in USD where the venue publishes its history in USD.
        let with_oi = matches!(venue, Venue::Okx | Venue::Gate);
        assert_eq!(!series.open_interest.is_empty(), with_oi, "{venue:?}");
    }
}

#[tokio::test]
async fn each_rate_limit_in_its_own_form_is_a_503_not_retried_and_the_venue_goes_quiet() {
    let s = setup().await;
    for venue in VENUES {
        s.standin
            .push_fault(Fault::new(FaultKind::RateLimited).at(venue).once());
        let (result, sent) = s.fetch(venue, "BTC").await;
        assert!(
            matches!(result, Err(ApiError::UpstreamRateLimited { .. })),
            "{venue:?}: {result:?}"
        );
        assert!(sent >= 1, "{venue:?}");
        // Quiet now: nothing is sent, the answer is the same 503.
        let (again, sent) = s.fetch(venue, "ETH").await;
        assert!(
            matches!(again, Err(ApiError::UpstreamRateLimited { .. })),
            "{venue:?}"
        );
        assert_eq!(sent, 0, "{venue:?} sent while quiet");
    }
}

#[tokio::test]
async fn an_unknown_instrument_in_each_venue_s_form_is_unknown_symbol_naming_the_venue() {
    let s = setup().await;
    for venue in VENUES {
        let (result, _) = s.fetch(venue, "NOPE").await;
        match result {
            Err(e @ ApiError::UnknownSymbol { .. }) => {
                let said = e.to_string();
                let name = ["OKX", "Bybit", "Gate", "Bitget"]
                    [VENUES.iter().position(|v| *v == venue).unwrap()];
                assert!(said.contains(name), "{said}");
            }
            other => panic!("{venue:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_failing_server_is_retried_then_a_502_and_once_only_it_recovers() {
    let s = setup().await;
    for venue in VENUES {
        s.standin
            .push_fault(Fault::new(FaultKind::ServerError).at(venue));
        let (result, sent) = s.fetch(venue, "BTC").await;
        assert!(
            matches!(result, Err(ApiError::UpstreamError { .. })),
            "{venue:?}: {result:?}"
        );
        assert!(sent > 1, "{venue:?}: a 5xx is retried ({sent} sent)");
        s.standin.reset();
        s.standin
            .push_fault(Fault::new(FaultKind::Unavailable).at(venue).once());
        let (result, _) = s.fetch(venue, "BTC").await;
        assert!(
            result.is_ok(),
            "{venue:?}: one 503 then success: {result:?}"
        );
        s.standin.reset();
    }
}

#[tokio::test]
async fn bodies_we_cannot_read_are_502_never_a_panic() {
    let s = setup().await;
    for kind in [
        FaultKind::Html,
        FaultKind::Truncated,
        FaultKind::MissingKeys,
        FaultKind::GarbageNumbers,
        FaultKind::Object,
    ] {
        for venue in VENUES {
            s.standin.push_fault(Fault::new(kind).at(venue).once());
            let (result, _) = s.fetch(venue, "ETH").await;
            assert!(
                matches!(result, Err(ApiError::UpstreamError { .. })),
                "{venue:?} {kind:?}: {result:?}"
            );
            s.standin.reset();
        }
    }
}

#[tokio::test]
async fn a_fault_on_one_venue_leaves_the_others_alone() {
    let s = setup().await;
    s.standin
        .push_fault(Fault::new(FaultKind::ServerError).at(Venue::Gate));
    assert!(s.fetch(Venue::Gate, "BTC").await.0.is_err());
    for venue in [Venue::Okx, Venue::Bybit, Venue::Bitget] {
        assert!(s.fetch(venue, "BTC").await.0.is_ok(), "{venue:?}");
    }
}

#[tokio::test]
async fn a_hanging_venue_is_a_504_at_the_deadline() {
    let s = setup().await;
    s.standin.push_fault(
        Fault::new(FaultKind::Hang)
            .at(Venue::Okx)
            .on(standin::Cohort::TopTradersByPosition),
    );
    let started = Instant::now();
    let (result, _) = s.fetch(Venue::Okx, "BTC").await;
    let took = started.elapsed();
    assert!(
        matches!(result, Err(ApiError::UpstreamTimeout)),
        "{result:?}"
    );
    assert!(took < policy::DEADLINE + Duration::from_secs(1), "{took:?}");
}

#[tokio::test]
async fn bitget_is_asked_at_most_once_a_second_per_path() {
    let s = setup().await;
    let started = Instant::now();
    for coin in ["BTC", "ETH", "SOL"] {
        assert!(s.fetch(Venue::Bitget, coin).await.0.is_ok());
    }
    // Three fetches of the same three paths: the second and third wait a second each.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1_950), "{took:?}");
    let times: Vec<i64> = s
        .standin
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/position-long-short"))
        .map(|r| r.at_ms)
        .collect();
    assert_eq!(times.len(), 3);
    assert!(times.windows(2).all(|w| w[1] - w[0] >= 990), "{times:?}");
}

#[tokio::test]
async fn a_rate_limit_written_in_the_body_is_a_rate_limit_and_the_venue_goes_quiet() {
    // Bybit: HTTP 200 `retCode` 10006 "Too many visits!"; Bitget: `code` "429" under HTTP 200.
    let s = setup().await;
    for venue in [Venue::Bybit, Venue::Bitget] {
        s.standin
            .push_fault(Fault::new(FaultKind::RateLimitedInBody).at(venue).once());
        let (result, _) = s.fetch(venue, "BTC").await;
        assert!(
            matches!(result, Err(ApiError::UpstreamRateLimited { .. })),
            "{venue:?}: {result:?}"
        );
        let (again, sent) = s.fetch(venue, "ETH").await;
        assert!(
            matches!(again, Err(ApiError::UpstreamRateLimited { .. })),
            "{venue:?}: {again:?}"
        );
        assert_eq!(sent, 0, "{venue:?} sent while quiet");
    }
}

#[tokio::test]
async fn gate_s_open_bucket_is_left_out_and_each_closed_one_is_read_at_its_close() {
    // At 13:30 Gate's newest row is the 13:00 bucket, open and moving; its 12:00 row closed
    // at 13:00 and holds the state Binance's 13:00 row describes.
    const H: i64 = 3_600_000;
    let s = setup().await;
    let t = standin::DEMO_NEWEST_1H_MS;
    let read_at = |now: i64| {
        let s = &s;
        async move {
            s.standin.update(|sw| sw.now_ms = Some(now));
            let (result, sent) = s.fetch(Venue::Gate, "BTC").await;
            assert_eq!(sent, 1);
            result.unwrap()
        }
    };
    let half_past = read_at(t + H / 2).await;
    for (readings, cohort) in [
        (&half_past.retail_crowd, standin::Cohort::RetailCrowd),
        (
            &half_past.top_traders_by_accounts,
            standin::Cohort::TopTradersByAccounts,
        ),
        (
            &half_past.top_traders_by_position,
            standin::Cohort::TopTradersByPosition,
        ),
    ] {
        assert_eq!(readings.len(), 25, "{cohort:?}: the rows asked for");
        let newest = readings.last().unwrap();
        assert_eq!(newest.timestamp, t, "{cohort:?}");
        let share = standin::venue_long_share(Venue::Gate, "BTCUSDT", cohort, H, t).unwrap();
        let got: f64 = newest.long_share.to_percent().to_string().parse().unwrap();
        assert!(
            (got - share * 100.0).abs() < 0.006,
            "{cohort:?}: {got} vs {share}"
        );
    }
    assert_eq!(half_past.open_interest.last().unwrap().timestamp, t);
    // Later in the same bucket nothing that was answered has moved.
    let ten_to = read_at(t + H - 10 * 60_000).await;
    assert_eq!(ten_to, half_past);
}

#[tokio::test]
async fn gate_is_asked_100_rows_at_a_time_its_documented_maximum() {
    // The real clock: older pages are placed by time (`from`).
    let s = setup().await;
    s.standin.update(|sw| sw.now_ms = None);
    let url = s.standin.base_url();
    let symbol = Symbol::from_coin("ETH").unwrap();
    let fetched = s
        .clients
        .adapter(ours(Venue::Gate), Some(&url), Extras::NONE)
        .fetch(&symbol, Period::H1, 250)
        .await;
    let series = fetched.result.unwrap();
    assert_eq!(series.retail_crowd.len(), 250);
    assert!(series
        .retail_crowd
        .windows(2)
        .all(|w| w[1].timestamp - w[0].timestamp == 3_600_000));
    let limits: Vec<u32> = s
        .standin
        .requests()
        .iter()
        .filter_map(|r| {
            let q = r
                .query
                .split('&')
                .find_map(|kv| kv.strip_prefix("limit="))?;
            q.parse().ok()
        })
        .collect();
    assert_eq!(limits.len(), 3, "{limits:?}");
    assert!(limits.iter().all(|l| *l <= 100), "{limits:?}");
}

#[tokio::test]
async fn bitget_s_day_off_the_utc_grid_is_refused_not_mixed_in() {
    // Its large-holder paths' `1d` opens at 16:00 UTC (midnight UTC+8); every other venue's
    // day at 00:00 UTC.
    let s = setup().await;
    let url = s.standin.base_url();
    let fetched = s
        .clients
        .adapter(ours(Venue::Bitget), Some(&url), Extras::NONE)
        .fetch(&Symbol::from_coin("BTC").unwrap(), Period::D1, 10)
        .await;
    match fetched.result {
        Err(e @ ApiError::InvalidParameter { .. }) => {
            assert_eq!(e.parameter(), Some("period"));
            let said = e.to_string();
            assert!(
                said.contains("Bitget") && said.contains("16:00 UTC"),
                "{said}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Aligned periods are read as before.
    let fetched = s
        .clients
        .adapter(ours(Venue::Bitget), Some(&url), Extras::NONE)
        .fetch(&Symbol::from_coin("BTC").unwrap(), Period::H12, 10)
        .await;
    assert!(fetched.result.is_ok(), "{:?}", fetched.result);
}
