//! `GET /v1/meta`: what the service is and what it accepts. No upstream call.

use serde::Serialize;

use super::divergence_note;
use super::history::Limit;
use crate::config::Config;
use crate::domain::route;
use crate::domain::symbol::{DEFAULT_SYMBOL, MAX_COIN_LEN};
use crate::domain::{Cohort, Pct, Period, Venue};
use crate::upstream::binance;

pub const ROUTE: &str = route::META;
pub const PARAMS: &[&str] = &[];
pub const MESSAGE: &str = "Service metadata retrieved successfully";

#[derive(Serialize)]
pub struct MetaData {
    pub service: &'static str,
    pub description: &'static str,
    pub source: &'static str,
    pub note: String,
    pub periods: Vec<&'static str>,
    /// As the original service: `{"GET /v1/meta": "This document.", …}`.
    pub endpoints: Endpoints,
    /// The same routes with their method and path apart, in order.
    pub routes: Vec<Endpoint>,
    pub defaults: Defaults,
    pub limits: Limits,
    pub signal_threshold_pp: Pct,
    pub cohorts: Vec<CohortInfo>,
}

#[derive(Serialize)]
pub struct Endpoint {
    pub path: &'static str,
    pub method: &'static str,
    pub description: &'static str,
}

/// Every route, serialised as an object keyed `"GET /v1/<route>"` whose values are one line each.
pub struct Endpoints(&'static [Endpoint]);

impl Serialize for Endpoints {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for e in self.0 {
            map.serialize_entry(&format!("{} {}", e.method, e.path), e.description)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
pub struct Defaults {
    pub period: &'static str,
    pub history_limit: u16,
    pub symbol: &'static str,
}

#[derive(Serialize)]
pub struct Limits {
    pub history_limit_min: u16,
    pub history_limit_max: u16,
    pub coin_max_length: usize,
}

#[derive(Serialize)]
pub struct CohortInfo {
    pub cohort: Cohort,
    pub label: &'static str,
    pub is_smart_money: bool,
    pub used_for_gap: bool,
    pub description: &'static str,
}

const ENDPOINTS: [Endpoint; 12] = [
    Endpoint {
        path: super::positioning::ROUTE,
        method: "GET",
        description: "The three cohorts side by side, with the divergence.",
    },
    Endpoint {
        path: super::divergence::ROUTE,
        method: "GET",
        description: "The smart-money-minus-retail long-share gap, with a signal and a plain read.",
    },
    Endpoint {
        path: super::history::ROUTE,
        method: "GET",
        description: "The time series of all three cohorts and the gap.",
    },
    Endpoint {
        path: ROUTE,
        method: "GET",
        description: "This document.",
    },
    Endpoint {
        path: super::signal::ROUTE,
        method: "GET",
        description: "The divergence in context (default period 1h): smoothed, ranked against the coin's own history, persistence, changes, trend, volatility, confidence.",
    },
    Endpoint {
        path: super::screener::ROUTE,
        method: "GET",
        description: "Many coins in one call, ranked by divergence, filtered and pinned; coins that fail are listed, not fatal.",
    },
    Endpoint {
        path: super::exchanges::ROUTE,
        method: "GET",
        description: "One coin on Binance, OKX, Bybit, Gate and Bitget side by side, with the aggregated Sentiment Divergence Score (open-interest-weighted, equal-weighted, median) and its 12-hour mean; a failing venue is listed, not fatal.",
    },
    Endpoint {
        path: super::track_record::ROUTE,
        method: "GET",
        description: "How the signal did on this coin (default period 1h): for every bucket of the newest 500 where it fired, the price change over the next horizon buckets; hit rates with Wilson 95% intervals, mean and median returns, per side, per episode and for all buckets.",
    },
    Endpoint {
        path: super::chart::ROUTE,
        method: "GET",
        description: "The time series of all three cohorts and the gap drawn as an SVG image (the points of /v1/history, default limit 96), for an <img> tag; errors stay JSON.",
    },
    Endpoint {
        path: super::MCP_ROUTE,
        method: "POST",
        description: "A stateless Model Context Protocol server (Streamable HTTP, JSON answers): the data routes as tools for AI agents, each tool call answered by its route with the same validation and numbers.",
    },
    Endpoint {
        path: super::wallets::ROUTE,
        method: "GET",
        description: "Smart money by wallet: the most profitable Hyperliquid wallets' positions per token (count beside money, LONG/SHORT/NEUTRAL at 55%), with hold times, changes and money flow from their fills on request; CSV with format=csv.",
    },
    Endpoint {
        path: super::wallet_positions::ROUTE,
        method: "GET",
        description: "The tracked wallets' positions behind one token's row (coin required), largest notional first, each with its opening and hold from the wallet's fills.",
    },
];

pub fn answer(config: &Config) -> MetaData {
    MetaData {
        service: "smartmoney-api",
        description: "How Binance's biggest USDT-perpetual futures accounts (smart money) are \
                      positioned against the retail crowd, and how far apart they are.",
        source: binance::configured_source(config.base_url(Venue::Binance)),
        note: divergence_note(config.threshold),
        periods: Period::ALL.iter().map(|p| p.as_str()).collect(),
        endpoints: Endpoints(&ENDPOINTS),
        routes: ENDPOINTS.into(),
        defaults: Defaults {
            period: Period::DEFAULT.as_str(),
            history_limit: Limit::DEFAULT.get(),
            symbol: DEFAULT_SYMBOL,
        },
        limits: Limits {
            history_limit_min: Limit::MIN,
            history_limit_max: Limit::MAX,
            coin_max_length: MAX_COIN_LEN,
        },
        signal_threshold_pp: config.threshold,
        cohorts: Cohort::ALL
            .into_iter()
            .map(|c| CohortInfo {
                cohort: c,
                label: c.label(),
                is_smart_money: c.is_smart_money(),
                used_for_gap: c.used_for_gap(),
                description: c.description(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_is_an_object_keyed_by_method_and_route_with_one_line_each() {
        let v = serde_json::to_value(answer(&Config::default())).unwrap();
        let endpoints = v["endpoints"].as_object().unwrap();
        assert_eq!(endpoints.len(), crate::endpoints::ROUTES.len());
        assert_eq!(endpoints["GET /v1/meta"], "This document.");
        for route in crate::endpoints::ROUTES {
            let method = if route == crate::endpoints::MCP_ROUTE {
                "POST"
            } else {
                "GET"
            };
            let line = endpoints[&format!("{method} {route}")].as_str().unwrap();
            assert!(
                !line.is_empty() && !line.contains('\n'),
                "{route}: {line:?}"
            );
        }
        assert_eq!(v["routes"][0]["path"], "/v1/positioning");
    }
}
