//! `GET /v1/meta`: what the service is and what it accepts. No upstream call.

use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::decimal::Pct;
use shared::params::{Limit, Period, DEFAULT_SYMBOL, MAX_COIN_LEN};
use shared::{routes, Cohort, Config, Settings};

#[derive(Serialize)]
pub struct MetaData {
    pub service: &'static str,
    pub description: &'static str,
    pub source: String,
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
        path: routes::POSITIONING,
        method: "GET",
        description: "The three cohorts side by side, with the divergence.",
    },
    Endpoint {
        path: routes::DIVERGENCE,
        method: "GET",
        description: "The smart-money-minus-retail long-share gap, with a signal and a plain read.",
    },
    Endpoint {
        path: routes::HISTORY,
        method: "GET",
        description: "The time series of all three cohorts and the gap.",
    },
    Endpoint {
        path: routes::META,
        method: "GET",
        description: "What the service is and what it accepts.",
    },
    Endpoint {
        path: routes::SIGNAL,
        method: "GET",
        description: "The divergence in context (default period 1h): smoothed, ranked against the coin's own history, persistence, changes, trend, volatility, confidence.",
    },
    Endpoint {
        path: routes::SCREENER,
        method: "GET",
        description: "Many coins in one call, ranked by divergence, filtered and pinned; coins that fail are listed, not fatal.",
    },
];

pub async fn function_handler(
    settings: &Settings,
    event: Request,
) -> Result<Response<Body>, Error> {
    let call = shared::http::Call::new(&event, routes::META);
    let config = settings.current().await;
    let result = call.params(&[], |_| Ok(())).map(|()| meta(&config));
    Ok(call.respond(result, "Service metadata retrieved successfully"))
}

fn meta(config: &Config) -> MetaData {
    MetaData {
        service: "smartmoney-api",
        description: "How Binance's biggest USDT-perpetual futures accounts (smart money) are \
                      positioned against the retail crowd, and how far apart they are.",
        source: config.source.clone(),
        note: shared::divergence_note(config.threshold),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    async fn call(config: &Config, text: &str) -> (u16, Value) {
        let event = lambda_http::request::from_str(text).unwrap();
        let r = function_handler(&Settings::fixed(config.clone()), event)
            .await
            .unwrap();
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap(),
        )
    }

    #[tokio::test]
    async fn when_asked_should_describe_periods_defaults_and_the_threshold_in_force() {
        let mut config = Config::default();
        config.apply(None, Some("7.5"));
        let (status, body) = call(&config, include_str!("../../../events/meta.json")).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(d["service"], "smartmoney-api");
        assert_eq!(
            d["periods"],
            serde_json::json!(["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"])
        );
        assert_eq!(d["signal_threshold_pp"], 7.5);
        assert_eq!(d["defaults"]["history_limit"], 48);
        assert_eq!(d["defaults"]["period"], "5m");
        assert_eq!(d["limits"]["history_limit_max"], 500);
        assert_eq!(d["endpoints"].as_array().unwrap().len(), 6);
        assert_eq!(d["source"], "binance_usdm_futures");
        assert_eq!(
            body["meta"]["request_id"].as_str().map(str::is_empty),
            Some(false)
        );
    }

    #[tokio::test]
    async fn the_v2_event_gets_the_same_answer() {
        let config = Config::default();
        let (status, body) = call(&config, include_str!("../../../events/v2/meta.json")).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["cohorts"][2]["cohort"],
            "top_traders_by_position"
        );
    }

    #[tokio::test]
    async fn an_unknown_parameter_is_refused() {
        let config = Config::default();
        let mut event =
            lambda_http::request::from_str(include_str!("../../../events/v2/meta.json")).unwrap();
        use lambda_http::RequestExt;
        event = event.with_query_string_parameters(std::collections::HashMap::from([(
            "verbose".to_string(),
            "1".to_string(),
        )]));
        let r = function_handler(&Settings::fixed(config), event)
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
}
