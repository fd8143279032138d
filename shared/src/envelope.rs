//! The response envelope: the one place that turns data or an `ApiError` into an HTTP answer.

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::ApiError;

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
            failure(&ApiError::upstream("internal error"), request_id)
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
    let mut response = json_response(error.status().as_u16(), bytes);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, "no-store".parse().expect("static header"));
    if let Some(secs) = error.retry_after_secs() {
        headers.insert(RETRY_AFTER, secs.into());
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
        timestamp: iso8601_millis(SystemTime::now()),
        request_id,
    }
}

/// `2026-06-12T10:35:27.594Z`: UTC, millisecond precision.
pub fn iso8601_millis(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn body_json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds_and_z() {
        let t = UNIX_EPOCH + Duration::from_millis(1_781_260_527_594);
        assert_eq!(iso8601_millis(t), "2026-06-12T10:35:27.594Z");
        assert_eq!(iso8601_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_millis(951_782_400_000);
        assert_eq!(iso8601_millis(leap), "2000-02-29T00:00:00.000Z");
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
