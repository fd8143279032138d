//! In-process handler overhead: everything a positioning or history(limit=500) invocation does
//! except the network, on bodies shaped exactly like the stand-in's (and Binance's), built once
//! outside the timed loops.
//!
//! Each group has the steps one by one and `handler`, the whole path: API Gateway event →
//! `Call` → validated parameters → three bodies parsed → the endpoint's real `answer` → envelope
//! serialised.
//! `scripts/bench` reads the medians from `target/criterion/<group>/<step>/new/estimates.json`.
//!
//! Run: `cargo bench -p shared --bench handler_overhead`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lambda_http::{Body, Request, Response};
use shared::domain::{CohortSeries, Period, Symbol};
use shared::edge::{envelope, Call};
use shared::endpoints::history::{HistoryParams, Limit};
use shared::endpoints::{history, positioning, Market, Provenance};
use shared::upstream::binance::parse_series;
use shared::Config;

const SYMBOL: &str = "BTCUSDT";
const PERIOD: Period = Period::H1;
const HISTORY_LIMIT: u16 = 500;
const SOURCE: Provenance = Provenance {
    source: "local_standin",
    from_memo: false,
    stale: false,
    age: None,
};

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
        open_interest: Vec::new(),
        prices: Vec::new(),
    }
}

/// The positioning function's handler with the network replaced by `bodies`.
fn positioning_handler(config: &Config, event: &str, bodies: &[Vec<u8>; 3]) -> Response<Body> {
    let request: Request = lambda_http::request::from_str(event).unwrap();
    let call = Call::new(&request, positioning::ROUTE);
    let result = call
        .params(positioning::PARAMS, positioning::params)
        .and_then(|market| {
            call.record_market(Some(&market.symbol), market.period);
            positioning::answer(config, SOURCE, &parse_three(bodies), &market)
        });
    call.respond(result, positioning::MESSAGE)
}

/// The history function's handler with the network replaced by `bodies`.
fn history_handler(event: &str, bodies: &[Vec<u8>; 3]) -> Response<Body> {
    let request: Request = lambda_http::request::from_str(event).unwrap();
    let call = Call::new(&request, history::ROUTE);
    let result = call.params(history::PARAMS, history::params).map(|p| {
        call.record_market(Some(&p.market.symbol), p.market.period);
        history::answer(SOURCE, &parse_three(bodies), &p)
    });
    call.respond(result, history::MESSAGE)
}

fn assert_ok(response: &Response<Body>) {
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

fn positioning(c: &mut Criterion) {
    let config = Config::default();
    let event = event(positioning::ROUTE, &[("coin", "BTC"), ("period", "1h")]);
    let bodies = bodies(positioning::ROWS);
    let market = Market {
        symbol: Symbol::from_coin("BTC").unwrap(),
        period: PERIOD,
    };
    let series = parse_three(&bodies);
    let data = positioning::answer(&config, SOURCE, &series, &market).unwrap();
    assert_ok(&positioning_handler(&config, &event, &bodies));

    let mut g = c.benchmark_group("positioning");
    g.bench_function("event_to_params", |b| {
        b.iter(|| {
            let request: Request = lambda_http::request::from_str(black_box(&event)).unwrap();
            let call = Call::new(&request, positioning::ROUTE);
            call.params(positioning::PARAMS, positioning::params)
                .unwrap()
        })
    });
    g.bench_function("parse_3_bodies", |b| {
        b.iter(|| parse_three(black_box(&bodies)))
    });
    g.bench_function("compute", |b| {
        b.iter(|| {
            positioning::answer(&config, SOURCE, black_box(&series), black_box(&market)).unwrap()
        })
    });
    g.bench_function("envelope", |b| {
        b.iter(|| envelope::success(black_box(&data), positioning::MESSAGE, "req-1"))
    });
    g.bench_function("handler", |b| {
        b.iter(|| positioning_handler(&config, black_box(&event), black_box(&bodies)))
    });
    g.finish();
}

fn history_500(c: &mut Criterion) {
    let limit = HISTORY_LIMIT.to_string();
    let event = event(
        history::ROUTE,
        &[("coin", "BTC"), ("period", "1h"), ("limit", &limit)],
    );
    let bodies = bodies(HISTORY_LIMIT);
    let params = HistoryParams {
        market: Market {
            symbol: Symbol::from_coin("BTC").unwrap(),
            period: PERIOD,
        },
        limit: Limit::parse(&limit).unwrap(),
        format: shared::endpoints::Format::Json,
    };
    let series = parse_three(&bodies);
    let data = history::answer(SOURCE, &series, &params);
    assert_eq!(data.count, usize::from(HISTORY_LIMIT));
    assert_ok(&history_handler(&event, &bodies));

    let mut g = c.benchmark_group("history_500");
    g.bench_function("event_to_params", |b| {
        b.iter(|| {
            let request: Request = lambda_http::request::from_str(black_box(&event)).unwrap();
            let call = Call::new(&request, history::ROUTE);
            call.params(history::PARAMS, history::params).unwrap()
        })
    });
    g.bench_function("parse_3_bodies", |b| {
        b.iter(|| parse_three(black_box(&bodies)))
    });
    g.bench_function("compute", |b| {
        b.iter(|| history::answer(SOURCE, black_box(&series), black_box(&params)))
    });
    g.bench_function("envelope", |b| {
        b.iter(|| envelope::success(black_box(&data), history::MESSAGE, "req-1"))
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
