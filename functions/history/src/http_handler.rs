//! `GET /v1/history`: the three cohorts and the gap, bucket by bucket, oldest first. See
//! `shared::endpoints::history`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::{history, Format};
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, history::ROUTE);
    let mut format = Format::Json;
    let result = async {
        let params = call.params(history::PARAMS, history::params)?;
        format = params.format;
        let market = &params.market;
        call.record_market(Some(&market.symbol), market.period);
        let (_, binance) = deps.binance().await;
        let fetched = (deps.warm)
            .fetch(
                &binance,
                &market.symbol,
                market.period,
                params.rows(),
                false,
            )
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance(&binance);
        let series = fetched.result?;
        Ok(history::answer(provenance, &series, &params))
    }
    .await;
    Ok(match format {
        Format::Json => call.respond(result, history::MESSAGE),
        Format::Csv => call.respond_csv(result.and_then(|data| history::csv(&data))),
    })
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
        let event = lambda_http::request::from_str(text).unwrap();
        let r = function_handler(deps, event).await.unwrap();
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap(),
        )
    }

    #[tokio::test]
    async fn a_csv_answered_stale_from_the_memo_says_so_in_its_headers() {
        use shared::domain::clock::now_ms;
        use shared::domain::{Period, Symbol, Venue};
        use shared::upstream::{Extras, PositioningSource};
        use std::sync::Arc;

        let (standin, mut deps) = setup(demo()).await;
        shared::testing::with_binance_budget(&mut deps, 0);
        // 500 rows of BTCUSDT 1h, remembered from an hour ago.
        let btc = Symbol::from_symbol("BTCUSDT").unwrap();
        let (_, binance) = deps.binance().await;
        let kept = binance
            .fetch(&btc, Period::H1, 500)
            .await
            .result
            .map(Arc::new);
        let hour_ago = now_ms() - HOUR;
        (deps.warm.memo).put(
            Venue::Binance,
            &btc,
            Period::H1,
            500,
            Extras::NONE,
            &kept,
            hour_ago,
        );
        let sent = standin.requests().len();

        let rest = include_str!("../../../events/history.json");
        let csv_event = shared::testing::with_query(rest, &[("format", "csv")]);
        let r = function_handler(&deps, lambda_http::request::from_str(&csv_event).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(r.headers()["x-stale"], "true");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let (_, rows) = shared::testing::csv_table(&r);
        assert_eq!(rows.len(), 24);
        assert_eq!(standin.requests().len(), sent, "nothing sent");
    }

    #[tokio::test]
    async fn format_csv_is_the_json_points_cell_for_cell_with_a_file_name_and_errors_stay_json() {
        let (standin, deps) = setup(demo()).await;
        let rest = include_str!("../../../events/history.json");
        let (_, json) = call(&deps, rest).await;
        let with_format = |format: &str| shared::testing::with_query(rest, &[("format", format)]);
        let csv_event = with_format("csv");
        let r = function_handler(&deps, lambda_http::request::from_str(&csv_event).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"BTCUSDT-1h-history.csv\""
        );
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age="));
        let (header, rows) = shared::testing::csv_table(&r);
        let points = json["data"]["points"].as_array().unwrap();
        let keys: Vec<&String> = points[0].as_object().unwrap().keys().collect();
        let mut sorted: Vec<&String> = header.iter().collect();
        sorted.sort_unstable();
        assert_eq!(sorted, keys, "the JSON field names");
        assert_eq!(rows.len(), 24);
        shared::testing::assert_cells_are_the_json(&header, &rows, points);
        // The CSV answer came from the memo: no second fetch.
        assert_eq!(standin.requests().len(), 3);
        // A bad format is a JSON 400 before any upstream request.
        let (status, body) = call(&deps, &with_format("xlsx")).await;
        assert_eq!(
            (status, body["error"]["parameter"].as_str()),
            (400, Some("format"))
        );
        assert_eq!(standin.requests().len(), 3);
    }

    #[tokio::test]
    async fn when_the_rest_event_asks_for_24_hours_should_answer_24_points_oldest_first() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(&deps, include_str!("../../../events/history.json")).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(d["count"], 24);
        let points = d["points"].as_array().unwrap();
        assert_eq!(points.len(), 24);
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        for (i, p) in points.iter().enumerate() {
            assert_eq!(p["timestamp"], newest - (23 - i as i64) * HOUR);
            let gap = p["top_traders_by_position_long_pct"].as_f64().unwrap()
                - p["retail_crowd_long_pct"].as_f64().unwrap();
            assert!((p["long_pct_gap"].as_f64().unwrap() - gap).abs() < 1e-9);
            assert_eq!(p.as_object().unwrap().len(), 8);
        }
        let asked: Vec<String> = standin.requests().iter().map(|r| r.query.clone()).collect();
        assert!(asked.iter().all(|q| q.contains("limit=24")), "{asked:?}");
    }

    #[tokio::test]
    async fn a_repeat_needing_no_more_rows_costs_no_upstream_request_and_one_needing_more_does() {
        use lambda_http::RequestExt;
        let (standin, deps) = setup(demo()).await;
        let ask = |limit: &str| {
            lambda_http::request::from_str(include_str!("../../../events/history.json"))
                .unwrap()
                .with_query_string_parameters(std::collections::HashMap::from([
                    ("coin".to_string(), "ETH".to_string()),
                    ("period".to_string(), "1h".to_string()),
                    ("limit".to_string(), limit.to_string()),
                ]))
        };
        let first = function_handler(&deps, ask("24")).await.unwrap();
        let (_, first) = shared::testing::status_and_body(&first);
        assert_eq!(
            (
                first["data"]["from_memo"].as_bool(),
                standin.request_count()
            ),
            (Some(false), 3)
        );
        let fewer = function_handler(&deps, ask("12")).await.unwrap();
        let (_, fewer) = shared::testing::status_and_body(&fewer);
        assert_eq!(
            (
                fewer["data"]["from_memo"].as_bool(),
                standin.request_count()
            ),
            (Some(true), 3)
        );
        // The memo's 12 newest points are the first answer's 12 newest.
        let points = |v: &Value| v["data"]["points"].as_array().unwrap().clone();
        assert_eq!(points(&fewer)[..], points(&first)[12..]);
        let more = function_handler(&deps, ask("48")).await.unwrap();
        let (_, more) = shared::testing::status_and_body(&more);
        assert_eq!(
            (more["data"]["from_memo"].as_bool(), standin.request_count()),
            (Some(false), 6)
        );
    }

    #[tokio::test]
    async fn when_buckets_are_missing_should_leave_them_out() {
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, 4 * HOUR);
        let (_standin, deps) = setup(Switches {
            missing_buckets: vec![standin::MissingBucket::all(newest - 4 * HOUR)],
            ..demo()
        })
        .await;
        let (status, body) = call(&deps, include_str!("../../../events/v2/history.json")).await;
        assert_eq!(status, 200, "{body}");
        let ts: Vec<i64> = body["data"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["timestamp"].as_i64().unwrap())
            .collect();
        assert_eq!(body["data"]["symbol"], "SOLUSDT");
        assert_eq!(ts.len(), 9, "{ts:?}");
        assert!(!ts.contains(&(newest - 4 * HOUR)));
        assert!(ts.windows(2).all(|w| w[0] < w[1]));
    }

    #[tokio::test]
    async fn when_limit_is_over_500_should_return_400_without_calling_binance() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/history-bad-limit.json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "limit");
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_period_is_repeated_should_return_400() {
        let (standin, deps) = setup(demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/history-repeated-period.json"),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["parameter"], "period");
        assert_eq!(standin.request_count(), 0);
    }
}
