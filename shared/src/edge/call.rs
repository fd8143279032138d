//! One invocation: what an API Gateway event (REST v1 or HTTP/function-URL v2) means to us, and
//! the one log line it leaves.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use lambda_http::http::header::{HeaderValue, CACHE_CONTROL};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

use super::envelope;
use crate::domain::clock::{max_age_secs, now_ms, MAX_AGE_CAP_SECS};
use crate::domain::{ApiError, Period, Symbol};
use crate::endpoints::Query;
use crate::upstream::UpstreamReport;

/// One invocation: who asked (request id), for which route, with which query.
///
/// Its one log line (written by [`Call::respond`]) carries the request id, route, symbol and
/// period (as the handler records them), status and `error.code`, the upstream latency and
/// request count (as the handler records them), and the total time. It never carries headers:
/// the caller's `x-api-key` is never logged.
pub struct Call {
    route: &'static str,
    request_id: String,
    path_matches: bool,
    query: Vec<(String, String)>,
    started: Instant,
    /// The symbol (when the answer is about one) and the period of the answer.
    market: OnceLock<(Option<String>, Period)>,
    /// What the upstream fetches of this call cost, added up.
    upstream: Mutex<Option<UpstreamReport>>,
}

impl Call {
    pub fn new(event: &Request, route: &'static str) -> Self {
        Call {
            route,
            request_id: request_id(event),
            path_matches: path_matches(event.uri().path(), route),
            query: query_pairs(event),
            started: Instant::now(),
            market: OnceLock::new(),
            upstream: Mutex::new(None),
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

    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The route check, then the query rules (accepted names, no repeats, no empty values),
    /// then the endpoint's own parsing. Nothing reaches the upstream before this succeeds.
    pub fn params<T>(
        &self,
        accepted: &[&'static str],
        parse: impl FnOnce(&Query<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if !self.path_matches {
            return Err(ApiError::NotFound);
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
        let elapsed_us = self.started.elapsed().as_micros() as u64;
        let (symbol, period) = match self.market.get() {
            Some((s, p)) => (s.as_deref(), Some(p.as_str())),
            None => (None, None),
        };
        let upstream = *self.upstream.lock().unwrap_or_else(|e| e.into_inner());
        let upstream_ms = upstream.map(|u| u.elapsed_ms);
        let upstream_requests = upstream.map(|u| u.requests);
        match result {
            Ok(data) => {
                tracing::info!(
                    request_id = %self.request_id,
                    route = self.route,
                    symbol,
                    period,
                    status = 200,
                    outcome = "ok",
                    upstream_ms,
                    upstream_requests,
                    elapsed_us,
                    "answered"
                );
                let mut response = envelope::success(&data, message, &self.request_id);
                if response.status() == 200 {
                    response
                        .headers_mut()
                        .insert(CACHE_CONTROL, self.cache_control());
                }
                response
            }
            Err(error) => {
                tracing::info!(
                    request_id = %self.request_id,
                    route = self.route,
                    symbol,
                    period,
                    status = error.status(),
                    outcome = error.code(),
                    parameter = error.parameter(),
                    upstream_ms,
                    upstream_requests,
                    elapsed_us,
                    "answered with an error"
                );
                envelope::failure(&error, &self.request_id)
            }
        }
    }
}

impl Call {
    /// Until the next bucket of the answer's period can appear upstream (nothing can change
    /// before); answers without a period (meta) change at most with the configuration.
    fn cache_control(&self) -> HeaderValue {
        let value = match self.market.get() {
            Some((_, period)) => cache_control(*period, now_ms()),
            None => format!("public, max-age={MAX_AGE_CAP_SECS}"),
        };
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("no-cache"))
    }
}

/// The `Cache-Control` value for a successful answer of `period` at `now_ms`.
pub fn cache_control(period: Period, now_ms: i64) -> String {
    format!("public, max-age={}", max_age_secs(period, now_ms))
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

    #[test]
    fn the_header_value_is_public_with_max_age() {
        // 2026-08-02 12:59:00 UTC: the 13:00 bucket of 1h appears at 13:00:05.
        let at = 1_785_628_800_000 + 12 * 3_600_000 + 59 * 60_000;
        assert_eq!(cache_control(Period::H1, at), "public, max-age=65");
    }
}
