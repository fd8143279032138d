//! Bitget v2 USDT-M futures (base `https://api.bitget.com`): one endpoint per cohort under
//! `/api/v2/mix/market/`, each `?symbol=BTCUSDT&period=1h`. The adapter ([`Bitget`], a
//! [`PositioningSource`]) asks the three side by side, at most one request per second per
//! endpoint ([`PACE`]); the wire format is in [`parse`].
//!
//! - **Cohorts**: `long-short` (all accounts, probably every user: unconfirmed),
//!   `account-long-short` (Bitget's "large holders", one vote each), `position-long-short`
//!   (the same, weighted by position). Bitget does not say what "large" means.
//! - **Query**: `symbol` is the symbol itself ([`parse::instrument`]); `period` one of `5m 15m 30m
//!   1h 2h 4h 6h 12h 1d`, except that `long-short` spells the day `1Dutc`
//!   ([`parse::period`], [`parse::all_accounts_period`]). The other two paths document no UTC
//!   spelling, and Bitget's plain day elsewhere opens at midnight UTC+8: their `1d` buckets
//!   probably start at 16:00 UTC (unconfirmed). A series whose buckets are off the UTC grid
//!   is refused with a message naming it ([`parse::off_the_utc_grid`]), never aggregated
//!   beside the other venues' UTC buckets. **No `limit`, no start or end**: the
//!   row count is whatever Bitget gives (unconfirmed how many).
//! - **Success**: `{"code":"00000","msg":"success","requestTime":…,"data":[…]}`, rows oldest
//!   first, every value a **string**, `ts` in milliseconds. Each row carries the long and short
//!   shares and a `longShort*Ratio` that is (long / short) / 100, truncated: never read; the
//!   ratio is computed from the shares.
//! - **Open interest**: only a current snapshot, in the base coin:
//!   `GET /api/v2/mix/market/open-interest?symbol=BTCUSDT&productType=USDT-FUTURES`
//!   ([`parse::parse_open_interest`]).
//! - **Errors** ([`parse::classify`]): `400 {"code":"40034","msg":"Parameter … does not exist"}`
//!   for an unknown symbol (seen on sibling endpoints); `40054 "The data fetched by … is empty"`
//!   happens intermittently (retried); rate limit → 429.
//! - **Rate limit**: 1 request per second per IP per endpoint.

pub mod parse;

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use tokio::time::Instant;

use super::pace::Pace;
use super::policy::{self, Quiet};
use super::request::{fetched, Get, VenueClient};
use super::{source_label, Fetched, PositioningSource, VenueFacts, Weight};
use crate::domain::{ApiError, Cohort, CohortSeries, Period, Symbol, Venue};

pub const DEFAULT_BASE_URL: &str = "https://api.bitget.com";
/// The all-accounts, top-accounts and top-positions paths, in cohort order.
pub const PATHS: [&str; 3] = [
    "/api/v2/mix/market/long-short",
    "/api/v2/mix/market/account-long-short",
    "/api/v2/mix/market/position-long-short",
];
/// When a 429 carries no usable Retry-After.
pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 2;
/// Bitget's limit: 1 request per [`PACE_WINDOW`] per IP and endpoint.
pub const PACE: usize = 1;
pub const PACE_WINDOW: Duration = Duration::from_secs(1);

/// What Bitget is, for every route that shows venues side by side.
pub const FACTS: VenueFacts = VenueFacts {
    venue: Venue::Bitget,
    default_base_url: DEFAULT_BASE_URL,
    label: "bitget_usdt_futures",
    relayed_label: "bitget_usdt_futures via a configured upstream",
    cohorts: &Cohort::ALL,
    top_definition: "not published by Bitget (its \"large holders\")",
    weight: Weight::Unweighted {
        why: "Bitget publishes only its current open interest, in coins, which cannot weigh a past bucket",
    },
};

/// Built once per warm instance: the pooled HTTP client, Bitget's quiet period and pacing.
pub fn client(http: reqwest::Client) -> VenueClient {
    VenueClient {
        venue: Venue::Bitget,
        http,
        quiet: Quiet::default(),
        pace: Pace::new(PACE, PACE_WINDOW),
        default_retry_after_secs: DEFAULT_RETRY_AFTER_429_SECS,
    }
}

/// The Bitget adapter at one base URL.
pub struct Bitget<'a> {
    client: &'a VenueClient,
    base_url: String,
    source: &'static str,
}

impl<'a> Bitget<'a> {
    /// At `base_url` (the configured one, or [`DEFAULT_BASE_URL`]).
    pub fn at(client: &'a VenueClient, base_url: Option<&str>) -> Self {
        Bitget {
            client,
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            source: source_label(&FACTS, base_url),
        }
    }
}

impl PositioningSource for Bitget<'_> {
    fn facts(&self) -> &'static VenueFacts {
        &FACTS
    }

    fn source(&self) -> &'static str {
        self.source
    }

    fn instrument(&self, symbol: &Symbol) -> String {
        parse::instrument(symbol)
    }

    /// Three paths.
    fn requests(&self, _rows: u16) -> u32 {
        3
    }

    /// The three series as Bitget gives them (it takes no row count: the newest `rows` of what
    /// it sends are kept). Its open interest is not read: a current snapshot in coins cannot
    /// weigh a past bucket.
    async fn fetch(&self, symbol: &Symbol, period: Period, rows: u16) -> Fetched {
        let started = Instant::now();
        let requests = AtomicU32::new(0);
        let result = self.fetch_all(symbol, period, rows, &requests).await;
        fetched(started, &requests, result)
    }
}

impl Bitget<'_> {
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
        let get = |path: &'static str, spelled: &str, what: &'static str| {
            let get = Get {
                url: format!(
                    "{}{path}?symbol={instrument}&period={spelled}",
                    self.base_url
                ),
                pace_key: path.to_string(),
            };
            async move {
                let bodies = (self.client)
                    .get_all(what, &[get], parse::classify, symbol, deadline, requests)
                    .await?;
                Ok::<_, ApiError>(bodies.into_iter().next().unwrap_or_default())
            }
        };
        let (retail, accounts, positions) = tokio::try_join!(
            get(
                PATHS[0],
                parse::all_accounts_period(period),
                "bitget all accounts"
            ),
            get(PATHS[1], parse::period(period), "bitget top accounts"),
            get(PATHS[2], parse::period(period), "bitget top positions"),
        )?;
        let unreadable = |e| self.client.unreadable(e);
        let series = CohortSeries {
            retail_crowd: parse::parse_long_short(&retail).map_err(unreadable)?,
            top_traders_by_accounts: parse::parse_account_long_short(&accounts)
                .map_err(unreadable)?,
            top_traders_by_position: parse::parse_position_long_short(&positions)
                .map_err(unreadable)?,
            open_interest: Vec::new(),
            prices: Vec::new(),
        };
        // Buckets off the UTC grid (the large-holder paths' `1d` opening at midnight UTC+8)
        // cannot be set beside the other venues' buckets: refused, never mixed in.
        for (readings, path) in [
            (&series.retail_crowd, PATHS[0]),
            (&series.top_traders_by_accounts, PATHS[1]),
            (&series.top_traders_by_position, PATHS[2]),
        ] {
            if let Some(ts) = parse::off_the_utc_grid(readings, period) {
                return Err(ApiError::invalid(
                    "period",
                    parse::misaligned(period, path, ts),
                ));
            }
        }
        let series = series.newest(usize::from(rows));
        if series.retail_crowd.is_empty()
            && series.top_traders_by_accounts.is_empty()
            && series.top_traders_by_position.is_empty()
        {
            return Err(ApiError::upstream(format!(
                "Bitget returned no data for {instrument}; try again shortly"
            )));
        }
        Ok(series)
    }
}
