//! Injected failures and the wire rendering of ratio rows (healthy or corrupted).

use crate::data::{fmt_e4, Cohort, Row};
use crate::venues::Venue;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;

/// What goes wrong. Serde names are snake_case (`rate_limited`, `forbidden_html`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 + `Retry-After` (`retry_after_s`, default 7) + code -1003.
    RateLimited,
    /// The venue's rate limit written in the body under a status other than 429: Bybit's
    /// `200 {"retCode":10006,"retMsg":"Too many visits!"}` (its documented API rate limit) and
    /// Bitget's `200 {"code":"429",…}`. Venues with no such form (Binance, OKX, Gate) answer
    /// as `rate_limited`.
    RateLimitedInBody,
    /// 418 + `Retry-After` (`retry_after_s`, default 120) + code -1003 "banned until".
    Banned,
    /// 451 restricted location, code 0.
    Restricted,
    /// 403 with a CloudFront HTML page.
    ForbiddenHtml,
    /// 500 code -1000.
    ServerError,
    /// 503 `Service Unavailable.` as text/plain.
    Unavailable,
    /// 200 with an HTML page.
    Html,
    /// 200 with the normal body cut off mid-row.
    Truncated,
    /// 200 with `{"status":"ERROR","code":"99099990","message":"system busy"}`.
    Object,
    /// 200 `[]`.
    Empty,
    /// 200, rows lack `longAccount`.
    MissingKeys,
    /// 200, `"longAccount":"abc"`.
    GarbageNumbers,
    /// 200, `"longAccount":"NaN"`.
    NonFinite,
    /// 200, newest row long 1.0000 / short 0.0000 / ratio "Infinity".
    ZeroShort,
    /// 200, rows newest first with the newest row duplicated.
    DuplicateUnsorted,
    /// 400 code -1121 "Invalid symbol.".
    InvalidSymbol,
    /// Sleep `hang_ms` (default 600000) then answer normally.
    Hang,
    /// Sleep `delay_ms` (default 1000) then answer normally.
    Slow,
    /// Drop the connection without any response.
    Close,
    /// 422 `text/plain` "Failed to deserialize the JSON body into the target type": Hyperliquid's
    /// answer to a request body it cannot read (our bug, never the venue's); the same text
    /// answer on every venue.
    BadBody,
}

/// One injected failure, on one venue's endpoints (`venue: None` is Binance, as before venues
/// existed), or on Hyperliquid's (`hyperliquid: Some`, which is not a positioning venue and has
/// its own endpoints: such a fault never touches the others, and `venue`/`cohort` are ignored). `cohort: None` hits every endpoint of the venue (open interest and klines
/// included); `Some` only that cohort's endpoint (Gate serves all three from one endpoint, so
/// any cohort matches it). `times: None` lasts forever, `Some(n)` expires after the next n
/// matching requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    #[serde(default)]
    pub venue: Option<Venue>,
    #[serde(default)]
    pub cohort: Option<Cohort>,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub retry_after_s: Option<u64>,
    #[serde(default)]
    pub hang_ms: Option<u64>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// On Hyperliquid's endpoints instead: which one (`any` for all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperliquid: Option<HlEndpoint>,
}

/// Hyperliquid's endpoints as a fault names them: the three `POST /info` request types and the
/// leaderboard (`GET /Mainnet/leaderboard`), or `any` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HlEndpoint {
    Any,
    ClearinghouseState,
    UserFillsByTime,
    MetaAndAssetCtxs,
    Leaderboard,
}

impl Fault {
    /// A fault on every ratio endpoint, forever. Narrow it with the builders below.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            venue: None,
            cohort: None,
            times: None,
            retry_after_s: None,
            hang_ms: None,
            delay_ms: None,
            hyperliquid: None,
        }
    }
    /// On Hyperliquid's `endpoint` ([`HlEndpoint::Any`]: all of them) instead of a venue's.
    pub fn at_hyperliquid(mut self, endpoint: HlEndpoint) -> Self {
        self.hyperliquid = Some(endpoint);
        self
    }
    /// On `venue` instead of Binance.
    pub fn at(mut self, venue: Venue) -> Self {
        self.venue = Some(venue);
        self
    }
    pub fn on(mut self, cohort: Cohort) -> Self {
        self.cohort = Some(cohort);
        self
    }
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
    pub fn once(self) -> Self {
        self.times(1)
    }
    pub fn retry_after_s(mut self, s: u64) -> Self {
        self.retry_after_s = Some(s);
        self
    }
    pub fn hang_ms(mut self, ms: u64) -> Self {
        self.hang_ms = Some(ms);
        self
    }
    pub fn delay_ms(mut self, ms: u64) -> Self {
        self.delay_ms = Some(ms);
        self
    }
}

impl From<FaultKind> for Fault {
    fn from(kind: FaultKind) -> Self {
        Fault::new(kind)
    }
}

/// Picks the first fault matching a request to `venue` for `cohort` (`None`: an endpoint of no
/// one cohort, or of all three) and consumes one of its uses.
pub(crate) fn take(faults: &mut Vec<Fault>, venue: Venue, cohort: Option<Cohort>) -> Option<Fault> {
    faults.retain(|f| f.times != Some(0));
    let i = faults.iter().position(|f| {
        f.hyperliquid.is_none()
            && f.venue.unwrap_or(Venue::Binance) == venue
            && (f.cohort.is_none()
                || cohort.is_none() && venue == Venue::Gate
                || f.cohort == cohort)
    })?;
    consume(faults, i)
}

/// Picks the first fault on Hyperliquid's `endpoint` (one naming it or `any`) and consumes one of
/// its uses.
pub(crate) fn take_hyperliquid(faults: &mut Vec<Fault>, endpoint: HlEndpoint) -> Option<Fault> {
    faults.retain(|f| f.times != Some(0));
    let i = faults.iter().position(|f| {
        f.hyperliquid
            .is_some_and(|e| e == HlEndpoint::Any || e == endpoint)
    })?;
    consume(faults, i)
}

fn consume(faults: &mut Vec<Fault>, i: usize) -> Option<Fault> {
    match faults[i].times {
        Some(1) => Some(faults.remove(i)),
        Some(n) => {
            faults[i].times = Some(n - 1);
            Some(faults[i].clone())
        }
        None => Some(faults[i].clone()),
    }
}

/// Faults that replace the whole answer, or delay it. `Some` = send this instead of data;
/// `None` = continue with the normal (possibly corrupted, see [`render`]) answer.
pub(crate) async fn intercept(
    fault: &Fault,
    now_ms: i64,
    peer: IpAddr,
    kill_connection: impl FnOnce(),
) -> Option<Response> {
    use FaultKind::*;
    let retry = |default: u64| fault.retry_after_s.unwrap_or(default);
    Some(match fault.kind {
        RateLimited | RateLimitedInBody => with_retry_after(
            binance_error(
                StatusCode::TOO_MANY_REQUESTS,
                -1003,
                &format!("Too many requests; current limit of IP({peer}) is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API."),
            ),
            retry(7),
        ),
        Banned => {
            let until = now_ms.saturating_add(retry(120).saturating_mul(1000) as i64);
            with_retry_after(
                binance_error(
                    StatusCode::IM_A_TEAPOT,
                    -1003,
                    &format!("Way too many requests; IP({peer}) banned until {until}. Please use the websocket for live updates to avoid bans."),
                ),
                retry(120),
            )
        }
        Restricted => binance_error(
            StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
            0,
            "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error.",
        ),
        ForbiddenHtml => {
            let mut r = html(StatusCode::FORBIDDEN, CLOUDFRONT_403);
            r.headers_mut().insert("x-cache", HeaderValue::from_static("Error from cloudfront"));
            r
        }
        ServerError => binance_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            -1000,
            "An unknown error occurred while processing the request.",
        ),
        Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            "Service Unavailable.",
        )
            .into_response(),
        Html => html(StatusCode::OK, MAINTENANCE_PAGE),
        Object => json_body(
            StatusCode::OK,
            r#"{"status":"ERROR","code":"99099990","message":"system busy"}"#.into(),
        ),
        InvalidSymbol => binance_error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol."),
        Hang | Slow => {
            let ms = match fault.kind {
                Hang => fault.hang_ms.unwrap_or(600_000),
                _ => fault.delay_ms.unwrap_or(1_000),
            };
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return None;
        }
        Close => {
            // The connection's writer now fails, so hyper drops it without sending this.
            kill_connection();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        BadBody => bad_body(),
        Truncated | Empty | MissingKeys | GarbageNumbers | NonFinite | ZeroShort
        | DuplicateUnsorted => return None,
    })
}

/// Wire form of a row; field order matches Binance's captures.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRow {
    symbol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    long_account: Option<String>,
    long_short_ratio: String,
    short_account: String,
    timestamp: serde_json::Value,
}

/// The 200 answer for `rows` (oldest first), corrupted as `kind` asks; with `position_keys`,
/// the shares are spelled `longPosition` / `shortPosition` (COIN-M's spelling of the position
/// ratio) instead of `longAccount` / `shortAccount`.
pub(crate) fn render(
    rows: &[Row],
    timestamp_as_string: bool,
    position_keys: bool,
    kind: Option<FaultKind>,
) -> Response {
    let mut wire: Vec<WireRow> = rows
        .iter()
        .map(|r| WireRow {
            symbol: r.symbol,
            long_account: Some(fmt_e4(r.long_e4())),
            long_short_ratio: format!("{:.4}", r.long_short_ratio()),
            short_account: fmt_e4(r.short_e4()),
            timestamp: if timestamp_as_string {
                r.timestamp_ms.to_string().into()
            } else {
                r.timestamp_ms.into()
            },
        })
        .collect();
    let set_long = |wire: &mut Vec<WireRow>, v: Option<&str>| {
        wire.iter_mut()
            .for_each(|w| w.long_account = v.map(String::from))
    };
    match kind {
        Some(FaultKind::Empty) => wire.clear(),
        Some(FaultKind::MissingKeys) => set_long(&mut wire, None),
        Some(FaultKind::GarbageNumbers) => set_long(&mut wire, Some("abc")),
        Some(FaultKind::NonFinite) => set_long(&mut wire, Some("NaN")),
        Some(FaultKind::ZeroShort) => {
            if let Some(w) = wire.last_mut() {
                w.long_account = Some("1.0000".into());
                w.short_account = "0.0000".into();
                w.long_short_ratio = "Infinity".into();
            }
        }
        Some(FaultKind::DuplicateUnsorted) => {
            wire.reverse();
            if let Some(newest) = wire.first().cloned() {
                wire.insert(0, newest);
            }
        }
        _ => {}
    }
    let mut body = if position_keys {
        let respelled: Vec<serde_json::Value> = wire
            .iter()
            .filter_map(|w| serde_json::to_value(w).ok())
            .map(|mut row| {
                if let serde_json::Value::Object(fields) = &mut row {
                    for (from, to) in [
                        ("longAccount", "longPosition"),
                        ("shortAccount", "shortPosition"),
                    ] {
                        if let Some(v) = fields.remove(from) {
                            fields.insert(to.into(), v);
                        }
                    }
                }
                row
            })
            .collect();
        serde_json::to_string(&respelled).unwrap_or_default()
    } else {
        serde_json::to_string(&wire).unwrap_or_default()
    };
    if kind == Some(FaultKind::Truncated) {
        // Cut halfway through the last row (the body is ASCII, so any index is a char boundary).
        let cut = body.rfind('{').map_or(1, |i| i + (body.len() - i) / 2);
        body.truncate(cut);
    }
    json_body(StatusCode::OK, body)
}

/// 422 `text/plain`: what Hyperliquid answers to a request body it cannot read.
pub(crate) fn bad_body() -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Failed to deserialize the JSON body into the target type",
    )
        .into_response()
}

pub(crate) fn json_body(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Binance's error shape `{"code":..,"msg":..}`.
pub(crate) fn binance_error(status: StatusCode, code: i64, msg: &str) -> Response {
    json_body(
        status,
        serde_json::json!({ "code": code, "msg": msg }).to_string(),
    )
}

pub(crate) fn html(status: StatusCode, page: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

fn with_retry_after(mut r: Response, seconds: u64) -> Response {
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    r
}

pub(crate) const NOT_FOUND_PAGE: &str = "<html><body><h2>404 Not found</h2></body></html>";

const MAINTENANCE_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Binance</title></head>\
<body><h1>System maintenance</h1><p>Binance is upgrading its system. Please try again later.</p></body></html>";

const CLOUDFRONT_403: &str = r#"<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">
<TITLE>ERROR: The request could not be satisfied</TITLE>
</HEAD><BODY>
<H1>403 ERROR</H1>
<H2>The request could not be satisfied.</H2>
<HR noshade size="1px">
Request blocked.
We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.
<BR clear="all">
<HR noshade size="1px">
<PRE>
Generated by cloudfront (CloudFront)
Request ID: standin-0000000000000000000000000000000000000000000000000000==
</PRE>
</BODY></HTML>
"#;
