//! Bitget v2 `/api/v2/mix/market/{long-short, account-long-short, position-long-short}`
//! (`?symbol=BTCUSDT&period=1h`) and the open-interest snapshot. `{"code":"00000","msg":"success",
//! "requestTime":…,"data":[…]}`, **oldest first**, every value a string, `ts` in ms. Periods
//! `5m 15m 30m 1h 2h 4h 6h 12h 1d`, but `long-short` spells the day `1Dutc` (and refuses `1d`);
//! the `1d` of the other two opens at midnight UTC+8, so its `ts` is 16:00 UTC ([`day_shift`]).
//! **No limit, no start or end**: always the newest [`ROWS`] (the real count is unconfirmed).
//! The `longShort*Ratio` field is (long / short) / 100 truncated to 4 decimals, as Bitget's is:
//! a trap for clients, reproduced on purpose.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{handle, listed, param, published, render, unknown_instrument, Venue};
use crate::conn::Conn;
use crate::data::{self, fmt_e4, Cohort, HOUR_MS};
use crate::faults::{json_body, FaultKind};
use crate::server::Shared;
use crate::switches::Switches;

/// Each cohort's path and its fields (long share, short share, the /100 ratio).
/// What the stand-in knows of Bitget (see [`Profile`](super::Profile)).
pub(crate) const PROFILE: super::Profile = super::Profile {
    id: "bitget",
    instrument: |symbol| format!("{}USDT", super::unscaled(symbol)),
    long_shares: super::LongShares::Offsets([Some(-0.010), Some(0.020), Some(0.010)]),
    btc_open_interest_usd: 2.0e9,
    rate_limited: |now| {
        json_body(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                r#"{{"code":"429","msg":"Too Many Requests","requestTime":{now},"data":null}}"#
            ),
        )
    },
    rate_limited_in_body: Some(|now| {
        json_body(
            StatusCode::OK,
            format!(
                r#"{{"code":"429","msg":"Too Many Requests","requestTime":{now},"data":null}}"#
            ),
        )
    }),
    server_error: |now| {
        format!(r#"{{"code":"40010","msg":"Request timed out","requestTime":{now},"data":null}}"#)
    },
    unknown_instrument: |name, now| {
        json_body(
            StatusCode::BAD_REQUEST,
            format!(
                r#"{{"code":"40034","msg":"Parameter {name} does not exist","requestTime":{now},"data":null}}"#
            ),
        )
    },
};

pub const PATHS: [(&str, Cohort, [&str; 3]); 3] = [
    (
        "/api/v2/mix/market/long-short",
        Cohort::RetailCrowd,
        ["longRatio", "shortRatio", "longShortRatio"],
    ),
    (
        "/api/v2/mix/market/account-long-short",
        Cohort::TopTradersByAccounts,
        [
            "longAccountRatio",
            "shortAccountRatio",
            "longShortAccountRatio",
        ],
    ),
    (
        "/api/v2/mix/market/position-long-short",
        Cohort::TopTradersByPosition,
        [
            "longPositionRatio",
            "shortPositionRatio",
            "longShortPositionRatio",
        ],
    ),
];
pub const OPEN_INTEREST_PATH: &str = "/api/v2/mix/market/open-interest";
/// Rows every answer carries (unconfirmed upstream).
pub const ROWS: usize = 30;

pub(crate) fn routes(mut r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    type Q = Query<Vec<(String, String)>>;
    for (path, cohort, fields) in PATHS {
        r = r.route(
            path,
            get(
                move |State(st): State<Arc<Shared>>,
                      ConnectInfo(conn): ConnectInfo<Conn>,
                      uri: Uri,
                      Query(q): Q| async move {
                    handle(
                        st,
                        conn,
                        uri,
                        Venue::Bitget,
                        Some(cohort),
                        |sw, now, kind| shares(&q, cohort, fields, sw, now, kind),
                    )
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
                handle(st, conn, uri, Venue::Bitget, None, |_, now, kind| {
                    open_interest(&q, now, kind)
                })
                .await
            },
        ),
    )
}

/// Bitget's period spelling for `cohort` → bucket length.
pub fn period(cohort: Cohort, spelled: &str) -> Option<i64> {
    let day = if cohort == Cohort::RetailCrowd {
        "1Dutc"
    } else {
        "1d"
    };
    Some(match spelled {
        "5m" => 5 * 60_000,
        "15m" => 15 * 60_000,
        "30m" => 30 * 60_000,
        "1h" => HOUR_MS,
        "2h" => 2 * HOUR_MS,
        "4h" => 4 * HOUR_MS,
        "6h" => 6 * HOUR_MS,
        "12h" => 12 * HOUR_MS,
        d if d == day => 24 * HOUR_MS,
        _ => return None,
    })
}

/// How far before midnight UTC a day bucket of `cohort` opens: 8 hours for the plain `1d` of
/// `account-long-short` and `position-long-short` (midnight UTC+8), none for `long-short`'s
/// `1Dutc` or any shorter period. Bitget's docs list no UTC spelling on those two paths
/// (https://www.bitget.com/api-doc/common/apidata/Account-Long-Short: `5m … 12h 1d`), and
/// Bitget's plain day elsewhere is UTC+8 beside an explicit `1Dutc` (candles: "day in UTC:
/// 1Dutc"); no capture of these rows' `ts` is at hand, so this is the likelier reading.
pub fn day_shift(cohort: Cohort, period_ms: i64) -> i64 {
    if cohort != Cohort::RetailCrowd && period_ms == 24 * HOUR_MS {
        8 * HOUR_MS
    } else {
        0
    }
}

fn error(code: &str, msg: &str, now: i64) -> Response {
    json_body(
        StatusCode::BAD_REQUEST,
        json!({"code": code, "msg": msg, "requestTime": now, "data": null}).to_string(),
    )
}

fn envelope(data: Value, now: i64) -> Value {
    json!({"code": "00000", "msg": "success", "requestTime": now, "data": data})
}

fn shares(
    q: &[(String, String)],
    cohort: Cohort,
    [long_key, short_key, ratio_key]: [&str; 3],
    sw: &Switches,
    now: i64,
    kind: Option<FaultKind>,
) -> Response {
    let Some(name) = param(q, "symbol") else {
        return error("40017", "Parameter symbol is empty", now);
    };
    let Some(period_ms) = param(q, "period").and_then(|p| period(cohort, p)) else {
        return error("40019", "Parameter period error", now);
    };
    let Some(symbol) = listed(Venue::Bitget, name) else {
        return unknown_instrument(Venue::Bitget, name, now);
    };
    // The plain `1d` of the two large-holder paths opens at midnight UTC+8 (16:00 UTC): its
    // buckets are UTC-midnight ones moved 8 hours earlier, values and all.
    let shift = day_shift(cohort, period_ms);
    let stamps = published(sw, Venue::Bitget, cohort, period_ms, now + shift);
    let rows: Vec<Value> = stamps[stamps.len().saturating_sub(ROWS)..]
        .iter()
        .filter_map(|utc| {
            let share = data::venue_long_share(Venue::Bitget, symbol, cohort, period_ms, *utc)?;
            let ts = utc - shift;
            let long = (share * 1e4).round() as i64;
            let short = 10_000 - long;
            // (long / short) / 100, truncated to 4 decimals.
            let scaled = (long as f64 / short as f64 / 100.0 * 1e4).trunc() as i64;
            let mut row = serde_json::Map::new();
            row.insert(long_key.into(), fmt_e4(long).into());
            row.insert(short_key.into(), fmt_e4(short).into());
            row.insert(ratio_key.into(), fmt_e4(scaled).into());
            row.insert("ts".into(), ts.to_string().into());
            Some(Value::Object(row))
        })
        .collect();
    render(rows, long_key, kind, |rows| {
        envelope(Value::Array(rows), now)
    })
}

fn open_interest(q: &[(String, String)], now: i64, kind: Option<FaultKind>) -> Response {
    let Some(name) = param(q, "symbol") else {
        return error("40017", "Parameter symbol is empty", now);
    };
    if param(q, "productType").is_none_or(|p| !p.eq_ignore_ascii_case("USDT-FUTURES")) {
        return error("40019", "Parameter productType error", now);
    }
    let Some(symbol) = listed(Venue::Bitget, name) else {
        return unknown_instrument(Venue::Bitget, name, now);
    };
    let Some((coins, _)) = data::open_interest(Venue::Bitget, symbol, now) else {
        return unknown_instrument(Venue::Bitget, name, now);
    };
    let entry = json!({"symbol": name, "size": format!("{coins:.2}")});
    render(vec![entry], "size", kind, |list| {
        envelope(
            json!({"openInterestList": Value::Array(list), "ts": now.to_string()}),
            now,
        )
    })
}
