//! Hyperliquid: its public info API (`POST /info`: `clearinghouseState`, `userFillsByTime`,
//! `metaAndAssetCtxs`) and the leaderboard its web front end reads (`GET /Mainnet/leaderboard`),
//! on one server with the other venues (the adapter takes both base URLs, so both point here).
//! Not a positioning venue: it is not in [`Venue`](super::Venue) (no cohorts, no `PROFILE`), and
//! faults name it with [`Fault::at_hyperliquid`](crate::Fault::at_hyperliquid) and an
//! [`HlEndpoint`].
//!
//! - **Requests**: `Content-Type: application/json` (else 415 text), a JSON body (else 400 text),
//!   of a known type with well-formed fields (else **422** `text/plain` "Failed to deserialize
//!   the JSON body into the target type"); `GET /info` is 405.
//! - **Numbers** are JSON strings; times, `oid`, `tid` and leverage JSON numbers.
//! - **Fills**: at most [`MAX_FILLS`] per answer, `startTime`..=`endTime` (default: now). Oldest
//!   first from `startTime` by default; with the switch `hyperliquid_fills_newest_first`, the
//!   newest 2,000 of the range, newest first (the two orders recorded upstream).
//! - **Weight** is counted per answered request ([`weight`]); over [`WEIGHT_PER_MINUTE`] in the
//!   rolling wall-clock minute the answer is 429 with body `null` (unless the switch
//!   `hyperliquid_unlimited_weight`). See `StandInHandle::weight_in_last_minute`.
//! - **Faults** in Hyperliquid's forms: `rate_limited` (also `rate_limited_in_body`, `banned`) is
//!   429 `null` (a `Retry-After` only if the fault sets one), `server_error` and `invalid_symbol`
//!   500 `null` (its answer to an unknown coin), `bad_body` 422 text, `unavailable` 503 text,
//!   `html` 200 HTML, `forbidden_html`/`restricted` 403 HTML, `object` 200 `{"unexpected":…}`,
//!   `truncated`, `empty`, `missing_keys`/`garbage_numbers`/`non_finite` (on `szi`, `sz`,
//!   `markPx`, `accountValue` by endpoint), `hang`, `slow`, `close`.
//!
//! The data ([`wallets`]) is deterministic on the stand-in's clock; its helpers let tests
//! recompute every number from what was served. A benchmark can add a synthetic cohort
//! ([`synthetic`], off by default) and read the weight counted over HTTP
//! (`GET /__standin/hyperliquid/weight`).

pub mod synthetic;
pub mod wallets;

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::conn::Conn;
use crate::faults::{self, html, json_body, Fault, FaultKind, HlEndpoint};
use crate::server::{clock, latency, wall_ms, Shared};
use crate::switches::Switches;

pub use synthetic::Synthetic;
pub use wallets::{
    anchor, asset_named, clearinghouse_state, dec, fills, generated_row, leaderboard_rows, mark,
    meta_and_asset_ctxs, positions, wallet, Asset, LeaderboardRow, Margin, RawFill, RawPosition,
    Wallet, ASSETS, BENCH_LEADERBOARD_ROWS, BUSY_FILLS, HLP_VAULT, WALLETS,
};

pub const INFO_PATH: &str = "/info";
pub const LEADERBOARD_PATH: &str = "/Mainnet/leaderboard";
/// Fills per `userFillsByTime` answer at most.
pub const MAX_FILLS: usize = 2_000;
/// Hyperliquid's limit: weight per rolling minute per IP.
pub const WEIGHT_PER_MINUTE: u32 = 1_200;
/// Generated leaderboard rows per streamed chunk.
const ROWS_PER_CHUNK: u32 = 64;

/// What one answered request weighs: `clearinghouseState` 2, `metaAndAssetCtxs` 20,
/// `userFillsByTime` 20 + 1 per 20 fills returned (counted up: ⌈fills / 20⌉, the stricter
/// reading of "per 20 items").
pub fn weight(endpoint: HlEndpoint, fills_returned: usize) -> u32 {
    match endpoint {
        HlEndpoint::ClearinghouseState => 2,
        HlEndpoint::UserFillsByTime => 20 + fills_returned.div_ceil(20) as u32,
        HlEndpoint::MetaAndAssetCtxs => 20,
        HlEndpoint::Any | HlEndpoint::Leaderboard => 0,
    }
}

pub(crate) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(INFO_PATH, post(info))
        .route(LEADERBOARD_PATH, get(leaderboard))
}

/// A `POST /info` body the stand-in understands.
#[derive(Debug, PartialEq)]
enum Request {
    ClearinghouseState {
        user: String,
    },
    UserFillsByTime {
        user: String,
        start: i64,
        end: Option<i64>,
    },
    MetaAndAssetCtxs,
}

impl Request {
    /// `None`: what Hyperliquid answers 422.
    fn read(v: &Value) -> Option<Request> {
        let user = || {
            let u = v.get("user")?.as_str()?;
            let hex = u.strip_prefix("0x")?;
            (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u.to_ascii_lowercase())
        };
        let time = |k: &str| v.get(k).map(|t| t.as_u64().map(|t| t as i64));
        match v.get("type")?.as_str()? {
            "clearinghouseState" => Some(Request::ClearinghouseState { user: user()? }),
            "userFillsByTime" => {
                if v.get("aggregateByTime").is_some_and(|a| !a.is_boolean()) {
                    return None;
                }
                Some(Request::UserFillsByTime {
                    user: user()?,
                    start: time("startTime")??,
                    end: match time("endTime") {
                        None => None,
                        Some(t) => Some(t?),
                    },
                })
            }
            "metaAndAssetCtxs" => Some(Request::MetaAndAssetCtxs),
            _ => None,
        }
    }

    fn endpoint(&self) -> HlEndpoint {
        match self {
            Request::ClearinghouseState { .. } => HlEndpoint::ClearinghouseState,
            Request::UserFillsByTime { .. } => HlEndpoint::UserFillsByTime,
            Request::MetaAndAssetCtxs => HlEndpoint::MetaAndAssetCtxs,
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Hyperliquid's 429 and 500: the JSON `null`.
fn null(status: StatusCode) -> Response {
    json_body(status, "null".into())
}

async fn info(
    State(st): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let logged = String::from_utf8_lossy(&body).into_owned();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed = serde_json::from_slice::<Value>(&body);
    let request = parsed.as_ref().ok().and_then(Request::read);
    let (sw, fault) = st.begin_hyperliquid(&uri, request.as_ref().map(Request::endpoint), &logged);
    latency(&sw).await;
    if !is_json {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        );
    }
    if parsed.is_err() {
        return text(
            StatusCode::BAD_REQUEST,
            "Failed to parse the request body as JSON",
        );
    }
    let Some(request) = request else {
        return faults::bad_body();
    };
    let endpoint = request.endpoint();
    let base = weight(endpoint, 0);
    if !sw.hyperliquid_unlimited_weight
        && st.weight_in_minute_to(wall_ms()) + base > WEIGHT_PER_MINUTE
    {
        return null(StatusCode::TOO_MANY_REQUESTS);
    }
    let now = clock(&sw);
    if let Some(f) = &fault {
        if let Some(response) = intercept(f, now, &conn).await {
            if !matches!(
                f.kind,
                FaultKind::RateLimited | FaultKind::RateLimitedInBody | FaultKind::Banned
            ) {
                st.spend_weight(base);
            }
            return response;
        }
    }
    let kind = fault.map(|f| f.kind);
    let (answer, weight) = serve(&request, &sw, now, kind);
    st.spend_weight(weight);
    let key = match endpoint {
        HlEndpoint::ClearinghouseState => "szi",
        HlEndpoint::UserFillsByTime => "sz",
        _ => "markPx",
    };
    json_body(StatusCode::OK, spoil(answer, key, kind))
}

/// The answer to `request` and its weight (`empty`: the empty answer of its kind).
fn serve(request: &Request, sw: &Switches, now: i64, kind: Option<FaultKind>) -> (Value, u32) {
    let empty = kind == Some(FaultKind::Empty);
    let synthetic = Synthetic::of(sw);
    match request {
        Request::ClearinghouseState { user } => {
            let user = if empty { "0x0" } else { user };
            let state = match synthetic.index(user) {
                Some(i) => synthetic.clearinghouse_state(i, now),
                None => clearinghouse_state(user, now),
            };
            (state, weight(HlEndpoint::ClearinghouseState, 0))
        }
        Request::UserFillsByTime { user, start, end } => {
            let end = end.unwrap_or(now);
            let all = match synthetic.index(user) {
                Some(i) => synthetic.fills(i, now),
                None => fills(user, now),
            };
            let mut chosen: Vec<RawFill> = all
                .into_iter()
                .filter(|f| f.time >= *start && f.time <= end && !empty)
                .collect();
            if sw.hyperliquid_fills_newest_first {
                chosen.reverse();
            }
            chosen.truncate(MAX_FILLS);
            let n = chosen.len();
            let rows = chosen.iter().map(|f| f.json(user)).collect();
            (Value::Array(rows), weight(HlEndpoint::UserFillsByTime, n))
        }
        Request::MetaAndAssetCtxs => {
            let answer = if empty {
                serde_json::json!([{"universe": []}, []])
            } else {
                meta_and_asset_ctxs()
            };
            (answer, weight(HlEndpoint::MetaAndAssetCtxs, 0))
        }
    }
}

/// Faults that replace the whole answer (in Hyperliquid's forms) or delay it.
async fn intercept(fault: &Fault, now: i64, conn: &Conn) -> Option<Response> {
    use FaultKind::*;
    Some(match fault.kind {
        Hang | Slow | Close => {
            return faults::intercept(fault, now, conn.peer.ip(), || conn.kill()).await
        }
        RateLimited | RateLimitedInBody | Banned => {
            let mut r = null(StatusCode::TOO_MANY_REQUESTS);
            if let Some(s) = fault.retry_after_s {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(s));
            }
            r
        }
        ServerError | InvalidSymbol => null(StatusCode::INTERNAL_SERVER_ERROR),
        BadBody => faults::bad_body(),
        Unavailable => text(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable."),
        Html => html(
            StatusCode::OK,
            "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>",
        ),
        Restricted | ForbiddenHtml => html(
            StatusCode::FORBIDDEN,
            "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>",
        ),
        Object => json_body(StatusCode::OK, r#"{"unexpected":"object"}"#.into()),
        Truncated | Empty | MissingKeys | GarbageNumbers | NonFinite | ZeroShort
        | DuplicateUnsorted => return None,
    })
}

/// `answer` written, corrupted as `kind` asks: `key` removed or spoiled wherever it is, or the
/// body cut halfway through its last object.
fn spoil(mut answer: Value, key: &str, kind: Option<FaultKind>) -> String {
    fn walk(v: &mut Value, key: &str, with: Option<&str>) {
        match v {
            Value::Object(fields) => {
                if fields.contains_key(key) {
                    match with {
                        None => {
                            fields.remove(key);
                        }
                        Some(t) => {
                            fields.insert(key.into(), t.into());
                        }
                    }
                }
                fields.values_mut().for_each(|f| walk(f, key, with));
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, key, with)),
            _ => {}
        }
    }
    match kind {
        Some(FaultKind::MissingKeys) => walk(&mut answer, key, None),
        Some(FaultKind::GarbageNumbers) => walk(&mut answer, key, Some("abc")),
        Some(FaultKind::NonFinite) => walk(&mut answer, key, Some("NaN")),
        _ => {}
    }
    let mut body = answer.to_string();
    if kind == Some(FaultKind::Truncated) {
        let cut = body.rfind('{').map_or(1, |i| i + (body.len() - i) / 2);
        body.truncate(cut.max(1));
    }
    body
}

async fn leaderboard(
    State(st): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    uri: Uri,
) -> Response {
    let (sw, fault) = st.begin_hyperliquid(&uri, Some(HlEndpoint::Leaderboard), "");
    latency(&sw).await;
    let now = clock(&sw);
    if let Some(f) = &fault {
        if let Some(response) = intercept(f, now, &conn).await {
            return response;
        }
    }
    let kind = fault.map(|f| f.kind);
    let mut head = String::from(r#"{"leaderboardRows":["#);
    if kind != Some(FaultKind::Empty) {
        let mut rows = leaderboard_rows();
        rows.extend(Synthetic::of(&sw).rows());
        let rows: Vec<String> = rows
            .iter()
            .map(|r| {
                let v: Value = serde_json::from_str(&r.json()).unwrap_or_default();
                spoil(
                    v,
                    "accountValue",
                    kind.filter(|k| *k != FaultKind::Truncated),
                )
            })
            .collect();
        head.push_str(&rows.join(","));
    }
    let generated = if kind == Some(FaultKind::Empty) {
        0
    } else {
        sw.hyperliquid_leaderboard_rows
    };
    let chunks = generated.div_ceil(ROWS_PER_CHUNK);
    let truncated = kind == Some(FaultKind::Truncated);
    // Truncated: half the chunks (at least the head), then half a row.
    let served_chunks = if truncated { chunks / 2 } else { chunks };
    let tail: Vec<Result<Bytes, Infallible>> = if truncated {
        let row = generated_row(u32::MAX);
        vec![Ok(Bytes::from(format!(",{}", &row[..row.len() / 2])))]
    } else {
        vec![Ok(Bytes::from_static(b"]}"))]
    };
    let body = futures_util::stream::iter(
        std::iter::once(Ok(Bytes::from(head))).chain(
            (0..served_chunks)
                .map(move |c| {
                    let mut chunk = String::with_capacity(ROWS_PER_CHUNK as usize * 900);
                    let rows = c * ROWS_PER_CHUNK..((c + 1) * ROWS_PER_CHUNK).min(generated);
                    for i in rows {
                        chunk.push(',');
                        chunk.push_str(&generated_row(i));
                    }
                    Ok(Bytes::from(chunk))
                })
                .chain(tail),
        ),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests;
