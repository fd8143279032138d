//! The venues beside Binance's ratio endpoints, one module each, on their own real paths:
//! [`okx`], [`bybit`], [`gate`], [`bitget`], and Binance's open interest history and klines
//! ([`binance`]). Each module owns its paths, its query rules, its wire format and its error
//! bodies; this module holds what they share: the [`Venue`] names, the instrument names, which
//! buckets are published, and how a fault looks on each venue.
//!
//! Faults (`Fault { venue, .. }`) render in the venue's own form where it has one:
//! `rate_limited` (OKX 429 `50011`, Bybit **403** text `access too frequent`, Gate 429
//! `TOO_MANY_REQUESTS`, Bitget 429 `{"code":"429"}`), `rate_limited_in_body` (Bybit 200
//! `retCode` 10006, Bitget 200 `{"code":"429"}`; elsewhere as `rate_limited`), `server_error` (500 in the venue's
//! envelope), `unavailable` (503 text), `html` (200 HTML), `invalid_symbol` (the venue's
//! unknown-instrument answer), `empty` (the venue's empty success), `truncated`, `missing_keys`,
//! `garbage_numbers`, `non_finite` (rows corrupted in the venue's format), `hang`, `slow`,
//! `close`. Binance-only kinds mean the nearest thing elsewhere: `banned`, `restricted` and
//! `forbidden_html` are a 403 HTML firewall page, `object` a 200 with an unexpected JSON object;
//! `zero_short` and `duplicate_unsorted` change nothing. `bad_body` is a 422 text answer everywhere.
//!
//! [`hyperliquid`] is served beside them but is not a [`Venue`]: it publishes wallets, not
//! cohorts, and its faults name it with `Fault::at_hyperliquid` (over HTTP `"hyperliquid":
//! "any"` or one endpoint), never with `venue`.

pub mod binance;
pub mod bitget;
pub mod bybit;
pub mod gate;
pub mod hyperliquid;
pub mod okx;

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::conn::Conn;
use crate::data::{self, Cohort, SYMBOLS};
use crate::faults::{self, html, json_body, Fault, FaultKind};
use crate::server::{clock, latency, Shared};
use crate::switches::Switches;

/// What the stand-in knows of a venue, declared as `PROFILE` in the venue's own module: a venue
/// is its module plus one line in [`venues!`].
pub(crate) struct Profile {
    pub id: &'static str,
    /// Its name for a Binance symbol's USDT perpetual.
    pub instrument: fn(&str) -> String,
    /// Its cohorts' long shares beside Binance's.
    pub long_shares: LongShares,
    /// BTC's open interest on it in USD (other coins a share of it).
    pub btc_open_interest_usd: f64,
    /// Its rate-limit answer, and the one written in a 200's body where it has one.
    pub rate_limited: fn(i64) -> Response,
    pub rate_limited_in_body: Option<fn(i64) -> Response>,
    /// The body of its 500.
    pub server_error: fn(i64) -> String,
    /// Its answer for an instrument it does not list.
    pub unknown_instrument: fn(&str, i64) -> Response,
}

/// How a venue's cohorts sit beside Binance's.
pub(crate) enum LongShares {
    /// Binance's own.
    Binance,
    /// Binance's plus these offsets, in cohort order (`None`: not published), on a small wave.
    Offsets([Option<f64>; 3]),
}

/// Declares [`Venue`] from one line per venue, `Variant => module` (whose `PROFILE` it reads).
macro_rules! venues {
    ($($variant:ident => $module:ident),* $(,)?) => {
        /// The exchanges the stand-in serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Venue {
            $($variant,)*
        }

        impl Venue {
            pub const ALL: [Venue; [$(Venue::$variant,)*].len()] = [$(Venue::$variant,)*];

            pub(crate) fn profile(self) -> &'static Profile {
                match self {
                    $(Venue::$variant => &$module::PROFILE,)*
                }
            }
        }

        /// Every venue module's routes (Binance's module: its open interest and klines; its
        /// ratio endpoints are the server's own), and Hyperliquid's (not a positioning venue:
        /// not in [`Venue`], see [`hyperliquid`]).
        pub(crate) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
            $(let r = $module::routes(r);)*
            hyperliquid::routes(r)
        }
    };
}

venues! {
    Binance => binance,
    Okx => okx,
    Bybit => bybit,
    Gate => gate,
    Bitget => bitget,
}

impl Venue {
    pub fn id(self) -> &'static str {
        self.profile().id
    }
}

/// The venue's name for `symbol`'s USDT perpetual: OKX `BTC-USDT-SWAP`, Gate `BTC_USDT`,
/// Bybit and Bitget `BTCUSDT`. OKX, Gate and Bitget list Binance's `1000PEPEUSDT` unscaled
/// (`PEPE-USDT-SWAP`, `PEPE_USDT`, `PEPEUSDT`); Bybit as `1000PEPEUSDT`.
pub fn instrument(venue: Venue, symbol: &str) -> String {
    (venue.profile().instrument)(symbol)
}

/// `symbol` without its `USDT` and its `1000` scale (`PEPE` for `1000PEPEUSDT`).
pub(crate) fn unscaled(symbol: &str) -> &str {
    let coin = symbol.strip_suffix("USDT").unwrap_or(symbol);
    coin.strip_prefix("1000").unwrap_or(coin)
}

/// The symbol whose instrument on `venue` is `name`, if the stand-in lists it.
pub(crate) fn listed(venue: Venue, name: &str) -> Option<&'static str> {
    SYMBOLS
        .iter()
        .copied()
        .find(|s| instrument(venue, s) == name)
}

/// Every bucket of `cohort` that `venue` has published at clock `now` (oldest first): the
/// retention window up to the newest visible bucket (one earlier for a lagging venue), less the
/// missing buckets.
pub(crate) fn published(
    sw: &Switches,
    venue: Venue,
    cohort: Cohort,
    period_ms: i64,
    now: i64,
) -> Vec<i64> {
    let mut newest = data::newest_bucket(now, period_ms);
    if sw.lagging_venues.contains(&venue) {
        newest -= period_ms;
    }
    let oldest = data::oldest_bucket(now, period_ms);
    let count = if newest >= oldest {
        (newest - oldest) / period_ms + 1
    } else {
        0
    };
    (0..count)
        .map(|i| oldest + i * period_ms)
        .filter(|ts| {
            !sw.missing_buckets
                .iter()
                .any(|m| m.hides(venue, cohort, *ts))
        })
        .collect()
}

/// First value of a query parameter, empty counting as absent.
pub(crate) fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A decimal with at most 16 significant digits, as venues print unrounded numbers.
pub(crate) fn plain(x: f64) -> String {
    format!("{x}")
}

/// One request to a venue's data endpoint: log it, take a fault, wait the latency, answer a
/// whole-answer fault in the venue's form, else `serve` (given the switches, the clock and the
/// body fault to apply to its rows).
pub(crate) async fn handle(
    st: Arc<Shared>,
    conn: Conn,
    uri: Uri,
    venue: Venue,
    cohort: Option<Cohort>,
    serve: impl FnOnce(&Switches, i64, Option<FaultKind>) -> Response,
) -> Response {
    let (sw, fault) = st.begin_venue(&uri, venue, cohort);
    latency(&sw).await;
    let now = clock(&sw);
    if let Some(f) = &fault {
        if let Some(response) = intercept(venue, f, now, &conn).await {
            return response;
        }
    }
    serve(&sw, now, fault.map(|f| f.kind))
}

/// Faults that replace the whole answer (in `venue`'s form) or delay it.
async fn intercept(venue: Venue, fault: &Fault, now: i64, conn: &Conn) -> Option<Response> {
    use FaultKind::*;
    let retry_after = |mut r: Response| {
        if let Some(s) = fault.retry_after_s {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    };
    Some(match fault.kind {
        Hang | Slow | Close => return faults::intercept(fault, now, conn.peer.ip(), || conn.kill()).await,
        RateLimited => retry_after(rate_limited(venue, now)),
        RateLimitedInBody => retry_after(rate_limited_in_body(venue, now)),
        ServerError => server_error(venue, now),
        Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            "Service Unavailable.",
        )
            .into_response(),
        Html => html(StatusCode::OK, "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"),
        Banned | Restricted | ForbiddenHtml => html(
            StatusCode::FORBIDDEN,
            "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>",
        ),
        Object => json_body(StatusCode::OK, r#"{"unexpected":"object"}"#.into()),
        InvalidSymbol => unknown_instrument(venue, "NOPE", now),
        BadBody => faults::bad_body(),
        Truncated | Empty | MissingKeys | GarbageNumbers | NonFinite | ZeroShort
        | DuplicateUnsorted => return None,
    })
}

/// The venue's rate-limit answer.
pub(crate) fn rate_limited(venue: Venue, now: i64) -> Response {
    (venue.profile().rate_limited)(now)
}

/// The venue's rate limit written in the body under HTTP 200 where it has one (Bybit's `retCode`
/// 10006, Bitget's `code` "429"); elsewhere its usual form.
pub(crate) fn rate_limited_in_body(venue: Venue, now: i64) -> Response {
    let profile = venue.profile();
    profile.rate_limited_in_body.unwrap_or(profile.rate_limited)(now)
}

fn server_error(venue: Venue, now: i64) -> Response {
    json_body(
        StatusCode::INTERNAL_SERVER_ERROR,
        (venue.profile().server_error)(now),
    )
}

/// The venue's answer for an instrument it does not list.
pub(crate) fn unknown_instrument(venue: Venue, name: &str, now: i64) -> Response {
    (venue.profile().unknown_instrument)(name, now)
}

/// `rows` corrupted as `kind` asks (arrays lose their values past the first / get "abc" in
/// the second; objects lose `key` / get "abc" in it), then wrapped by `envelope` and written;
/// `truncated` cuts the body mid-row.
pub(crate) fn render(
    mut rows: Vec<Value>,
    key: &str,
    kind: Option<FaultKind>,
    envelope: impl FnOnce(Vec<Value>) -> Value,
) -> Response {
    let spoil = |row: &mut Value, with: Option<&str>| match row {
        Value::Array(values) => match with {
            None => values.truncate(1),
            Some(text) => {
                if let Some(v) = values.get_mut(1) {
                    *v = Value::from(text);
                }
            }
        },
        Value::Object(fields) => match with {
            None => {
                fields.remove(key);
            }
            Some(text) => {
                fields.insert(key.to_string(), Value::from(text));
            }
        },
        _ => {}
    };
    match kind {
        Some(FaultKind::Empty) => rows.clear(),
        Some(FaultKind::MissingKeys) => rows.iter_mut().for_each(|r| spoil(r, None)),
        Some(FaultKind::GarbageNumbers) => rows.iter_mut().for_each(|r| spoil(r, Some("abc"))),
        Some(FaultKind::NonFinite) => rows.iter_mut().for_each(|r| spoil(r, Some("NaN"))),
        _ => {}
    }
    let mut body = envelope(rows).to_string();
    if kind == Some(FaultKind::Truncated) {
        let cut = body
            .rfind(['[', '{'])
            .map_or(1, |i| i + (body.len() - i) / 2);
        body.truncate(cut.max(1));
    }
    json_body(StatusCode::OK, body)
}
