//! `GET /v1/meta`: what the service is and what it accepts. No upstream call.

use serde::Serialize;

use super::divergence_note;
use super::history::Limit;
use crate::config::Config;
use crate::domain::symbol::{DEFAULT_SYMBOL, MAX_COIN_LEN};
use crate::domain::{Cohort, Pct, Period, Venue};
use crate::upstream::binance;

pub const ROUTE: &str = "/v1/meta";
pub const PARAMS: &[&str] = &[];
pub const MESSAGE: &str = "Service metadata retrieved successfully";

#[derive(Serialize)]
pub struct MetaData {
    pub service: &'static str,
    pub description: &'static str,
    pub source: &'static str,
    pub note: String,
    pub periods: Vec<&'static str>,
    pub endpoints: Vec<Endpoint>,
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
    pub description: &'static str,
}

const ENDPOINTS: [Endpoint; 6] = [
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
        description: "What the service is and what it accepts.",
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
];

pub fn answer(config: &Config) -> MetaData {
    MetaData {
        service: "smartmoney-api",
        description: "How Binance's biggest USDT-perpetual futures accounts (smart money) are \
                      positioned against the retail crowd, and how far apart they are.",
        source: binance::configured_source(config.base_url(Venue::Binance)),
        note: divergence_note(config.threshold),
        periods: Period::ALL.iter().map(|p| p.as_str()).collect(),
        endpoints: ENDPOINTS.into(),
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
                description: c.description(),
            })
            .collect(),
    }
}
