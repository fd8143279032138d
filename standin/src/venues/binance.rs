//! Binance beyond the three ratio series (those are in `server.rs`): the open interest history
//! (`/futures/data/openInterestHist`: `[{symbol, sumOpenInterest, sumOpenInterestValue,
//! CMCCirculatingSupply, timestamp}]`, strings but the number `timestamp`, oldest first, the
//! same periods, limit ≤ 500 (default 30), retention and publication lag as the ratios) and
//! klines (`/fapi/v1/klines`: `[openTime, "open", "high", "low", "close", "volume", closeTime,
//! "quoteVolume", trades, "takerBuyBase", "takerBuyQuote", "0"]`, oldest first, limit ≤ 1500
//! (default 500); the newest row is the bar still open at the clock, its close the current
//! price). `open` of the bar at T is [`data::price`]`(T)`; a closed bar's close is the next
//! bar's open.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{handle, param, published, render, Venue};
use crate::conn::Conn;
use crate::data::{self, Cohort, SYMBOLS};
use crate::faults::{binance_error, FaultKind};
use crate::server::Shared;
use crate::switches::Switches;

/// What the stand-in knows of Binance (see [`Profile`](super::Profile)).
pub(crate) const PROFILE: super::Profile = super::Profile {
    id: "binance",
    instrument: |symbol| symbol.to_string(),
    long_shares: super::LongShares::Binance,
    btc_open_interest_usd: 8.0e9,
    rate_limited: |_| {
        crate::faults::binance_error(StatusCode::TOO_MANY_REQUESTS, -1003, "Too many requests.")
    },
    rate_limited_in_body: None,
    server_error: |_| {
        r#"{"code":-1000,"msg":"An unknown error occurred while processing the request."}"#
            .to_string()
    },
    unknown_instrument: |_, _| crate::faults::json_body(StatusCode::OK, "[]".into()),
};

pub const OPEN_INTEREST_PATH: &str = "/futures/data/openInterestHist";
pub const KLINES_PATH: &str = "/fapi/v1/klines";
/// `CMCCirculatingSupply`, a constant: nothing reads it.
const SUPPLY: &str = "19912345.00000000";

pub(crate) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    type Q = Query<Vec<(String, String)>>;
    r.route(
        OPEN_INTEREST_PATH,
        get(
            |State(st): State<Arc<Shared>>,
             ConnectInfo(conn): ConnectInfo<Conn>,
             uri: Uri,
             Query(q): Q| async move {
                handle(st, conn, uri, Venue::Binance, None, |sw, now, kind| {
                    open_interest(&q, sw, now, kind)
                })
                .await
            },
        ),
    )
    .route(
        KLINES_PATH,
        get(
            |State(st): State<Arc<Shared>>,
             ConnectInfo(conn): ConnectInfo<Conn>,
             uri: Uri,
             Query(q): Q| async move {
                handle(st, conn, uri, Venue::Binance, None, |_, now, kind| {
                    klines(&q, now, kind)
                })
                .await
            },
        ),
    )
}

fn invalid(name: &str) -> Response {
    binance_error(
        StatusCode::BAD_REQUEST,
        -1130,
        &format!("Data sent for paramter '{name}' is not valid."),
    )
}

/// `limit`, or `None` when it is out of 1..=max (a 400).
fn limit(q: &[(String, String)], default: usize, max: usize) -> Option<usize> {
    match param(q, "limit").map(str::parse::<usize>) {
        None => Some(default),
        Some(Ok(n)) if (1..=max).contains(&n) => Some(n),
        Some(_) => None,
    }
}

fn open_interest(
    q: &[(String, String)],
    sw: &Switches,
    now: i64,
    kind: Option<FaultKind>,
) -> Response {
    let Some(period_ms) = param(q, "period").and_then(data::period_ms) else {
        return invalid("period");
    };
    let Some(limit) = limit(q, 30, 500) else {
        return invalid("limit");
    };
    let symbol = param(q, "symbol").unwrap_or_default();
    let Some(symbol) = SYMBOLS.iter().copied().find(|s| *s == symbol) else {
        return render(vec![], "", kind, Value::Array);
    };
    let bound = |name| param(q, name).and_then(|v| v.parse::<i64>().ok());
    let (start, end) = (bound("startTime"), bound("endTime"));
    let stamps: Vec<i64> = published(sw, Venue::Binance, Cohort::RetailCrowd, period_ms, now)
        .into_iter()
        .filter(|ts| start.is_none_or(|s| *ts >= s) && end.is_none_or(|e| *ts <= e))
        .collect();
    let chosen = if start.is_some() {
        &stamps[..limit.min(stamps.len())]
    } else {
        &stamps[stamps.len().saturating_sub(limit)..]
    };
    let rows = chosen
        .iter()
        .filter_map(|ts| {
            let (coins, usd) = data::open_interest(Venue::Binance, symbol, *ts)?;
            Some(json!({
                "symbol": symbol,
                "sumOpenInterest": format!("{coins:.8}"),
                "sumOpenInterestValue": format!("{usd:.8}"),
                "CMCCirculatingSupply": SUPPLY,
                "timestamp": ts
            }))
        })
        .collect();
    render(rows, "sumOpenInterestValue", kind, Value::Array)
}

/// A price as Binance prints it: 2 decimals above 100, 4 above 1, else 7.
pub fn price_text(price: f64) -> String {
    if price >= 100.0 {
        format!("{price:.2}")
    } else if price >= 1.0 {
        format!("{price:.4}")
    } else {
        format!("{price:.7}")
    }
}

fn klines(q: &[(String, String)], now: i64, kind: Option<FaultKind>) -> Response {
    let Some(period_ms) = param(q, "interval").and_then(data::period_ms) else {
        return invalid("interval");
    };
    let Some(limit) = limit(q, 500, 1_500).map(|n| n as i64) else {
        return invalid("limit");
    };
    let symbol = param(q, "symbol").unwrap_or_default();
    let Some(symbol) = SYMBOLS.iter().copied().find(|s| *s == symbol) else {
        return binance_error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol.");
    };
    let bound = |name| param(q, name).and_then(|v| v.parse::<i64>().ok());
    let open_bar = now.div_euclid(period_ms) * period_ms;
    let last = bound("endTime").map_or(open_bar, |e| {
        open_bar.min(e.div_euclid(period_ms) * period_ms)
    });
    let first = match bound("startTime") {
        Some(s) => data::ceil_to(s, period_ms),
        None => last - (limit - 1) * period_ms,
    };
    let last = last.min(first + (limit - 1) * period_ms);
    let rows = (0..=((last - first) / period_ms).max(-1))
        .map(|i| first + i * period_ms)
        .filter_map(|open_time| {
            let open = data::price(symbol, open_time)?;
            let close_at = (open_time + period_ms).min(now);
            let close = data::price(symbol, close_at)?;
            let volume = 1_000_000.0 / open;
            Some(json!([
                open_time,
                price_text(open),
                price_text(open.max(close) * 1.002),
                price_text(open.min(close) * 0.998),
                price_text(close),
                format!("{volume:.3}"),
                open_time + period_ms - 1,
                format!("{:.4}", volume * (open + close) / 2.0),
                1_234,
                format!("{:.3}", volume / 2.0),
                format!("{:.4}", volume * open / 2.0),
                "0"
            ]))
        })
        .collect();
    render(rows, "", kind, Value::Array)
}
