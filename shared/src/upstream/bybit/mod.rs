//! Bybit v5 linear perpetuals: the all-accounts long/short series and open interest. Bybit
//! publishes no top-trader series (`/v5/market/top-trader-ratio` is a 404), so its two top-trader
//! cohorts are empty. The adapter ([`Bybit`], a [`PositioningSource`]) asks for the all-accounts
//! series in one request and keeps Bybit's rate limit ([`PACE`]). What Bybit serves, from its
//! documentation, ccxt's source and published captures (no machine here reaches Bybit):
//!
//! - **Paths** (base `https://api.bybit.com`): `/v5/market/account-ratio` (all accounts) and
//!   `/v5/market/open-interest`, each with `category=linear&symbol=BTCUSDT`
//!   ([`parse::instrument`]).
//! - **Query**: `period` (account ratio) / `intervalTime` (open interest) spelled `5min 15min
//!   30min 1h 4h 1d` ([`parse::period`]; 2h, 6h and 12h are not published), `limit` 1 to
//!   [`parse::MAX_ROWS`] (open interest: [`parse::MAX_OPEN_INTEREST_ROWS`]), optional
//!   `startTime` / `endTime` (ms) and `cursor`.
//! - **Rows**: objects whose every value is a string, `timestamp` included, newest first.
//!   `buyRatio` / `sellRatio` are the long / short shares of all holders. Open interest rows are
//!   `{openInterest, singleOpenInterest, timestamp}` in the base coin; `openInterest` is
//!   documented as counting both sides, `singleOpenInterest` one.
//! - **Errors** ([`parse::classify`]): HTTP 200 with `retCode` ≠ 0, e.g. an unknown symbol is
//!   `{"retCode":10001,"retMsg":"params error: symbol invalid","result":{},…}`. A wrong period
//!   spelling may give an error or an empty list (unconfirmed): we only send Bybit's own
//!   spellings. The IP rate limit is a bare **HTTP 403** "access too frequent" that asks for at
//!   least ten minutes of quiet; a US address gets a 403 too.
//! - **Rate limit**: 600 requests per 5 s per IP.

pub mod parse;

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use tokio::time::Instant;

use super::pace::Pace;
use super::policy::{self, Quiet};
use super::request::{fetched, Get, VenueClient};
use super::{source_label, Fetched, PositioningSource, VenueFacts, Weight};
use crate::domain::{ApiError, Cohort, CohortSeries, Period, Symbol, Venue};

/// How long to stay quiet after a 403: Bybit lifts its IP limit after ten minutes at the
/// earliest.
pub const DEFAULT_RETRY_AFTER_403_SECS: u64 = 600;

pub const DEFAULT_BASE_URL: &str = "https://api.bybit.com";
pub const PATH: &str = "/v5/market/account-ratio";
/// Bybit's limit: 600 requests per [`PACE_WINDOW`] per IP.
pub const PACE: usize = 600;
pub const PACE_WINDOW: Duration = Duration::from_secs(5);

/// What Bybit is, for every route that shows venues side by side.
pub const FACTS: VenueFacts = VenueFacts {
    venue: Venue::Bybit,
    default_base_url: DEFAULT_BASE_URL,
    label: "bybit_linear",
    relayed_label: "bybit_linear via a configured upstream",
    cohorts: &[Cohort::RetailCrowd],
    top_definition: "none: Bybit publishes no top-trader series",
    weight: Weight::Unweighted {
        why: "Bybit publishes its open interest in coins, not USD",
    },
};

/// Built once per warm instance: the pooled HTTP client, Bybit's quiet period and pacing.
pub fn client(http: reqwest::Client) -> VenueClient {
    VenueClient {
        venue: Venue::Bybit,
        http,
        quiet: Quiet::default(),
        pace: Pace::new(PACE, PACE_WINDOW),
        default_retry_after_secs: DEFAULT_RETRY_AFTER_403_SECS,
    }
}

/// The Bybit adapter at one base URL.
pub struct Bybit<'a> {
    client: &'a VenueClient,
    base_url: String,
    source: &'static str,
}

impl<'a> Bybit<'a> {
    /// At `base_url` (the configured one, or [`DEFAULT_BASE_URL`]).
    pub fn at(client: &'a VenueClient, base_url: Option<&str>) -> Self {
        Bybit {
            client,
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            source: source_label(&FACTS, base_url),
        }
    }
}

impl PositioningSource for Bybit<'_> {
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

    /// One request.
    fn requests(&self, _rows: u16) -> u32 {
        1
    }

    /// The all-accounts series only (Bybit publishes no other); its open interest is not read
    /// (in coins, not USD, and Bybit gives no position gap to weight).
    async fn fetch(&self, symbol: &Symbol, period: Period, rows: u16) -> Fetched {
        let started = Instant::now();
        let requests = AtomicU32::new(0);
        let result = self.fetch_all(symbol, period, rows, &requests).await;
        fetched(started, &requests, result)
    }
}

impl Bybit<'_> {
    async fn fetch_all(
        &self,
        symbol: &Symbol,
        period: Period,
        rows: u16,
        requests: &AtomicU32,
    ) -> Result<CohortSeries, ApiError> {
        let Some(spelled) = parse::period(period) else {
            return Err(ApiError::invalid(
                "period",
                format!("Bybit publishes no {period} buckets"),
            ));
        };
        self.client.quiet.check()?;
        let deadline = Instant::now() + policy::DEADLINE;
        let get = Get {
            url: format!(
                "{}{PATH}?category=linear&symbol={}&period={spelled}&limit={}",
                self.base_url,
                parse::instrument(symbol),
                rows.clamp(1, parse::MAX_ROWS)
            ),
            pace_key: PATH.to_string(),
        };
        let bodies = (self.client)
            .get_all(
                "bybit all accounts",
                &[get],
                parse::classify,
                symbol,
                deadline,
                requests,
            )
            .await?;
        let mut retail_crowd = Vec::new();
        for body in bodies {
            retail_crowd
                .extend(parse::parse_account_ratio(&body).map_err(|e| self.client.unreadable(e))?);
        }
        if retail_crowd.is_empty() {
            return Err(ApiError::upstream(format!(
                "Bybit returned no data for {symbol}; try again shortly"
            )));
        }
        Ok(CohortSeries {
            retail_crowd,
            ..CohortSeries::default()
        })
    }
}
