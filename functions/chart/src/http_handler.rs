//! `GET /v1/chart`: `/v1/history`'s points as an SVG image. See `shared::endpoints::chart` and
//! `shared::render::svg`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::chart;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, chart::ROUTE);
    let result = async {
        let params = call.params(chart::PARAMS, chart::params)?;
        let market = &params.market;
        call.record_market(Some(&market.symbol), market.period);
        let (config, binance) = deps.binance().await;
        // The same fetch as /v1/history's for the same limit: the same rows, the same memo entry.
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
        Ok(chart::answer(
            config.threshold,
            provenance,
            &series,
            &params,
        ))
    }
    .await;
    Ok(call.respond_svg(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::render::svg::{LONG_BOTTOM, LONG_TOP};
    use shared::testing::{deps_over, status_and_body};
    use standin::Switches;

    const HOUR: i64 = 3_600_000;
    const REST: &str = include_str!("../../../events/chart.json");

    /// The REST event with `name=value` added to (or replaced in) its query string.
    fn with_query(name: &str, value: &str) -> String {
        let mut event: Value = serde_json::from_str(REST).unwrap();
        event["queryStringParameters"][name] = value.into();
        event["multiValueQueryStringParameters"][name] = serde_json::json!([value]);
        event.to_string()
    }

    async fn answer(deps: &Deps, event: &str) -> Response<Body> {
        function_handler(deps, lambda_http::request::from_str(event).unwrap())
            .await
            .unwrap()
    }

    /// A polyline's vertices, (x, y).
    type Line = Vec<(f64, f64)>;

    /// The SVG as XML: the root's attributes and, per series id, its polylines.
    struct Parsed {
        root: Vec<(String, String)>,
        series: Vec<(String, Vec<Line>)>,
    }

    impl Parsed {
        fn root(&self, name: &str) -> &str {
            &self.root.iter().find(|(n, _)| n == name).unwrap().1
        }
        fn vertices(&self, id: &str) -> Vec<(f64, f64)> {
            let (_, lines) = self.series.iter().find(|(s, _)| s == id).unwrap();
            lines.concat()
        }
    }

    /// Fails on anything that is not well-formed XML (xmlparser checks the syntax, the stack
    /// here checks that every element closes).
    fn parse(svg: &str) -> Parsed {
        use xmlparser::{ElementEnd, Token, Tokenizer};
        let mut parsed = Parsed {
            root: Vec::new(),
            series: Vec::new(),
        };
        let mut open: Vec<String> = Vec::new();
        let mut element = String::new();
        for token in Tokenizer::from(svg) {
            match token.unwrap_or_else(|e| panic!("not XML: {e}")) {
                Token::ElementStart { local, .. } => {
                    element = local.as_str().to_string();
                    open.push(element.clone());
                }
                Token::Attribute { local, value, .. } => {
                    let (name, value) = (local.as_str(), value.as_str());
                    if open.len() == 1 {
                        parsed.root.push((name.to_string(), value.to_string()));
                    } else if element == "g" && name == "id" && value.starts_with("series-") {
                        parsed.series.push((value.to_string(), Vec::new()));
                    } else if element == "polyline" && name == "points" {
                        let vertices = value
                            .split(' ')
                            .map(|xy| {
                                let (x, y) = xy.split_once(',').unwrap();
                                (x.parse().unwrap(), y.parse().unwrap())
                            })
                            .collect();
                        parsed.series.last_mut().unwrap().1.push(vertices);
                    }
                }
                Token::ElementEnd { end, .. } => match end {
                    ElementEnd::Open => {}
                    ElementEnd::Empty => {
                        open.pop();
                    }
                    ElementEnd::Close(_, local) => {
                        assert_eq!(open.pop().as_deref(), Some(local.as_str()));
                    }
                },
                _ => {}
            }
        }
        assert!(open.is_empty(), "unclosed {open:?}");
        parsed
    }

    #[tokio::test]
    async fn when_the_rest_event_asks_for_btc_1h_should_draw_the_96_history_points_as_svg() {
        let (standin, deps) = deps_over(Switches::demo()).await;
        let r = answer(&deps, REST).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/svg+xml; charset=utf-8");
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age="));
        let svg = std::str::from_utf8(r.body()).unwrap();
        let chart = parse(svg);
        assert_eq!(
            (
                chart.root("data-symbol"),
                chart.root("data-period"),
                chart.root("data-count")
            ),
            ("BTCUSDT", "1h", "96")
        );
        // The stand-in's data says so on the picture, as history's `source` does.
        assert!(chart
            .root("data-source")
            .starts_with("local_standin: SIMULATED"));
        assert!(svg.contains("<text id=\"simulated\""));
        // Binance was asked for the default 96 rows of each cohort, as history would be.
        let asked: Vec<String> = standin.requests().iter().map(|r| r.query.clone()).collect();
        assert_eq!(asked.len(), 3);
        assert!(asked.iter().all(|q| q.contains("limit=96")), "{asked:?}");
        // One vertex per bucket, newest at the right edge, one period apart.
        let newest = standin::newest_bucket(standin::DEMO_NOW_MS, HOUR);
        assert_eq!(
            chart.root("data-t1").parse::<i64>().unwrap(),
            newest,
            "the newest bucket"
        );
        assert_eq!(
            chart.root("data-t0").parse::<i64>().unwrap(),
            newest - 95 * HOUR
        );
        for id in [
            "series-retail_crowd",
            "series-top_traders_by_accounts",
            "series-top_traders_by_position",
            "series-long_pct_gap",
        ] {
            let xs: Vec<f64> = chart.vertices(id).iter().map(|v| v.0).collect();
            assert_eq!(xs.len(), 96, "{id}");
            assert!(xs.windows(2).all(|w| w[0] < w[1]), "{id}");
        }
    }

    #[tokio::test]
    async fn the_chart_draws_exactly_the_points_history_answers() {
        let (_standin, deps) = deps_over(Switches::demo()).await;
        let v2 = include_str!("../../../events/v2/chart.json");
        let r = answer(&deps, v2).await;
        assert_eq!(r.status(), 200);
        let chart = parse(std::str::from_utf8(r.body()).unwrap());
        // The same fetch and join as /v1/history?coin=SOL&period=4h&limit=30 (served by the memo).
        let (_, binance) = deps.binance().await;
        let symbol = shared::domain::Symbol::from_coin("SOL").unwrap();
        let period = shared::domain::Period::H4;
        let series = deps
            .warm
            .fetch(&binance, &symbol, period, 30, false)
            .await
            .result
            .unwrap();
        let points = shared::maths::history::history(&series, 30, period.millis());
        assert_eq!(points.len(), 30);
        // Top panel: 0% at LONG_BOTTOM, 100% at LONG_TOP, to the one decimal written.
        let ys: Vec<f64> = chart
            .vertices("series-top_traders_by_position")
            .iter()
            .map(|v| v.1)
            .collect();
        let want: Vec<f64> = points
            .iter()
            .map(|p| {
                let v = p.top_traders_by_position_long_pct.to_f64();
                ((LONG_BOTTOM - (LONG_BOTTOM - LONG_TOP) * v / 100.0) * 10.0).round() / 10.0
            })
            .collect();
        assert_eq!(ys, want);
    }

    /// The demo data on the stand-in's fixed clock, drawn byte for byte as saved in
    /// `tests/golden/` (`UPDATE_GOLDEN=1` saves a meant change; look at it with scripts/chart_png).
    #[tokio::test]
    async fn the_demo_charts_are_drawn_byte_for_byte_as_saved() {
        let (_standin, deps) = deps_over(Switches::demo()).await;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let v2 = include_str!("../../../events/v2/chart.json");
        for (name, event) in [("rest-btc-1h-96", REST), ("v2-sol-4h-30", v2)] {
            let r = answer(&deps, event).await;
            assert_eq!(r.status(), 200, "{name}");
            let svg = std::str::from_utf8(r.body()).unwrap();
            let path = dir.join(format!("{name}.svg"));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, svg).unwrap();
            } else {
                let saved = std::fs::read_to_string(&path).unwrap();
                assert!(
                    saved == svg,
                    "{name} is drawn differently from {}",
                    path.display()
                );
            }
        }
    }

    #[tokio::test]
    async fn when_limit_is_over_500_should_return_a_json_400_naming_limit_without_calling_binance()
    {
        let (standin, deps) = deps_over(Switches::demo()).await;
        let r = answer(&deps, include_str!("../../../events/chart-bad-limit.json")).await;
        assert_eq!(r.headers()["content-type"], "application/json");
        let (status, body) = status_and_body(&r);
        assert_eq!(status, 400);
        assert_eq!(body["error"]["parameter"], "limit");
        assert_eq!(body["success"], Value::Bool(false));
        // `format` is history's, not the chart's: unknown here.
        let (status, body) = status_and_body(&answer(&deps, &with_query("format", "csv")).await);
        assert_eq!(
            (status, body["error"]["parameter"].as_str()),
            (400, Some("format"))
        );
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn when_the_symbol_is_unknown_upstream_should_answer_history_s_json_404() {
        let (_standin, deps) = deps_over(Switches::demo()).await;
        let r = answer(&deps, &with_query("coin", "NOPE")).await;
        assert_eq!(r.headers()["content-type"], "application/json");
        let (status, body) = status_and_body(&r);
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("unknown_symbol"))
        );
    }
}
