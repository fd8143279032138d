//! The one log line of an invocation, and the metrics it carries.
//!
//! The line is one JSON object written to standard output, which Lambda sends to the function's
//! log group as one event. It is also a CloudWatch Embedded Metric Format document: its `_aws`
//! member tells CloudWatch Logs to read the metrics below from the same object, so metrics cost
//! no API call and no agent. Namespace [`NAMESPACE`]; every metric over all routes (no
//! dimension), and [`PER_ROUTE`] also per route (dimension `Route`). Never the API key, nor
//! anything derived from it.
//!
//! | metric | unit | per call |
//! |---|---|---|
//! | `Calls` | Count | 1 |
//! | `Latency` | Milliseconds | the whole invocation |
//! | `Status4xx`, `Status5xx` | Count | 1 when the answer's status is in that class, else 0 |
//! | `MemoHits` | Count | 1 when the venues were asked and nothing was sent (all from the memo) |
//! | `StaleAnswers` | Count | 1 when the answer was served stale |
//! | `Error.<code>` | Count | 1, on an error answer, named by its `error.code` |
//! | `<venue>.UpstreamRequests` | Count | requests this call sent to the venue, retries included |
//! | `<venue>.<path>.PathRequests` | Count | the same per path (its last segment), as limits count |
//! | `<venue>.RateLimited` | Count | the venue's own rate-limit answers (429, 418, Bybit's 403) |
//!
//! `<venue>` is a venue's id or `hyperliquid` (the wallet routes' upstream; its paths are the
//! info request types and `leaderboard`).
//! | `binance.BudgetLeftPct` | Percent | the instance's Binance budget left on its tightest path |

use std::io::Write;
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::domain::clock::now_ms;
use crate::upstream::meter::{self, VenueMeter};
use crate::upstream::UpstreamReport;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "SmartMoneyApi";

/// Every metric a log line can carry, with its unit: the per-call ones, then the per-venue ones
/// (`<venue>.` before the name), then those of one venue. The template's alarms and dashboard
/// name only these (a consistency test reads this list).
pub const CALL_METRICS: [(&str, &str); 6] = [
    ("Calls", "Count"),
    ("Latency", "Milliseconds"),
    ("Status4xx", "Count"),
    ("Status5xx", "Count"),
    ("MemoHits", "Count"),
    ("StaleAnswers", "Count"),
];
pub const VENUE_METRICS: [(&str, &str); 2] =
    [("UpstreamRequests", "Count"), ("RateLimited", "Count")];
pub const BUDGET_METRIC: (&str, &str) = ("binance.BudgetLeftPct", "Percent");
/// `<venue>.<path>.PathRequests` for each path a venue was asked on (its last segment, Count).
pub const PATH_METRIC: &str = "PathRequests";
/// `Error.<code>` for each `error.code` (Count).
pub const ERROR_PREFIX: &str = "Error.";
/// The metrics also kept per route (dimension `Route`); every other one only over all routes.
pub const PER_ROUTE: [&str; 3] = ["Calls", "Status4xx", "Status5xx"];

/// The one log line of an invocation. [`Call`](super::Call) writes it for every route's handler;
/// a function that answers without a `Call` (the MCP server's) fills in what it knows and writes
/// the same line. Never headers: the caller's `x-api-key` is never logged. A field that is `None`
/// is left out of the line.
#[derive(Clone, Copy, Debug)]
pub struct LogLine<'a> {
    pub request_id: &'a str,
    pub route: &'a str,
    pub symbol: Option<&'a str>,
    pub period: Option<&'a str>,
    /// The JSON-RPC method and tool of an MCP call.
    pub rpc_method: Option<&'a str>,
    pub tool: Option<&'a str>,
    pub status: u16,
    /// `ok`, or the error's `error.code`.
    pub outcome: Option<&'a str>,
    /// The parameter a 400 names.
    pub parameter: Option<&'a str>,
    /// What the call's upstream fetches cost, added up.
    pub upstream: Option<UpstreamReport>,
    /// The answer was served stale from the memo.
    pub stale: Option<bool>,
    /// When the invocation began: the line says the microseconds since.
    pub started: Instant,
}

impl<'a> LogLine<'a> {
    /// The line of a call to `route` that began at `started`, nothing else known yet.
    pub fn new(request_id: &'a str, route: &'a str, started: Instant) -> Self {
        LogLine {
            request_id,
            route,
            symbol: None,
            period: None,
            rpc_method: None,
            tool: None,
            status: 200,
            outcome: None,
            parameter: None,
            upstream: None,
            stale: None,
            started,
        }
    }

    /// Writes the line with what the venues saw since the last line (`upstream::meter`).
    pub fn write(self) {
        let elapsed_us = self.started.elapsed().as_micros() as u64;
        let line = self.to_json(elapsed_us, &meter::take(), now_ms());
        #[cfg(any(test, feature = "testing"))]
        if CAPTURED
            .with(|c| {
                c.borrow_mut()
                    .as_mut()
                    .map(|lines| lines.push(line.clone()))
            })
            .is_some()
        {
            return;
        }
        let mut out = std::io::stdout().lock();
        // A log line that cannot be written must not fail the answer.
        let _ = writeln!(out, "{line}");
    }

    /// The line as JSON: its fields, "answered" (or "answered with an error" from status 400
    /// on), and the metrics of the call and of `venues`, stamped `now_ms`.
    pub fn to_json(&self, elapsed_us: u64, venues: &[VenueMeter], now_ms: i64) -> Value {
        let mut line = Map::new();
        let mut put = |k: &str, v: Value| {
            if !v.is_null() {
                line.insert(k.to_string(), v);
            }
        };
        put("level", json!("INFO"));
        let message = if self.status < 400 {
            "answered"
        } else {
            "answered with an error"
        };
        put("message", json!(message));
        put("request_id", json!(self.request_id));
        put("route", json!(self.route));
        put("symbol", json!(self.symbol));
        put("period", json!(self.period));
        put("rpc_method", json!(self.rpc_method));
        put("tool", json!(self.tool));
        put("status", json!(self.status));
        put("outcome", json!(self.outcome));
        put("parameter", json!(self.parameter));
        put("upstream_ms", json!(self.upstream.map(|u| u.elapsed_ms)));
        put(
            "upstream_requests",
            json!(self.upstream.map(|u| u.requests)),
        );
        put("stale", json!(self.stale));
        put("elapsed_us", json!(elapsed_us));

        // The metrics: values at the root, named in `_aws`.
        let class = |c: u16| u8::from(self.status / 100 == c);
        let memo_hit = self
            .upstream
            .is_some_and(|u| u.requests == 0 && u.outcome == "ok" && !u.stale);
        let mut metrics: Vec<(String, &str, Value)> = vec![
            ("Calls".into(), "Count", json!(1)),
            (
                "Latency".into(),
                "Milliseconds",
                json!(elapsed_us as f64 / 1000.0),
            ),
            ("Status4xx".into(), "Count", json!(class(4))),
            ("Status5xx".into(), "Count", json!(class(5))),
            ("MemoHits".into(), "Count", json!(u8::from(memo_hit))),
            (
                "StaleAnswers".into(),
                "Count",
                json!(u8::from(self.stale == Some(true))),
            ),
        ];
        if self.status >= 400 {
            if let Some(code) = self.outcome {
                metrics.push((format!("{ERROR_PREFIX}{code}"), "Count", json!(1)));
            }
        }
        for v in venues {
            let id = v.upstream.id();
            metrics.push((format!("{id}.UpstreamRequests"), "Count", json!(v.requests)));
            for (path, n) in &v.paths {
                metrics.push((format!("{id}.{path}.{PATH_METRIC}"), "Count", json!(n)));
            }
            metrics.push((format!("{id}.RateLimited"), "Count", json!(v.rate_limited)));
            if let Some(pct) = v.budget_left_pct {
                metrics.push((format!("{id}.BudgetLeftPct"), "Percent", json!(pct)));
            }
        }
        // Per route and overall only what the dashboard shows per route and the alarms read
        // overall: each metric × dimension set is a custom metric billed monthly.
        let (per_route, overall): (Vec<Value>, Vec<Value>) = metrics
            .iter()
            .map(|(name, unit, _)| {
                (
                    PER_ROUTE.contains(&name.as_str()),
                    json!({"Name": name, "Unit": unit}),
                )
            })
            .fold((Vec::new(), Vec::new()), |(mut r, mut o), (routed, d)| {
                if routed {
                    r.push(d);
                } else {
                    o.push(d);
                }
                (r, o)
            });
        for (name, _, value) in metrics {
            line.insert(name, value);
        }
        line.insert("Route".into(), json!(self.route));
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {"Namespace": NAMESPACE, "Dimensions": [["Route"], []], "Metrics": per_route},
                    {"Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": overall},
                ],
            }),
        );
        Value::Object(line)
    }
}

#[cfg(any(test, feature = "testing"))]
thread_local! {
    /// Where [`capture`] collects this thread's lines instead of standard output.
    static CAPTURED: std::cell::RefCell<Option<Vec<Value>>> = const { std::cell::RefCell::new(None) };
}

/// The log lines `f` writes on this thread (a current-thread runtime's test), instead of
/// standard output.
#[cfg(any(test, feature = "testing"))]
pub async fn capture<F: std::future::Future>(f: F) -> (F::Output, Vec<Value>) {
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let output = f.await;
    let lines = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (output, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Venue;

    fn line(
        status: u16,
        outcome: &'static str,
        upstream: Option<UpstreamReport>,
    ) -> LogLine<'static> {
        LogLine {
            symbol: Some("ETHUSDT"),
            period: Some("1h"),
            status,
            outcome: Some(outcome),
            upstream,
            stale: Some(false),
            ..LogLine::new("req-1", "/v1/signal", Instant::now())
        }
    }

    /// The metric names `_aws` declares (per route first, then overall), with their units.
    fn declared(v: &Value) -> Vec<(String, String)> {
        v["_aws"]["CloudWatchMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["Metrics"].as_array().unwrap().iter())
            .map(|m| {
                (
                    m["Name"].as_str().unwrap().to_string(),
                    m["Unit"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn an_answer_from_the_memo_is_one_call_one_memo_hit_in_emf_per_route_and_overall() {
        let memo = UpstreamReport {
            elapsed_ms: 0,
            requests: 0,
            outcome: "ok",
            stale: false,
        };
        let v = line(200, "ok", Some(memo)).to_json(2_500, &[], 1_785_628_800_000);
        let aws = &v["_aws"];
        assert_eq!(aws["Timestamp"], 1_785_628_800_000_i64);
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert!(directives.iter().all(|d| d["Namespace"] == "SmartMoneyApi"));
        assert_eq!(directives[0]["Dimensions"], json!([["Route"], []]));
        assert_eq!(directives[1]["Dimensions"], json!([[]]));
        assert_eq!(v["Route"], "/v1/signal");
        assert_eq!(
            declared(&v),
            [
                ("Calls", "Count"),
                ("Status4xx", "Count"),
                ("Status5xx", "Count"),
                ("Latency", "Milliseconds"),
                ("MemoHits", "Count"),
                ("StaleAnswers", "Count"),
            ]
            .map(|(n, u)| (n.to_string(), u.to_string()))
        );
        // Every declared metric has its value at the root, as EMF requires.
        assert_eq!(
            [
                &v["Calls"],
                &v["Latency"],
                &v["Status4xx"],
                &v["Status5xx"],
                &v["MemoHits"],
                &v["StaleAnswers"]
            ],
            [
                &json!(1),
                &json!(2.5),
                &json!(0),
                &json!(0),
                &json!(1),
                &json!(0)
            ]
        );
        assert_eq!(
            (v["message"].as_str(), v["elapsed_us"].as_u64()),
            (Some("answered"), Some(2_500))
        );
        assert_eq!(v["upstream_requests"], 0);
    }

    #[test]
    fn an_error_counts_its_class_and_code_and_each_venue_its_requests_and_rate_limits() {
        let sent = UpstreamReport {
            elapsed_ms: 80,
            requests: 5,
            outcome: "upstream_rate_limited",
            stale: false,
        };
        let venues = [
            VenueMeter {
                upstream: Venue::Binance.into(),
                requests: 4,
                paths: vec![
                    ("globalLongShortAccountRatio".into(), 3),
                    ("openInterestHist".into(), 1),
                ],
                rate_limited: 1,
                budget_left_pct: Some(7),
            },
            VenueMeter {
                upstream: Venue::Okx.into(),
                requests: 1,
                paths: vec![],
                rate_limited: 0,
                budget_left_pct: None,
            },
        ];
        let v = line(503, "upstream_rate_limited", Some(sent)).to_json(90_000, &venues, 0);
        let names: Vec<String> = declared(&v).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names[6..],
            [
                "Error.upstream_rate_limited",
                "binance.UpstreamRequests",
                "binance.globalLongShortAccountRatio.PathRequests",
                "binance.openInterestHist.PathRequests",
                "binance.RateLimited",
                "binance.BudgetLeftPct",
                "okx.UpstreamRequests",
                "okx.RateLimited",
            ]
        );
        assert_eq!(
            (
                &v["Status5xx"],
                &v["Status4xx"],
                &v["MemoHits"],
                &v["Error.upstream_rate_limited"]
            ),
            (&json!(1), &json!(0), &json!(0), &json!(1))
        );
        assert_eq!(
            (
                &v["binance.UpstreamRequests"],
                &v["binance.RateLimited"],
                &v["binance.BudgetLeftPct"],
                &v["okx.UpstreamRequests"]
            ),
            (&json!(4), &json!(1), &json!(7), &json!(1))
        );
        assert_eq!(v["message"], "answered with an error");
    }

    #[test]
    fn the_line_never_carries_a_key_or_a_header() {
        let v = line(200, "ok", None).to_json(1, &[], 0);
        let text = v.to_string().to_lowercase();
        for word in ["x-api-key", "api_key", "apikey", "header", "authorization"] {
            assert!(!text.contains(word), "{word} in {text}");
        }
        // Every member is a field of ours or a metric: nothing else can slip in.
        let known: Vec<&str> = CALL_METRICS.iter().map(|(n, _)| *n).collect();
        for key in v.as_object().unwrap().keys() {
            let ours = [
                "level",
                "message",
                "request_id",
                "route",
                "symbol",
                "period",
                "status",
                "outcome",
                "stale",
                "elapsed_us",
                "Route",
                "_aws",
            ];
            assert!(
                ours.contains(&key.as_str()) || known.contains(&key.as_str()),
                "{key}"
            );
        }
    }
}
