//! `GET /v1/signal`: the divergence in the context of the coin's own newest buckets. See
//! `shared::endpoints::signal`.

use lambda_http::{Body, Error, Request, Response};
use shared::domain::clock::now_ms;
use shared::edge::Call;
use shared::endpoints::signal;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, signal::ROUTE);
    let result = async {
        let market = call.params(signal::PARAMS, signal::params)?;
        call.record_market(Some(&market.symbol), market.period);
        let (config, binance) = deps.binance().await;
        let binance = binance.with_open_interest();
        let fetched = (deps.warm)
            .fetch(&binance, &market.symbol, market.period, signal::ROWS, false)
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance(&binance);
        let series = fetched.result?;
        signal::answer(&config, provenance, &series, &market, now_ms())
    }
    .await;
    Ok(call.respond(result, signal::MESSAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::domain::Period;
    use standin::{Cohort, MissingBucket, StandInHandle, Switches};

    const HOUR: i64 = 3_600_000;

    async fn setup(switches: Switches) -> (StandInHandle, Deps) {
        shared::testing::deps_over(switches).await
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

    fn with_query(text: &str, pairs: &[(&str, &str)]) -> Request {
        use lambda_http::RequestExt;
        event(text).with_query_string_parameters(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::HashMap<_, _>>(),
        )
    }

    #[tokio::test]
    async fn when_the_rest_event_asks_for_btc_1h_should_fill_every_section_with_one_round_trip() {
        let (standin, deps) = setup(Switches::demo()).await;
        let (status, body) = call(&deps, include_str!("../../../events/signal.json")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["message"], "Signal retrieved successfully");
        let d = &body["data"];
        assert_eq!(
            (d["symbol"].as_str(), d["period"].as_str()),
            (Some("BTCUSDT"), Some("1h"))
        );
        assert!(d["note"].as_str().unwrap().contains("Not financial advice"));
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        assert_eq!(d["now"]["timestamp"], newest);
        assert_eq!(d["now"]["signal"], "crowd_over_long");
        assert_eq!(d["vs_history"]["buckets"], 500);
        assert_eq!(d["vs_history"]["span_hours"], 500.0);
        assert!(d["vs_history"]["z_score"].is_number());
        assert_eq!(d["smoothed"]["window_buckets"], 12);
        for w in ["1h", "6h", "24h", "7d"] {
            assert!(
                d["changes"][w]["long_pct_gap"].is_number(),
                "{w}: {}",
                d["changes"][w]
            );
        }
        assert_eq!(d["trend"]["buckets"], 24);
        assert!(d["trend"]["direction"].is_string());
        assert_eq!(d["volatility"]["deltas"], 24);
        assert!(d["volatility"]["change"].is_string());
        // BTC is crowd_over_long here: a score, equal to the weighted components.
        let c = &d["confidence"];
        let part = |k: &str| c["components"][k].as_f64().unwrap();
        let weighted = 35.0 * part("distance")
            + 25.0 * part("agreement")
            + 25.0 * part("persistence")
            + 15.0 * part("completeness");
        assert_eq!(c["score"].as_u64(), Some(weighted.round() as u64), "{c}");
        assert_eq!(d["data_quality"]["series_aligned"], true);
        assert_eq!(d["data_quality"]["missing_buckets"], 0);
        assert_eq!(
            standin.request_count(),
            4,
            "one request per cohort, one for the open interest"
        );

        // The open interest at `now` and the 1h money flow, recomputed from the stand-in's rows:
        // N = V × (2p − 1), V the served USD value (8 decimals), p the served long share.
        let oi = &d["open_interest"];
        let t = d["now"]["timestamp"].as_i64().unwrap();
        assert_eq!(oi["timestamp"], t);
        let usd = |t| {
            standin::open_interest(standin::Venue::Binance, "BTCUSDT", t)
                .unwrap()
                .1
        };
        let cents = |x: f64| (x * 100.0).round() / 100.0;
        assert_eq!(oi["open_interest_usd"].as_f64(), Some(cents(usd(t))));
        let p = |t| {
            standin::row("BTCUSDT", standin::Cohort::TopTradersByPosition, HOUR, t)
                .unwrap()
                .long_e4() as f64
                / 1e4
        };
        let n = |t| cents(usd(t)) * (2.0 * p(t) - 1.0);
        let h1 = &oi["changes"]["1h"];
        let flow = h1["money_flow_usd_estimate"].as_f64().unwrap();
        assert!(
            (flow - (n(t) - n(t - HOUR))).abs() <= 0.005 + 1e-6,
            "{flow} {h1}"
        );
        assert_eq!(
            h1["open_interest_usd_change"].as_f64(),
            Some(cents(cents(usd(t)) - cents(usd(t - HOUR))))
        );
        assert_eq!(oi["changes"]["7d"]["window_buckets"], 168);
        assert!(oi["assumption"].as_str().unwrap().contains("estimate"));
    }

    #[tokio::test]
    async fn the_now_section_is_the_stand_in_s_three_readings_at_the_newest_bucket() {
        // Recomputed from the stand-in's own rows (long share in hundredths of a percent), not
        // with the code's maths: each % is the long share × 100, the gaps their differences,
        // the signal the gap against the default threshold of 8 pp.
        let (_standin, deps) = setup(Switches::demo()).await;
        let (_, body) = call(&deps, include_str!("../../../events/signal.json")).await;
        let now = &body["data"]["now"];
        let t = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        assert_eq!(now["timestamp"], t);
        let e4 = |c| standin::row("BTCUSDT", c, HOUR, t).unwrap().long_e4();
        let (retail, accounts, position) = (
            e4(Cohort::RetailCrowd),
            e4(Cohort::TopTradersByAccounts),
            e4(Cohort::TopTradersByPosition),
        );
        let hundredths = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as i64;
        assert_eq!(hundredths(&now["retail_long_pct"]), retail);
        assert_eq!(hundredths(&now["smart_money_long_pct"]), position);
        assert_eq!(
            hundredths(&now["top_traders_by_accounts_long_pct"]),
            accounts
        );
        assert_eq!(hundredths(&now["long_pct_gap"]), position - retail);
        assert_eq!(hundredths(&now["account_gap"]), accounts - retail);
        let expected = match position - retail {
            g if g <= -800 => "crowd_over_long",
            g if g >= 800 => "crowd_over_short",
            _ => "neutral",
        };
        assert_eq!(now["signal"], expected);
    }

    #[tokio::test]
    async fn when_no_period_is_given_should_default_to_1h() {
        let (_standin, deps) = setup(Switches::demo()).await;
        let e = with_query(
            include_str!("../../../events/v2/signal.json"),
            &[("coin", "sol")],
        );
        let r = function_handler(&deps, e).await.unwrap();
        let body: Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["data"]["period"], "1h");
        assert_eq!(body["data"]["symbol"], "SOLUSDT");
    }

    #[tokio::test]
    async fn the_v2_event_gets_the_same_data() {
        let (_standin, deps) = setup(Switches::demo()).await;
        let (status, v2) = call(&deps, include_str!("../../../events/v2/signal.json")).await;
        let (_, mut v1) = call(&deps, include_str!("../../../events/signal.json")).await;
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
    async fn every_period_answers_with_every_section_filled_or_explained() {
        let (_standin, deps) = setup(Switches::demo()).await;
        for p in Period::ALL {
            let e = with_query(
                include_str!("../../../events/v2/signal.json"),
                &[("coin", "ETH"), ("period", p.as_str())],
            );
            let r = function_handler(&deps, e).await.unwrap();
            let body: Value = serde_json::from_slice(r.body()).unwrap();
            assert_eq!(r.status(), 200, "{p}: {body}");
            let d = &body["data"];
            let explained = |section: &Value, field: &str| {
                assert!(
                    !section[field].is_null() || section["reason"].is_string(),
                    "{p}: {field} null without a reason: {section}"
                )
            };
            explained(&d["smoothed"], "long_pct_gap");
            explained(&d["vs_history"], "z_score");
            explained(&d["trend"], "direction");
            explained(&d["volatility"], "score");
            for w in ["1h", "6h", "24h", "7d"] {
                explained(&d["changes"][w], "long_pct_gap");
            }
            assert!(!body.to_string().contains("NaN"));
        }
    }

    #[tokio::test]
    async fn when_1d_is_asked_smoothing_is_explained_as_not_meaningful() {
        let (_standin, deps) = setup(Switches::demo()).await;
        let e = with_query(
            include_str!("../../../events/v2/signal.json"),
            &[("period", "1d")],
        );
        let body: Value =
            serde_json::from_slice(function_handler(&deps, e).await.unwrap().body()).unwrap();
        let s = &body["data"]["smoothed"];
        assert!(s["long_pct_gap"].is_null());
        assert!(
            s["reason"].as_str().unwrap().contains("not meaningful"),
            "{s}"
        );
    }

    #[tokio::test]
    async fn when_a_cohort_lags_and_a_bucket_is_missing_data_quality_says_so() {
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        let (_standin, deps) = setup(Switches {
            lagging_cohort: Some(Cohort::TopTradersByAccounts),
            missing_buckets: vec![MissingBucket::all(newest - 5 * HOUR)],
            ..Switches::demo()
        })
        .await;
        let (status, body) = call(&deps, include_str!("../../../events/signal.json")).await;
        assert_eq!(status, 200, "{body}");
        let q = &body["data"]["data_quality"];
        assert_eq!(q["series_aligned"], false);
        // Of the 500 buckets the answer covers: the hidden one, and the newest (accounts lag).
        assert_eq!(
            (
                q["expected_buckets"].as_u64(),
                q["missing_buckets"].as_u64()
            ),
            (Some(500), Some(2))
        );
        assert_eq!(
            q["newest_by_cohort"]["top_traders_by_accounts"],
            newest - HOUR
        );
        assert!(body["data"]["smart_money_consensus"]["reason"].is_string());
    }

    #[tokio::test]
    async fn when_period_is_unknown_should_return_400_without_calling_binance() {
        let (standin, deps) = setup(Switches::demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/signal-bad-period.json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "period");
        assert_eq!(
            body["message"],
            "period must be one of 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d"
        );
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_binance_rate_limits_should_return_503_with_retry_after() {
        let (standin, deps) = setup(Switches::demo()).await;
        standin.push_fault(standin::Fault::new(standin::FaultKind::RateLimited));
        let r = function_handler(&deps, event(include_str!("../../../events/signal.json")))
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
    }
}
