//! What a data function's handler is given, built once per warm instance in `main.rs`: the
//! configuration in force, each venue's client (its pooled connections are reused by every
//! request) and what the instance keeps between invocations (memo, budgets, refresh ledger).

use std::sync::Arc;

use crate::config::{Config, Settings};
use crate::domain::Venue;
use crate::upstream::binance::{Binance, BinanceClient};
use crate::upstream::budget::binance_per_instance;
use crate::upstream::policy;
use crate::upstream::warm::Warm;

pub struct Deps {
    pub settings: Settings,
    pub binance: BinanceClient,
    pub warm: Warm,
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
        Ok(Deps {
            settings,
            binance: BinanceClient::new(policy::http_client()?),
            warm: Warm::new(|_| budget),
        })
    }

    /// With a fixed configuration (tests, local tools); the request budget is
    /// `binance_request_budget`, else unlimited.
    pub fn fixed(config: Config) -> Result<Self, reqwest::Error> {
        let budget = config.binance_request_budget.unwrap_or(u32::MAX);
        Ok(Deps {
            settings: Settings::fixed(config),
            binance: BinanceClient::new(policy::http_client()?),
            warm: Warm::new(|_| budget),
        })
    }

    /// The configuration in force and the Binance adapter at its configured base URL.
    pub async fn binance(&self) -> (Arc<Config>, Binance<'_>) {
        let config = self.settings.current().await;
        let binance = self.binance.at(config.base_url(Venue::Binance));
        (config, binance)
    }
}
