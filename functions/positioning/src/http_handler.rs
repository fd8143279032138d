//! `GET /v1/positioning`: the three cohorts side by side, with the divergence. See `shared::endpoints::positioning`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::positioning;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, positioning::ROUTE);
    let result = async {
        let market = call.params(positioning::PARAMS, positioning::params)?;
        call.record_market(Some(&market.symbol), market.period);
        let (config, binance) = deps.binance().await;
        let fetched = (deps.warm)
            .fetch(
                &binance,
                &market.symbol,
                market.period,
                positioning::ROWS,
                false,
            )
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance(&binance);
        let series = fetched.result?;
        positioning::answer(&config, provenance, &series, &market)
    }
    .await;
    Ok(call.respond(result, positioning::MESSAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use standin::{StandInHandle, Switches};

    const HOUR: i64 = 3_600_000;

    async fn setup(switches: Switches) -> (StandInHandle, Deps) {
        shared::testing::deps_over(switches).await
    }

    fn demo() -> Switches {
        Switches::demo()
    }

    async fn call(deps: &Deps, text: &str) -> (u16, Value) {
        let (status, raw) = call_raw(deps, text).await;
        (status, serde_json::from_str(&raw).unwrap())
    }

    async fn call_raw(deps: &Deps, text: &str) -> (u16, String) {
        let event = lambda_http::request::from_str(text).unwrap();
        let r = function_handler(deps, event).await.unwrap();
        assert_eq!(r.headers()["content-type"], "application/json");
        let raw = String::from_utf8(r.body().to_vec()).unwrap();
        (r.status().as_u16(), raw)
    }

    #[tokio::test]
    async fn when_the_rest_event_asks_for_btc_1h_should_list_three_cohorts_in_order() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(&deps, include_str!("../../../events/positioning.json")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["message"], "Positioning retrieved successfully");
        let d = &body["data"];
        assert_eq!(d["symbol"], "BTCUSDT");
        let ids: Vec<&str> = d["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cohort"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "retail_crowd",
                "top_traders_by_accounts",
                "top_traders_by_position"
            ]
        );
        let smart: Vec<bool> = d["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["is_smart_money"].as_bool().unwrap())
            .collect();
        assert_eq!(smart, [false, true, true], "as the original service");
        let labels: Vec<&str> = d["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            [
                "Global crowd (by accounts)",
                "Top traders (by accounts)",
                "Top traders (by position size)"
            ]
        );
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        for c in d["cohorts"].as_array().unwrap() {
            assert_eq!(c["timestamp"], newest);
            let (l, s) = (
                c["long_account_pct"].as_f64().unwrap(),
                c["short_account_pct"].as_f64().unwrap(),
            );
            assert!((l + s - 100.0).abs() < 0.011, "{c}");
        }
        let div = &d["divergence"];
        assert_eq!(div["timestamp"], newest);
        assert_eq!(div["retail_long_pct"], d["cohorts"][0]["long_account_pct"]);
        assert_eq!(
            div["smart_money_long_pct"],
            d["cohorts"][2]["long_account_pct"]
        );
        let (_, raw) = call_raw(&deps, include_str!("../../../events/positioning.json")).await;
        let at = |key: &str| raw.find(&format!("\"{key}\":")).unwrap();
        let order = [
            "symbol",
            "period",
            "source",
            "from_memo",
            "note",
            "cohorts",
            "divergence",
        ]
        .map(at);
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "fields out of contract order: {raw}"
        );
        assert_eq!(
            standin.request_count(),
            3,
            "three requests for the first call; the repeat within the bucket is the memo's"
        );
        assert!(raw.contains(r#""from_memo":true"#), "{raw}");
    }

    #[tokio::test]
    async fn when_smart_money_lags_a_bucket_should_show_each_cohorts_newest_and_divergence_at_the_common_one(
    ) {
        let (_standin, deps) = setup(Switches {
            lagging_cohort: Some(standin::Cohort::TopTradersByPosition),
            ..demo()
        })
        .await;
        let (status, body) = call(&deps, include_str!("../../../events/positioning.json")).await;
        assert_eq!(status, 200, "{body}");
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        let d = &body["data"];
        assert_eq!(d["cohorts"][0]["timestamp"], newest);
        assert_eq!(d["cohorts"][2]["timestamp"], newest - HOUR);
        assert_eq!(d["divergence"]["timestamp"], newest - HOUR);
    }

    #[tokio::test]
    async fn when_the_budget_is_spent_a_remembered_market_is_answered_stale_and_a_new_one_503() {
        use shared::domain::clock::now_ms;
        use shared::domain::{Period, Symbol, Venue};
        use shared::upstream::{Extras, PositioningSource};
        use std::sync::Arc;

        let (standin, mut deps) = setup(demo()).await;
        shared::testing::with_binance_budget(&mut deps, 0);
        // What an earlier call fetched an hour ago, when the budget had room.
        let btc = Symbol::from_coin("BTC").unwrap();
        let (_, binance) = deps.binance().await;
        let rows = positioning::ROWS;
        let series = binance.fetch(&btc, Period::H1, rows).await.result;
        let kept = series.map(Arc::new);
        let hour_ago = now_ms() - HOUR;
        (deps.warm.memo).put(
            Venue::Binance,
            &btc,
            Period::H1,
            rows,
            Extras::NONE,
            &kept,
            hour_ago,
        );
        let sent = standin.request_count();

        let event =
            lambda_http::request::from_str(include_str!("../../../events/positioning.json"));
        let r = function_handler(&deps, event.unwrap()).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-stale"], "true");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = serde_json::from_slice(r.body()).unwrap();
        let d = &body["data"];
        assert_eq!(
            (d["from_memo"].as_bool(), d["stale"].as_bool()),
            (Some(true), Some(true))
        );
        assert_eq!(d["age"], serde_json::json!({"seconds": 3600, "buckets": 1}));
        assert_eq!(d["cohorts"].as_array().unwrap().len(), 3);
        assert_eq!(standin.request_count(), sent, "nothing sent");

        // A market this instance never fetched: the refusal, with when to come back.
        let eth = shared::testing::with_query(
            include_str!("../../../events/positioning.json"),
            &[("coin", "ETH")],
        );
        let (status, body) = call(&deps, &eth).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "upstream_budget_exhausted");
        assert_eq!(standin.request_count(), sent);
    }

    #[tokio::test]
    async fn when_coin_and_symbol_disagree_should_return_400_naming_symbol() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/positioning-coin-symbol-conflict.json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "symbol");
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_binance_is_down_should_return_502_upstream_error() {
        let (standin, deps) = setup(demo()).await;
        standin.push_fault(standin::Fault::new(standin::FaultKind::Unavailable));
        let (status, body) = call(&deps, include_str!("../../../events/positioning.json")).await;
        assert_eq!(status, 502);
        assert_eq!(body["error"]["code"], "upstream_error");
    }
}
