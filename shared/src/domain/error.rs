//! The one error type every endpoint answers with, and the HTTP status and `error.code` of each.

use std::borrow::Cow;

use super::Venue;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is missing its rule; `parameter` names it.
    #[error("{message}")]
    InvalidParameter {
        parameter: Cow<'static, str>,
        message: String,
    },
    /// The venue has no such instrument (Binance answers `200 []`, or `400 -1121` on some
    /// endpoints; every other venue has its own form).
    #[error("unknown symbol {symbol}: {} publishes no long/short data for it", venue.name())]
    UnknownSymbol { venue: Venue, symbol: String },
    /// The venue answered with its rate limit (Binance: 429 or 418), or this instance is staying
    /// quiet after one. Like every 503, it carries `Retry-After`.
    #[error("the upstream exchange is rate-limiting us; retry after {retry_after_secs} s")]
    UpstreamRateLimited { retry_after_secs: u64 },
    /// This instance's own budget of upstream requests is spent (it keeps us inside the venues'
    /// rate limits); room frees up after `retry_after_secs`.
    #[error("this service's upstream request budget is spent for the moment; retry after {retry_after_secs} s")]
    UpstreamBudgetExhausted { retry_after_secs: u64 },
    /// The venue did not answer within our time budget.
    #[error("the upstream exchange did not answer in time")]
    UpstreamTimeout,
    /// Binance answered something we cannot serve (5xx, 403, 451, HTML, truncated or odd JSON).
    #[error("{message}")]
    UpstreamError { message: String },
    /// No such route.
    #[error("no such route; see GET /v1/meta for the endpoints")]
    NotFound,
    /// A method other than GET.
    #[error("method {method} is not allowed; every route answers GET only")]
    MethodNotAllowed { method: String },
    /// Our own bug: an answer that could not be written (never expected; logged with its cause).
    #[error("internal error: the answer could not be written; quote meta.request_id to support")]
    Internal,
}

impl ApiError {
    pub fn invalid(parameter: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::InvalidParameter {
            parameter: parameter.into(),
            message: message.into(),
        }
    }

    pub fn upstream(message: impl Into<String>) -> Self {
        ApiError::UpstreamError {
            message: message.into(),
        }
    }

    /// The retail and smart-money series have no bucket in common (yet).
    pub fn no_common_bucket() -> Self {
        ApiError::upstream(
            "Binance's retail and smart-money series share no bucket yet; try again shortly",
        )
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidParameter { .. } => 400,
            ApiError::UnknownSymbol { .. } | ApiError::NotFound => 404,
            ApiError::UpstreamRateLimited { .. } | ApiError::UpstreamBudgetExhausted { .. } => 503,
            ApiError::UpstreamTimeout => 504,
            ApiError::UpstreamError { .. } => 502,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Internal => 500,
        }
    }

    /// The stable, documented `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidParameter { .. } => "invalid_parameter",
            ApiError::UnknownSymbol { .. } => "unknown_symbol",
            ApiError::UpstreamRateLimited { .. } => "upstream_rate_limited",
            ApiError::UpstreamBudgetExhausted { .. } => "upstream_budget_exhausted",
            ApiError::UpstreamTimeout => "upstream_timeout",
            ApiError::UpstreamError { .. } => "upstream_error",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Internal => "internal_error",
        }
    }

    pub fn parameter(&self) -> Option<&str> {
        match self {
            ApiError::InvalidParameter { parameter, .. } => Some(parameter),
            _ => None,
        }
    }

    /// A failure a retry may mend (a rate limit, a spent budget, a timeout, a failing upstream):
    /// an answer that lists it must not be kept as if it were complete. An unknown symbol or a
    /// refused parameter is the same on every retry.
    pub fn may_pass(&self) -> bool {
        matches!(
            self,
            ApiError::UpstreamRateLimited { .. }
                | ApiError::UpstreamBudgetExhausted { .. }
                | ApiError::UpstreamTimeout
                | ApiError::UpstreamError { .. }
                | ApiError::Internal
        )
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::UpstreamRateLimited { retry_after_secs }
            | ApiError::UpstreamBudgetExhausted { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// Caller-supplied text cut to `max_chars` and made printable, safe to echo in a message and a
/// log line; never empty (`?=1` and `=1` both name something), as `error.parameter` requires.
pub fn printable(text: &str, max_chars: usize) -> String {
    if text.is_empty() {
        return "(empty name)".to_string();
    }
    let mut shown: String = text
        .chars()
        .take(max_chars)
        .map(|c| {
            if c.is_ascii_graphic() && c != '\'' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if text.chars().count() > max_chars {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upstream_trouble_may_pass() {
        let passing = [
            ApiError::UpstreamRateLimited {
                retry_after_secs: 1,
            },
            ApiError::UpstreamBudgetExhausted {
                retry_after_secs: 1,
            },
            ApiError::UpstreamTimeout,
            ApiError::upstream("x"),
            ApiError::Internal,
        ];
        let lasting = [
            ApiError::invalid("period", "x"),
            ApiError::UnknownSymbol {
                venue: Venue::Okx,
                symbol: "NOPE".into(),
            },
            ApiError::NotFound,
        ];
        assert!(passing.iter().all(ApiError::may_pass));
        assert!(!lasting.iter().any(ApiError::may_pass));
    }

    #[test]
    fn every_error_maps_to_its_documented_status_and_code() {
        let cases = [
            (ApiError::invalid("period", "x"), 400, "invalid_parameter"),
            (
                ApiError::UnknownSymbol {
                    venue: Venue::Binance,
                    symbol: "NOPEUSDT".into(),
                },
                404,
                "unknown_symbol",
            ),
            (
                ApiError::UpstreamRateLimited {
                    retry_after_secs: 7,
                },
                503,
                "upstream_rate_limited",
            ),
            (ApiError::UpstreamTimeout, 504, "upstream_timeout"),
            (ApiError::upstream("x"), 502, "upstream_error"),
            (ApiError::NotFound, 404, "not_found"),
            (
                ApiError::UpstreamBudgetExhausted {
                    retry_after_secs: 40,
                },
                503,
                "upstream_budget_exhausted",
            ),
            (
                ApiError::MethodNotAllowed {
                    method: "POST".into(),
                },
                405,
                "method_not_allowed",
            ),
            (ApiError::Internal, 500, "internal_error"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status(), status, "{err:?}");
            assert_eq!(err.code(), code);
            assert_eq!(
                err.status() == 503,
                err.retry_after_secs().is_some(),
                "every 503, and only a 503, carries Retry-After: {err:?}"
            );
        }
    }
}
