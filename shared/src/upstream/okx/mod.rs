//! OKX USDT perpetual swaps: the three cohorts' long/short ratios and open interest from OKX's
//! trading statistics, as a [`PositioningSource`]: four paths fetched concurrently, each paged
//! (100 rows a request, the pages requested side by side, not one after another), under the
//! shared [`policy`] and OKX's own rate limit ([`PACE`]). What OKX serves, from its documentation,
//! ccxt's source and published captures (no machine here reaches OKX):
//!
//! - **Paths** (base `https://www.okx.com`), under `/api/v5/rubik/stat/contracts/`:
//!   `long-short-account-ratio-contract` (all accounts), `long-short-account-ratio-contract-top-trader`
//!   (top traders by account), `long-short-position-ratio-contract-top-trader` (top traders by
//!   position), `open-interest-history`. OKX's "top" is the top 5% by open-position value
//!   (Binance's is the top 20% by margin balance): gaps are not comparable across venues.
//! - **Query**: `instId` ([`parse::instrument`]: `BTC-USDT-SWAP`, no `1000` prefixes), `period`
//!   ([`parse::period`]: upper-case, `utc` buckets from 6h up; lower-case is refused), `begin` /
//!   `end` (ms, both exclusive), `limit` ≤ [`parse::MAX_ROWS`]. To page backwards send
//!   `end = the oldest timestamp received`. About the latest 1,440 rows per period exist.
//! - **Rows**: `[ts, ratio]` arrays of strings, newest first, ratios unrounded; only the ratio r is
//!   published, so the long share is r / (1 + r). Values may repeat for several rows: that is
//!   data, not a duplicate. Open interest rows are `[ts, oi, oiCcy, oiUsd]` (contracts, base
//!   coin, USD).
//! - **Errors** ([`parse::classify`]): any `code` but "0" is an error. Bad period
//!   `400 {"code":"51000","msg":"Parameter period error","data":[]}`; unknown instrument
//!   probably `200 {"code":"51001",…}` (unconfirmed on these paths); rate limit
//!   `429 {"msg":"Too Many Requests","code":"50011"}`; a window with no data is `200` with
//!   `"data":[]`, an empty series.
//! - **Rate limit**: 5 requests per 2 s per IP **and instrument** (open interest: 10 per 2 s).

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

pub const DEFAULT_BASE_URL: &str = "https://www.okx.com";
/// How long to stay quiet after a 429 that carries no usable Retry-After: OKX's window.
pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 2;
/// OKX's limit, 5 requests per 2 s per IP and instrument on each path (open interest allows 10;
/// 5 is kept for all four): requests per [`PACE_WINDOW`].
pub const PACE: usize = 5;
pub const PACE_WINDOW: Duration = Duration::from_secs(2);

/// The all-accounts, top-accounts and top-positions paths, in cohort order, and open interest.
pub const PATHS: [&str; 4] = [
    "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
    "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract-top-trader",
    "/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader",
    "/api/v5/rubik/stat/contracts/open-interest-history",
];

/// What OKX is, for every route that shows venues side by side.
pub const FACTS: VenueFacts = VenueFacts {
    venue: Venue::Okx,
    default_base_url: DEFAULT_BASE_URL,
    label: "okx_usdt_swaps",
    relayed_label: "okx_usdt_swaps via a configured upstream",
    cohorts: &Cohort::ALL,
    top_definition: "top 5% of accounts by open-position value",
    weight: Weight::OpenInterestUsd {
        field: "open-interest-history oiUsd",
    },
};

/// Built once per warm instance: the pooled HTTP client, OKX's quiet period and pacing.
pub fn client(http: reqwest::Client) -> VenueClient {
    VenueClient {
        venue: Venue::Okx,
        http,
        quiet: Quiet::default(),
        pace: Pace::new(PACE, PACE_WINDOW),
        default_retry_after_secs: DEFAULT_RETRY_AFTER_429_SECS,
    }
}

/// The OKX adapter at one base URL.
pub struct Okx<'a> {
    client: &'a VenueClient,
    base_url: String,
    source: &'static str,
}

impl<'a> Okx<'a> {
    /// At `base_url` (the configured one, or [`DEFAULT_BASE_URL`]).
    pub fn at(client: &'a VenueClient, base_url: Option<&str>) -> Self {
        Okx {
            client,
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            source: source_label(&FACTS, base_url),
        }
    }
}

/// Requests of 100 rows needed for `rows`.
fn pages(rows: u16) -> u16 {
    rows.div_ceil(parse::MAX_ROWS).max(1)
}

impl PositioningSource for Okx<'_> {
    fn facts(&self) -> &'static VenueFacts {
        &FACTS
    }

    fn source(&self) -> &'static str {
        self.source
    }

    fn instrument(&self, symbol: &Symbol) -> String {
        parse::instrument(symbol)
    }

    /// Four paths × their pages.
    fn requests(&self, rows: u16) -> u32 {
        4 * u32::from(pages(rows))
    }

    async fn fetch(&self, symbol: &Symbol, period: Period, rows: u16) -> Fetched {
        let started = Instant::now();
        let requests = AtomicU32::new(0);
        let result = self.fetch_all(symbol, period, rows, &requests).await;
        fetched(started, &requests, result)
    }
}

impl Okx<'_> {
    async fn fetch_all(
        &self,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        requests: &AtomicU32,
    ) -> Result<CohortSeries, ApiError> {
        self.client.quiet.check()?;
        let deadline = Instant::now() + policy::DEADLINE;
        let instrument = parse::instrument(symbol);
        let newest = newest_visible_bucket(period, now_ms());
        let limit = rows.min(parse::MAX_ROWS);
        // Page 0 is the newest `limit` rows; page k ≥ 1 the 100 before `end` (exclusive) =
        // newest − (100k − 1) periods, so the pages meet without a gap even when OKX is a
        // bucket late (an overlap is removed when the rows are sorted).
        let urls = |path: &str| -> Vec<String> {
            (0..pages(rows))
                .map(|k| {
                    let mut url = format!(
                        "{}{path}?instId={instrument}&period={}&limit={limit}",
                        self.base_url,
                        parse::period(period)
                    );
                    if k > 0 {
                        let end = newest - (100 * i64::from(k) - 1) * period.millis();
                        url.push_str(&format!("&end={end}"));
                    }
                    url
                })
                .collect()
        };
        let get = |path: &'static str, what: &'static str| {
            let gets: Vec<Get> = urls(path)
                .into_iter()
                .map(|url| Get {
                    url,
                    pace_key: format!("{path} {instrument}"),
                })
                .collect();
            async move {
                (self.client)
                    .get_all(what, &gets, parse::classify, symbol, deadline, requests)
                    .await
            }
        };
        let (retail, accounts, positions, open_interest) = tokio::try_join!(
            get(PATHS[0], "okx all accounts"),
            get(PATHS[1], "okx top accounts"),
            get(PATHS[2], "okx top positions"),
            get(PATHS[3], "okx open interest"),
        )?;
        let unreadable = |e| self.client.unreadable(e);
        let ratios = |bodies: Vec<Vec<u8>>| -> Result<Vec<_>, ApiError> {
            let mut all = Vec::new();
            for body in bodies {
                all.extend(parse::parse_ratio_series(&body).map_err(unreadable)?);
            }
            all.sort_by_key(|r| r.timestamp);
            all.dedup_by_key(|r| r.timestamp);
            Ok(all)
        };
        let mut oi = Vec::new();
        for body in open_interest {
            oi.extend(parse::parse_open_interest(&body).map_err(unreadable)?);
        }
        oi.sort_by_key(|r| r.timestamp);
        oi.dedup_by_key(|r| r.timestamp);
        let series = CohortSeries {
            retail_crowd: ratios(retail)?,
            top_traders_by_accounts: ratios(accounts)?,
            top_traders_by_position: ratios(positions)?,
            open_interest: oi,
            prices: Vec::new(),
        }
        .newest(usize::from(rows));
        // OKX names an unknown instrument with 51001 (probably: unconfirmed on these paths), so
        // nothing at all is taken to mean the same; a cohort alone missing is served as missing.
        if series.retail_crowd.is_empty()
            && series.top_traders_by_accounts.is_empty()
            && series.top_traders_by_position.is_empty()
        {
            return Err(ApiError::UnknownSymbol {
                venue: Venue::Okx,
                symbol: instrument,
            });
        }
        Ok(series)
    }
}
