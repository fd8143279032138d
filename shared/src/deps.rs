//! What a data function's handler is given, built once per warm instance in `main.rs`: the
//! configuration in force, each venue's client (its pooled connections are reused by every
//! request) and what the instance keeps between invocations (memo, budgets, refresh ledger).

use std::sync::Arc;

use crate::config::{Config, Settings};
use crate::domain::route::{share, Share};
use crate::domain::Venue;
use crate::upstream::binance::{self, Binance};
use crate::upstream::budget::Budget;
use crate::upstream::hyperliquid::warm::WalletsWarm;
use crate::upstream::hyperliquid::{self, Hyperliquid};
use crate::upstream::policy;
use crate::upstream::registry::{Clients, VenueAdapter};
use crate::upstream::warm::Warm;
use crate::upstream::Extras;

pub struct Deps {
    pub settings: Settings,
    /// Every venue's client (`upstream::registry`).
    pub clients: Clients,
    pub warm: Warm,
    /// Hyperliquid's client (the wallet routes), at the URLs configured at cold start, spending
    /// this function's share of Hyperliquid's weight.
    pub hyperliquid: Hyperliquid,
    /// What the wallet routes keep between invocations.
    pub wallets: WalletsWarm,
}

impl Deps {
    /// At cold start, for the function serving `route`: environment, then SSM when
    /// `CONFIG_SSM_PATH` is set; this instance's Binance budget is the capacity model's share
    /// for `route` (`upstream::budget`) unless `BINANCE_REQUEST_BUDGET` sets one (local rigs).
    pub async fn load(route: &str) -> Result<Self, reqwest::Error> {
        let settings = Settings::load().await;
        let config = settings.current().await;
        let share = match (config.binance_request_budget, share(route)) {
            (Some(n), _) => Share {
                route: "BINANCE_REQUEST_BUDGET",
                instances: 1,
                requests: n,
                klines_weight: n,
                // A local rig reads Hyperliquid as the whole deployment plans to.
                hyperliquid_weight: hyperliquid::PLANNED_WEIGHT,
            },
            (None, Some(share)) => share,
            // A route that reads no venue: nothing to spend.
            (None, None) => Share {
                route: "none",
                instances: 1,
                requests: 0,
                klines_weight: 0,
                hyperliquid_weight: 0,
            },
        };
        let weight = hyperliquid::weight_budget(share.hyperliquid_weight);
        Deps::with(settings, &config, binance::budget(share), weight)
    }

    /// With a fixed configuration (tests, local tools); the Binance budget is
    /// `binance_request_budget` on each path, else unlimited; Hyperliquid's weight is the whole
    /// deployment's plan.
    pub fn fixed(config: Config) -> Result<Self, reqwest::Error> {
        let budget = match config.binance_request_budget {
            Some(n) => binance::budget(Share {
                route: "BINANCE_REQUEST_BUDGET",
                instances: 1,
                requests: n,
                klines_weight: n,
                hyperliquid_weight: 0,
            }),
            None => Budget::unlimited(),
        };
        let weight = hyperliquid::weight_budget(hyperliquid::PLANNED_WEIGHT);
        Deps::with(Settings::fixed(config.clone()), &config, budget, weight)
    }

    /// One HTTP client shared by every venue's adapter. Binance's limits are kept by its request
    /// budget, Hyperliquid's by its weight budget; the other venues' limits are per second and
    /// kept by each adapter's pace. Hyperliquid's two URLs are those of `config`, the
    /// configuration at cold start (a change reaches an instance when it next starts).
    fn with(
        settings: Settings,
        config: &Config,
        binance_budget: Budget,
        hyperliquid_weight: Budget,
    ) -> Result<Self, reqwest::Error> {
        let http = policy::http_client()?;
        let hyperliquid = Hyperliquid::new(
            http.clone(),
            config.hyperliquid_base_url.as_deref(),
            config.hyperliquid_stats_url.as_deref(),
            hyperliquid_weight,
        );
        Ok(Deps {
            settings,
            clients: Clients::new(http, binance_budget),
            warm: Warm::default(),
            hyperliquid,
            wallets: WalletsWarm::default(),
        })
    }

    /// The configuration in force, with the operator's budget percentage applied.
    async fn config(&self) -> Arc<Config> {
        let config = self.settings.current().await;
        self.clients
            .binance
            .budget()
            .set_pct(config.binance_budget_pct);
        config
    }

    /// The configuration in force and the adapters of the venues `asked` (in the order asked),
    /// each at its configured base URL and reading `extras` where it has them to ask for.
    pub async fn venues(
        &self,
        asked: &[Venue],
        extras: Extras,
    ) -> (Arc<Config>, Vec<VenueAdapter<'_>>) {
        let config = self.config().await;
        let adapters = asked
            .iter()
            .map(|&venue| self.clients.adapter(venue, config.base_url(venue), extras))
            .collect();
        (config, adapters)
    }

    /// The configuration in force and Hyperliquid's client (the wallet routes).
    pub async fn hyperliquid(&self) -> (Arc<Config>, &Hyperliquid) {
        (self.settings.current().await, &self.hyperliquid)
    }

    /// The configuration in force and the Binance adapter at its configured base URL.
    pub async fn binance(&self) -> (Arc<Config>, Binance<'_>) {
        let config = self.config().await;
        let binance = self.clients.binance.at(config.base_url(Venue::Binance));
        (config, binance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::now_ms;
    use crate::upstream::PositioningSource;

    #[tokio::test]
    async fn the_configured_budget_percentage_applies_to_the_next_fetch() {
        let config = Config {
            binance_request_budget: Some(10),
            binance_budget_pct: 50,
            ..Config::default()
        };
        let deps = Deps::fixed(config).unwrap();
        let (_, binance) = deps.binance().await;
        let now = now_ms();
        let fits = (0..10).filter(|_| binance.reserve(6, now).is_ok()).count();
        assert_eq!(fits, 5, "half of 10 per path");
    }
}
