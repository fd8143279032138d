//! The response envelope: the one place that turns data or an `ApiError` into an HTTP answer.

use lambda_http::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::clock::{iso8601_millis, now_ms};
use crate::domain::error::ApiError;

#[derive(Serialize)]
pub struct Meta<'a> {
    pub timestamp: String,
    pub request_id: &'a str,
}

#[derive(Serialize)]
struct Success<'a, T> {
    data: &'a T,
    meta: Meta<'a>,
    status: &'static str,
    message: &'a str,
    success: bool,
}

#[derive(Serialize)]
struct Failure<'a> {
    data: (),
    meta: Meta<'a>,
    status: &'static str,
    success: bool,
    message: String,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

/// HTTP 200 with `data` in the envelope.
pub fn success<T: Serialize>(data: &T, message: &str, request_id: &str) -> Response<Body> {
    let body = Success {
        data,
        meta: meta(request_id),
        status: "ok",
        message,
        success: true,
    };
    match serde_json::to_vec(&body) {
        Ok(bytes) => json_response(200, bytes),
        // Our own types always serialise; should that ever change, answer in the envelope.
        Err(e) => {
            tracing::error!(error = %e, "response did not serialise");
            failure(&ApiError::Internal, request_id)
        }
    }
}

/// The documented status with the error in the envelope (and `Retry-After` when there is one).
pub fn failure(error: &ApiError, request_id: &str) -> Response<Body> {
    let body = Failure {
        data: (),
        meta: meta(request_id),
        status: "error",
        success: false,
        message: error.to_string(),
        error: ErrorBody {
            code: error.code(),
            parameter: error.parameter(),
            retry_after_seconds: error.retry_after_secs(),
        },
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = json_response(error.status(), bytes);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, "no-store".parse().expect("static header"));
    if let Some(secs) = error.retry_after_secs() {
        headers.insert(RETRY_AFTER, secs.into());
    }
    if matches!(error, ApiError::MethodNotAllowed { .. }) {
        headers.insert(ALLOW, "GET".parse().expect("static header"));
    }
    response
}

fn json_response(status: u16, bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::Binary(bytes));
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        CONTENT_TYPE,
        "application/json".parse().expect("static header"),
    );
    response
}

fn meta(request_id: &str) -> Meta<'_> {
    Meta {
        timestamp: iso8601_millis(now_ms()),
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    #[test]
    fn success_wraps_data_in_the_envelope() {
        let r = success(&serde_json::json!({"x": 1}), "Done", "req-1");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        let v = body_json(&r);
        assert_eq!(v["data"]["x"], 1);
        assert_eq!(v["status"], "ok");
        assert_eq!(v["success"], true);
        assert_eq!(v["message"], "Done");
        assert_eq!(v["meta"]["request_id"], "req-1");
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 5);
    }

    #[test]
    fn failure_names_the_parameter_and_code() {
        let r = failure(
            &ApiError::invalid("period", "period must be one of …"),
            "req-2",
        );
        assert_eq!(r.status(), 400);
        let v = body_json(&r);
        assert_eq!(v["data"], serde_json::Value::Null);
        assert_eq!(v["status"], "error");
        assert_eq!(v["success"], false);
        assert_eq!(v["error"]["code"], "invalid_parameter");
        assert_eq!(v["error"]["parameter"], "period");
        assert_eq!(v["message"], "period must be one of …");
    }

    #[test]
    fn rate_limited_failures_carry_retry_after() {
        let r = failure(
            &ApiError::UpstreamRateLimited {
                retry_after_secs: 7,
            },
            "req-3",
        );
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[RETRY_AFTER], "7");
        assert_eq!(body_json(&r)["error"]["retry_after_seconds"], 7);
        assert!(body_json(&r)["error"].get("parameter").is_none());
    }
}
