//! OKX's trading statistics (`/api/v5/rubik/stat/contracts/…`): the three cohorts' long/short
//! ratios and open interest, as `{"code":"0","msg":"","data":[[ts, …], …]}` with every value a
//! string, **newest first**, ratios unrounded (only the ratio r is published). `instId`
//! (`BTC-USDT-SWAP`), `period` (`5m 15m 30m 1H 2H 4H 6Hutc 12Hutc 1Dutc`; `6H 12H 1D` open at
//! UTC+8; anything else, `1h` included, is `400 51000`), `begin`/`end` (ms, both exclusive),
//! `limit` ≤ 100 (default 100). The latest 1,440 rows per period exist. An unknown instrument
//! is `200 51001`.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{handle, listed, param, plain, published, render, unknown_instrument, Venue};
use crate::conn::Conn;
use crate::data::{self, Cohort, HOUR_MS};
use crate::faults::{json_body, FaultKind};
use crate::server::Shared;
use crate::switches::Switches;

/// What the stand-in knows of OKX (see [`Profile`](super::Profile)).
pub(crate) const PROFILE: super::Profile = super::Profile {
    id: "okx",
    instrument: |symbol| format!("{}-USDT-SWAP", super::unscaled(symbol)),
    long_shares: super::LongShares::Offsets([Some(0.015), Some(-0.010), Some(-0.030)]),
    btc_open_interest_usd: 3.0e9,
    rate_limited: |_| {
        json_body(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"msg":"Too Many Requests","code":"50011"}"#.into(),
        )
    },
    rate_limited_in_body: None,
    server_error: |_| {
        r#"{"code":"50001","msg":"Service temporarily unavailable. Please try again later.","data":[]}"#.to_string()
    },
    unknown_instrument: |name, _| {
        json_body(
            StatusCode::OK,
            format!(r#"{{"code":"51001","msg":"Instrument ID {name} doesn't exist.","data":[]}}"#),
        )
    },
};

pub const RATIO_PATHS: [(&str, Cohort); 3] = [
    (
        "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
        Cohort::RetailCrowd,
    ),
    (
        "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract-top-trader",
        Cohort::TopTradersByAccounts,
    ),
    (
        "/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader",
        Cohort::TopTradersByPosition,
    ),
];
pub const OPEN_INTEREST_PATH: &str = "/api/v5/rubik/stat/contracts/open-interest-history";
/// Rows per period that exist.
pub const RETAINED_ROWS: usize = 1_440;
/// Contracts per coin in the open interest's `oi` column.
pub const CONTRACTS_PER_COIN: f64 = 100.0;

pub(crate) fn routes(mut r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    type Q = Query<Vec<(String, String)>>;
    for (path, cohort) in RATIO_PATHS {
        r = r.route(
            path,
            get(
                move |State(st): State<Arc<Shared>>,
                      ConnectInfo(conn): ConnectInfo<Conn>,
                      uri: Uri,
                      Query(q): Q| async move {
                    handle(st, conn, uri, Venue::Okx, Some(cohort), |sw, now, kind| {
                        serve(&q, Some(cohort), sw, now, kind)
                    })
                    .await
                },
            ),
        );
    }
    r.route(
        OPEN_INTEREST_PATH,
        get(
            |State(st): State<Arc<Shared>>,
             ConnectInfo(conn): ConnectInfo<Conn>,
             uri: Uri,
             Query(q): Q| async move {
                handle(st, conn, uri, Venue::Okx, None, |sw, now, kind| {
                    serve(&q, None, sw, now, kind)
                })
                .await
            },
        ),
    )
}

fn error(code: &str, msg: &str) -> Response {
    json_body(
        StatusCode::BAD_REQUEST,
        json!({"code": code, "msg": msg, "data": []}).to_string(),
    )
}

/// OKX's period spelling → (bucket length, how far its buckets open before UTC's).
pub fn period(spelled: &str) -> Option<(i64, i64)> {
    let utc8 = |ms: i64| (ms, (8 * HOUR_MS) % ms);
    Some(match spelled {
        "5m" => (5 * 60_000, 0),
        "15m" => (15 * 60_000, 0),
        "30m" => (30 * 60_000, 0),
        "1H" => (HOUR_MS, 0),
        "2H" => (2 * HOUR_MS, 0),
        "4H" => (4 * HOUR_MS, 0),
        "6Hutc" => (6 * HOUR_MS, 0),
        "12Hutc" => (12 * HOUR_MS, 0),
        "1Dutc" => (24 * HOUR_MS, 0),
        "6H" => utc8(6 * HOUR_MS),
        "12H" => utc8(12 * HOUR_MS),
        "1D" => utc8(24 * HOUR_MS),
        _ => return None,
    })
}

/// One cohort's ratio rows (`cohort: Some`) or the open interest (`None`), newest first.
fn serve(
    q: &[(String, String)],
    cohort: Option<Cohort>,
    sw: &Switches,
    now: i64,
    kind: Option<FaultKind>,
) -> Response {
    let Some(inst_id) = param(q, "instId") else {
        return error("50014", "Parameter instId can not be empty");
    };
    let Some((period_ms, shift)) = param(q, "period").and_then(period) else {
        return error("51000", "Parameter period error");
    };
    let limit = match param(q, "limit").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return error("51000", "Parameter limit error"),
    };
    let bound = |name| param(q, name).and_then(|v| v.parse::<i64>().ok());
    let (begin, end) = (bound("begin"), bound("end"));
    let Some(symbol) = listed(Venue::Okx, inst_id) else {
        return unknown_instrument(Venue::Okx, inst_id, now);
    };
    let stamps = published(
        sw,
        Venue::Okx,
        cohort.unwrap_or(Cohort::RetailCrowd),
        period_ms,
        now,
    );
    let retained = &stamps[stamps.len().saturating_sub(RETAINED_ROWS)..];
    // Buckets opening at UTC+8 are served at their own start; the values are the UTC bucket's.
    let chosen: Vec<i64> = retained
        .iter()
        .rev()
        .filter(|ts| begin.is_none_or(|b| **ts - shift > b) && end.is_none_or(|e| **ts - shift < e))
        .take(limit)
        .copied()
        .collect();
    let rows = chosen
        .iter()
        .filter_map(|ts| {
            let served = (ts - shift).to_string();
            Some(match cohort {
                Some(c) => {
                    let share = data::venue_long_share(Venue::Okx, symbol, c, period_ms, *ts)?;
                    json!([served, plain(share / (1.0 - share))])
                }
                None => {
                    let (coins, usd) = data::open_interest(Venue::Okx, symbol, *ts)?;
                    json!([
                        served,
                        format!("{:.0}", coins * CONTRACTS_PER_COIN),
                        format!("{coins:.4}"),
                        format!("{usd:.4}")
                    ])
                }
            })
        })
        .collect();
    render(
        rows,
        "",
        kind,
        |rows| json!({"code": "0", "msg": "", "data": Value::Array(rows)}),
    )
}
