//! The Lambda edge: what an API Gateway event (REST v1 or HTTP/function-URL v2) means to us.

use std::sync::OnceLock;
use std::time::Instant;

use lambda_http::http::header::{HeaderValue, CACHE_CONTROL};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

use crate::envelope;
use crate::error::ApiError;
use crate::params::{Market, Period, Query};

/// One invocation: who asked (request id), for which route, with which query.
///
/// Its one log line (written by [`Call::respond`]) carries the request id, route, symbol and
/// period (once validated), status and `error.code`, the upstream latency and request count, and
/// the total time. It never carries headers: the caller's `x-api-key` is never logged.
pub struct Call {
    route: &'static str,
    request_id: String,
    path_matches: bool,
    query: Vec<(String, String)>,
    started: Instant,
    /// Symbol and period, recorded once the parameters are valid.
    market: OnceLock<(String, Period)>,
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
        }
        .started_fresh()
    }

    fn started_fresh(self) -> Self {
        // A report left by an earlier call on this thread is not this call's.
        crate::binance::take_report();
        self
    }

    /// Names the symbol and period this call is about, for its log line. [`Call::params`] does
    /// this by itself for endpoints that take `period`; call it when parsing differently.
    pub fn note(&self, market: &Market) {
        let _ = self.market.set((market.symbol.to_string(), market.period));
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
        let parsed = parse(&query)?;
        if accepted.contains(&"period") {
            if let Ok(market) = Market::from_query(&query) {
                self.note(&market);
            }
        }
        Ok(parsed)
    }

    /// The answer in the envelope, and one log line for the call (never the caller's API key).
    pub fn respond<T: Serialize>(
        &self,
        result: Result<T, ApiError>,
        message: &str,
    ) -> Response<Body> {
        let elapsed_us = self.started.elapsed().as_micros() as u64;
        let (symbol, period) = match self.market.get() {
            Some((s, p)) => (Some(s.as_str()), Some(p.as_str())),
            None => (None, None),
        };
        let upstream = crate::binance::take_report();
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
                    status = error.status().as_u16(),
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
            Some((_, period)) => crate::cache::cache_control(*period, now_ms()),
            None => format!("public, max-age={}", crate::cache::MAX_AGE_CAP_SECS),
        };
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("no-cache"))
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
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
}
