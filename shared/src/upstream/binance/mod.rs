//! Binance USDⓈ-M futures: the three cohorts' ratio series under `/futures/data/`, fetched
//! concurrently under the shared [`policy`]. Everything Binance-specific lives in this folder: the
//! base URL's default, the paths, the wire format ([`parse`]), the status codes and what each
//! means, and the figures of its rate limit.
//!
//! - **429 (rate limit) and 418 (IP ban)**: quiet for Binance's Retry-After, or
//!   [`DEFAULT_RETRY_AFTER_429_SECS`] / [`DEFAULT_RETRY_AFTER_418_SECS`] when it sent none.
//! - **451 (restricted location) and 403 (web firewall, or a location block)**: `502
//!   upstream_error` telling the caller Binance refused the request; the operator's hint (deploy
//!   in a region Binance serves) goes to the error log only. Not retried.
//! - **Bodies**: anything but the expected JSON array (HTML, truncated, an object, missing keys,
//!   non-numeric or non-finite numbers) is `502 upstream_error`, never a panic. Odd but
//!   legitimate values are served: a zero short share gives a `null` ratio; rows are sorted and
//!   deduplicated. All three cohorts empty (or `400 -1121`) means Binance does not know the
//!   symbol: `404`; one or two empty: `502`.

pub mod parse;

use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::StatusCode;
use tokio::time::Instant;

use super::budget::{klines_weight, Budget};
use super::meter;
use super::policy::{self, Attempt, Quiet};
use super::{source_label, Extras, Fetched, PositioningSource, UpstreamReport, VenueFacts, Weight};
use crate::domain::clock::now_ms;
use crate::domain::route::Share;
use crate::domain::{ApiError, Cohort, CohortSeries, Period, Symbol, Venue, PRICE_ROWS_BEYOND};

pub use parse::{parse_klines, parse_open_interest, parse_series, BodyError};

pub const DEFAULT_BASE_URL: &str = "https://fapi.binance.com";
/// When a 429 carries no usable Retry-After.
pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 10;
/// When a 418 (IP ban) carries no usable Retry-After: Binance's shortest ban.
pub const DEFAULT_RETRY_AFTER_418_SECS: u64 = 120;
/// Rows per request at most.
pub const MAX_ROWS: u16 = 500;
/// How far back these series go: about the last 30 days.
pub const RETENTION_MS: i64 = 30 * 24 * 3_600_000;

/// Open interest history (number of contracts and their USD value per bucket).
pub const OPEN_INTEREST_PATH: &str = "/futures/data/openInterestHist";
/// Futures klines (one bar per bucket: open time, open, high, low, close, …).
pub const KLINES_PATH: &str = "/fapi/v1/klines";

/// Path of a cohort's series.
pub const fn path(cohort: Cohort) -> &'static str {
    match cohort {
        Cohort::RetailCrowd => "/futures/data/globalLongShortAccountRatio",
        Cohort::TopTradersByAccounts => "/futures/data/topLongShortAccountRatio",
        Cohort::TopTradersByPosition => "/futures/data/topLongShortPositionRatio",
    }
}

/// What Binance is, for every route that shows venues side by side.
pub const FACTS: VenueFacts = VenueFacts {
    venue: Venue::Binance,
    default_base_url: DEFAULT_BASE_URL,
    label: "binance_usdm_futures",
    relayed_label: "binance_usdm_futures via a configured upstream",
    cohorts: &Cohort::ALL,
    top_definition: "top 20% of accounts by margin balance",
    weight: Weight::OpenInterestUsd {
        field: "openInterestHist sumOpenInterestValue",
    },
};

/// What answers say about data from Binance at its configured base URL (`None`: the default).
pub fn configured_source(base_url: Option<&str>) -> &'static str {
    source_label(&FACTS, base_url)
}

/// Klines asked for a fetch of `rows` rows: the bar still open comes back too, and is dropped.
const fn klines_rows(rows: u16) -> usize {
    rows as usize + PRICE_ROWS_BEYOND + 1
}

/// This instance's budget on Binance for a function's `share`: its requests on each
/// `/futures/data/*` path we read, and its klines weight.
pub fn budget(share: Share) -> Budget {
    Budget::binance(
        &[
            path(Cohort::RetailCrowd),
            path(Cohort::TopTradersByAccounts),
            path(Cohort::TopTradersByPosition),
            OPEN_INTEREST_PATH,
        ],
        share.requests,
        KLINES_PATH,
        share.klines_weight,
    )
}

/// Built once per warm instance and reused: the pooled HTTP client, Binance's quiet period and
/// this instance's request budget.
pub struct BinanceClient {
    http: reqwest::Client,
    quiet: Quiet,
    budget: Budget,
}

impl BinanceClient {
    /// With no request budget (tests, local tools).
    pub fn new(http: reqwest::Client) -> Self {
        BinanceClient::with_budget(http, Budget::unlimited())
    }

    pub fn with_budget(http: reqwest::Client, budget: Budget) -> Self {
        BinanceClient {
            http,
            quiet: Quiet::default(),
            budget,
        }
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The adapter at `base_url` (the configured one, or [`DEFAULT_BASE_URL`]).
    pub fn at(&self, base_url: Option<&str>) -> Binance<'_> {
        Binance {
            client: self,
            source: configured_source(base_url),
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            open_interest: false,
            prices: false,
        }
    }
}

/// The Binance adapter at one base URL.
pub struct Binance<'a> {
    client: &'a BinanceClient,
    base_url: String,
    source: &'static str,
    /// Fetch the open interest beside the cohorts (a fourth request).
    open_interest: bool,
    /// Fetch the prices (klines) beside the cohorts (another request).
    prices: bool,
}

impl Binance<'_> {
    /// This adapter fetching the open interest history too.
    pub fn with_open_interest(mut self) -> Self {
        self.open_interest = true;
        self
    }

    /// This adapter fetching the prices (klines of the same interval) too.
    pub fn with_prices(mut self) -> Self {
        self.prices = true;
        self
    }
}

impl PositioningSource for Binance<'_> {
    fn facts(&self) -> &'static VenueFacts {
        &FACTS
    }

    fn source(&self) -> &'static str {
        self.source
    }

    fn instrument(&self, symbol: &Symbol) -> String {
        symbol.to_string()
    }

    fn extras(&self) -> Extras {
        Extras {
            open_interest: self.open_interest,
            prices: self.prices,
        }
    }

    /// Three cohorts, and the open interest and the prices if asked.
    fn requests(&self, _rows: u16) -> u32 {
        3 + u32::from(self.open_interest) + u32::from(self.prices)
    }

    /// One request on each path this fetch reads, the klines at their weight.
    fn reserve(&self, rows: u16, now_ms: i64) -> Result<(), u64> {
        let rows = rows.min(MAX_ROWS);
        let mut sends: Vec<(&'static str, u32)> =
            Cohort::ALL.into_iter().map(|c| (path(c), 1)).collect();
        if self.open_interest {
            sends.push((OPEN_INTEREST_PATH, 1));
        }
        if self.prices {
            sends.push((KLINES_PATH, klines_weight(klines_rows(rows))));
        }
        let reserved = self.client.budget.reserve(&sends, now_ms);
        if let Some(pct) = self.client.budget.left_pct(now_ms) {
            meter::budget_left(Venue::Binance, pct);
        }
        reserved
    }

    /// The three series fetched concurrently within one deadline. All three empty means Binance
    /// does not know the symbol; a failing cohort fails the fetch.
    async fn fetch(&self, symbol: &Symbol, period: Period, rows: u16) -> Fetched {
        let started = Instant::now();
        let requests = AtomicU32::new(0);
        let result = self.fetch_all(symbol, period, rows, &requests).await;
        let report = UpstreamReport {
            elapsed_ms: started.elapsed().as_millis() as u64,
            requests: requests.load(Ordering::Relaxed),
            outcome: result.as_ref().map_or_else(ApiError::code, |_| "ok"),
            stale: false,
        };
        Fetched {
            result,
            report,
            from_memo: false,
            stale: None,
        }
    }
}

impl Binance<'_> {
    async fn fetch_all(
        &self,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        requests: &AtomicU32,
    ) -> Result<CohortSeries, ApiError> {
        self.client.quiet.check()?;
        let deadline = Instant::now() + policy::DEADLINE;
        let rows = rows.min(MAX_ROWS);
        let fetch = |cohort: Cohort| {
            // Every piece is a validated value: nothing from the query string is pasted in raw.
            let url = format!(
                "{}{}?symbol={symbol}&period={period}&limit={rows}",
                self.base_url,
                path(cohort)
            );
            policy::with_retries_if(
                cohort.id(),
                deadline,
                self.afford(path(cohort), 1),
                move || {
                    let url = url.clone();
                    async move { self.attempt(&url, symbol, parse_series, requests).await }
                },
            )
        };
        let open_interest = async {
            if !self.open_interest {
                return Ok(Vec::new());
            }
            let url = format!(
                "{}{OPEN_INTEREST_PATH}?symbol={symbol}&period={period}&limit={rows}",
                self.base_url
            );
            policy::with_retries_if(
                "open_interest",
                deadline,
                self.afford(OPEN_INTEREST_PATH, 1),
                || {
                    let url = url.clone();
                    async move {
                        self.attempt(&url, symbol, parse_open_interest, requests)
                            .await
                    }
                },
            )
            .await
        };
        let prices = async {
            if !self.prices {
                return Ok(Vec::new());
            }
            let klines = klines_rows(rows);
            let url = format!(
                "{}{KLINES_PATH}?symbol={symbol}&interval={period}&limit={klines}",
                self.base_url
            );
            let weight = klines_weight(klines);
            policy::with_retries_if("klines", deadline, self.afford(KLINES_PATH, weight), || {
                let url = url.clone();
                async move {
                    let parse = |body: &[u8]| parse_klines(body, now_ms());
                    self.attempt(&url, symbol, parse, requests).await
                }
            })
            .await
        };
        // Fail fast: the first failing cohort is the answer (no half answers, no waiting).
        let (retail_crowd, top_traders_by_accounts, top_traders_by_position, open_interest, prices) =
            tokio::try_join!(
                fetch(Cohort::RetailCrowd),
                fetch(Cohort::TopTradersByAccounts),
                fetch(Cohort::TopTradersByPosition),
                open_interest,
                prices,
            )?;
        let series = CohortSeries {
            retail_crowd,
            top_traders_by_accounts,
            top_traders_by_position,
            open_interest,
            prices,
        };
        let empty: Vec<&str> = Cohort::ALL
            .into_iter()
            .filter(|c| series.get(*c).is_empty())
            .map(Cohort::id)
            .collect();
        match empty.len() {
            0 => Ok(series),
            3 => Err(ApiError::UnknownSymbol {
                venue: Venue::Binance,
                symbol: symbol.to_string(),
            }),
            _ => Err(ApiError::upstream(format!(
                "Binance returned no data for {} of {symbol}; try again shortly",
                empty.join(" and ")
            ))),
        }
    }

    /// Whether the budget's headroom pays for a retry of `units` on `path` (and spends it).
    fn afford(&self, path: &'static str, units: u32) -> impl FnMut() -> bool + '_ {
        move || self.client.budget.retry(path, units, now_ms())
    }

    /// One request to `url`, counted in `requests` as it is sent.
    async fn attempt<T>(
        &self,
        url: &str,
        symbol: &Symbol,
        parse: impl FnOnce(&[u8]) -> Result<T, BodyError>,
        requests: &AtomicU32,
    ) -> Attempt<T> {
        requests.fetch_add(1, Ordering::Relaxed);
        meter::sent(Venue::Binance, url);
        let response = match self.client.http.get(url).send().await {
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
        let retry_after = policy::retry_after_secs(&response);
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
            StatusCode::OK => Attempt::Done(parse(&body).map_err(|e| {
                tracing::warn!(error = %e, "upstream body unreadable");
                ApiError::upstream("Binance answered with data we could not read")
            })),
            StatusCode::TOO_MANY_REQUESTS => {
                meter::rate_limited(Venue::Binance);
                let secs = retry_after.unwrap_or(DEFAULT_RETRY_AFTER_429_SECS);
                // Binance bans IPs that keep calling after a 429: stay quiet until it passes.
                self.client.quiet.for_secs(secs);
                tracing::warn!(
                    retry_after_secs = secs,
                    "upstream rate limit (429); quiet until it passes"
                );
                Attempt::Done(Err(ApiError::UpstreamRateLimited {
                    retry_after_secs: secs,
                }))
            }
            StatusCode::IM_A_TEAPOT => {
                meter::rate_limited(Venue::Binance);
                let secs = retry_after.unwrap_or(DEFAULT_RETRY_AFTER_418_SECS);
                // Stop calling until the ban ends: calls during a ban lengthen it.
                self.client.quiet.for_secs(secs);
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
                    "Binance refused the request (HTTP {}); try again later",
                    status.as_u16()
                ))))
            }
            StatusCode::BAD_REQUEST if is_invalid_symbol(&body) => {
                Attempt::Done(Err(ApiError::UnknownSymbol {
                    venue: Venue::Binance,
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

/// Binance's `{"code":-1121,"msg":"Invalid symbol."}`.
fn is_invalid_symbol(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct BinanceError {
        code: i64,
    }
    serde_json::from_slice::<BinanceError>(body).is_ok_and(|e| e.code == -1121)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_says_loudly_when_it_is_not_binance_itself() {
        assert_eq!(configured_source(None), "binance_usdm_futures");
        assert_eq!(
            configured_source(Some("https://fapi.binance.com")),
            "binance_usdm_futures"
        );
        for standin in ["http://127.0.0.1:9100", "http://localhost:9100"] {
            assert_eq!(
                configured_source(Some(standin)),
                "local_standin: SIMULATED data from a local stand-in, NOT live market data"
            );
        }
        assert_eq!(
            configured_source(Some("https://binance-proxy.example")),
            "binance_usdm_futures via a configured upstream"
        );
    }
}
