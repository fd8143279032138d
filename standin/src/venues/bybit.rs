//! Bybit v5 market data: `/v5/market/account-ratio` (all accounts' buy/sell shares; Bybit has no
//! top-trader series) and `/v5/market/open-interest`, in `{"retCode":0,"retMsg":"OK","result":
//! {"list":[…],"nextPageCursor":…},"retExtInfo":{},"time":…}`, every list value a string,
//! **newest first**. `category=linear`, `symbol`, `period` / `intervalTime` spelled `5min 15min
//! 30min 1h 4h 1d`, `limit` 1–500 (open interest 1–200; default 50), optional `startTime` /
//! `endTime` (ms, inclusive). Errors come as **HTTP 200** with `retCode` 10001; the rate limit
//! is a bare HTTP 403.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{handle, listed, param, published, render, unknown_instrument, Venue};
use crate::conn::Conn;
use crate::data::{self, fmt_e4, Cohort, HOUR_MS};
use crate::faults::{json_body, FaultKind};
use crate::server::Shared;
use crate::switches::Switches;

/// What the stand-in knows of Bybit (see [`Profile`](super::Profile)).
pub(crate) const PROFILE: super::Profile = super::Profile {
    id: "bybit",
    instrument: |symbol| symbol.to_string(),
    long_shares: super::LongShares::Offsets([Some(-0.020), None, None]),
    btc_open_interest_usd: 5.0e9,
    rate_limited: |_| {
        (
            StatusCode::FORBIDDEN,
            [(axum::http::header::CONTENT_TYPE, "text/plain")],
            "access too frequent",
        )
            .into_response()
    },
    rate_limited_in_body: Some(|now| {
        json_body(
            StatusCode::OK,
            format!(
                r#"{{"retCode":10006,"retMsg":"Too many visits!","result":{{}},"retExtInfo":{{}},"time":{now}}}"#
            ),
        )
    }),
    server_error: |now| {
        format!(
            r#"{{"retCode":10016,"retMsg":"Internal server error.","result":{{}},"retExtInfo":{{}},"time":{now}}}"#
        )
    },
    unknown_instrument: |_, now| {
        json_body(
            StatusCode::OK,
            format!(
                r#"{{"retCode":10001,"retMsg":"params error: symbol invalid","result":{{}},"retExtInfo":{{}},"time":{now}}}"#
            ),
        )
    },
};

pub const ACCOUNT_RATIO_PATH: &str = "/v5/market/account-ratio";
pub const OPEN_INTEREST_PATH: &str = "/v5/market/open-interest";

pub(crate) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    type Q = Query<Vec<(String, String)>>;
    r.route(
        ACCOUNT_RATIO_PATH,
        get(
            |State(st): State<Arc<Shared>>,
             ConnectInfo(conn): ConnectInfo<Conn>,
             uri: Uri,
             Query(q): Q| async move {
                let cohort = Some(Cohort::RetailCrowd);
                handle(st, conn, uri, Venue::Bybit, cohort, |sw, now, kind| {
                    serve(&q, true, sw, now, kind)
                })
                .await
            },
        ),
    )
    .route(
        OPEN_INTEREST_PATH,
        get(
            |State(st): State<Arc<Shared>>,
             ConnectInfo(conn): ConnectInfo<Conn>,
             uri: Uri,
             Query(q): Q| async move {
                handle(st, conn, uri, Venue::Bybit, None, |sw, now, kind| {
                    serve(&q, false, sw, now, kind)
                })
                .await
            },
        ),
    )
}

/// Bybit's period spelling → bucket length.
pub fn period(spelled: &str) -> Option<i64> {
    Some(match spelled {
        "5min" => 5 * 60_000,
        "15min" => 15 * 60_000,
        "30min" => 30 * 60_000,
        "1h" => HOUR_MS,
        "4h" => 4 * HOUR_MS,
        "1d" => 24 * HOUR_MS,
        _ => return None,
    })
}

fn params_error(what: &str, now: i64) -> Response {
    json_body(
        StatusCode::OK,
        json!({"retCode": 10001, "retMsg": format!("params error: {what}"), "result": {},
               "retExtInfo": {}, "time": now})
        .to_string(),
    )
}

fn serve(
    q: &[(String, String)],
    account_ratio: bool,
    sw: &Switches,
    now: i64,
    kind: Option<FaultKind>,
) -> Response {
    if param(q, "category") != Some("linear") {
        return params_error("category invalid", now);
    }
    let Some(name) = param(q, "symbol") else {
        return params_error("symbol invalid", now);
    };
    let period_name = if account_ratio {
        "period"
    } else {
        "intervalTime"
    };
    let Some(period_ms) = param(q, period_name).and_then(period) else {
        return params_error(&format!("{period_name} invalid"), now);
    };
    let max = if account_ratio { 500 } else { 200 };
    let limit = match param(q, "limit").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        Some(_) => return params_error("limit invalid", now),
    };
    let Some(symbol) = listed(Venue::Bybit, name) else {
        return unknown_instrument(Venue::Bybit, name, now);
    };
    let bound = |name| param(q, name).and_then(|v| v.parse::<i64>().ok());
    let (start, end) = (bound("startTime"), bound("endTime"));
    let stamps = published(sw, Venue::Bybit, Cohort::RetailCrowd, period_ms, now);
    let rows: Vec<Value> = stamps
        .iter()
        .rev()
        .filter(|ts| start.is_none_or(|s| **ts >= s) && end.is_none_or(|e| **ts <= e))
        .take(limit)
        .filter_map(|ts| {
            if account_ratio {
                let share = data::venue_long_share(
                    Venue::Bybit,
                    symbol,
                    Cohort::RetailCrowd,
                    period_ms,
                    *ts,
                )?;
                let long = (share * 1e4).round() as i64;
                Some(json!({"symbol": name, "buyRatio": fmt_e4(long),
                            "sellRatio": fmt_e4(10_000 - long), "timestamp": ts.to_string()}))
            } else {
                let (coins, _) = data::open_interest(Venue::Bybit, symbol, *ts)?;
                Some(json!({"openInterest": format!("{coins:.4}"), "timestamp": ts.to_string()}))
            }
        })
        .collect();
    let cursor = rows
        .last()
        .and_then(|r| r["timestamp"].as_str())
        .map(|ts| {
            format!(
                "lastid%3D0%26lasttime%3D{}",
                ts.parse::<i64>().unwrap_or(0) / 1000
            )
        })
        .unwrap_or_default();
    let key = if account_ratio {
        "buyRatio"
    } else {
        "openInterest"
    };
    render(rows, key, kind, |rows| {
        let mut result = json!({"list": Value::Array(rows), "nextPageCursor": cursor});
        if !account_ratio {
            result["category"] = json!("linear");
            result["symbol"] = json!(name);
        }
        json!({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now})
    })
}
