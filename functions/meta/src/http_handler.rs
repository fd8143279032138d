//! `GET /v1/meta`: what the service is and what it accepts. No upstream call. See
//! `shared::endpoints::meta`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::meta;
use shared::Settings;

pub async fn function_handler(
    settings: &Settings,
    event: Request,
) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, meta::ROUTE);
    let config = settings.current().await;
    let result = call
        .params(meta::PARAMS, |_| Ok(()))
        .map(|()| meta::answer(&config));
    Ok(call.respond(result, meta::MESSAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::Config;

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
        config.apply_threshold(Some("7.5"));
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
        assert_eq!(d["endpoints"].as_object().unwrap().len(), 12);
        assert_eq!(d["endpoints"]["GET /v1/meta"], "This document.");
        assert!(d["endpoints"]["GET /v1/exchanges"]
            .as_str()
            .is_some_and(|s| s.contains("Sentiment Divergence Score")));
        assert_eq!(d["routes"].as_array().unwrap().len(), 12);
        assert_eq!(
            (&d["routes"][9]["method"], &d["routes"][9]["path"]),
            (&"POST".into(), &"/v1/mcp".into())
        );
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
