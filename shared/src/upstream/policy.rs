//! The upstream policy every venue's adapter follows, written down once. Each adapter maps its
//! venue's answers onto [`Attempt`]s; what follows from them (deadline, retries, the quiet period
//! after a rate limit) is here. Proven by `shared/tests/upstream_faults.rs` (in-process, against
//! the stand-in) and `tests/e2e/test_faults.py` (through `cargo lambda watch`).
//!
//! - **Deadline.** One caller request spends at most [`DEADLINE`] (6 s) upstream, retries
//!   included, for all of a fetch's series together (they are fetched concurrently under one
//!   deadline). Connecting may take [`CONNECT_TIMEOUT`]; the whole answer, body included, must
//!   arrive before the deadline. Past it the caller gets `504 upstream_timeout`, well inside the
//!   function's 10 s timeout, so API Gateway never has to answer for us.
//! - **Retries** only where they can help: a connection that could not be made or broke, and a
//!   5xx. At most [`MAX_RETRIES`] after the first attempt, backing off [`BACKOFF`] ×2 per retry,
//!   jittered ±50%, and never when the pause would cross the deadline. Nothing else is retried:
//!   a 4xx or an unreadable 200 will not get better within a second.
//! - **Rate limits and bans** are never retried: the caller gets `503 upstream_rate_limited` with
//!   `Retry-After` (the venue's own value, or the adapter's default when it sent none; capped at
//!   [`MAX_RETRY_AFTER_SECS`]). The instance then stays **quiet** ([`Quiet`]): until that
//!   `Retry-After` has passed it sends the venue nothing and answers every data request 503 at
//!   once, with the seconds remaining. Venues ban IPs that keep calling after a rate limit, and
//!   calls during a ban lengthen it. (The memory is per warm instance; other instances learn on
//!   their own first call.)
//! - **One series failing fails the fetch**: the series are joined fail-fast, so the first error
//!   is the answer and the other requests are abandoned. There is never a half answer.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::domain::clock::now_ms;
use crate::domain::ApiError;

/// Everything one request spends upstream, retries included: well inside the function timeout
/// (10 s), so the caller always gets our 504, never API Gateway's.
pub const DEADLINE: Duration = Duration::from_secs(6);
/// Time to establish a connection (TCP + TLS) before the attempt counts as a connection error.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// Retries after the first attempt, only for connection errors and 5xx.
pub const MAX_RETRIES: u32 = 2;
/// First backoff; doubled each retry, jittered ±50%.
pub const BACKOFF: Duration = Duration::from_millis(100);
/// The longest quiet period honoured (Binance's longest ban, 3 days): a larger or garbled
/// Retry-After is capped here.
pub const MAX_RETRY_AFTER_SECS: u64 = 3 * 24 * 3600;

/// One HTTP client per warm instance, shared by every adapter: keep-alive connections and TLS
/// sessions are pooled.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(DEADLINE)
        .pool_idle_timeout(Duration::from_secs(50))
        .tcp_nodelay(true)
        .user_agent(concat!("smartmoney-api/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// What one attempt at one request came to.
pub enum Attempt<T> {
    /// Final, success or not.
    Done(Result<T, ApiError>),
    /// Worth another try (connection error, 5xx).
    Retryable(ApiError),
}

/// Attempts of one request under the shared `deadline`, retried as the policy allows. Each
/// attempt counts itself when it sends (a request waiting for its venue's pace, then abandoned,
/// was never sent). `what` names the request in the logs.
pub async fn with_retries<T, F, Fut>(
    what: &'static str,
    deadline: Instant,
    attempt: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    with_retries_if(what, deadline, || true, attempt).await
}

/// [`with_retries`], sending a retry only when `afford()` says the request budget's headroom
/// can pay for it (it spends it); otherwise the request fails with its last error.
pub async fn with_retries_if<T, F, Fut>(
    what: &'static str,
    deadline: Instant,
    mut afford: impl FnMut() -> bool,
    mut attempt: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut backoff = BACKOFF;
    let mut retries = 0;
    loop {
        let started = Instant::now();
        let outcome = tokio::time::timeout_at(deadline, attempt()).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let error = match outcome {
            Err(_) => {
                tracing::warn!(series = what, elapsed_ms, "upstream timed out");
                return Err(ApiError::UpstreamTimeout);
            }
            Ok(Attempt::Done(result)) => {
                tracing::debug!(
                    series = what,
                    elapsed_ms,
                    ok = result.is_ok(),
                    "upstream answered"
                );
                return result;
            }
            Ok(Attempt::Retryable(error)) => error,
        };
        let pause = jitter(backoff);
        if retries >= MAX_RETRIES || Instant::now() + pause >= deadline {
            return Err(error);
        }
        if !afford() {
            tracing::warn!(series = what, error = %error, "the request budget's headroom affords no retry; not retried");
            return Err(error);
        }
        tracing::warn!(series = what, attempt = retries, error = %error, "upstream failed; retrying");
        tokio::time::sleep(pause).await;
        backoff *= 2;
        retries += 1;
    }
}

/// Epoch ms until which this instance sends a venue nothing (after a rate limit or a ban, for
/// its Retry-After); 0 when not quiet.
#[derive(Debug, Default)]
pub struct Quiet {
    until_ms: AtomicI64,
}

impl Quiet {
    /// While quiet, 503 at once with the seconds still to wait.
    pub fn check(&self) -> Result<(), ApiError> {
        let until = self.until_ms.load(Ordering::Relaxed);
        let now = now_ms();
        if until > now {
            return Err(ApiError::UpstreamRateLimited {
                retry_after_secs: ((until - now) as u64).div_ceil(1000),
            });
        }
        Ok(())
    }

    /// Stay quiet for `secs` from now (never shortening a longer quiet period already set).
    pub fn for_secs(&self, secs: u64) {
        let until = now_ms().saturating_add(secs as i64 * 1000);
        self.until_ms.fetch_max(until, Ordering::Relaxed);
    }
}

/// Whole seconds from a `Retry-After` header (capped at [`MAX_RETRY_AFTER_SECS`]); `None` when
/// absent or not delta-seconds (an HTTP date is not something these venues send).
pub fn retry_after_secs(response: &reqwest::Response) -> Option<u64> {
    let text = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: only overflow can fail the parse, and that is "very long" too.
    Some(
        text.parse::<u64>()
            .unwrap_or(u64::MAX)
            .min(MAX_RETRY_AFTER_SECS),
    )
}

/// `d` × a factor in [0.5, 1.5), from the clock's nanoseconds: enough to spread retries apart.
fn jitter(d: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let mut x = u64::from(nanos) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    d.mul_f64(0.5 + (x % 1000) as f64 / 1000.0)
}
