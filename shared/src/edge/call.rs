//! One invocation: what an API Gateway event (REST v1 or HTTP/function-URL v2) means to us, and
//! the one log line it leaves.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use lambda_http::http::header::{HeaderName, HeaderValue, CACHE_CONTROL};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

use super::envelope;
use super::files::{csv_response, svg_response};
pub use super::log::LogLine;
use crate::domain::clock::{max_age_secs, now_ms, MAX_AGE_CAP_SECS};
use crate::domain::error::printable;
use crate::domain::{ApiError, Period, Symbol};
use crate::endpoints::Query;
use crate::render::{CsvFile, Svg};
use crate::upstream::UpstreamReport;

/// The response header on an answer served stale from the memo (`true`), in every format.
pub const STALE: HeaderName = HeaderName::from_static("x-stale");

/// One invocation: who asked (request id), for which route, with which query.
///
/// Its one [`LogLine`] (written by [`Call::respond`]) carries the request id, route, symbol and
/// period (as the handler records them), status and `error.code`, the upstream latency and
/// request count (as the handler records them), and the total time. It never carries headers:
/// the caller's `x-api-key` is never logged.
pub struct Call {
    route: &'static str,
    request_id: String,
    path_matches: bool,
    method: String,
    query: Vec<(String, String)>,
    started: Instant,
    /// The symbol (when the answer is about one) and the period of the answer.
    market: OnceLock<(Option<String>, Period)>,
    /// What the upstream fetches of this call cost, added up.
    upstream: Mutex<Option<UpstreamReport>>,
    /// The answer lacks something a retry may bring (a coin that failed for now): not cacheable.
    incomplete: AtomicBool,
}

impl Call {
    pub fn new(event: &Request, route: &'static str) -> Self {
        Call {
            route,
            request_id: request_id(event),
            path_matches: path_matches(event.uri().path(), route),
            method: event.method().as_str().to_string(),
            query: query_pairs(event),
            started: Instant::now(),
            market: OnceLock::new(),
            upstream: Mutex::new(None),
            incomplete: AtomicBool::new(false),
        }
    }

    /// The symbol (if one) and period this call answers about: they name it in the log line, and
    /// the period decides how long a successful answer may be cached.
    pub fn record_market(&self, symbol: Option<&Symbol>, period: Period) {
        let _ = self.market.set((symbol.map(Symbol::to_string), period));
    }

    /// What an upstream fetch of this call cost, for the log line (several fetches add up).
    pub fn record_upstream(&self, report: UpstreamReport) {
        let mut upstream = self.upstream.lock().unwrap_or_else(|e| e.into_inner());
        *upstream = Some(upstream.map_or(report, |earlier| earlier.and(report)));
    }

    /// The answer lacks something a retry may bring (e.g. a coin failed for a transient reason):
    /// it is sent `Cache-Control: no-store`, so nobody keeps it as if it were complete.
    pub fn mark_incomplete(&self) {
        self.incomplete.store(true, Ordering::Relaxed);
    }

    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The route check, the method (GET only: API Gateway routes nothing else to us, but a local
    /// or direct invocation may), then the query rules (accepted names, no repeats, no empty
    /// values), then the endpoint's own parsing. Nothing reaches the upstream before this succeeds.
    pub fn params<T>(
        &self,
        accepted: &[&'static str],
        parse: impl FnOnce(&Query<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if !self.path_matches {
            return Err(ApiError::NotFound);
        }
        if self.method != "GET" {
            return Err(ApiError::MethodNotAllowed {
                method: printable(&self.method, 16),
            });
        }
        let query = Query::new(
            self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            accepted,
        )?;
        parse(&query)
    }

    /// The answer in the envelope, and one log line for the call (never the caller's API key).
    pub fn respond<T: Serialize>(
        &self,
        result: Result<T, ApiError>,
        message: &str,
    ) -> Response<Body> {
        self.respond_at(result, message, now_ms())
    }

    /// [`Call::respond`] at the clock `now_ms` (which decides the Cache-Control max-age).
    pub fn respond_at<T: Serialize>(
        &self,
        result: Result<T, ApiError>,
        message: &str,
        now_ms: i64,
    ) -> Response<Body> {
        let answer = result.map(|data| envelope::success(&data, message, &self.request_id));
        self.finish(answer, now_ms)
    }

    /// The answer as a CSV file (`format=csv`); an error stays in the JSON envelope.
    pub fn respond_csv(&self, result: Result<CsvFile, ApiError>) -> Response<Body> {
        self.finish(result.map(csv_response), now_ms())
    }

    /// The answer as an SVG image (`/v1/chart`); an error stays in the JSON envelope.
    pub fn respond_svg(&self, result: Result<Svg, ApiError>) -> Response<Body> {
        self.finish(result.map(svg_response), now_ms())
    }

    /// One log line for the call, and the answer with its Cache-Control, or the error.
    fn finish(&self, result: Result<Response<Body>, ApiError>, now_ms: i64) -> Response<Body> {
        let (symbol, period) = match self.market.get() {
            Some((s, p)) => (s.as_deref(), Some(p.as_str())),
            None => (None, None),
        };
        let upstream = *self.upstream.lock().unwrap_or_else(|e| e.into_inner());
        let stale = upstream.is_some_and(|u| u.stale);
        let line = LogLine {
            symbol,
            period,
            upstream,
            ..LogLine::new(&self.request_id, self.route, self.started)
        };
        match result {
            Ok(mut response) => {
                LogLine {
                    status: 200,
                    outcome: Some("ok"),
                    stale: Some(stale),
                    ..line
                }
                .write();
                if response.status() == 200 {
                    let headers = response.headers_mut();
                    if stale {
                        // Remembered rather than refused: said in the body, and here for every
                        // format (CSV and SVG too); never to be kept by anyone.
                        headers.insert(STALE, HeaderValue::from_static("true"));
                        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    } else {
                        headers.insert(CACHE_CONTROL, self.cache_control(now_ms));
                    }
                }
                response
            }
            Err(error) => {
                LogLine {
                    status: error.status(),
                    outcome: Some(error.code()),
                    parameter: error.parameter(),
                    ..line
                }
                .write();
                envelope::failure(&error, &self.request_id)
            }
        }
    }
}

impl Call {
    /// Until the next bucket of the answer's period can appear upstream (nothing can change
    /// before); answers without a period (meta) change at most with the configuration; an
    /// incomplete answer is not to be kept at all.
    fn cache_control(&self, now_ms: i64) -> HeaderValue {
        if self.incomplete.load(Ordering::Relaxed) {
            return HeaderValue::from_static("no-store");
        }
        let value = match self.market.get() {
            Some((_, period)) => cache_control(*period, now_ms),
            None => format!("public, max-age={MAX_AGE_CAP_SECS}"),
        };
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("no-cache"))
    }
}

/// The `Cache-Control` value for a successful answer of `period` at `now_ms`.
pub fn cache_control(period: Period, now_ms: i64) -> String {
    format!("public, max-age={}", max_age_secs(period, now_ms))
}

/// The caller's `x-api-key`, for the refresh ledger only (which keeps a salted hash of it): never
/// logged, never stored in clear.
pub fn api_key(event: &Request) -> Option<&str> {
    event.headers().get("x-api-key")?.to_str().ok()
}

/// API Gateway's request id when there is one (so a caller's complaint can be found in the
/// gateway's logs), else the Lambda request id.
pub fn request_id(event: &Request) -> String {
    let gateway = match event.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => c.request_id.clone(),
        Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        _ => None,
    };
    gateway
        .filter(|id| !id.is_empty())
        .or_else(|| event.lambda_context_ref().map(|c| c.request_id.clone()))
        .unwrap_or_default()
}

/// Every (name, value) of the query string, repeats included, as API Gateway decoded them.
pub fn query_pairs(event: &Request) -> Vec<(String, String)> {
    let Some(map) = event.query_string_parameters_ref() else {
        return Vec::new();
    };
    let mut names: Vec<&str> = map.iter().map(|(k, _)| k).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .flat_map(|name| {
            map.all(name)
                .unwrap_or_default()
                .into_iter()
                .map(move |v| (name.to_string(), v.to_string()))
        })
        .collect()
}

/// `/v1/meta`, or `/{stage}/v1/meta` as REST API events carry it.
pub fn path_matches(path: &str, route: &str) -> bool {
    let path = path.trim_end_matches('/');
    match path.strip_suffix(route) {
        Some("") => true,
        Some(stage) => stage.starts_with('/') && stage.len() > 1 && !stage[1..].contains('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_and_without_a_stage() {
        assert!(path_matches("/v1/meta", "/v1/meta"));
        assert!(path_matches("/v1/meta/", "/v1/meta"));
        assert!(path_matches("/prod/v1/meta", "/v1/meta"));
        assert!(!path_matches("/a/b/v1/meta", "/v1/meta"));
        assert!(!path_matches("/v1/metadata", "/v1/meta"));
        assert!(!path_matches("/xv1/meta", "/v1/meta"));
        assert!(!path_matches("/v2/meta", "/v1/meta"));
        assert!(!path_matches("/", "/v1/meta"));
    }

    fn event(method: &str, path: &str) -> Request {
        let mut e: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/v2/meta.json")).unwrap();
        e["rawPath"] = path.into();
        e["requestContext"]["http"]["method"] = method.into();
        e["requestContext"]["http"]["path"] = path.into();
        lambda_http::request::from_str(&e.to_string()).unwrap()
    }

    fn max_age(response: &Response<Body>) -> &str {
        response.headers()[CACHE_CONTROL].to_str().unwrap()
    }

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const MIN: i64 = 60_000;

    #[test]
    fn every_answer_is_cached_for_its_own_period_at_a_bucket_edge() {
        let answer = |period, now| {
            let call = Call::new(&event("GET", "/v1/signal"), "/v1/signal");
            call.record_market(None, period);
            call.respond_at(Ok("x"), "ok", now)
        };
        // 12:54:00: the next 5m bucket appears at 12:55:05, the next 1h one at 13:00:05.
        let t = DAY + 12 * 60 * MIN + 54 * MIN;
        assert_eq!(max_age(&answer(Period::M5, t)), "public, max-age=65");
        assert_eq!(max_age(&answer(Period::H1, t)), "public, max-age=300");
        // 23:59:00: the next 1h and 1d buckets both appear at 00:00:05; 22:59:00: only 1h's.
        let t = DAY + 23 * 60 * MIN + 59 * MIN;
        assert_eq!(max_age(&answer(Period::D1, t)), "public, max-age=65");
        let t = DAY + 22 * 60 * MIN + 59 * MIN;
        assert_eq!(max_age(&answer(Period::H1, t)), "public, max-age=65");
        assert_eq!(max_age(&answer(Period::D1, t)), "public, max-age=300");
    }

    #[test]
    fn an_incomplete_answer_is_not_stored() {
        let call = Call::new(&event("GET", "/v1/screener"), "/v1/screener");
        call.record_market(None, Period::M5);
        call.mark_incomplete();
        let r = call.respond_at(Ok("x"), "ok", DAY + 54 * MIN);
        assert_eq!((r.status().as_u16(), max_age(&r)), (200, "no-store"));
    }

    #[test]
    fn a_method_other_than_get_is_405_in_the_envelope() {
        for method in ["POST", "PUT", "DELETE", "PATCH", "HEAD"] {
            let call = Call::new(&event(method, "/v1/meta"), "/v1/meta");
            let e = call.params(&[], |_| Ok(())).unwrap_err();
            assert_eq!(
                (e.status(), e.code()),
                (405, "method_not_allowed"),
                "{method}"
            );
            let r = call.respond::<()>(Err(e), "ok");
            assert_eq!(r.headers()["allow"], "GET");
        }
        let call = Call::new(&event("GET", "/v1/meta"), "/v1/meta");
        assert!(call.params(&[], |_| Ok(())).is_ok());
        let call = Call::new(&event("POST", "/v1/nope"), "/v1/meta");
        assert_eq!(
            call.params(&[], |_| Ok(())).unwrap_err().code(),
            "not_found"
        );
    }

    #[tokio::test]
    async fn each_call_leaves_one_log_line_with_what_it_asked_and_what_it_cost() {
        let ((), lines) = crate::edge::log::capture(async {
            let call = Call::new(&event("GET", "/v1/signal"), "/v1/signal");
            call.record_market(Some(&Symbol::from_coin("ETH").unwrap()), Period::H1);
            call.record_upstream(UpstreamReport {
                elapsed_ms: 52,
                requests: 4,
                outcome: "ok",
                stale: false,
            });
            call.respond(Ok("x"), "ok");
            let call = Call::new(&event("GET", "/v1/history"), "/v1/history");
            call.record_market(None, Period::M5);
            let e = call.params(&["limit"], |_| {
                Err::<(), _>(ApiError::invalid("limit", "limit must be 1 to 500"))
            });
            call.respond::<()>(e, "ok");
        })
        .await;
        let field = |l: &serde_json::Value, k: &str| l[k].to_string();
        let ok = &lines[0];
        assert_eq!(
            [
                "request_id",
                "route",
                "symbol",
                "period",
                "status",
                "outcome",
                "upstream_ms",
                "upstream_requests",
                "stale"
            ]
            .map(|k| field(ok, k)),
            [
                "\"ab5d4e3f-6071-4c8d-9eaf-2a3b4c5d6e7f\"",
                "\"/v1/signal\"",
                "\"ETHUSDT\"",
                "\"1h\"",
                "200",
                "\"ok\"",
                "52",
                "4",
                "false"
            ]
        );
        let failed = &lines[1];
        assert_eq!(
            ["message", "period", "status", "outcome", "parameter"].map(|k| field(failed, k)),
            [
                "\"answered with an error\"",
                "\"5m\"",
                "400",
                "\"invalid_parameter\"",
                "\"limit\""
            ]
        );
        assert!(failed.get("upstream_ms").is_none() && failed.get("symbol").is_none());
        assert_eq!(lines.len(), 2, "one line per call");
    }

    #[test]
    fn the_header_value_is_public_with_max_age() {
        // 2026-08-02 12:59:00 UTC: the 13:00 bucket of 1h appears at 13:00:05.
        let at = 1_785_628_800_000 + 12 * 3_600_000 + 59 * 60_000;
        assert_eq!(cache_control(Period::H1, at), "public, max-age=65");
    }
}
