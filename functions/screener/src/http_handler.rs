//! `GET /v1/screener`: many coins ranked by divergence in one call, inside the venues' rate
//! limits. See `shared::endpoints::screener`.

use lambda_http::{Body, Error, Request, Response};
use shared::domain::clock::now_ms;
use shared::domain::ApiError;
use shared::edge::{call, Call};
use shared::endpoints::screener::{self, Refresh};
use shared::endpoints::Format;
use shared::upstream::{fanout, PositioningSource, UpstreamReport};
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, screener::ROUTE);
    let result = async {
        let screen = call.params(screener::PARAMS, screener::Screen::from_query)?;
        call.record_market(None, screen.period);
        let (config, binance) = deps.binance().await;
        // The open interest is read only for the money flow of `include_changes`.
        let binance = match screen.changes {
            Some(_) => binance.with_open_interest(),
            None => binance,
        };
        let refresh = match screen.refresh {
            false => Refresh::NotAsked,
            true => {
                let key = deps.warm.refreshes.key_hash(call::api_key(&event));
                match deps.warm.refreshes.allow(key, screen.period, now_ms()) {
                    true => Refresh::Honoured,
                    false => Refresh::DeclinedOncePerBucket,
                }
            }
        };
        let coins = screener::universe(&config, &screen);
        let rows = screen.rows(config.signal_smoothing_hours);
        let fresh = refresh == Refresh::Honoured;
        let fetched =
            fanout::fetch_all(&binance, &deps.warm, &coins.0, screen.period, rows, fresh).await;
        call.record_upstream(UpstreamReport::total(
            fetched.iter().map(|f| &f.fetched.report),
        ));
        if fetched
            .iter()
            .any(|f| f.fetched.result.as_ref().is_err_and(ApiError::may_pass))
        {
            call.mark_incomplete();
        }
        let source = binance.source();
        let data = screener::answer(&config, source, &screen, coins, fetched, rows, refresh)?;
        Ok((data, screen))
    }
    .await;
    Ok(match result {
        Ok((data, screen)) if screen.format == Format::Csv => {
            call.respond_csv(screener::csv(&data, &screen))
        }
        result => call.respond(result.map(|(data, _)| data), screener::MESSAGE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::domain::{Period, Symbol};
    use shared::maths::divergence::Divergence;
    use shared::upstream::fanout;
    use shared::upstream::PositioningSource;
    use standin::{Fault, FaultKind, StandInHandle, Switches};
    use std::time::Instant;

    const REST: &str = include_str!("../../../events/screener.json");
    const V2: &str = include_str!("../../../events/v2/screener.json");
    const KNOWN: &str = "BTC,ETH,SOL,BNB,XRP,DOGE,ADA,AVAX,LINK,1000PEPE";

    async fn setup(switches: Switches) -> (StandInHandle, Deps) {
        shared::testing::deps_over(switches).await
    }

    fn event(text: &str, pairs: &[(&str, &str)]) -> Request {
        use lambda_http::RequestExt;
        let e = lambda_http::request::from_str(text).unwrap();
        if pairs.is_empty() {
            return e;
        }
        e.with_query_string_parameters(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::HashMap<_, _>>(),
        )
    }

    async fn call(deps: &Deps, e: Request) -> (u16, Value, Option<String>) {
        let r = function_handler(deps, e).await.unwrap();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap(),
            retry,
        )
    }

    fn symbols(d: &Value) -> Vec<String> {
        d["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["symbol"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn when_the_rest_event_asks_for_the_default_universe_should_rank_every_coin() {
        let (standin, deps) = setup(Switches::demo()).await;
        let (status, body, _) = call(&deps, event(REST, &[])).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["message"], "Screener retrieved successfully");
        let d = &body["data"];
        assert_eq!(
            (d["period"].as_str(), d["universe"].as_str()),
            (Some("1h"), Some("default"))
        );
        assert_eq!(d["counts"]["requested"], 20);
        assert_eq!(
            d["counts"]["succeeded"], 20,
            "the stand-in knows every coin of the default universe"
        );
        assert_eq!(d["counts"]["failed"], 0);
        assert_eq!(d["upstream_calls"], 60);
        assert_eq!(d["memo_hits"], 0);
        assert_eq!(d["buckets_fetched"], 6);
        assert_eq!(standin.request_count(), 60, "three requests per coin");
        assert_eq!(d["errors"], serde_json::json!([]));
        let rows = symbols(d);
        assert_eq!(rows[..3], ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
        let gaps: Vec<f64> = d["rows"].as_array().unwrap()[3..]
            .iter()
            .map(|r| r["long_pct_gap"].as_f64().unwrap())
            .collect();
        assert!(gaps.windows(2).all(|w| w[0] >= w[1]), "{gaps:?}");
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, 3_600_000);
        let btc = &d["rows"][0];
        assert_eq!(btc["timestamp"], newest);
        assert_eq!(btc["signal"], "crowd_over_long");
        assert!(btc["account_gap"].is_number() && btc["smart_money_consensus"].is_string());
        assert!(btc.get("confidence").is_none() && btc.get("gap_change").is_none());
        assert!(d["note"].as_str().unwrap().contains("Not financial advice"));
        let sent: Value = serde_json::from_str(REST).unwrap();
        assert_eq!(
            body["meta"]["request_id"],
            sent["requestContext"]["requestId"]
        );
    }

    #[tokio::test]
    async fn the_rows_equal_what_the_divergence_endpoint_computes() {
        let (_standin, deps) = setup(Switches::demo()).await;
        let (_, body, _) = call(&deps, event(V2, &[("coins", "eth,doge"), ("period", "1h")])).await;
        let config = deps.settings.current().await;
        for row in body["data"]["rows"].as_array().unwrap() {
            let symbol = Symbol::from_symbol(row["symbol"].as_str().unwrap()).unwrap();
            let (_, binance) = deps.binance().await;
            let series = binance.fetch(&symbol, Period::H1, 6).await.result.unwrap();
            let d = Divergence::at_common_bucket(&series, config.threshold).unwrap();
            assert_eq!(
                row["long_pct_gap"],
                serde_json::to_value(d.long_pct_gap).unwrap()
            );
            assert_eq!(
                row["retail_long_pct"],
                serde_json::to_value(d.retail_crowd_long_pct).unwrap()
            );
            assert_eq!(row["timestamp"], d.timestamp);
        }
    }

    #[tokio::test]
    async fn a_repeat_is_served_from_the_memo_and_refresh_asks_binance_again() {
        let (standin, deps) = setup(Switches::demo()).await;
        let (_, first, _) = call(&deps, event(REST, &[])).await;
        let (status, again, _) = call(&deps, event(V2, &[])).await;
        assert_eq!(status, 200);
        assert_eq!(
            (
                again["data"]["upstream_calls"].as_u64(),
                again["data"]["memo_hits"].as_u64()
            ),
            (Some(0), Some(20))
        );
        assert_eq!(standin.request_count(), 60);
        assert_eq!(again["data"]["rows"], first["data"]["rows"]);
        assert_eq!(
            again["data"]["errors"], first["data"]["errors"],
            "unknown symbols are remembered too"
        );
        let (_, fresh, _) = call(&deps, event(V2, &[("period", "1h"), ("refresh", "true")])).await;
        assert_eq!(
            (
                fresh["data"]["upstream_calls"].as_u64(),
                fresh["data"]["memo_hits"].as_u64()
            ),
            (Some(60), Some(0))
        );
        assert_eq!(standin.request_count(), 120);
        // Another period, or more buckets, is another memo entry.
        let (_, other, _) = call(
            &deps,
            event(
                V2,
                &[
                    ("period", "1h"),
                    ("coins", "btc"),
                    ("include_changes", "true"),
                ],
            ),
        )
        .await;
        // With include_changes the open interest is read too: the cohorts and one more.
        assert_eq!(other["data"]["upstream_calls"], 4);
        assert_eq!(other["data"]["buckets_fetched"], 31);
    }

    #[tokio::test]
    async fn twenty_coins_at_50_ms_per_answer_take_a_few_round_trips_not_twenty() {
        let (standin, deps) = setup(Switches {
            latency_ms: 50,
            ..Switches::demo()
        })
        .await;
        let started = Instant::now();
        let (status, body, _) = call(&deps, event(REST, &[])).await;
        let elapsed = started.elapsed();
        assert_eq!(status, 200, "{body}");
        assert_eq!(standin.request_count(), 60);
        // ⌈20 / 8⌉ = 3 round trips of 50 ms; sequentially it would be 20 × 50 ms = 1 s.
        assert!(elapsed.as_millis() < 400, "{elapsed:?}");
    }

    #[tokio::test]
    async fn when_sort_by_confidence_lacks_include_confidence_should_return_400_without_calling_binance(
    ) {
        let (standin, deps) = setup(Switches::demo()).await;
        let (status, body, _) = call(
            &deps,
            event(include_str!("../../../events/screener-bad-sort.json"), &[]),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "include_confidence");
        assert_eq!(
            body["message"],
            "sort_by=confidence needs include_confidence=true"
        );
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn confidence_changes_filters_pins_and_limit_work_together() {
        let (standin, deps) = setup(Switches::demo()).await;
        let (status, body, _) = call(
            &deps,
            event(
                V2,
                &[
                    ("coins", KNOWN),
                    ("period", "1h"),
                    ("include_confidence", "true"),
                    ("include_changes", "true"),
                    ("change_window", "6h"),
                    ("sort_by", "abs_gap"),
                    ("pinned", "pepe,1000pepe,ADA"),
                    ("limit", "6"),
                ],
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(d["buckets_fetched"], 18, "max(12 + 6, 6 + 1 + 6)");
        assert!(standin
            .requests()
            .iter()
            .all(|r| r.query.contains("limit=18")));
        assert_eq!(
            d["pinned"],
            serde_json::json!([
                "BTCUSDT",
                "ETHUSDT",
                "SOLUSDT",
                "PEPEUSDT",
                "1000PEPEUSDT",
                "ADAUSDT"
            ])
        );
        assert_eq!(d["unknown_pinned"], serde_json::json!(["PEPEUSDT"]));
        // After the pins, the rest by |gap|: the first of the unpinned coins ranked alone.
        let (_, rest, _) = call(
            &deps,
            event(
                V2,
                &[
                    ("coins", "BNB,XRP,DOGE,AVAX,LINK"),
                    ("period", "1h"),
                    ("sort_by", "abs_gap"),
                ],
            ),
        )
        .await;
        let largest_unpinned = symbols(&rest["data"])[0].clone();
        assert_eq!(
            symbols(d),
            [
                "BTCUSDT",
                "ETHUSDT",
                "SOLUSDT",
                "1000PEPEUSDT",
                "ADAUSDT",
                largest_unpinned.as_str()
            ]
        );
        assert_eq!(
            (
                d["counts"]["matched"].as_u64(),
                d["counts"]["returned"].as_u64()
            ),
            (Some(10), Some(6))
        );
        for row in d["rows"].as_array().unwrap() {
            // A score exactly when the row carries a signal, and its strength by the score.
            match row["confidence"].as_u64() {
                None => assert_eq!(
                    (&row["signal"], &row["strength"]),
                    (&"neutral".into(), &Value::Null),
                    "{row}"
                ),
                Some(score) => {
                    assert_ne!(row["signal"], "neutral", "{row}");
                    let strength = match score {
                        80.. => "strong",
                        60..=79 => "moderate",
                        _ => "weak",
                    };
                    assert_eq!(row["strength"], strength, "{row}");
                }
            }
            assert!(row["gap_change"].is_number(), "{row}");
            assert_eq!(row["gap_change_window"], "6h");
        }
        let (_, filtered, _) = call(
            &deps,
            event(
                V2,
                &[
                    ("coins", KNOWN),
                    ("period", "1h"),
                    ("signal", "neutral"),
                    ("min_abs_gap", "0.01"),
                ],
            ),
        )
        .await;
        let (_, every, _) = call(&deps, event(V2, &[("coins", KNOWN), ("period", "1h")])).await;
        let expected: Vec<String> = every["data"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["signal"] == "neutral" && r["long_pct_gap"].as_f64().unwrap().abs() >= 0.01
            })
            .map(|r| r["symbol"].as_str().unwrap().to_string())
            .collect();
        let mut got = symbols(&filtered["data"]);
        got.sort();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert!(
            !expected.is_empty() && expected.len() < 10,
            "the filter must keep some rows and drop some: {expected:?}"
        );
        assert_eq!(got, expected_sorted);
    }

    #[tokio::test]
    async fn format_csv_is_the_json_rows_cell_for_cell_and_lists_a_failed_coin_on_its_own_line() {
        use shared::testing::{assert_cells_are_the_json, csv_table};
        let (standin, deps) = setup(Switches::demo()).await;
        let coins = format!("{KNOWN},NOPE");
        let asked = [
            ("coins", coins.as_str()),
            ("period", "1h"),
            ("include_confidence", "true"),
            ("include_changes", "true"),
        ];
        let (status, json, _) = call(&deps, event(REST, &asked)).await;
        assert_eq!(status, 200, "{json}");
        let sent = standin.requests().len();
        let with_csv = [asked.as_slice(), &[("format", "csv")]].concat();
        let r = function_handler(&deps, event(REST, &with_csv))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"screener-1h.csv\""
        );
        assert_eq!(standin.requests().len(), sent, "the memo answered");
        let (header, rows) = csv_table(&r);
        assert_eq!(
            header,
            [
                "symbol",
                "timestamp",
                "long_pct_gap",
                "signal",
                "smart_money_long_pct",
                "retail_long_pct",
                "account_gap",
                "smart_money_consensus",
                "confidence",
                "strength",
                "gap_change",
                "gap_change_window",
                "open_interest_usd",
                "open_interest_usd_change",
                "money_flow_usd_estimate",
                "error",
            ]
        );
        // Ten ranked rows in the JSON's order, each with an empty `error`, then NOPE's line.
        let mut want: Vec<Value> = json["data"]["rows"].as_array().unwrap().clone();
        assert_eq!(want.len(), 10);
        for row in &mut want {
            row["error"] = Value::Null;
        }
        let mut failed = serde_json::Map::new();
        for name in &header {
            failed.insert(name.clone(), Value::Null);
        }
        failed.insert("symbol".into(), "NOPEUSDT".into());
        failed.insert("error".into(), "unknown_symbol".into());
        want.push(Value::Object(failed));
        assert_eq!(json["data"]["errors"][0]["symbol"], "NOPEUSDT");
        assert_cells_are_the_json(&header, &rows, &want);
        assert!(
            rows.iter().any(|r| !r[14].is_empty()),
            "money flow is in the file"
        );

        // Without the extras: only the base columns, and a bad format is a JSON 400 sent nowhere.
        let r = function_handler(&deps, event(REST, &[("coins", "BTC"), ("format", "csv")]))
            .await
            .unwrap();
        let (header, rows) = csv_table(&r);
        assert_eq!(
            (header.len(), header[8].as_str(), rows.len()),
            (9, "error", 1)
        );
        let sent = standin.requests().len();
        let (status, body, _) = call(&deps, event(REST, &[("format", "xls")])).await;
        assert_eq!(
            (status, body["error"]["parameter"].as_str()),
            (400, Some("format"))
        );
        assert_eq!(standin.requests().len(), sent);
    }

    #[tokio::test]
    async fn when_one_coin_fails_upstream_the_others_are_still_answered() {
        let (standin, deps) = setup(Switches::demo()).await;
        standin.push_fault(
            Fault::new(FaultKind::Empty)
                .on(standin::Cohort::TopTradersByPosition)
                .once(),
        );
        let (status, body, _) = call(&deps, event(V2, &[("coins", KNOWN), ("period", "1h")])).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(
            (
                d["counts"]["succeeded"].as_u64(),
                d["counts"]["failed"].as_u64()
            ),
            (Some(9), Some(1))
        );
        assert_eq!(d["errors"][0]["error"]["code"], "upstream_error");
        // The failure is not remembered: the next call asks for that coin again, and only it.
        let (_, again, _) = call(&deps, event(V2, &[("coins", KNOWN), ("period", "1h")])).await;
        assert_eq!(
            (
                again["data"]["upstream_calls"].as_u64(),
                again["data"]["memo_hits"].as_u64()
            ),
            (Some(3), Some(9))
        );
        assert_eq!(again["data"]["counts"]["succeeded"], 10);
    }

    #[tokio::test]
    async fn when_every_coin_is_unknown_should_return_404_naming_them() {
        let (_standin, deps) = setup(Switches::demo()).await;
        let (status, body, _) = call(&deps, event(V2, &[("coins", "nope,nada")])).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "unknown_symbol");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("NOPEUSDT, NADAUSDT"));
    }

    #[tokio::test]
    async fn when_binance_rate_limits_every_coin_should_return_503_and_stop_asking() {
        let (standin, deps) = setup(Switches::demo()).await;
        standin.push_fault(Fault::new(FaultKind::RateLimited).retry_after_s(30));
        let (status, body, retry) = call(&deps, event(REST, &[])).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "upstream_rate_limited");
        assert!(retry.unwrap().parse::<u64>().unwrap() >= 29);
        // The coins that were waiting for a slot found the instance quiet and sent nothing.
        assert!(
            standin.request_count() <= 3 * fanout::CONCURRENCY,
            "{}",
            standin.request_count()
        );
    }

    #[tokio::test]
    async fn the_instance_budget_bounds_the_requests_sent_whatever_is_asked() {
        let (standin, mut deps) = setup(Switches::demo()).await;
        // Six coins' fetches per 5 minutes (one request per cohort path each), of the ten asked.
        shared::testing::with_binance_budget(&mut deps, 6);
        let r = function_handler(&deps, event(V2, &[("coins", KNOWN), ("period", "1h")]))
            .await
            .unwrap();
        assert_eq!(
            r.headers()["cache-control"],
            "no-store",
            "an answer with coins not fetched is not kept"
        );
        let body: Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(r.status(), 200, "{body}");
        let d = &body["data"];
        assert_eq!(standin.request_count(), 18);
        assert_eq!(
            d["upstream_calls"].as_u64().unwrap() as usize,
            standin.request_count()
        );
        assert!(d["counts"]["failed"].as_u64().unwrap() > 0);
        for e in d["errors"].as_array().unwrap() {
            assert_eq!(e["error"]["code"], "upstream_budget_exhausted");
        }
    }

    #[tokio::test]
    async fn when_the_budget_is_spent_for_every_coin_should_answer_503_budget_exhausted_with_retry_after(
    ) {
        let (standin, mut deps) = setup(Switches::demo()).await;
        shared::testing::with_binance_budget(&mut deps, 0);
        let (status, body, retry) = call(&deps, event(V2, &[("coins", "BTC,ETH")])).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "upstream_budget_exhausted");
        let retry: u64 = retry.unwrap().parse().unwrap();
        assert_eq!(Some(retry), body["error"]["retry_after_seconds"].as_u64());
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn an_answer_whose_failures_are_all_unknown_coins_may_be_cached() {
        let (_standin, deps) = setup(Switches::demo()).await;
        let r = function_handler(&deps, event(V2, &[("coins", "BTC,NOPE")]))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let value = r.headers()["cache-control"].to_str().unwrap();
        assert!(value.starts_with("public, max-age="), "{value}");
    }

    #[tokio::test]
    async fn refresh_is_honoured_once_per_bucket_per_api_key_then_the_memo_answers() {
        let (standin, deps) = setup(Switches::demo()).await;
        let with_key = |key: &str| {
            let mut e = event(
                V2,
                &[("coins", "BTC,ETH"), ("period", "1h"), ("refresh", "true")],
            );
            e.headers_mut().insert("x-api-key", key.parse().unwrap());
            e
        };
        let (_, first, _) = call(&deps, with_key("key-a")).await;
        assert_eq!(first["data"]["refresh"], "honoured");
        assert_eq!(first["data"]["upstream_calls"], 6);
        let (_, again, _) = call(&deps, with_key("key-a")).await;
        assert_eq!(again["data"]["refresh"], "declined_once_per_bucket");
        assert_eq!(
            (
                again["data"]["upstream_calls"].as_u64(),
                again["data"]["memo_hits"].as_u64()
            ),
            (Some(0), Some(2))
        );
        let (_, other, _) = call(&deps, with_key("key-b")).await;
        assert_eq!(other["data"]["refresh"], "honoured");
        assert_eq!(standin.request_count(), 12);
        let (_, plain, _) = call(&deps, event(V2, &[("coins", "BTC,ETH"), ("period", "1h")])).await;
        assert_eq!(plain["data"]["refresh"], "not_asked");
        assert_eq!(standin.request_count(), 12, "served from the memo");
    }
}
