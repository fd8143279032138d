//! What a data function's handler is given, built once per warm instance in `main.rs`: the
//! configuration in force, each venue's client (its pooled connections are reused by every
//! request) and what the instance keeps between invocations (memo, budgets, refresh ledger).

use std::sync::Arc;

use crate::config::{Config, Settings};
use crate::domain::Venue;
use crate::upstream::binance::{Binance, BinanceClient};
use crate::upstream::bitget::{self, Bitget};
use crate::upstream::budget::binance_per_instance;
use crate::upstream::bybit::{self, Bybit};
use crate::upstream::gate::{self, Gate};
use crate::upstream::okx::{self, Okx};
use crate::upstream::policy;
use crate::upstream::request::VenueClient;
use crate::upstream::warm::Warm;

pub struct Deps {
    pub settings: Settings,
    pub binance: BinanceClient,
    pub okx: VenueClient,
    pub bybit: VenueClient,
    pub gate: VenueClient,
    pub bitget: VenueClient,
    pub warm: Warm,
}

/// Every venue's adapter at its configured base URL, for the functions that read them all.
pub struct Venues<'a> {
    pub binance: Binance<'a>,
    pub okx: Okx<'a>,
    pub bybit: Bybit<'a>,
    pub gate: Gate<'a>,
    pub bitget: Bitget<'a>,
}

impl Deps {
    /// At cold start, for the function serving `route`: environment, then SSM when
    /// `CONFIG_SSM_PATH` is set; the request budget of the capacity model for `route` unless
    /// configured (`BINANCE_REQUEST_BUDGET`).
    pub async fn load(route: &str) -> Result<Self, reqwest::Error> {
        let settings = Settings::load().await;
        let budget = settings
            .current()
            .await
            .binance_request_budget
            .unwrap_or_else(|| binance_per_instance(route));
        Deps::with(settings, budget)
    }

    /// With a fixed configuration (tests, local tools); the request budget is
    /// `binance_request_budget`, else unlimited.
    pub fn fixed(config: Config) -> Result<Self, reqwest::Error> {
        let budget = config.binance_request_budget.unwrap_or(u32::MAX);
        Deps::with(Settings::fixed(config), budget)
    }

    /// One HTTP client shared by every venue's adapter. Binance's 5-minute limit is kept by its
    /// request budget (`binance_budget`); the other venues' limits are per second and kept by
    /// each adapter's pacing, so their budgets are unbounded.
    fn with(settings: Settings, binance_budget: u32) -> Result<Self, reqwest::Error> {
        let http = policy::http_client()?;
        Ok(Deps {
            settings,
            binance: BinanceClient::new(http.clone()),
            okx: okx::client(http.clone()),
            bybit: bybit::client(http.clone()),
            gate: gate::client(http.clone()),
            bitget: bitget::client(http),
            warm: Warm::new(|venue| match venue {
                Venue::Binance => binance_budget,
                _ => u32::MAX,
            }),
        })
    }

    /// The configuration in force and every venue's adapter at its configured base URL.
    pub async fn venues(&self) -> (Arc<Config>, Venues<'_>) {
        let config = self.settings.current().await;
        let venues = Venues {
            binance: self.binance.at(config.base_url(Venue::Binance)),
            okx: Okx::at(&self.okx, config.base_url(Venue::Okx)),
            bybit: Bybit::at(&self.bybit, config.base_url(Venue::Bybit)),
            gate: Gate::at(&self.gate, config.base_url(Venue::Gate)),
            bitget: Bitget::at(&self.bitget, config.base_url(Venue::Bitget)),
        };
        (config, venues)
    }

    /// The configuration in force and the Binance adapter at its configured base URL.
    pub async fn binance(&self) -> (Arc<Config>, Binance<'_>) {
        let config = self.settings.current().await;
        let binance = self.binance.at(config.base_url(Venue::Binance));
        (config, binance)
    }
}
