//! `GET /v1/track-record`: how the signal did on this coin over the buckets Binance still has.
//! See `shared::endpoints::track_record`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::{track_record, Format};
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, track_record::ROUTE);
    let result = async {
        let params = call.params(track_record::PARAMS, track_record::params)?;
        let market = &params.market;
        call.record_market(Some(&market.symbol), market.period);
        let (config, binance) = deps.binance().await;
        let binance = binance.with_prices();
        let fetched = (deps.warm)
            .fetch(
                &binance,
                &market.symbol,
                market.period,
                track_record::ROWS,
                false,
            )
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance(&binance);
        Ok((config, provenance, fetched.result?, params))
    }
    .await;
    Ok(match result {
        Ok((config, _, series, params)) if params.format == Format::Csv => {
            call.respond_csv(track_record::csv(&config, &series, &params))
        }
        result => call.respond(
            result.map(|(config, provenance, series, params)| {
                track_record::answer(&config, provenance, &series, &params)
            }),
            track_record::MESSAGE,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::testing::{deps_over, event, status_and_body};
    use standin::venues::binance::price_text;
    use standin::{Cohort, Switches, DEMO_NOW_MS};

    const HOUR: i64 = 3_600_000;

    async fn call(deps: &Deps, json: &str) -> (u16, Value) {
        let response = function_handler(deps, event(json)).await.unwrap();
        status_and_body(&response)
    }

    /// The stand-in's own numbers, read the way its wire serves them: the gap from the two
    /// served shares, the price from the served kline open.
    fn gap_pp(symbol: &str, period: i64, t: i64) -> Option<f64> {
        let long = |c| standin::row(symbol, c, period, t).map(|r| r.long_e4());
        Some((long(Cohort::TopTradersByPosition)? - long(Cohort::RetailCrowd)?) as f64 / 100.0)
    }

    fn price(symbol: &str, t: i64) -> f64 {
        price_text(standin::price(symbol, t).unwrap())
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn the_rest_event_is_judged_on_the_newest_500_buckets_with_closed_klines_only() {
        let (standin, deps) = deps_over(Switches::demo()).await;
        let (status, body) = call(&deps, include_str!("../../../events/track-record.json")).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(
            (&d["symbol"], &d["period"], &d["horizon_buckets"]),
            (&Value::from("BTCUSDT"), &Value::from("1h"), &Value::from(4))
        );
        let newest = standin::newest_bucket(DEMO_NOW_MS, HOUR);
        // 13:00's kline is still open, so the newest price is 12:00's and the newest bucket
        // with a price 4 hours on is 08:00.
        assert_eq!(d["to"], newest - 5 * HOUR);
        assert_eq!(d["from"], newest - 499 * HOUR);
        assert_eq!(d["buckets_examined"], 500);
        assert_eq!(d["all_buckets"]["n"], 495);

        // Every count recomputed from the stand-in's rows.
        let (mut longs, mut shorts, mut long_hits, mut short_hits, mut rises) = (0, 0, 0, 0, 0);
        for k in 5..500 {
            let t = newest - k * HOUR;
            let gap = gap_pp("BTCUSDT", HOUR, t).unwrap();
            let r = price("BTCUSDT", t + 4 * HOUR) / price("BTCUSDT", t) - 1.0;
            rises += usize::from(r > 0.0);
            if gap <= -8.0 {
                longs += 1;
                long_hits += usize::from(r < 0.0);
            } else if gap >= 8.0 {
                shorts += 1;
                short_hits += usize::from(r > 0.0);
            }
        }
        let side = |name: &str| {
            let s = &d[name];
            (
                s["n"].as_u64().unwrap() as usize,
                s["hits"].as_u64().unwrap() as usize,
            )
        };
        assert_eq!(side("crowd_over_long"), (longs, long_hits));
        assert_eq!(side("crowd_over_short"), (shorts, short_hits));
        assert_eq!(side("all_buckets"), (495, rises));
        assert!(
            longs + shorts > 0,
            "the demo series fires the signal somewhere"
        );

        let klines: Vec<String> = standin
            .requests()
            .iter()
            .filter(|r| r.path == "/fapi/v1/klines")
            .map(|r| r.query.clone())
            .collect();
        assert_eq!(klines, ["symbol=BTCUSDT&interval=1h&limit=503"]);
        assert_eq!(standin.requests().len(), 4, "three cohorts and the klines");
        assert!(d["note"].as_str().unwrap().contains("not a forecast"));

        // A repeat within the bucket comes from the memo: no upstream request.
        let (status, again) = call(&deps, include_str!("../../../events/track-record.json")).await;
        assert_eq!(
            (status, &again["data"]["all_buckets"]),
            (200, &d["all_buckets"])
        );
        assert_eq!(standin.requests().len(), 4);
    }

    #[tokio::test]
    async fn format_csv_lists_each_sample_bucket_and_its_rows_give_every_statistic_of_the_json() {
        use shared::testing::{csv_table, with_query};
        let (standin, deps) = deps_over(Switches::demo()).await;
        let rest = include_str!("../../../events/track-record.json");
        let asked = with_query(rest, &[("horizon", "6")]);
        let (status, json) = call(&deps, &asked).await;
        assert_eq!(status, 200, "{json}");
        let d = &json["data"];
        let csv = with_query(&asked, &[("format", "csv")]);
        let r = function_handler(&deps, event(&csv)).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"BTCUSDT-1h-h6-track-record.csv\""
        );
        assert_eq!(standin.requests().len(), 4, "the memo answered the CSV");
        let (header, rows) = csv_table(&r);
        assert_eq!(
            header,
            [
                "timestamp",
                "long_pct_gap",
                "signal",
                "episode_start",
                "price",
                "forward_timestamp",
                "forward_price",
                "forward_return_pct",
                "hit",
            ]
        );
        assert_eq!(Some(rows.len() as u64), d["all_buckets"]["n"].as_u64());
        let int = |cell: &str| cell.parse::<i64>().unwrap();
        let num = |cell: &str| cell.parse::<f64>().unwrap();
        // Units of 1e-8 percent, as the statistics hold them.
        let units = |cell: &str| (num(cell) * 1e8).round() as i128;
        let pct2 = |units: i128, n: i128| {
            let (q, r) = (units / (n * 1_000_000), units % (n * 1_000_000));
            let q = if 2 * r.abs() >= n * 1_000_000 {
                q + units.signum()
            } else {
                q
            };
            q as f64 / 100.0
        };
        // Each row against the stand-in's raw rows, then each side's statistics from the rows.
        for row in &rows {
            let t = int(&row[0]);
            assert_eq!(int(&row[5]), t + 6 * HOUR);
            assert_eq!(
                num(&row[1]),
                gap_pp("BTCUSDT", HOUR, t).unwrap(),
                "gap at {t}"
            );
            assert_eq!(num(&row[4]), price("BTCUSDT", t));
            assert_eq!(num(&row[6]), price("BTCUSDT", t + 6 * HOUR));
            let r = num(&row[6]) / num(&row[4]) - 1.0;
            assert!((num(&row[7]) - r * 100.0).abs() < 1e-7, "return at {t}");
        }
        for (side, hit_rule) in [
            ("crowd_over_long", None),
            ("crowd_over_short", None),
            ("all_buckets", Some(())),
        ] {
            let chosen: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| hit_rule.is_some() || r[2] == side)
                .collect();
            let n = chosen.len() as i128;
            let hits = chosen
                .iter()
                .filter(|r| match hit_rule {
                    Some(()) => num(&r[7]) > 0.0,
                    None => r[8] == "true",
                })
                .count();
            let s = &d[side];
            assert_eq!(
                (s["n"].as_u64(), s["hits"].as_u64()),
                (Some(n as u64), Some(hits as u64)),
                "{side}"
            );
            if hit_rule.is_none() {
                let episodes = chosen.iter().filter(|r| r[3] == "true").count();
                assert_eq!(s["episodes"].as_u64(), Some(episodes as u64), "{side}");
            }
            if n == 0 {
                continue;
            }
            let mut returns: Vec<i128> = chosen.iter().map(|r| units(&r[7])).collect();
            returns.sort_unstable();
            let mean = pct2(returns.iter().sum(), n);
            let mid = returns.len() / 2;
            let median = match returns.len() % 2 {
                1 => pct2(returns[mid], 1),
                _ => pct2(returns[mid - 1] + returns[mid], 2),
            };
            assert_eq!(s["mean_return_pct"].as_f64(), Some(mean), "{side} mean");
            assert_eq!(
                s["median_return_pct"].as_f64(),
                Some(median),
                "{side} median"
            );
        }
    }

    #[tokio::test]
    async fn a_bad_horizon_is_a_400_naming_it_with_no_upstream_request() {
        let (standin, deps) = deps_over(Switches::demo()).await;
        let (status, body) = call(
            &deps,
            include_str!("../../../events/track-record-bad-horizon.json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "horizon");
        assert!(body["message"].as_str().unwrap().contains("1 to 48"));
        assert!(standin.requests().is_empty());
    }

    #[tokio::test]
    async fn the_cargo_lambda_event_at_4h_covers_what_binance_keeps() {
        let (_standin, deps) = deps_over(Switches::demo()).await;
        let (status, body) =
            call(&deps, include_str!("../../../events/v2/track-record.json")).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        let p = 4 * HOUR;
        let (oldest, newest) = (
            standin::oldest_bucket(DEMO_NOW_MS, p),
            standin::newest_bucket(DEMO_NOW_MS, p),
        );
        // About 30 days of 4h buckets, not 500; the last 6 lack a closed kline 6 buckets on
        // (and the newest kline, 12:00's, is still open).
        assert_eq!(d["buckets_examined"], (newest - oldest) / p + 1);
        assert_eq!(d["from"], oldest);
        assert_eq!(d["to"], newest - 7 * p);
        assert_eq!(d["horizon_buckets"], 6);
        assert_eq!(d["symbol"], "ETHUSDT");
    }

    #[tokio::test]
    async fn an_unknown_coin_is_a_404_and_an_html_answer_a_502() {
        let (standin, deps) = deps_over(Switches::demo()).await;
        let unknown = include_str!("../../../events/track-record.json").replace("BTC", "NOPE");
        let (status, body) = call(&deps, &unknown).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("unknown_symbol"))
        );
        standin
            .push_fault(standin::Fault::new(standin::FaultKind::Html).at(standin::Venue::Binance));
        let eth = include_str!("../../../events/track-record.json").replace("BTC", "ETH");
        let (status, body) = call(&deps, &eth).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (502, Some("upstream_error"))
        );
    }
}
