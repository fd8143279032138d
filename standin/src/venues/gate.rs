//! Gate v4 `/api/v4/futures/usdt/contract_stats`: all three cohorts (as long/short ratios) and
//! open interest in one row per bucket, a bare JSON array **oldest first**, values JSON
//! **numbers**, `time` in **seconds**. `contract` (`BTC_USDT`), `interval` `5m 15m 30m 1h 4h
//! 1d`, `limit` ≤ 100 (default 30), optional `from` (seconds: the first `limit` rows from it).
//! A ratio of 0 means no data (a bucket missing from one cohort is served so).
//!
//! `time` is the bucket's **start**, and the newest row is the bucket still open: its values
//! (ratios, open interest, mark price) move with the clock until the bucket closes, and then
//! hold the state at its close. So row `time = S` of period p, once final, carries what
//! Binance's row at S + p describes (upstream-venues.md: "the newest row is provisional …
//! compare like with like"). Errors:
//! `400 {"label":"CONTRACT_NOT_FOUND"}`, `400 {"label":"INVALID_PARAM_VALUE",…}`.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{handle, listed, param, published, render, unknown_instrument, Venue};
use crate::conn::Conn;
use crate::data::{self, Cohort, HOUR_MS};
use crate::faults::{json_body, FaultKind};
use crate::server::Shared;
use crate::switches::Switches;

/// What the stand-in knows of Gate (see [`Profile`](super::Profile)).
pub(crate) const PROFILE: super::Profile = super::Profile {
    id: "gate",
    instrument: |symbol| format!("{}_USDT", super::unscaled(symbol)),
    long_shares: super::LongShares::Offsets([Some(0.010), Some(0.005), Some(0.020)]),
    btc_open_interest_usd: 1.0e9,
    rate_limited: |_| {
        json_body(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"label":"TOO_MANY_REQUESTS","message":"Request Rate limit Exceeded"}"#.into(),
        )
    },
    rate_limited_in_body: None,
    server_error: |_| r#"{"label":"SERVER_ERROR","message":"Internal server error"}"#.to_string(),
    unknown_instrument: |_, _| {
        json_body(
            StatusCode::BAD_REQUEST,
            r#"{"label":"CONTRACT_NOT_FOUND","message":"contract not found"}"#.into(),
        )
    },
};

pub const PATH: &str = "/api/v4/futures/usdt/contract_stats";
/// Contracts per coin in `open_interest`.
pub const CONTRACTS_PER_COIN: f64 = 10_000.0;

pub(crate) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(
        PATH,
        get(
            |State(st): State<Arc<Shared>>,
             ConnectInfo(conn): ConnectInfo<Conn>,
             uri: Uri,
             Query(q): Query<Vec<(String, String)>>| async move {
                handle(st, conn, uri, Venue::Gate, None, |sw, now, kind| {
                    serve(&q, sw, now, kind)
                })
                .await
            },
        ),
    )
}

/// Gate's interval spelling → bucket length.
pub fn period(spelled: &str) -> Option<i64> {
    Some(match spelled {
        "5m" => 5 * 60_000,
        "15m" => 15 * 60_000,
        "30m" => 30 * 60_000,
        "1h" => HOUR_MS,
        "4h" => 4 * HOUR_MS,
        "1d" => 24 * HOUR_MS,
        _ => return None,
    })
}

fn invalid(message: &str) -> Response {
    json_body(
        StatusCode::BAD_REQUEST,
        json!({"label": "INVALID_PARAM_VALUE", "message": message}).to_string(),
    )
}

/// The long/short ratio Gate publishes for a long share, 0 for no data.
fn ratio(share: Option<f64>) -> f64 {
    share.map_or(0.0, |s| s / (1.0 - s))
}

fn serve(q: &[(String, String)], sw: &Switches, now: i64, kind: Option<FaultKind>) -> Response {
    let Some(contract) = param(q, "contract") else {
        return invalid("contract is required");
    };
    let Some(period_ms) = param(q, "interval").and_then(period) else {
        return invalid("invalid interval");
    };
    let limit = match param(q, "limit").map(str::parse::<usize>) {
        None => 30,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return invalid("limit must be from 1 to 100"),
    };
    let from = match param(q, "from").map(str::parse::<i64>) {
        None => None,
        Some(Ok(s)) if s * 1000 >= now - 180 * 24 * HOUR_MS => Some(s * 1000),
        Some(_) => return invalid("from is too far back"),
    };
    let Some(symbol) = listed(Venue::Gate, contract) else {
        return unknown_instrument(Venue::Gate, contract, now);
    };
    // A bucket is served when any cohort has it; a cohort missing it reads 0 (no data).
    let by_cohort: Vec<Vec<i64>> = Cohort::ALL
        .iter()
        .map(|c| published(sw, Venue::Gate, *c, period_ms, now))
        .collect();
    let mut stamps: Vec<i64> = by_cohort.iter().flatten().copied().collect();
    stamps.sort_unstable();
    stamps.dedup();
    let chosen: Vec<i64> = match from {
        Some(from) => stamps
            .iter()
            .copied()
            .filter(|ts| *ts >= from)
            .take(limit)
            .collect(),
        None => stamps[stamps.len().saturating_sub(limit)..].to_vec(),
    };
    let rows: Vec<Value> = chosen
        .iter()
        .filter_map(|ts| {
            // Row `ts` is the bucket [ts, ts + period): once closed it holds the state at its
            // close (what Binance's row at ts + period describes); while open, the state so
            // far, moving from the bucket's start towards its close with the clock.
            let close = ts + period_ms;
            let closed = close <= now;
            let moved = ((now - ts) as f64 / period_ms as f64).clamp(0.0, 1.0);
            let share = |i: usize| {
                by_cohort[i].binary_search(ts).ok()?;
                let at =
                    |t| data::venue_long_share(Venue::Gate, symbol, Cohort::ALL[i], period_ms, t);
                let end = at(close)?;
                if closed {
                    return Some(end);
                }
                let start = at(*ts)?;
                Some(start + (end - start) * moved)
            };
            let reading_at = if closed { close } else { now };
            let (coins, usd) = data::open_interest(Venue::Gate, symbol, reading_at)?;
            let price = data::price(symbol, reading_at)?;
            let users = |s: Option<f64>, long: bool| {
                s.map_or(0, |s| {
                    ((if long { s } else { 1.0 - s }) * 20_000.0).round() as i64
                })
            };
            let (all, top) = (share(0), share(2));
            Some(json!({
                "time": ts / 1000,
                "lsr_taker": 0.9731,
                "lsr_account": ratio(all),
                "top_lsr_account": ratio(share(1)),
                "top_lsr_size": ratio(top),
                "open_interest": (coins * CONTRACTS_PER_COIN).round() as i64,
                "open_interest_usd": (usd * 1e4).round() / 1e4,
                "mark_price": (price * 100.0).round() / 100.0,
                "long_liq_size": 0, "short_liq_size": 0, "long_liq_usd": 0, "short_liq_usd": 0,
                "long_liq_amount": 0, "short_liq_amount": 0,
                "long_users": users(all, true), "short_users": users(all, false),
                "top_long_account": users(share(1), true) / 100,
                "top_short_account": users(share(1), false) / 100,
                "top_long_size": users(top, true), "top_short_size": users(top, false)
            }))
        })
        .collect();
    render(rows, "lsr_account", kind, Value::Array)
}
