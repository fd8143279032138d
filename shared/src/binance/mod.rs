//! The Binance adapter: one reused HTTP client, the three cohort series fetched concurrently,
//! and the upstream policy (time budget, retries, rate-limit and ban handling) in one place.

mod parse;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::cohort::Cohort;
use crate::error::ApiError;
use crate::params::{Period, Symbol};

pub use parse::{parse_series, BodyError, Reading};

/// The upstream policy, written down once.
pub mod policy {
    use std::time::Duration;
    /// Everything one request spends upstream, retries included: well inside the function timeout.
    pub const BUDGET: Duration = Duration::from_secs(6);
    pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
    /// Retries after the first attempt, only for connection errors and 5xx.
    pub const MAX_RETRIES: u32 = 2;
    /// First backoff; doubled each retry, jittered ±50%.
    pub const BACKOFF: Duration = Duration::from_millis(100);
    /// When a 429 carries no usable Retry-After.
    pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 10;
    /// When a 418 (IP ban) carries no usable Retry-After: Binance's shortest ban.
    pub const DEFAULT_RETRY_AFTER_418_SECS: u64 = 120;
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

/// Built once per warm instance and reused: keep-alive connections and TLS sessions are pooled.
pub struct BinanceClient {
    http: reqwest::Client,
    /// Epoch ms until which Binance has banned this IP (418); 0 when not banned.
    banned_until_ms: AtomicI64,
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
            banned_until_ms: AtomicI64::new(0),
        })
    }

    /// The newest `limit` buckets of all three cohorts from the upstream at `base_url`, fetched
    /// concurrently within one budget. All three empty means Binance does not know the symbol;
    /// a failing cohort fails the call.
    pub async fn fetch_cohorts(
        &self,
        base_url: &str,
        symbol: &Symbol,
        period: Period,
        limit: u16,
    ) -> Result<CohortSeries, ApiError> {
        self.check_ban()?;
        let deadline = Instant::now() + policy::BUDGET;
        let fetch = |cohort| self.fetch_series(base_url, cohort, symbol, period, limit, deadline);
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

    fn check_ban(&self) -> Result<(), ApiError> {
        let until = self.banned_until_ms.load(Ordering::Relaxed);
        let now = now_ms();
        if until > now {
            return Err(ApiError::UpstreamRateLimited {
                retry_after_secs: ((until - now) as u64).div_ceil(1000),
            });
        }
        Ok(())
    }

    async fn fetch_series(
        &self,
        base_url: &str,
        cohort: Cohort,
        symbol: &Symbol,
        period: Period,
        limit: u16,
        deadline: Instant,
    ) -> Result<Vec<Reading>, ApiError> {
        // Every piece is a validated value: nothing from the query string is pasted in raw.
        let url = format!(
            "{}{}?symbol={symbol}&period={period}&limit={limit}",
            base_url,
            cohort.upstream_path()
        );
        let mut backoff = policy::BACKOFF;
        for attempt in 0.. {
            let started = Instant::now();
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
                tracing::warn!(retry_after_secs = secs, "upstream rate limit (429)");
                Attempt::Done(Err(ApiError::UpstreamRateLimited {
                    retry_after_secs: secs,
                }))
            }
            StatusCode::IM_A_TEAPOT => {
                let secs = retry_after.unwrap_or(policy::DEFAULT_RETRY_AFTER_418_SECS);
                // Stop calling until the ban ends: calls during a ban lengthen it.
                self.banned_until_ms
                    .fetch_max(now_ms() + secs as i64 * 1000, Ordering::Relaxed);
                tracing::error!(retry_after_secs = secs, "upstream banned this IP (418)");
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

fn retry_after_secs(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
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
