//! The Binance adapter: one reused HTTP client, the three cohort series fetched concurrently,
//! and the upstream policy (time budget, retries, rate-limit and ban handling) in one place.
//!
//! # The upstream policy
//! Every number lives in [`policy`]; everything below follows from it. Proven by
//! `shared/tests/upstream_faults.rs` (in-process, against the stand-in) and
//! `tests/e2e/test_faults.py` (through `cargo lambda watch`).
//!
//! - **Budget.** One caller request spends at most [`policy::BUDGET`] (6 s) upstream, retries
//!   included, for all three cohorts together (they are fetched concurrently under one deadline).
//!   Connecting may take [`policy::CONNECT_TIMEOUT`]; the whole answer, body included, must arrive
//!   before the deadline. Past it the caller gets `504 upstream_timeout`, well inside the
//!   function's 10 s timeout, so API Gateway never has to answer for us.
//! - **Retries** only where they can help: a connection that could not be made or broke, and a 5xx.
//!   At most [`policy::MAX_RETRIES`] after the first attempt, backing off [`policy::BACKOFF`] ×2
//!   per retry, jittered ±50%, and never when the pause would cross the deadline. Nothing else is
//!   retried: a 4xx or an unreadable 200 will not get better within a second.
//! - **429 (rate limit) and 418 (IP ban)** are never retried: the caller gets
//!   `503 upstream_rate_limited` with `Retry-After` (Binance's own value, or
//!   [`policy::DEFAULT_RETRY_AFTER_429_SECS`] / [`policy::DEFAULT_RETRY_AFTER_418_SECS`] when it
//!   sent none; capped at [`policy::MAX_RETRY_AFTER_SECS`]). The instance then stays **quiet**:
//!   until that `Retry-After` has passed it sends Binance nothing and answers every data request
//!   503 at once, with the seconds remaining. Binance bans IPs that keep calling after a 429, and
//!   calls during a ban lengthen it, so one burst must not turn a 429 into a ban or a short ban
//!   into a long one. (The memory is per warm instance; other instances learn on their own first
//!   call.)
//! - **One cohort failing fails the request**: the three series are joined fail-fast, so the first
//!   error (e.g. one cohort's 429 while the other two answer fine → 503; one cohort empty → 502)
//!   is the answer and the other fetches are abandoned. There is never a half answer.
//! - **451 (restricted location) and 403 (web firewall)** answer `502 upstream_error` with a
//!   message saying Binance refuses this deployment's location, and an error log telling the
//!   operator to deploy in a region Binance serves. Not retried.
//! - **Bodies**: anything but the expected JSON array (HTML, truncated, an object, missing keys,
//!   non-numeric or non-finite numbers) is `502 upstream_error`, never a panic. Odd but legitimate
//!   values are served: a zero short share gives a `null` ratio; rows are sorted and deduplicated.
//!   All three cohorts empty (or `400 -1121`) means Binance does not know the symbol: `404`.
//!
//! Each fetch leaves an [`UpstreamReport`] (total upstream latency, requests sent, outcome) that the
//! call's one log line picks up (see [`take_report`]).

mod parse;

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::cohort::Cohort;
use crate::error::ApiError;
use crate::params::{Period, Symbol};

pub use parse::{parse_series, BodyError, Reading};

/// The upstream policy, written down once (see the module documentation for what follows from it).
pub mod policy {
    use std::time::Duration;
    /// Everything one request spends upstream, retries included: well inside the function timeout
    /// (10 s), so the caller always gets our 504, never API Gateway's.
    pub const BUDGET: Duration = Duration::from_secs(6);
    /// Time to establish a connection (TCP + TLS) before the attempt counts as a connection error.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
    /// Retries after the first attempt, only for connection errors and 5xx.
    pub const MAX_RETRIES: u32 = 2;
    /// First backoff; doubled each retry, jittered ±50%.
    pub const BACKOFF: Duration = Duration::from_millis(100);
    /// When a 429 carries no usable Retry-After.
    pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 10;
    /// When a 418 (IP ban) carries no usable Retry-After: Binance's shortest ban.
    pub const DEFAULT_RETRY_AFTER_418_SECS: u64 = 120;
    /// Binance's longest ban (3 days): a larger or garbled Retry-After is capped here.
    pub const MAX_RETRY_AFTER_SECS: u64 = 3 * 24 * 3600;
    /// Rows asked for when only the newest bucket is needed: enough to find a common bucket when
    /// one cohort publishes a few buckets late.
    pub const MARKET_LOOKBACK: u16 = 6;
}

pub const DEFAULT_BASE_URL: &str = "https://fapi.binance.com";

/// The three series of one symbol and period, each sorted oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CohortSeries {
    pub retail_crowd: Vec<Reading>,
    pub top_traders_by_accounts: Vec<Reading>,
    pub top_traders_by_position: Vec<Reading>,
}

impl CohortSeries {
    pub fn get(&self, cohort: Cohort) -> &[Reading] {
        match cohort {
            Cohort::RetailCrowd => &self.retail_crowd,
            Cohort::TopTradersByAccounts => &self.top_traders_by_accounts,
            Cohort::TopTradersByPosition => &self.top_traders_by_position,
        }
    }
}

/// What one `fetch_cohorts` cost upstream, for the call's log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpstreamReport {
    /// Wall time from the first request to the answer (0 when nothing was sent).
    pub elapsed_ms: u64,
    /// HTTP requests sent to Binance, retries included.
    pub requests: u32,
    /// `ok`, or the `error.code` the fetch ended with.
    pub outcome: &'static str,
}

thread_local! {
    static LAST_REPORT: Cell<Option<UpstreamReport>> = const { Cell::new(None) };
}

/// The report of the last `fetch_cohorts` on this thread, cleared by reading it. A Lambda instance
/// serves one invocation at a time on one thread, so this is the current call's; `Call` clears it
/// when a call starts and reads it for the call's log line.
pub fn take_report() -> Option<UpstreamReport> {
    LAST_REPORT.with(Cell::take)
}

/// Built once per warm instance and reused: keep-alive connections and TLS sessions are pooled.
pub struct BinanceClient {
    http: reqwest::Client,
    /// Epoch ms until which this instance sends Binance nothing (after a 429 or a 418, for its
    /// Retry-After); 0 when not quiet.
    quiet_until_ms: AtomicI64,
}

impl BinanceClient {
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(policy::CONNECT_TIMEOUT)
            .timeout(policy::BUDGET)
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .user_agent(concat!("smartmoney-api/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(BinanceClient {
            http,
            quiet_until_ms: AtomicI64::new(0),
        })
    }

    /// The newest `limit` buckets of all three cohorts from the upstream at `base_url`, fetched
    /// concurrently within one budget. All three empty means Binance does not know the symbol;
    /// a failing cohort fails the call (see the module documentation for the whole policy).
    pub async fn fetch_cohorts(
        &self,
        base_url: &str,
        symbol: &Symbol,
        period: Period,
        limit: u16,
    ) -> Result<CohortSeries, ApiError> {
        let started = Instant::now();
        let requests = AtomicU32::new(0);
        let result = self
            .fetch_all(base_url, symbol, period, limit, &requests)
            .await;
        let report = UpstreamReport {
            elapsed_ms: started.elapsed().as_millis() as u64,
            requests: requests.load(Ordering::Relaxed),
            outcome: result.as_ref().map_or_else(ApiError::code, |_| "ok"),
        };
        LAST_REPORT.with(|r| r.set(Some(report)));
        result
    }

    async fn fetch_all(
        &self,
        base_url: &str,
        symbol: &Symbol,
        period: Period,
        limit: u16,
        requests: &AtomicU32,
    ) -> Result<CohortSeries, ApiError> {
        self.check_quiet()?;
        let deadline = Instant::now() + policy::BUDGET;
        let fetch = |cohort: Cohort| {
            // Every piece is a validated value: nothing from the query string is pasted in raw.
            let url = format!(
                "{base_url}{}?symbol={symbol}&period={period}&limit={limit}",
                cohort.upstream_path()
            );
            self.fetch_series(url, cohort, symbol, deadline, requests)
        };
        // Fail fast: the first failing cohort is the answer (no half answers, no waiting).
        let (retail_crowd, top_traders_by_accounts, top_traders_by_position) = tokio::try_join!(
            fetch(Cohort::RetailCrowd),
            fetch(Cohort::TopTradersByAccounts),
            fetch(Cohort::TopTradersByPosition),
        )?;
        let series = CohortSeries {
            retail_crowd,
            top_traders_by_accounts,
            top_traders_by_position,
        };
        let empty: Vec<&str> = Cohort::ALL
            .into_iter()
            .filter(|c| series.get(*c).is_empty())
            .map(Cohort::id)
            .collect();
        match empty.len() {
            0 => Ok(series),
            3 => Err(ApiError::UnknownSymbol {
                symbol: symbol.to_string(),
            }),
            _ => Err(ApiError::upstream(format!(
                "Binance returned no data for {} of {symbol}; try again shortly",
                empty.join(" and ")
            ))),
        }
    }

    /// While quiet (after a 429 or 418), answer 503 at once with the seconds still to wait.
    fn check_quiet(&self) -> Result<(), ApiError> {
        let until = self.quiet_until_ms.load(Ordering::Relaxed);
        let now = now_ms();
        if until > now {
            return Err(ApiError::UpstreamRateLimited {
                retry_after_secs: ((until - now) as u64).div_ceil(1000),
            });
        }
        Ok(())
    }

    /// Stay quiet for `secs` from now (never shortening a longer quiet period already set).
    fn quiet_for(&self, secs: u64) {
        let until = now_ms().saturating_add(secs as i64 * 1000);
        self.quiet_until_ms.fetch_max(until, Ordering::Relaxed);
    }

    /// One cohort's series: attempts and retries under the shared `deadline`.
    async fn fetch_series(
        &self,
        url: String,
        cohort: Cohort,
        symbol: &Symbol,
        deadline: Instant,
        requests: &AtomicU32,
    ) -> Result<Vec<Reading>, ApiError> {
        let mut backoff = policy::BACKOFF;
        for attempt in 0.. {
            let started = Instant::now();
            requests.fetch_add(1, Ordering::Relaxed);
            let outcome = tokio::time::timeout_at(deadline, self.attempt(&url, symbol)).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let error = match outcome {
                Err(_) => {
                    tracing::warn!(cohort = cohort.id(), elapsed_ms, "upstream timed out");
                    return Err(ApiError::UpstreamTimeout);
                }
                Ok(Attempt::Done(result)) => {
                    tracing::debug!(
                        cohort = cohort.id(),
                        elapsed_ms,
                        ok = result.is_ok(),
                        "upstream answered"
                    );
                    return result;
                }
                Ok(Attempt::Retryable(error)) => error,
            };
            let pause = jitter(backoff);
            if attempt >= policy::MAX_RETRIES || Instant::now() + pause >= deadline {
                return Err(error);
            }
            tracing::warn!(cohort = cohort.id(), attempt, error = %error, "upstream failed; retrying");
            tokio::time::sleep(pause).await;
            backoff *= 2;
        }
        unreachable!("the retry loop returns")
    }

    async fn attempt(&self, url: &str, symbol: &Symbol) -> Attempt {
        let response = match self.http.get(url).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Done(Err(ApiError::UpstreamTimeout)),
            Err(e) if e.is_connect() => {
                return Attempt::Retryable(ApiError::upstream("could not connect to Binance"))
            }
            Err(_) => {
                return Attempt::Retryable(ApiError::upstream("the connection to Binance failed"))
            }
        };
        let status = response.status();
        let retry_after = retry_after_secs(&response);
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => return Attempt::Done(Err(ApiError::UpstreamTimeout)),
            Err(_) => {
                return Attempt::Retryable(ApiError::upstream(
                    "the connection to Binance broke mid-answer",
                ))
            }
        };
        match status {
            StatusCode::OK => Attempt::Done(parse_series(&body).map_err(|e| {
                tracing::warn!(error = %e, "upstream body unreadable");
                ApiError::upstream("Binance answered with data we could not read")
            })),
            StatusCode::TOO_MANY_REQUESTS => {
                let secs = retry_after.unwrap_or(policy::DEFAULT_RETRY_AFTER_429_SECS);
                // Binance bans IPs that keep calling after a 429: stay quiet until it passes.
                self.quiet_for(secs);
                tracing::warn!(
                    retry_after_secs = secs,
                    "upstream rate limit (429); quiet until it passes"
                );
                Attempt::Done(Err(ApiError::UpstreamRateLimited {
                    retry_after_secs: secs,
                }))
            }
            StatusCode::IM_A_TEAPOT => {
                let secs = retry_after.unwrap_or(policy::DEFAULT_RETRY_AFTER_418_SECS);
                // Stop calling until the ban ends: calls during a ban lengthen it.
                self.quiet_for(secs);
                tracing::error!(
                    retry_after_secs = secs,
                    "upstream banned this IP (418); quiet until the ban ends"
                );
                Attempt::Done(Err(ApiError::UpstreamRateLimited {
                    retry_after_secs: secs,
                }))
            }
            StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS | StatusCode::FORBIDDEN => {
                tracing::error!(
                    status = status.as_u16(),
                    "Binance refuses this deployment's location or IP; deploy in a region it serves (ap-northeast-1)"
                );
                Attempt::Done(Err(ApiError::upstream(format!(
                    "Binance refused this service's location (HTTP {}); the operator must deploy in a region Binance serves",
                    status.as_u16()
                ))))
            }
            StatusCode::BAD_REQUEST if is_invalid_symbol(&body) => {
                Attempt::Done(Err(ApiError::UnknownSymbol {
                    symbol: symbol.to_string(),
                }))
            }
            s if s.is_server_error() => Attempt::Retryable(ApiError::upstream(format!(
                "Binance is failing (HTTP {})",
                s.as_u16()
            ))),
            s => {
                tracing::warn!(status = s.as_u16(), "unexpected upstream status");
                Attempt::Done(Err(ApiError::upstream(format!(
                    "Binance answered HTTP {}",
                    s.as_u16()
                ))))
            }
        }
    }
}

enum Attempt {
    Done(Result<Vec<Reading>, ApiError>),
    Retryable(ApiError),
}

/// Binance's `{"code":-1121,"msg":"Invalid symbol."}`.
fn is_invalid_symbol(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct BinanceError {
        code: i64,
    }
    serde_json::from_slice::<BinanceError>(body).is_ok_and(|e| e.code == -1121)
}

/// Whole seconds from `Retry-After` (capped at Binance's longest ban); `None` when absent or
/// not delta-seconds (an HTTP date is not something Binance sends).
fn retry_after_secs(response: &reqwest::Response) -> Option<u64> {
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
            .min(policy::MAX_RETRY_AFTER_SECS),
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
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
