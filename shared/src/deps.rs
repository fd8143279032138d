//! What a data function's handler is given, built once per warm instance in `main.rs`: the
//! configuration in force and each venue's client (its pooled connections are reused by every
//! request).

use std::sync::Arc;

use crate::config::{Config, Settings};
use crate::domain::Venue;
use crate::upstream::binance::{Binance, BinanceClient};
use crate::upstream::policy;

pub struct Deps {
    pub settings: Settings,
    pub binance: BinanceClient,
}

impl Deps {
    /// At cold start: environment, then SSM when `CONFIG_SSM_PATH` is set.
    pub async fn load() -> Result<Self, reqwest::Error> {
        Ok(Deps {
            settings: Settings::load().await,
            binance: BinanceClient::new(policy::http_client()?),
        })
    }

    /// With a fixed configuration (tests, local tools).
    pub fn fixed(config: Config) -> Result<Self, reqwest::Error> {
        Ok(Deps {
            settings: Settings::fixed(config),
            binance: BinanceClient::new(policy::http_client()?),
        })
    }

    /// The configuration in force and the Binance adapter at its configured base URL.
    pub async fn binance(&self) -> (Arc<Config>, Binance<'_>) {
        let config = self.settings.current().await;
        let binance = self.binance.at(config.base_url(Venue::Binance));
        (config, binance)
    }
}
