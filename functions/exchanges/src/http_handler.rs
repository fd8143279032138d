//! `GET /v1/exchanges`: one coin on every venue side by side and the aggregated Sentiment
//! Divergence Score. See `shared::endpoints::exchanges`.

use lambda_http::{Body, Error, Request, Response};
use shared::domain::ApiError;
use shared::edge::Call;
use shared::endpoints::exchanges::{self, VenueFetch};
use shared::endpoints::Format;
use shared::upstream::fanout::fetch_venues;
use shared::upstream::{Extras, UpstreamReport};
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, exchanges::ROUTE);
    let result = async {
        let params = call.params(exchanges::PARAMS, exchanges::params)?;
        let (symbol, period, rows) = (&params.market.symbol, params.market.period, params.rows());
        call.record_market(Some(symbol), period);
        // The open interest in USD weighs each venue's gap (Binance reads it on request).
        let with_open_interest = Extras {
            open_interest: true,
            ..Extras::NONE
        };
        let (config, venues) = deps.venues(&params.venues, with_open_interest).await;
        // Every venue asked for, side by side, each under its own deadline: one round trip.
        let fetches: Vec<VenueFetch> = fetch_venues(&venues, &deps.warm, symbol, period, rows)
            .await
            .into_iter()
            .map(VenueFetch::from)
            .collect();
        call.record_upstream(UpstreamReport::total(
            fetches.iter().filter_map(|f| f.report.as_ref()),
        ));
        if fetches
            .iter()
            .any(|f| f.error().is_some_and(ApiError::may_pass))
        {
            call.mark_incomplete();
        }
        let data = exchanges::answer(&params, &fetches, config.sds_sustained)?;
        Ok((data, params.format))
    }
    .await;
    Ok(match result {
        Ok((data, Format::Csv)) => call.respond_csv(exchanges::csv(&data)),
        result => call.respond(result.map(|(data, _)| data), exchanges::MESSAGE),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use lambda_http::RequestExt;
    use serde_json::Value;
    use standin::{Cohort, Fault, FaultKind, StandInHandle, Switches, Venue};

    use super::*;

    const HOUR: i64 = 3_600_000;
    const EVENT: &str = include_str!("../../../events/exchanges.json");

    async fn call(deps: &Deps, event: Request) -> (u16, Value, Response<Body>) {
        let r = function_handler(deps, event).await.unwrap();
        let (status, body) = shared::testing::status_and_body(&r);
        (status, body, r)
    }

    /// The REST event with its query replaced by `pairs`.
    fn ask(pairs: &[(&str, &str)]) -> Request {
        shared::testing::event(EVENT).with_query_string_parameters(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    }

    fn venue<'a>(body: &'a Value, id: &str) -> &'a Value {
        body["data"]["venues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["venue"] == id)
            .unwrap_or_else(|| panic!("no {id} in {body}"))
    }

    fn requests_to(standin: &StandInHandle, v: Venue) -> usize {
        standin
            .requests()
            .iter()
            .filter(|r| r.venue == Some(v))
            .count()
    }

    /// `share` × 100 rounded half away from zero to 2 decimals, in hundredths.
    fn hundredths(share: f64) -> i64 {
        (share * 10_000.0).round() as i64
    }

    fn units(v: &Value, places: i32) -> i64 {
        (v.as_f64().unwrap() * 10f64.powi(places)).round() as i64
    }

    #[tokio::test]
    async fn the_rest_event_answers_every_venue_and_an_aggregate_that_recomputes_from_them() {
        let (standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let (status, body, response) = call(&deps, shared::testing::event(EVENT)).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(
            (d["symbol"].as_str(), d["coin"].as_str()),
            (Some("ETHUSDT"), Some("ETH"))
        );
        let ids: Vec<&str> = d["venues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["venue"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["binance", "okx", "bybit", "gate", "bitget"]);
        let t = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        // Each venue's cohorts are the stand-in's values, long share × 100 to the cent.
        for (id, v, inst) in [
            ("binance", Venue::Binance, "ETHUSDT"),
            ("okx", Venue::Okx, "ETH-USDT-SWAP"),
            ("gate", Venue::Gate, "ETH_USDT"),
            ("bitget", Venue::Bitget, "ETHUSDT"),
        ] {
            let row = venue(&body, id);
            assert_eq!(
                (row["status"].as_str(), row["timestamp"].as_i64()),
                (Some("ok"), Some(t)),
                "{row}"
            );
            assert_eq!(row["instrument"], inst);
            for (field, cohort) in [
                ("all_accounts_long_pct", Cohort::RetailCrowd),
                ("top_accounts_long_pct", Cohort::TopTradersByAccounts),
                ("top_positions_long_pct", Cohort::TopTradersByPosition),
            ] {
                let share = standin::venue_long_share(v, "ETHUSDT", cohort, HOUR, t).unwrap();
                assert_eq!(units(&row[field], 2), hundredths(share), "{id} {field}");
            }
            assert_eq!(
                units(&row["position_gap"], 2),
                units(&row["top_positions_long_pct"], 2) - units(&row["all_accounts_long_pct"], 2)
            );
        }
        let bybit = venue(&body, "bybit");
        assert_eq!(bybit["status"], "ok");
        assert!(bybit["top_positions_long_pct"].is_null() && bybit["position_gap"].is_null());
        assert!(bybit["weight"].is_null());
        assert!(bybit["weight_basis"]
            .as_str()
            .unwrap()
            .contains("no top-trader series"));
        // Weighted by open interest: Binance, OKX and Gate publish it in USD; Bitget does not.
        assert!(venue(&body, "bitget")["weight"].is_null());
        let weighted: Vec<&Value> = ["binance", "okx", "gate"]
            .map(|id| venue(&body, id))
            .to_vec();
        assert_eq!(
            weighted.iter().map(|v| units(&v["weight"], 4)).sum::<i64>(),
            10_000
        );
        let (oi, binance_oi) = (
            weighted
                .iter()
                .map(|v| units(&v["open_interest_usd"], 2) as i128),
            standin::open_interest(Venue::Binance, "ETHUSDT", t)
                .unwrap()
                .1,
        );
        assert_eq!(
            units(&venue(&body, "binance")["open_interest_usd"], 2),
            (binance_oi * 100.0).round() as i64
        );
        let gaps = weighted
            .iter()
            .map(|v| units(&v["position_gap"], 2) as i128);
        let (sum, total) = oi
            .zip(gaps)
            .fold((0i128, 0i128), |(s, t), (o, g)| (s + o * g, t + o));
        let expected = (2 * sum + total * sum.signum()) / (2 * total); // half away from zero
        let agg = &d["aggregate"];
        assert_eq!(
            (agg["timestamp"].as_i64(), agg["venues_used"].as_u64()),
            (Some(t), Some(4))
        );
        assert_eq!(units(&agg["sds_pp"], 2) as i128, expected, "{agg}");
        let mut four: Vec<i64> = ["binance", "okx", "gate", "bitget"]
            .map(|id| units(&venue(&body, id)["position_gap"], 2))
            .to_vec();
        four.sort_unstable();
        let median = four[1] + four[2];
        assert_eq!(
            units(&agg["sds_median_pp"], 2),
            (median + median.signum()) / 2
        );
        let series = d["series"].as_array().unwrap();
        assert_eq!(series.len(), 24);
        assert_eq!(series.last().unwrap()["sds_pp"], agg["sds_pp"]);
        assert_eq!(series[0]["timestamp"].as_i64(), Some(t - 23 * HOUR));
        assert_eq!(d["smoothed"]["window_buckets"], 12);
        assert!(d["smoothed"]["reason"].is_null());
        // One round trip: Binance's 3 cohorts + open interest, OKX's 3 + open interest, Bybit 1,
        // Gate 1, Bitget 3.
        let counts = Venue::ALL.map(|v| requests_to(&standin, v));
        assert_eq!(counts, [4, 4, 1, 1, 3]);
        assert!(response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public"));
    }

    #[tokio::test]
    async fn format_csv_is_the_json_series_cell_for_cell_with_a_file_name() {
        use shared::testing::{assert_cells_are_the_json, csv_table};
        let (standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let asked = [("coin", "ETH"), ("period", "4h"), ("limit", "30")];
        let (status, json, _) = call(&deps, ask(&asked)).await;
        assert_eq!(status, 200, "{json}");
        let sent = standin.requests().len();
        let csv = ask(&[asked.as_slice(), &[("format", "csv")]].concat());
        let r = function_handler(&deps, csv).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"ETHUSDT-4h-exchanges.csv\""
        );
        let (header, rows) = csv_table(&r);
        assert_eq!(header, ["timestamp", "sds_pp", "venues_used"]);
        let series = json["data"]["series"].as_array().unwrap();
        assert_eq!(series.len(), 30);
        assert_cells_are_the_json(&header, &rows, series);
        assert_eq!(standin.requests().len(), sent, "the memo answered");
    }

    #[tokio::test]
    async fn a_failing_venue_is_listed_and_the_answer_is_not_kept() {
        let (_standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        _standin.push_fault(Fault::new(FaultKind::ServerError).at(Venue::Okx));
        let (status, body, response) = call(&deps, ask(&[("coin", "BTC")])).await;
        assert_eq!(status, 200, "{body}");
        let okx = venue(&body, "okx");
        assert_eq!(okx["status"], "upstream_error");
        assert!(
            okx["message"]
                .as_str()
                .unwrap()
                .starts_with("OKX is failing (HTTP 500)"),
            "{okx}"
        );
        assert!(okx["all_accounts_long_pct"].is_null() && okx["weight"].is_null());
        assert_eq!(body["data"]["aggregate"]["venues_used"], 3);
        assert_eq!(response.headers()["cache-control"], "no-store");
    }

    #[tokio::test]
    async fn a_lagging_venue_holds_the_aggregate_at_the_bucket_all_have() {
        let (_standin, deps) = shared::testing::deps_over(Switches {
            lagging_venues: vec![Venue::Gate],
            ..Switches::demo()
        })
        .await;
        let (status, body, _) = call(&deps, ask(&[("coin", "SOL")])).await;
        assert_eq!(status, 200, "{body}");
        let t = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        assert_eq!(venue(&body, "gate")["timestamp"].as_i64(), Some(t - HOUR));
        assert_eq!(venue(&body, "okx")["timestamp"].as_i64(), Some(t));
        assert_eq!(
            body["data"]["aggregate"]["timestamp"].as_i64(),
            Some(t - HOUR)
        );
        assert_eq!(body["data"]["aggregate"]["venues_used"], 4);
    }

    #[tokio::test]
    async fn bitget_s_days_off_the_utc_grid_are_listed_not_aggregated_and_the_answer_is_kept() {
        // The stand-in serves Bitget's account and position days at 16:00 UTC (UTC+8 midnight).
        let (_standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let (status, body, response) = call(&deps, ask(&[("coin", "BTC"), ("period", "1d")])).await;
        assert_eq!(status, 200, "{body}");
        let bitget = venue(&body, "bitget");
        assert_eq!(bitget["status"], "unsupported_period", "{bitget}");
        assert!(
            bitget["message"].as_str().unwrap().contains("16:00 UTC"),
            "{bitget}"
        );
        assert!(bitget["all_accounts_long_pct"].is_null() && bitget["weight"].is_null());
        assert_eq!(body["data"]["aggregate"]["venues_used"], 3, "{body}");
        // Bitget's days are off the grid on every retry: nothing here may pass, so it is kept.
        assert!(response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public"));
    }

    #[tokio::test]
    async fn a_period_a_venue_does_not_publish_is_listed_and_never_asked() {
        let (standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let (status, body, _) = call(&deps, ask(&[("coin", "ETH"), ("period", "2h")])).await;
        assert_eq!(status, 200, "{body}");
        for id in ["bybit", "gate"] {
            let v = venue(&body, id);
            assert_eq!(v["status"], "unsupported_period", "{v}");
            assert!(v["message"].as_str().unwrap().contains("no 2h buckets"));
        }
        assert_eq!(
            (
                requests_to(&standin, Venue::Bybit),
                requests_to(&standin, Venue::Gate)
            ),
            (0, 0)
        );
        assert_eq!(body["data"]["aggregate"]["venues_used"], 3);
        // No requested venue publishes it: a 400 naming the period, nothing asked.
        let (status, body, _) =
            call(&deps, ask(&[("venues", "bybit,gate"), ("period", "6h")])).await;
        assert_eq!(
            (status, body["error"]["parameter"].as_str()),
            (400, Some("period")),
            "{body}"
        );
        assert_eq!(
            (
                requests_to(&standin, Venue::Bybit),
                requests_to(&standin, Venue::Gate)
            ),
            (0, 0)
        );
    }

    #[tokio::test]
    async fn bad_venues_are_a_400_naming_venues_before_any_upstream_request() {
        let (standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let event =
            shared::testing::event(include_str!("../../../events/exchanges-bad-venues.json"));
        let (status, body, _) = call(&deps, event).await;
        assert_eq!(
            (status, body["error"]["parameter"].as_str()),
            (400, Some("venues")),
            "{body}"
        );
        for (pairs, parameter) in [
            (&[("venues", "okx,okx")][..], "venues"),
            (&[("venues", "")][..], "venues"),
            (&[("venues", "OKX")][..], "venues"),
            (&[("limit", "101")][..], "limit"),
            (&[("limit", "0")][..], "limit"),
            (&[("period", "3m")][..], "period"),
        ] {
            let (status, body, _) = call(&deps, ask(pairs)).await;
            assert_eq!(
                (status, body["error"]["parameter"].as_str()),
                (400, Some(parameter)),
                "{pairs:?}"
            );
        }
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_every_venue_asked_fails_the_first_one_s_error_is_the_answer() {
        let (_standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let (status, body, _) = call(&deps, ask(&[("coin", "NOPE"), ("venues", "okx,gate")])).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("unknown_symbol")),
            "{body}"
        );
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("OKX publishes no long/short data"));
    }

    #[tokio::test]
    async fn the_v2_event_asks_only_the_venues_named_and_a_repeat_sends_nothing() {
        let (standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let v2 = || shared::testing::event(include_str!("../../../events/v2/exchanges.json"));
        let (status, body, _) = call(&deps, v2()).await;
        assert_eq!(status, 200, "{body}");
        let ids: Vec<&str> = body["data"]["venues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["venue"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["okx", "gate"]);
        assert_eq!(body["data"]["series"].as_array().unwrap().len(), 10);
        assert_eq!(body["data"]["from_memo"], false);
        let sent = standin.request_count();
        assert_eq!(sent, 5, "OKX 4 paths, Gate 1");
        let (_, again, _) = call(&deps, v2()).await;
        assert_eq!(
            (
                again["data"]["from_memo"].as_bool(),
                standin.request_count()
            ),
            (Some(true), sent)
        );
    }

    #[tokio::test]
    async fn at_5m_okx_and_gate_are_paged_side_by_side_to_cover_the_12_hour_window() {
        // The real clock: pages are placed by time.
        let (standin, deps) = shared::testing::deps_over(Switches::default()).await;
        let (status, body, _) = call(
            &deps,
            ask(&[("coin", "BTC"), ("period", "5m"), ("venues", "okx,gate")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // 145 rows: OKX 2 pages × 4 paths, Gate 2 pages.
        assert_eq!(
            (
                requests_to(&standin, Venue::Okx),
                requests_to(&standin, Venue::Gate)
            ),
            (8, 2)
        );
        let smoothed = &body["data"]["smoothed"];
        assert_eq!(smoothed["window_buckets"], 144, "{smoothed}");
        assert!(smoothed["reason"].is_null());
        let queries: Vec<String> = standin.requests().iter().map(|r| r.query.clone()).collect();
        assert!(queries.iter().any(|q| q.contains("end=")), "{queries:?}");
        assert!(queries.iter().any(|q| q.contains("from=")), "{queries:?}");
    }
}
