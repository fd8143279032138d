//! Gate v4 USDT perpetuals (base `https://api.gateio.ws`): all three cohorts come from one
//! endpoint, `GET /api/v4/futures/usdt/contract_stats?contract=BTC_USDT&interval=1h&limit=30`.
//! The adapter ([`Gate`], a [`PositioningSource`]) pages where 100 rows are not enough and keeps
//! Gate's rate limit ([`PACE`]); the wire format is in [`parse`]. `time` is a bucket's start and
//! the newest row is the bucket still open (its values move until after it closes): that row is
//! left out and every closed one is labelled with its close ([`parse::closed_buckets`]).
//!
//! - **Query**: `contract` is `BASE_USDT` ([`parse::instrument`]); `interval` is one of `5m 15m
//!   30m 1h 4h 1d` ([`parse::period`]: 2h, 6h and 12h are unconfirmed, so treated as
//!   unsupported); `limit` ≤ [`parse::MAX_ROWS`] (default 30); optional `from` in **seconds**
//!   (older than 180 days → 400).
//! - **Success**: a bare JSON array, oldest first, one row per bucket, `time` in **seconds**,
//!   values as JSON numbers (Gate's own JS SDK types `top_lsr_account` / `top_lsr_size` as
//!   strings, so strings are accepted too). Each cohort is published only as a long/short ratio
//!   r (long share = r / (1 + r)): `lsr_account` (all accounts, head count), `top_lsr_account`
//!   (top traders by account), `top_lsr_size` (top traders by position). Gate does not say what
//!   "top" means. A ratio of **0 means no data**, not "all short". `open_interest_usd` is in USD.
//!   Newer rows also carry counts (`long_users`, `top_long_size`, …): ignored.
//! - **Errors**: a body `{"label":…,"message":…}`: unknown contract `400 CONTRACT_NOT_FOUND`, bad
//!   values `400 INVALID_PARAM_VALUE`, rate limit `429 TOO_MANY_REQUESTS` ([`parse::classify`]).
//! - **Rate limit**: 200 requests / 10 s per endpoint per IP.

pub mod parse;

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use tokio::time::Instant;

use super::pace::Pace;
use super::policy::{self, Quiet};
use super::request::{fetched, Get, VenueClient};
use super::{source_label, Fetched, PositioningSource, VenueFacts, Weight};
use crate::domain::clock::{newest_visible_bucket, now_ms};
use crate::domain::{ApiError, Cohort, CohortSeries, Period, Symbol, Venue};

pub const DEFAULT_BASE_URL: &str = "https://api.gateio.ws";
pub const PATH: &str = "/api/v4/futures/usdt/contract_stats";
/// When a 429 carries no usable Retry-After: Gate's window.
pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 10;
/// Gate's limit: 200 requests per [`PACE_WINDOW`] per endpoint and IP.
pub const PACE: usize = 200;
pub const PACE_WINDOW: Duration = Duration::from_secs(10);

/// What Gate is, for every route that shows venues side by side.
pub const FACTS: VenueFacts = VenueFacts {
    venue: Venue::Gate,
    default_base_url: DEFAULT_BASE_URL,
    label: "gate_usdt_futures",
    relayed_label: "gate_usdt_futures via a configured upstream",
    cohorts: &Cohort::ALL,
    top_definition: "not published by Gate",
    weight: Weight::OpenInterestUsd {
        field: "contract_stats open_interest_usd",
    },
};

/// Built once per warm instance: the pooled HTTP client, Gate's quiet period and pacing.
pub fn client(http: reqwest::Client) -> VenueClient {
    VenueClient {
        venue: Venue::Gate,
        http,
        quiet: Quiet::default(),
        pace: Pace::new(PACE, PACE_WINDOW),
        default_retry_after_secs: DEFAULT_RETRY_AFTER_429_SECS,
    }
}

/// The Gate adapter at one base URL.
pub struct Gate<'a> {
    client: &'a VenueClient,
    base_url: String,
    source: &'static str,
}

impl<'a> Gate<'a> {
    /// At `base_url` (the configured one, or [`DEFAULT_BASE_URL`]).
    pub fn at(client: &'a VenueClient, base_url: Option<&str>) -> Self {
        Gate {
            client,
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            source: source_label(&FACTS, base_url),
        }
    }
}

/// Requests of 100 rows needed for `rows` closed buckets (and the open one, left out).
fn pages(rows: u16) -> u16 {
    rows.saturating_add(1).div_ceil(parse::MAX_ROWS).max(1)
}

impl PositioningSource for Gate<'_> {
    fn facts(&self) -> &'static VenueFacts {
        &FACTS
    }

    fn source(&self) -> &'static str {
        self.source
    }

    fn instrument(&self, symbol: &Symbol) -> String {
        parse::instrument(symbol)
    }

    fn supports(&self, period: Period) -> bool {
        parse::period(period).is_some()
    }

    /// One path × its pages.
    fn requests(&self, rows: u16) -> u32 {
        u32::from(pages(rows))
    }

    async fn fetch(&self, symbol: &Symbol, period: Period, rows: u16) -> Fetched {
        let started = Instant::now();
        let requests = AtomicU32::new(0);
        let result = self.fetch_all(symbol, period, rows, &requests).await;
        fetched(started, &requests, result)
    }
}

impl Gate<'_> {
    async fn fetch_all(
        &self,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        requests: &AtomicU32,
    ) -> Result<CohortSeries, ApiError> {
        let Some(interval) = parse::period(period) else {
            return Err(ApiError::invalid(
                "period",
                format!("Gate publishes no {period} buckets"),
            ));
        };
        self.client.quiet.check()?;
        let deadline = Instant::now() + policy::DEADLINE;
        let contract = parse::instrument(symbol);
        let base = format!(
            "{}{PATH}?contract={contract}&interval={interval}",
            self.base_url
        );
        // One row more than asked: the newest row served is the bucket still open, left out
        // (parse::closed_buckets). The newest 100 (or fewer) rows in one request; beyond 100,
        // the older rows as pages of 100 forward from the oldest bucket wanted (`from`, in
        // seconds), requested side by side. Page 0 names no time, so it holds the newest rows
        // whatever the two clocks say.
        let wanted = rows.saturating_add(1);
        let mut urls = vec![format!("{base}&limit={}", wanted.min(parse::MAX_ROWS))];
        if wanted > parse::MAX_ROWS {
            let oldest =
                newest_visible_bucket(period, now_ms()) - i64::from(rows) * period.millis();
            let older = wanted - parse::MAX_ROWS;
            for k in 0..older.div_ceil(parse::MAX_ROWS) {
                let from =
                    (oldest + i64::from(k) * i64::from(parse::MAX_ROWS) * period.millis()) / 1000;
                let limit = (older - k * parse::MAX_ROWS).min(parse::MAX_ROWS);
                urls.push(format!("{base}&limit={limit}&from={from}"));
            }
        }
        let gets: Vec<Get> = urls
            .into_iter()
            .map(|url| Get {
                url,
                pace_key: PATH.to_string(),
            })
            .collect();
        let bodies = (self.client)
            .get_all(
                "gate contract_stats",
                &gets,
                parse::classify,
                symbol,
                deadline,
                requests,
            )
            .await?;
        let mut all = Vec::new();
        let mut newest_served = None;
        for (page, body) in bodies.iter().enumerate() {
            let parsed =
                parse::parse_contract_stats(body).map_err(|e| self.client.unreadable(e))?;
            if page == 0 {
                newest_served = parsed.last().map(|r| r.timestamp);
            }
            all.extend(parsed);
        }
        all.sort_by_key(|r| r.timestamp);
        all.dedup_by_key(|r| r.timestamp);
        let all = parse::closed_buckets(all, newest_served, period, now_ms());
        let series = parse::cohort_series(&all).newest(usize::from(rows));
        if series.retail_crowd.is_empty()
            && series.top_traders_by_accounts.is_empty()
            && series.top_traders_by_position.is_empty()
        {
            // Gate names an unknown contract (CONTRACT_NOT_FOUND): this one exists, but Gate has
            // nothing for it at this period.
            return Err(ApiError::upstream(format!(
                "Gate returned no data for {contract}; try again shortly"
            )));
        }
        Ok(series)
    }
}
