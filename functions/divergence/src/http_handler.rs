//! `GET /v1/divergence`: the smart-money-minus-retail long-share gap, with a signal and a read. See `shared::endpoints::divergence`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::divergence;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, divergence::ROUTE);
    let result = async {
        let market = call.params(divergence::PARAMS, divergence::params)?;
        call.record_market(Some(&market.symbol), market.period);
        let (config, binance) = deps.binance().await;
        let fetched = (deps.warm)
            .fetch(
                &binance,
                &market.symbol,
                market.period,
                divergence::ROWS,
                false,
            )
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance(&binance);
        let series = fetched.result?;
        divergence::answer(&config, provenance, &series, &market)
    }
    .await;
    Ok(call.respond(result, divergence::MESSAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use standin::{Cohort, StandInHandle, Switches};

    async fn setup(switches: Switches) -> (StandInHandle, Deps) {
        shared::testing::deps_over(switches).await
    }

    fn demo() -> Switches {
        Switches::demo()
    }

    fn event(text: &str) -> Request {
        lambda_http::request::from_str(text).unwrap()
    }

    async fn call(deps: &Deps, text: &str) -> (u16, Value) {
        let r = function_handler(deps, event(text)).await.unwrap();
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap(),
        )
    }

    #[tokio::test]
    async fn when_the_rest_event_asks_for_eth_1h_should_answer_the_divergence_at_the_newest_bucket()
    {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(&deps, include_str!("../../../events/divergence.json")).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(d["symbol"], "ETHUSDT");
        assert_eq!(d["period"], "1h");
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, 3_600_000);
        assert_eq!(d["timestamp"], newest);
        let retail = standin::row("ETHUSDT", Cohort::RetailCrowd, 3_600_000, newest).unwrap();
        let smart =
            standin::row("ETHUSDT", Cohort::TopTradersByPosition, 3_600_000, newest).unwrap();
        assert_eq!(d["retail_long_pct"].to_string(), pct(retail.long_e4()));
        assert_eq!(d["smart_money_long_pct"].to_string(), pct(smart.long_e4()));
        let gap =
            d["smart_money_long_pct"].as_f64().unwrap() - d["retail_long_pct"].as_f64().unwrap();
        assert!((d["long_pct_gap"].as_f64().unwrap() - gap).abs() < 1e-9);
        assert!(d["note"].as_str().unwrap().contains("Not financial advice"));
        assert!(d["source"].as_str().unwrap().starts_with("local_standin"));
        let sent: Value =
            serde_json::from_str(include_str!("../../../events/divergence.json")).unwrap();
        assert_eq!(
            body["meta"]["request_id"],
            sent["requestContext"]["requestId"]
        );
        assert_eq!(standin.request_count(), 3, "one request per cohort");
    }

    /// 6575 (the served "0.6575") → "65.75": the percentage as the envelope must print it.
    fn pct(share_e4: i64) -> String {
        let d = shared::domain::Decimal::parse(&standin::data::fmt_e4(share_e4))
            .unwrap()
            .to_percent();
        serde_json::to_string(&d).unwrap()
    }

    #[tokio::test]
    async fn a_successful_answer_may_be_cached_until_the_next_bucket_can_appear() {
        let (_standin, deps) = setup(demo()).await;
        let event = lambda_http::request::from_str(include_str!("../../../events/divergence.json"))
            .unwrap();
        let r = function_handler(&deps, event).await.unwrap();
        let value = r.headers()["cache-control"].to_str().unwrap().to_string();
        let secs: u32 = value
            .strip_prefix("public, max-age=")
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (1..=shared::domain::clock::MAX_AGE_CAP_SECS).contains(&secs),
            "{value}"
        );
    }

    #[tokio::test]
    async fn when_the_v2_event_asks_for_eth_1h_should_answer_the_same() {
        let (_standin, deps) = setup(demo()).await;
        let (status, v2) = call(&deps, include_str!("../../../events/v2/divergence.json")).await;
        let (_, mut v1) = call(&deps, include_str!("../../../events/divergence.json")).await;
        assert_eq!(status, 200);
        // The repeat within the bucket is answered from the memo, and says so.
        assert_eq!(
            (
                v2["data"]["from_memo"].as_bool(),
                v1["data"]["from_memo"].as_bool()
            ),
            (Some(false), Some(true))
        );
        v1["data"]["from_memo"] = false.into();
        assert_eq!(v2["data"], v1["data"]);
    }

    #[tokio::test]
    async fn when_the_cohorts_publish_different_newest_buckets_should_use_the_common_one() {
        let (_standin, deps) = setup(Switches {
            lagging_cohort: Some(Cohort::TopTradersByPosition),
            ..demo()
        })
        .await;
        let (status, body) = call(&deps, include_str!("../../../events/divergence.json")).await;
        assert_eq!(status, 200, "{body}");
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, 3_600_000);
        assert_eq!(body["data"]["timestamp"], newest - 3_600_000);
    }

    #[tokio::test]
    async fn when_period_is_unknown_should_return_400_without_calling_binance() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/divergence-bad-period.json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["code"], "invalid_parameter");
        assert_eq!(body["error"]["parameter"], "period");
        assert_eq!(
            body["message"],
            "period must be one of 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d"
        );
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_a_parameter_is_misspelt_should_return_400_naming_it() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/divergence-unknown-parameter.json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "peroid");
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_binance_does_not_know_the_symbol_should_return_404() {
        let (_standin, deps) = setup(demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/divergence-unknown-symbol.json"),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "unknown_symbol");
        assert_eq!(body["success"], false);
    }

    #[tokio::test]
    async fn when_binance_rate_limits_should_return_503_with_retry_after() {
        let (_standin, deps) = setup(demo()).await;
        _standin.push_fault(standin::Fault::new(standin::FaultKind::RateLimited));
        let r = function_handler(
            &deps,
            event(include_str!("../../../events/divergence.json")),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["error"]["code"], "upstream_rate_limited");
    }
}
