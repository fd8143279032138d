//! In-process handler overhead: everything a positioning or history(limit=500) invocation does
//! except the network, on bodies shaped exactly like the stand-in's (and Binance's), built once
//! outside the timed loops.
//!
//! Each group has the steps one by one and `handler`, the whole path: API Gateway event →
//! `Call` → validated parameters → three bodies parsed → maths → envelope serialised.
//! `scripts/bench` reads the medians from `target/criterion/<group>/<step>/new/estimates.json`.
//!
//! Run: `cargo bench -p shared --bench handler_overhead`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::binance::policy::MARKET_LOOKBACK;
use shared::binance::{parse_series, CohortSeries};
use shared::config::DEFAULT_THRESHOLD_PP;
use shared::divergence::{history, CohortReading, Divergence, HistoryPoint};
use shared::http::Call;
use shared::params::{Limit, Market, Period, HISTORY_PARAMS, MARKET_PARAMS};
use shared::{routes, ApiError, Cohort};

const SYMBOL: &str = "BTCUSDT";
const PERIOD: Period = Period::H1;
const HISTORY_LIMIT: u16 = 500;

/// The positioning function's answer, field for field (it lives in the function crate).
#[derive(Serialize)]
struct PositioningData {
    symbol: String,
    period: &'static str,
    source: String,
    note: String,
    cohorts: Vec<CohortReading>,
    divergence: Divergence,
}

/// The history function's answer, field for field.
#[derive(Serialize)]
struct HistoryData {
    symbol: String,
    period: &'static str,
    source: String,
    note: String,
    count: usize,
    points: Vec<HistoryPoint>,
}

/// One cohort's body as the stand-in renders it: the newest `rows` buckets, oldest first.
fn body(cohort: standin::Cohort, rows: u16) -> Vec<u8> {
    let period_ms = PERIOD.millis();
    let newest = standin::newest_bucket(standin::DEMO_NOW_MS, period_ms);
    let rows: Vec<String> = (0..i64::from(rows))
        .rev()
        .map(|back| {
            let r = standin::row(SYMBOL, cohort, period_ms, newest - back * period_ms)
                .expect("a known symbol on a boundary");
            format!(
                r#"{{"symbol":"{SYMBOL}","longAccount":"{}","longShortRatio":"{:.4}","shortAccount":"{}","timestamp":{}}}"#,
                standin::data::fmt_e4(r.long_e4()),
                r.long_short_ratio(),
                standin::data::fmt_e4(r.short_e4()),
                r.timestamp_ms
            )
        })
        .collect();
    format!("[{}]", rows.join(",")).into_bytes()
}

fn bodies(rows: u16) -> [Vec<u8>; 3] {
    standin::Cohort::ALL.map(|c| body(c, rows))
}

/// A REST (v1) event for `query`, from the checked-in positioning event.
fn event(path: &str, query: &[(&str, &str)]) -> String {
    let mut e: serde_json::Value =
        serde_json::from_str(include_str!("../../events/positioning.json")).unwrap();
    let single: serde_json::Map<String, serde_json::Value> = query
        .iter()
        .map(|(k, v)| (k.to_string(), (*v).into()))
        .collect();
    let multi: serde_json::Map<String, serde_json::Value> = query
        .iter()
        .map(|(k, v)| (k.to_string(), vec![*v].into()))
        .collect();
    e["path"] = path.into();
    e["resource"] = path.into();
    e["requestContext"]["resourcePath"] = path.into();
    e["requestContext"]["path"] = format!("/prod{path}").into();
    e["queryStringParameters"] = single.into();
    e["multiValueQueryStringParameters"] = multi.into();
    e.to_string()
}

fn parse_three(bodies: &[Vec<u8>; 3]) -> CohortSeries {
    CohortSeries {
        retail_crowd: parse_series(&bodies[0]).unwrap(),
        top_traders_by_accounts: parse_series(&bodies[1]).unwrap(),
        top_traders_by_position: parse_series(&bodies[2]).unwrap(),
    }
}

fn positioning_data(market: &Market, series: &CohortSeries) -> Result<PositioningData, ApiError> {
    let divergence = Divergence::at_common_bucket(series, DEFAULT_THRESHOLD_PP)
        .ok_or_else(ApiError::no_common_bucket)?;
    let cohorts = Cohort::ALL
        .into_iter()
        .filter_map(|c| series.get(c).last().map(|r| CohortReading::new(c, r)))
        .collect();
    Ok(PositioningData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        source: "local_standin".to_string(),
        note: shared::divergence_note(DEFAULT_THRESHOLD_PP),
        cohorts,
        divergence,
    })
}

fn history_data(market: &Market, limit: Limit, series: &CohortSeries) -> HistoryData {
    let points = history(series, usize::from(limit.get()), market.period.millis());
    HistoryData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        source: "local_standin".to_string(),
        // As long as the function's note, formatted per call as it is there.
        note: format!(
            "One point per bucket, oldest first, over the newest `limit` periods, where all three \
             cohorts have a reading (missing buckets are left out, never invented). long_pct_gap = \
             top_traders_by_position long % minus retail_crowd long %, in percentage points. {}",
            shared::NOT_ADVICE
        ),
        count: points.len(),
        points,
    }
}

fn positioning_handler(event: &str, bodies: &[Vec<u8>; 3]) -> Response<Body> {
    let request: Request = lambda_http::request::from_str(event).unwrap();
    let call = Call::new(&request, routes::POSITIONING);
    let result = call
        .params(MARKET_PARAMS, Market::from_query)
        .and_then(|market| positioning_data(&market, &parse_three(bodies)));
    call.respond(result, "Positioning retrieved successfully")
}

fn history_handler(event: &str, bodies: &[Vec<u8>; 3]) -> Response<Body> {
    let request: Request = lambda_http::request::from_str(event).unwrap();
    let call = Call::new(&request, routes::HISTORY);
    let result = call
        .params(HISTORY_PARAMS, |q| Ok((Market::from_query(q)?, q.limit()?)))
        .map(|(market, limit)| history_data(&market, limit, &parse_three(bodies)));
    call.respond(result, "History retrieved successfully")
}

fn assert_ok(response: &Response<Body>) {
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

fn positioning(c: &mut Criterion) {
    let event = event(routes::POSITIONING, &[("coin", "BTC"), ("period", "1h")]);
    let bodies = bodies(MARKET_LOOKBACK);
    let market = Market {
        symbol: shared::params::Symbol::from_coin("BTC").unwrap(),
        period: PERIOD,
    };
    let series = parse_three(&bodies);
    let data = positioning_data(&market, &series).unwrap();
    assert_ok(&positioning_handler(&event, &bodies));

    let mut g = c.benchmark_group("positioning");
    g.bench_function("event_to_params", |b| {
        b.iter(|| {
            let request: Request = lambda_http::request::from_str(black_box(&event)).unwrap();
            let call = Call::new(&request, routes::POSITIONING);
            call.params(MARKET_PARAMS, Market::from_query).unwrap()
        })
    });
    g.bench_function("parse_3_bodies", |b| {
        b.iter(|| parse_three(black_box(&bodies)))
    });
    g.bench_function("compute", |b| {
        b.iter(|| positioning_data(black_box(&market), black_box(&series)).unwrap())
    });
    g.bench_function("envelope", |b| {
        b.iter(|| {
            shared::envelope::success(
                black_box(&data),
                "Positioning retrieved successfully",
                "req-1",
            )
        })
    });
    g.bench_function("handler", |b| {
        b.iter(|| positioning_handler(black_box(&event), black_box(&bodies)))
    });
    g.finish();
}

fn history_500(c: &mut Criterion) {
    let limit = HISTORY_LIMIT.to_string();
    let event = event(
        routes::HISTORY,
        &[("coin", "BTC"), ("period", "1h"), ("limit", &limit)],
    );
    let bodies = bodies(HISTORY_LIMIT);
    let market = Market {
        symbol: shared::params::Symbol::from_coin("BTC").unwrap(),
        period: PERIOD,
    };
    let limit = Limit::parse(&limit).unwrap();
    let series = parse_three(&bodies);
    let data = history_data(&market, limit, &series);
    assert_eq!(data.count, usize::from(HISTORY_LIMIT));
    assert_ok(&history_handler(&event, &bodies));

    let mut g = c.benchmark_group("history_500");
    g.bench_function("event_to_params", |b| {
        b.iter(|| {
            let request: Request = lambda_http::request::from_str(black_box(&event)).unwrap();
            let call = Call::new(&request, routes::HISTORY);
            call.params(HISTORY_PARAMS, |q| Ok((Market::from_query(q)?, q.limit()?)))
                .unwrap()
        })
    });
    g.bench_function("parse_3_bodies", |b| {
        b.iter(|| parse_three(black_box(&bodies)))
    });
    g.bench_function("compute", |b| {
        b.iter(|| history_data(black_box(&market), limit, black_box(&series)))
    });
    g.bench_function("envelope", |b| {
        b.iter(|| {
            shared::envelope::success(black_box(&data), "History retrieved successfully", "req-1")
        })
    });
    g.bench_function("handler", |b| {
        b.iter(|| history_handler(black_box(&event), black_box(&bodies)))
    });
    g.finish();
}

fn config() -> Criterion {
    // Enough samples for a stable median on a busy 2-core machine, without minutes per step.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(60)
}

criterion_group! {
    name = benches;
    config = config();
    targets = positioning, history_500
}
criterion_main!(benches);
