//! `POST /v1/mcp`: the API Gateway event in, through rmcp's Streamable HTTP service (see
//! `server`), its answer out. A body that is not a JSON-RPC message is refused here with a
//! JSON-RPC error (400) before rmcp sees it, so no parser message (which may name Rust types)
//! reaches the caller. GET and DELETE get rmcp's 405 (`Allow: POST`: stateless, there is no
//! stream to open and no session to end). Every error of the route is a JSON-RPC error object
//! (`application/json`); another path is the API's usual 404 envelope.

use std::time::Instant;

use http_body_util::BodyExt;
use lambda_http::http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{tracing, Body, Error, Request, Response};
use rmcp::model::ClientJsonRpcMessage;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::domain::error::printable;
use shared::edge::call::{self, LogLine};
use shared::edge::envelope;
use shared::ApiError;

use crate::server::McpService;

pub const ROUTE: &str = shared::endpoints::MCP_ROUTE;

pub async fn function_handler(
    service: &McpService,
    event: Request,
) -> Result<Response<Body>, Error> {
    let started = Instant::now();
    let request_id = call::request_id(&event);
    if !call::path_matches(event.uri().path(), ROUTE) {
        return Ok(envelope::failure(&ApiError::NotFound, &request_id));
    }
    let rpc = match *event.method() {
        Method::POST => match Rpc::read(event.body()) {
            Ok(rpc) => Some(rpc),
            Err(refusal) => {
                let response = refusal.response();
                log(&request_id, None, response.status(), started);
                return Ok(response);
            }
        },
        _ => None,
    };
    let (parts, body) = service.handle(event).await.into_parts();
    let Ok(collected) = body.collect().await;
    let mut response = Response::from_parts(parts, body_of(collected.to_bytes().to_vec()));
    if response.status().is_server_error() {
        // rmcp's own 5xx text may carry an internal error's wording: say nothing of it.
        let status = response.status().as_u16();
        let body = response.body();
        tracing::error!(request_id, status, ?body, "the MCP service failed");
        response = jsonrpc_error(StatusCode::INTERNAL_SERVER_ERROR, -32603, "Internal error");
    }
    if response.status().is_client_error() && !is_json(&response) {
        // rmcp's own refusals (405, 406, 415, a bad protocol version header) are plain text:
        // the same words as a JSON-RPC error, like every other error of this route.
        let text = String::from_utf8_lossy(response.body());
        let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        let mut refusal = jsonrpc_error(response.status(), -32600, &text);
        if let Some(allow) = response.headers().get(ALLOW) {
            refusal.headers_mut().insert(ALLOW, allow.clone());
        }
        response = refusal;
    }
    log(&request_id, rpc.as_ref(), response.status(), started);
    Ok(response)
}

/// What the JSON-RPC message asks, for the log line.
struct Rpc {
    method: Option<String>,
    tool: Option<String>,
}

/// Why a body is not one JSON-RPC message rmcp understands.
enum Refusal {
    NotJson,
    NotJsonRpc,
}

impl Rpc {
    fn read(body: &[u8]) -> Result<Rpc, Refusal> {
        let value = serde_json::from_slice::<Value>(body).map_err(|_| Refusal::NotJson)?;
        ClientJsonRpcMessage::deserialize(&value).map_err(|_| Refusal::NotJsonRpc)?;
        let text = |v: &Value| v.as_str().map(|s| printable(s, 64));
        Ok(Rpc {
            method: text(&value["method"]),
            tool: text(&value["params"]["name"]),
        })
    }
}

impl Refusal {
    /// 400 with JSON-RPC's own error codes.
    fn response(self) -> Response<Body> {
        let (code, message) = match self {
            Refusal::NotJson => (-32700, "Parse error: the body is not JSON"),
            Refusal::NotJsonRpc => (
                -32600,
                "Invalid Request: the body is not one JSON-RPC 2.0 request, notification or response",
            ),
        };
        jsonrpc_error(StatusCode::BAD_REQUEST, code, message)
    }
}

/// A JSON-RPC error answer with no id (the request's could not be read).
fn jsonrpc_error(status: StatusCode, code: i32, message: &str) -> Response<Body> {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let json = HeaderValue::from_static("application/json");
    response.headers_mut().insert(CONTENT_TYPE, json);
    response
}

fn is_json(response: &Response<Body>) -> bool {
    let content_type = response.headers().get(CONTENT_TYPE);
    content_type.is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

fn body_of(bytes: Vec<u8>) -> Body {
    if bytes.is_empty() {
        return Body::Empty;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    }
}

/// One line per invocation, every route's own (each tool call also leaves the route's line, with
/// the same request id). Never the caller's headers: the API key is not logged.
fn log(request_id: &str, rpc: Option<&Rpc>, status: StatusCode, started: Instant) {
    LogLine {
        rpc_method: rpc.and_then(|r| r.method.as_deref()),
        tool: rpc.and_then(|r| r.tool.as_deref()),
        status: status.as_u16(),
        ..LogLine::new(request_id, ROUTE, started)
    }
    .write();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lambda_http::RequestExt;
    use serde_json::{json, Value};
    use shared::Deps;
    use standin::{StandInHandle, Switches};

    use super::*;
    use crate::server;
    use crate::tools::Tool;

    const INITIALIZE: &str = include_str!("../../../events/mcp-initialize.json");
    const TOOLS_LIST: &str = include_str!("../../../events/mcp-tools-list.json");
    const TOOLS_CALL: &str = include_str!("../../../events/mcp-tools-call.json");
    const V2: &str = include_str!("../../../events/v2/mcp.json");

    async fn setup() -> (StandInHandle, McpService) {
        setup_over(Switches::demo()).await
    }

    async fn setup_over(switches: Switches) -> (StandInHandle, McpService) {
        let (standin, deps) = shared::testing::deps_over(switches).await;
        (standin, server::service(Arc::new(deps)))
    }

    /// The stand-in a tool is compared over: Binance's demo clock, or for the wallet tools a
    /// clock at `now_ms` (the wallet routes read fills back from the wall clock).
    fn switches(tool: Tool, now_ms: i64) -> Switches {
        match tool {
            Tool::Wallets | Tool::WalletPositions => Switches {
                now_ms: Some(now_ms),
                ..Default::default()
            },
            _ => Switches::demo(),
        }
    }

    fn edit(template: &str, change: impl FnOnce(&mut Value)) -> String {
        let mut event: Value = serde_json::from_str(template).unwrap();
        change(&mut event);
        event.to_string()
    }

    fn with_body(template: &str, body: &str) -> String {
        edit(template, |e| e["body"] = body.into())
    }

    fn tools_call(tool: &str, arguments: Value) -> String {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                          "params": {"name": tool, "arguments": arguments}});
        with_body(TOOLS_CALL, &body.to_string())
    }

    async fn answer(service: &McpService, event: &str) -> Response<Body> {
        let event = lambda_http::request::from_str(event).unwrap();
        function_handler(service, event).await.unwrap()
    }

    fn json_of(response: &Response<Body>) -> Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    /// The JSON-RPC result of a 200 application/json answer.
    async fn result(service: &McpService, event: &str) -> Value {
        let r = answer(service, event).await;
        assert_eq!(r.status(), 200, "{:?}", r.body());
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        let body = json_of(&r);
        assert_eq!(body["jsonrpc"], "2.0");
        assert!(body.get("error").is_none(), "{body}");
        body["result"].clone()
    }

    /// The route's own REST event, with `query` as its query string.
    fn route_event(tool: Tool, query: &[(&str, &str)]) -> Request {
        let template = match tool {
            Tool::Positioning => include_str!("../../../events/positioning.json"),
            Tool::Divergence => include_str!("../../../events/divergence.json"),
            Tool::History => include_str!("../../../events/history.json"),
            Tool::Signal => include_str!("../../../events/signal.json"),
            Tool::Screener => include_str!("../../../events/screener.json"),
            Tool::Exchanges => include_str!("../../../events/exchanges.json"),
            Tool::TrackRecord => include_str!("../../../events/track-record.json"),
            Tool::Wallets => include_str!("../../../events/wallets.json"),
            Tool::WalletPositions => include_str!("../../../events/wallet-positions.json"),
        };
        let pairs = query.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        lambda_http::request::from_str(template)
            .unwrap()
            .with_query_string_parameters(pairs.collect::<std::collections::HashMap<_, _>>())
    }

    /// The route's handler's answer to `query`, over its own stand-in.
    async fn direct(tool: Tool, deps: &Deps, query: &[(&str, &str)]) -> Response<Body> {
        tool.answer(deps, route_event(tool, query)).await.unwrap()
    }

    /// Equal, but for what is measured against the wall clock at each answer: the data's age in
    /// seconds, when the wallets' cohort was read (each call reads it, from its own stand-in) and
    /// how long a wallet has held its position (hours to 1 decimal).
    fn assert_same(mcp: &Value, route: &Value, at: &str) {
        match (mcp, route) {
            (Value::Object(a), Value::Object(b)) => {
                let keys =
                    |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(a), keys(b), "{at}");
                for (k, v) in a {
                    if k == "newest_bucket_age_seconds" {
                        let (x, y) = (v.as_i64().unwrap(), b[k].as_i64().unwrap());
                        assert!((x - y).abs() <= 1, "{at}.{k}: {x} vs {y}");
                    } else if k == "as_of" && at.ends_with(".cohort") {
                        let (x, y) = (v.as_i64().unwrap(), b[k].as_i64().unwrap());
                        assert!((x - y).abs() <= 60_000, "{at}.{k}: {x} vs {y}");
                    } else if k.ends_with("hold_hours") && v.is_number() {
                        let (x, y) = (v.as_f64().unwrap(), b[k].as_f64().unwrap());
                        assert!((x - y).abs() <= 0.1 + 1e-9, "{at}.{k}: {x} vs {y}");
                    } else {
                        assert_same(v, &b[k], &format!("{at}.{k}"));
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                assert_eq!(a.len(), b.len(), "{at}");
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    assert_same(x, y, &format!("{at}[{i}]"));
                }
            }
            _ => assert_eq!(mcp, route, "{at}"),
        }
    }

    fn request_id_of(event: &str) -> Value {
        let event: Value = serde_json::from_str(event).unwrap();
        event["requestContext"]["requestId"].clone()
    }

    #[tokio::test]
    async fn each_call_leaves_one_log_line_with_its_rpc_method_and_tool() {
        let (_standin, service) = setup().await;
        let ((), lines) = shared::edge::log::capture(async {
            answer(&service, TOOLS_LIST).await;
            answer(&service, &with_body(TOOLS_LIST, "not json")).await;
        })
        .await;
        // One line per invocation, the same line as every route's (edge::log::LogLine).
        let fields: Vec<(&str, &str, Option<&str>, u64)> = lines
            .iter()
            .map(|l| {
                (
                    l["message"].as_str().unwrap(),
                    l["route"].as_str().unwrap(),
                    l["rpc_method"].as_str(),
                    l["status"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("answered", "/v1/mcp", Some("tools/list"), 200),
                ("answered with an error", "/v1/mcp", None, 400)
            ]
        );
        for l in &lines {
            assert_eq!(l["request_id"], "9b2e4d6f-1a3c-4e5b-8f7d-0c2a4e6b8d17");
            assert_eq!((&l["Route"], &l["Calls"]), (&json!("/v1/mcp"), &json!(1)));
        }
    }

    #[tokio::test]
    async fn initialize_answers_with_server_info_and_the_tools_capability_in_the_clients_version() {
        let (standin, service) = setup().await;
        let r = result(&service, INITIALIZE).await;
        assert_eq!(r["serverInfo"]["name"], "smartmoney-api");
        assert_eq!(r["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(r["capabilities"]["tools"].is_object(), "{r}");
        assert_eq!(
            r["capabilities"].as_object().unwrap().len(),
            1,
            "tools only"
        );
        assert_eq!(
            r["protocolVersion"], "2025-06-18",
            "the version the client asked"
        );
        let instructions = r["instructions"].as_str().unwrap();
        assert!(instructions.contains("Not financial advice"));
        assert_eq!(instructions, server::INSTRUCTIONS);
        assert!(
            include_str!("../../../openapi.yaml")
                .contains(&format!("instructions: \"{instructions}\"\n")),
            "openapi.yaml's initialize example gives the instructions as they are"
        );
        // A version rmcp does not know: the newest it does.
        let newer = edit(INITIALIZE, |e| {
            let mut body: Value = serde_json::from_str(e["body"].as_str().unwrap()).unwrap();
            body["params"]["protocolVersion"] = "2099-01-01".into();
            e["body"] = body.to_string().into();
            e["headers"]
                .as_object_mut()
                .unwrap()
                .remove("mcp-protocol-version");
            e["multiValueHeaders"]
                .as_object_mut()
                .unwrap()
                .remove("mcp-protocol-version");
        });
        let r = result(&service, &newer).await;
        assert_eq!(
            r["protocolVersion"],
            rmcp::model::ProtocolVersion::LATEST.as_str()
        );
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn tools_list_gives_every_tool_with_its_routes_parameters_as_its_input_schema() {
        let (standin, service) = setup().await;
        let r = result(&service, TOOLS_LIST).await;
        let tools = r["tools"].as_array().unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "positioning",
                "divergence",
                "history",
                "signal",
                "screener",
                "exchanges",
                "track_record",
                "wallets",
                "wallet_positions"
            ]
        );
        let periods: Vec<&str> = shared::domain::Period::ALL
            .iter()
            .map(|p| p.as_str())
            .collect();
        for (tool, listed) in Tool::ALL.into_iter().zip(tools) {
            let schema = &listed["inputSchema"];
            assert_eq!(schema["type"], "object", "{listed}");
            assert_eq!(schema["additionalProperties"], false, "{listed}");
            let required = match tool {
                Tool::WalletPositions => json!(["coin"]),
                _ => Value::Null,
            };
            assert_eq!(
                schema.get("required").unwrap_or(&Value::Null),
                &required,
                "every argument is optional but what the route requires"
            );
            let properties = schema["properties"].as_object().unwrap();
            let mut got: Vec<&str> = properties.keys().map(String::as_str).collect();
            let mut want = tool.params().to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{}: the route's PARAMS", tool.name());
            for (name, property) in properties {
                let description = property["description"].as_str().unwrap_or_default();
                assert!(
                    description.len() > 20,
                    "{}.{name} is described",
                    tool.name()
                );
                assert!(
                    !description.contains('\n'),
                    "{}.{name}: one line",
                    tool.name()
                );
                assert!(
                    property["type"].is_string(),
                    "{}.{name}: {property}",
                    tool.name()
                );
            }
            if tool.params().contains(&"period") {
                assert_eq!(
                    properties["period"]["enum"],
                    json!(periods),
                    "{}",
                    tool.name()
                );
            }
            assert_eq!(listed["annotations"]["readOnlyHint"], true);
            assert!(listed["description"].as_str().unwrap().len() > 80);
        }
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn every_tool_answers_with_the_data_and_the_upstream_requests_of_its_routes_own_handler()
    {
        type Case<'a> = (Tool, Value, &'a [(&'a str, &'a str)]);
        let cases: [Case; 9] = [
            (
                Tool::Positioning,
                json!({"coin": "ETH", "period": "1h"}),
                &[("coin", "ETH"), ("period", "1h")],
            ),
            (Tool::Divergence, json!({"coin": "sol"}), &[("coin", "sol")]),
            (
                Tool::History,
                json!({"symbol": "BTCUSDT", "period": "1h", "limit": 24}),
                &[("symbol", "BTCUSDT"), ("period", "1h"), ("limit", "24")],
            ),
            (
                Tool::Signal,
                json!({"coin": "BTC", "period": "1h"}),
                &[("coin", "BTC"), ("period", "1h")],
            ),
            (
                Tool::Screener,
                json!({"coins": "BTC,ETH,SOL,BNB", "period": "1h", "include_confidence": true,
                       "include_changes": true, "sort_by": "abs_gap", "min_abs_gap": 0.5}),
                &[
                    ("coins", "BTC,ETH,SOL,BNB"),
                    ("period", "1h"),
                    ("include_confidence", "true"),
                    ("include_changes", "true"),
                    ("sort_by", "abs_gap"),
                    ("min_abs_gap", "0.5"),
                ],
            ),
            (
                Tool::Exchanges,
                json!({"coin": "ETH", "period": "1h", "venues": "binance,okx,gate", "limit": 12}),
                &[
                    ("coin", "ETH"),
                    ("period", "1h"),
                    ("venues", "binance,okx,gate"),
                    ("limit", "12"),
                ],
            ),
            (
                Tool::TrackRecord,
                json!({"coin": "BTC", "period": "1h", "horizon": 4, "format": null}),
                &[("coin", "BTC"), ("period", "1h"), ("horizon", "4")],
            ),
            (
                Tool::Wallets,
                json!({"min_notional_usd": 10000, "include_hold_times": true,
                       "include_changes": "true", "change_window": "6h",
                       "include_confidence": true, "sort_by": "traders"}),
                &[
                    ("min_notional_usd", "10000"),
                    ("include_hold_times", "true"),
                    ("include_changes", "true"),
                    ("change_window", "6h"),
                    ("include_confidence", "true"),
                    ("sort_by", "traders"),
                ],
            ),
            (
                Tool::WalletPositions,
                json!({"coin": "btc", "limit": 5}),
                &[("coin", "btc"), ("limit", "5")],
            ),
        ];
        for (tool, arguments, query) in cases {
            let now = shared::domain::clock::now_ms();
            let (mcp_standin, service) = setup_over(switches(tool, now)).await;
            let event = tools_call(tool.name(), arguments);
            let r = result(&service, &event).await;
            assert_eq!(r["isError"], false, "{}: {r}", tool.name());
            let (route_standin, deps) = shared::testing::deps_over(switches(tool, now)).await;
            let route = direct(tool, &deps, query).await;
            let (status, route) = shared::testing::status_and_body(&route);
            assert_eq!(status, 200, "{route}");
            assert_same(&r["structuredContent"], &route["data"], tool.name());
            if let Some(coverage) = r["structuredContent"].get("coverage") {
                // The plan's whole weight reads every holder's fills: the holds are compared.
                assert_eq!(
                    coverage["wallets_known"],
                    coverage["wallets_holding"],
                    "{}",
                    tool.name()
                );
            }
            let text: Value =
                serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
            assert_eq!(text, r["structuredContent"], "the text is the same JSON");
            assert_eq!(r["_meta"]["request_id"], request_id_of(&event));
            assert!(mcp_standin.request_count() > 0);
            assert_eq!(
                mcp_standin.request_count(),
                route_standin.request_count(),
                "{}: the same upstream requests",
                tool.name()
            );
        }
    }

    #[tokio::test]
    async fn a_bad_argument_is_a_tool_error_naming_it_with_the_routes_message_and_no_upstream_request(
    ) {
        type Case<'a> = (Tool, Value, &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 14] = [
            (
                Tool::History,
                json!({"limit": "0"}),
                &[("limit", "0")],
                "limit",
            ),
            (
                Tool::History,
                json!({"limit": 501}),
                &[("limit", "501")],
                "limit",
            ),
            (Tool::History, json!({"coin": ""}), &[("coin", "")], "coin"),
            (
                Tool::Positioning,
                json!({"period": "7m"}),
                &[("period", "7m")],
                "period",
            ),
            (
                Tool::Divergence,
                json!({"peroid": "1h"}),
                &[("peroid", "1h")],
                "peroid",
            ),
            (
                Tool::Signal,
                json!({"coin": "ETH", "symbol": "BTCUSDT"}),
                &[("coin", "ETH"), ("symbol", "BTCUSDT")],
                "symbol",
            ),
            (
                Tool::Screener,
                json!({"sort_by": "confidence"}),
                &[("sort_by", "confidence")],
                "include_confidence",
            ),
            (
                Tool::Screener,
                json!({"include_changes": 1}),
                &[("include_changes", "1")],
                "include_changes",
            ),
            (
                Tool::Exchanges,
                json!({"venues": ["binance", "okx"]}),
                &[("venues", "[\"binance\",\"okx\"]")],
                "venues",
            ),
            (
                Tool::TrackRecord,
                json!({"horizon": 49}),
                &[("horizon", "49")],
                "horizon",
            ),
            (
                Tool::Wallets,
                json!({"signal_strength": "strong"}),
                &[("signal_strength", "strong")],
                "include_confidence",
            ),
            (
                Tool::Wallets,
                json!({"min_notional_usd": -1}),
                &[("min_notional_usd", "-1")],
                "min_notional_usd",
            ),
            (Tool::WalletPositions, json!({}), &[], "coin"),
            (
                Tool::WalletPositions,
                json!({"coin": "BTC", "limit": 201}),
                &[("coin", "BTC"), ("limit", "201")],
                "limit",
            ),
        ];
        for (tool, arguments, query, parameter) in cases {
            let (standin, service) = setup().await;
            let r = result(&service, &tools_call(tool.name(), arguments.clone())).await;
            let at = format!("{} {arguments}", tool.name());
            assert_eq!(r["isError"], true, "{at}: {r}");
            let error = &r["structuredContent"];
            assert_eq!(error["code"], "invalid_parameter", "{at}");
            assert_eq!(error["parameter"], parameter, "{at}");
            assert_eq!(error["status"], 400, "{at}");
            let text: Value =
                serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
            assert_eq!(&text, error, "{at}: the text carries the same error");
            assert_eq!(standin.request_count(), 0, "{at}: nothing asked upstream");
            let (_, deps) = shared::testing::deps_over(Switches::demo()).await;
            let (status, route) =
                shared::testing::status_and_body(&direct(tool, &deps, query).await);
            assert_eq!(status, 400, "{at}");
            assert_eq!(
                error["message"], route["message"],
                "{at}: the route's own message"
            );
            assert_eq!(error["parameter"], route["error"]["parameter"], "{at}");
        }
    }

    #[tokio::test]
    async fn an_upstream_failure_is_a_tool_error_with_the_routes_status_and_code() {
        let (_standin, service) = setup().await;
        let r = result(&service, &tools_call("divergence", json!({"coin": "NOPE"}))).await;
        assert_eq!(r["isError"], true, "{r}");
        let error = &r["structuredContent"];
        assert_eq!(
            (error["status"].as_u64(), error["code"].as_str()),
            (Some(404), Some("unknown_symbol"))
        );
        assert!(
            error["message"].as_str().unwrap().contains("NOPEUSDT"),
            "{error}"
        );
        assert!(error.get("parameter").is_none());
    }

    #[tokio::test]
    async fn format_csv_is_the_routes_csv_as_text() {
        let (_standin, service) = setup().await;
        let arguments = json!({"coin": "BTC", "period": "1h", "limit": 12, "format": "csv"});
        let r = result(&service, &tools_call("history", arguments)).await;
        assert_eq!(r["isError"], false, "{r}");
        assert!(r.get("structuredContent").is_none());
        let (_route_standin, deps) = shared::testing::deps_over(Switches::demo()).await;
        let query = [
            ("coin", "BTC"),
            ("period", "1h"),
            ("limit", "12"),
            ("format", "csv"),
        ];
        let route = direct(Tool::History, &deps, &query).await;
        assert_eq!(route.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
        let csv = std::str::from_utf8(route.body()).unwrap();
        assert_eq!(r["content"][0]["text"], csv);
        assert_eq!(csv.lines().count(), 13, "a header and 12 rows");
    }

    #[tokio::test]
    async fn the_v2_event_of_cargo_lambda_watch_is_answered_like_the_rest_one() {
        let (_standin, service) = setup().await;
        let r = result(&service, V2).await;
        assert_eq!(r["isError"], false, "{r}");
        assert_eq!(r["structuredContent"]["symbol"], "ETHUSDT");
        assert_eq!(r["structuredContent"]["period"], "1h");
        assert_eq!(
            r["structuredContent"]["cohorts"].as_array().unwrap().len(),
            3
        );
        assert_eq!(r["_meta"]["request_id"], request_id_of(V2));
    }

    #[tokio::test]
    async fn an_unknown_tool_is_a_json_rpc_invalid_params_error_listing_the_tools() {
        let (standin, service) = setup().await;
        let r = answer(&service, &tools_call("price", json!({}))).await;
        assert_eq!(r.status(), 200);
        let body = json_of(&r);
        assert_eq!(body["error"]["code"], -32602, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("'price'") && Tool::ALL.iter().all(|t| message.contains(t.name())),
            "{message}"
        );
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn a_notification_is_accepted_with_202_and_no_body() {
        let (_standin, service) = setup().await;
        let body = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let r = answer(&service, &with_body(TOOLS_LIST, body)).await;
        assert_eq!(r.status(), 202);
        assert!(r.body().is_empty());
    }

    #[tokio::test]
    async fn get_and_delete_are_405_allowing_post_only() {
        let (_standin, service) = setup().await;
        for method in ["GET", "DELETE", "PUT"] {
            let event = edit(INITIALIZE, |e| {
                e["httpMethod"] = method.into();
                e["requestContext"]["httpMethod"] = method.into();
                e["body"] = Value::Null;
            });
            let r = answer(&service, &event).await;
            assert_eq!(r.status(), 405, "{method}");
            assert_eq!(r.headers()["allow"], "POST", "{method}");
            assert_eq!(json_of(&r)["error"]["code"], -32600, "{method}");
        }
    }

    #[tokio::test]
    async fn a_body_that_is_not_one_json_rpc_message_is_a_400_json_rpc_error() {
        let (standin, service) = setup().await;
        let cases = [
            ("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ", -32700),
            ("", -32700),
            ("\u{1F4A9}", -32700),
            ("[]", -32600),
            (
                r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#,
                -32600,
            ),
            (r#"{"jsonrpc":"2.0"}"#, -32600),
            (r#"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#, -32600),
            (
                r#"{"id":1,"method":"tools/call","params":"history"}"#,
                -32600,
            ),
            ("null", -32600),
        ];
        for (body, code) in cases {
            let r = answer(&service, &with_body(TOOLS_LIST, body)).await;
            assert_eq!(r.status(), 400, "{body:?}");
            assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
            let answer = json_of(&r);
            assert_eq!(answer["error"]["code"], code, "{body:?}: {answer}");
            assert_eq!(answer["id"], Value::Null);
        }
        // Bytes that are not UTF-8 (API Gateway hands them over base64-encoded).
        let binary = edit(TOOLS_LIST, |e| {
            e["body"] = "//5ub3QganNvbg==".into();
            e["isBase64Encoded"] = true.into();
        });
        let r = answer(&service, &binary).await;
        assert_eq!(r.status(), 400);
        assert_eq!(json_of(&r)["error"]["code"], -32700);
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn requests_an_mcp_client_must_not_send_are_4xx_never_5xx() {
        let (_standin, service) = setup().await;
        let header = |name: &'static str, value: Option<&'static str>| {
            edit(TOOLS_LIST, move |e| {
                for map in ["headers", "multiValueHeaders"] {
                    let headers = e[map].as_object_mut().unwrap();
                    headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
                    if let Some(v) = value {
                        let v = if map == "headers" {
                            json!(v)
                        } else {
                            json!([v])
                        };
                        headers.insert(name.into(), v);
                    }
                }
            })
        };
        let cases = [
            (header("Accept", Some("text/html")), 406, "Not Acceptable"),
            (header("Accept", None), 406, "Not Acceptable"),
            (
                header("Content-Type", Some("text/plain")),
                415,
                "Content-Type",
            ),
            (
                header("mcp-protocol-version", Some("1999-01-01")),
                400,
                "1999-01-01",
            ),
        ];
        for (event, status, words) in cases {
            let r = answer(&service, &event).await;
            assert_eq!(r.status(), status, "{:?}", r.body());
            assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
            let error = &json_of(&r)["error"];
            assert_eq!(error["code"], -32600);
            assert!(
                error["message"].as_str().unwrap().contains(words),
                "{error}"
            );
        }
    }

    #[tokio::test]
    async fn another_path_is_the_envelopes_404() {
        let (_standin, service) = setup().await;
        let event = edit(TOOLS_LIST, |e| e["path"] = "/v1/mcp/x".into());
        let r = answer(&service, &event).await;
        let (status, body) = shared::testing::status_and_body(&r);
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found"))
        );
    }
}
