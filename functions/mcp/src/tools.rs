//! The tools: one per data route, each answered by that route's own handler. A call becomes a
//! synthetic `GET <route>?<arguments>` event, the route's `function_handler` answers it (the same
//! validation, the same upstream fetch through this instance's memo and budget, the same numbers),
//! and its JSON envelope becomes the tool result.

use std::collections::HashMap;
use std::sync::Arc;

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::http::request::Parts;
use lambda_http::http::{Method, Uri};
use lambda_http::request::RequestContext;
use lambda_http::{tracing, Body, Context, Request, RequestExt, Response};
use rmcp::model::{CallToolResult, Content, JsonObject, Meta, Tool as ToolInfo, ToolAnnotations};
use serde_json::{json, Map, Value};
use shared::endpoints::{
    divergence, exchanges, history, positioning, screener, signal, track_record, wallet_positions,
    wallets,
};
use shared::Deps;

use crate::args;

/// Every tool, in the order `tools/list` gives them (the order `/v1/meta` lists the routes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Positioning,
    Divergence,
    History,
    Signal,
    Screener,
    Exchanges,
    TrackRecord,
    Wallets,
    WalletPositions,
}

impl Tool {
    pub const ALL: [Tool; 9] = [
        Tool::Positioning,
        Tool::Divergence,
        Tool::History,
        Tool::Signal,
        Tool::Screener,
        Tool::Exchanges,
        Tool::TrackRecord,
        Tool::Wallets,
        Tool::WalletPositions,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Tool::Positioning => "positioning",
            Tool::Divergence => "divergence",
            Tool::History => "history",
            Tool::Signal => "signal",
            Tool::Screener => "screener",
            Tool::Exchanges => "exchanges",
            Tool::TrackRecord => "track_record",
            Tool::Wallets => "wallets",
            Tool::WalletPositions => "wallet_positions",
        }
    }

    pub fn from_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The route whose handler answers the tool.
    pub const fn route(self) -> &'static str {
        match self {
            Tool::Positioning => positioning::ROUTE,
            Tool::Divergence => divergence::ROUTE,
            Tool::History => history::ROUTE,
            Tool::Signal => signal::ROUTE,
            Tool::Screener => screener::ROUTE,
            Tool::Exchanges => exchanges::ROUTE,
            Tool::TrackRecord => track_record::ROUTE,
            Tool::Wallets => wallets::ROUTE,
            Tool::WalletPositions => wallet_positions::ROUTE,
        }
    }

    /// The route's accepted query parameters: the tool's argument names.
    pub const fn params(self) -> &'static [&'static str] {
        match self {
            Tool::Positioning => positioning::PARAMS,
            Tool::Divergence => divergence::PARAMS,
            Tool::History => history::PARAMS,
            Tool::Signal => signal::PARAMS,
            Tool::Screener => screener::PARAMS,
            Tool::Exchanges => exchanges::PARAMS,
            Tool::TrackRecord => track_record::PARAMS,
            Tool::Wallets => wallets::PARAMS,
            Tool::WalletPositions => wallet_positions::PARAMS,
        }
    }

    const fn title(self) -> &'static str {
        match self {
            Tool::Positioning => "Smart money vs retail positioning",
            Tool::Divergence => "Smart money minus retail gap",
            Tool::History => "Positioning history",
            Tool::Signal => "Divergence signal in context",
            Tool::Screener => "Divergence screener",
            Tool::Exchanges => "Positioning across exchanges",
            Tool::TrackRecord => "Signal track record",
            Tool::Wallets => "Smart money by wallet (Hyperliquid)",
            Tool::WalletPositions => "Tracked wallets' positions in one token",
        }
    }

    const fn description(self) -> &'static str {
        match self {
            Tool::Positioning => {
                "Binance USDⓈ-M futures positioning of one coin: the newest long/short split of the \
                 retail crowd (all accounts), the top traders by accounts and the top traders by \
                 position size (smart money), and the divergence: smart money long % minus retail \
                 long % (long_pct_gap, percentage points) with its contrarian signal."
            }
            Tool::Divergence => {
                "The smart-money-minus-retail long-share gap of one coin at the newest bucket both \
                 cohorts have (long_pct_gap, percentage points), the signal (crowd_over_long: \
                 contrarian bearish; crowd_over_short: contrarian bullish; or neutral) and a \
                 one-sentence read."
            }
            Tool::History => {
                "The three cohorts' long % and long/short ratios and the gap, one point per bucket, \
                 oldest first, over the newest `limit` buckets of one coin."
            }
            Tool::Signal => {
                "The divergence of one coin in the context of its own newest 500 buckets: the gap \
                 now, smoothed and sustained, how unusual it is for the coin, its persistence, \
                 changes, trend and volatility, a confidence score, data quality, open interest \
                 and the estimated money flow. Descriptive statistics, not a forecast."
            }
            Tool::Screener => {
                "Many coins ranked by the divergence in one call: filter by signal, strength or \
                 minimum gap, sort, pin coins first, optionally with each coin's confidence and its \
                 gap change and money flow over a window."
            }
            Tool::Exchanges => {
                "One coin's positioning on Binance, OKX, Bybit, Gate and Bitget side by side, and \
                 the Sentiment Divergence Score: the venues' position gaps weighted by open interest \
                 (also equal-weighted and median), its 12-hour mean and its series."
            }
            Tool::TrackRecord => {
                "How the divergence signal did on one coin over the buckets the exchange still \
                 keeps: hit rates with 95% intervals and forward returns after crowd_over_long and \
                 crowd_over_short, against all buckets as the baseline. A description of the past, \
                 not a forecast."
            }
            Tool::Wallets => {
                "Smart money by wallet: one row per token held by a cohort of Hyperliquid's most \
                 profitable wallets (by default the 60 with the largest month pnl among the \
                 leaderboard's wallets with an account value of at least 100,000 USD and positive \
                 all-time and month pnl, the HLP vault excluded; or an operator's list; every \
                 answer states the rule and the addresses as cohort). Per token: how many wallets \
                 are long vs short (position_long_pct) beside how much of their money is long \
                 (money_long_pct), the notionals and the call (LONG, SHORT or NEUTRAL); on \
                 request hold times, changes over a window with the money flow, and a confidence \
                 score. Hold times and changes cover only the wallets whose fills are known \
                 (coverage: wallets_known of wallets_holding), fewer just after a cold start. \
                 Not financial advice."
            }
            Tool::WalletPositions => {
                "The positions behind one token's row of the wallets tool (coin required): every \
                 wallet of the same Hyperliquid cohort (the leaderboard's most profitable wallets, \
                 or an operator's list; stated as cohort) holding the token, largest notional \
                 first, each with side, size, notional, entry price, leverage, unrealized pnl and \
                 how long it has been held (opened_at, hold_hours; hold_lower_bound when the fills \
                 do not reach the opening). Holds are known only for the wallets whose fills are \
                 known (coverage: wallets_known of wallets_holding); the others' are null. Not \
                 financial advice."
            }
        }
    }

    pub fn input_schema(self) -> Arc<JsonObject> {
        match self {
            Tool::Positioning => args::input_schema::<args::PositioningArgs>(),
            Tool::Divergence => args::input_schema::<args::DivergenceArgs>(),
            Tool::History => args::input_schema::<args::HistoryArgs>(),
            Tool::Signal => args::input_schema::<args::SignalArgs>(),
            Tool::Screener => args::input_schema::<args::ScreenerArgs>(),
            Tool::Exchanges => args::input_schema::<args::ExchangesArgs>(),
            Tool::TrackRecord => args::input_schema::<args::TrackRecordArgs>(),
            Tool::Wallets => args::input_schema::<args::WalletsArgs>(),
            Tool::WalletPositions => args::input_schema::<args::WalletPositionsArgs>(),
        }
    }

    /// What `tools/list` says of the tool: read-only, reaching the exchanges' public data.
    pub fn info(self) -> ToolInfo {
        ToolInfo::new(self.name(), self.description(), self.input_schema())
            .with_title(self.title())
            .with_annotations(
                ToolAnnotations::with_title(self.title())
                    .read_only(true)
                    .open_world(true),
            )
    }

    /// The route's own handler's answer to `event`.
    pub async fn answer(
        self,
        deps: &Deps,
        event: Request,
    ) -> Result<Response<Body>, lambda_http::Error> {
        match self {
            Tool::Positioning => ::positioning::http_handler::function_handler(deps, event).await,
            Tool::Divergence => ::divergence::http_handler::function_handler(deps, event).await,
            Tool::History => ::history::http_handler::function_handler(deps, event).await,
            Tool::Signal => ::signal::http_handler::function_handler(deps, event).await,
            Tool::Screener => ::screener::http_handler::function_handler(deps, event).await,
            Tool::Exchanges => ::exchanges::http_handler::function_handler(deps, event).await,
            Tool::TrackRecord => ::track_record::http_handler::function_handler(deps, event).await,
            Tool::Wallets => ::wallets::http_handler::function_handler(deps, event).await,
            Tool::WalletPositions => {
                ::wallet_positions::http_handler::function_handler(deps, event).await
            }
        }
    }

    /// The tool's result for `arguments`, as the route's handler answers them.
    pub async fn call(
        self,
        deps: &Deps,
        origin: Option<&Parts>,
        arguments: Option<&JsonObject>,
    ) -> CallToolResult {
        let event = request(self.route(), origin, query(arguments));
        match self.answer(deps, event).await {
            Ok(response) => result(&response),
            // The handlers answer every failure they expect as a response; this is not one.
            Err(e) => {
                tracing::error!(tool = self.name(), error = %e, "the route's handler failed");
                internal_error()
            }
        }
    }
}

/// The arguments as query string parameters: a string as it is, any other value as its JSON
/// text (`24`, `true`), for the route's handler to accept or refuse; `null` as absent.
pub fn query(arguments: Option<&JsonObject>) -> HashMap<String, String> {
    arguments
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            let text = match value {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((name.clone(), text))
        })
        .collect()
}

/// `GET <route>` with `query`, as the MCP request `origin` came: its API Gateway request context
/// (so the answer's `meta.request_id` and the route's log line carry the caller's request id),
/// its Lambda context, and its `x-api-key` (the screener's `refresh` is once per key).
pub fn request(
    route: &'static str,
    origin: Option<&Parts>,
    query: HashMap<String, String>,
) -> Request {
    let mut event = Request::new(Body::Empty);
    *event.method_mut() = Method::GET;
    *event.uri_mut() = Uri::from_static(route);
    if let Some(origin) = origin {
        if let Some(key) = origin.headers.get("x-api-key") {
            event.headers_mut().insert("x-api-key", key.clone());
        }
        if let Some(context) = origin.extensions.get::<RequestContext>() {
            event = event.with_request_context(context.clone());
        }
        if let Some(context) = origin.extensions.get::<Context>() {
            event = event.with_lambda_context(context.clone());
        }
    }
    event.with_query_string_parameters(query)
}

/// The route's answer as a tool result: on 200, the envelope's `data` (structured, and as JSON
/// text) or, for `format=csv`, the CSV text; otherwise a tool error carrying the envelope's
/// `error` object with its `message` and the HTTP status. `_meta` is the envelope's `meta`
/// (`request_id`, `timestamp`).
pub fn result(response: &Response<Body>) -> CallToolResult {
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body: &[u8] = response.body();
    if status == 200 && !is_json {
        return match std::str::from_utf8(body) {
            Ok(text) => CallToolResult::success(vec![Content::text(text)]),
            Err(_) => internal_error(),
        };
    }
    let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(body) else {
        return internal_error();
    };
    let meta = match envelope.remove("meta") {
        Some(Value::Object(meta)) => Some(Meta(meta)),
        _ => None,
    };
    let result = match (status, envelope.remove("data")) {
        (200, Some(Value::Object(data))) => CallToolResult::structured(Value::Object(data)),
        (200, Some(data)) => CallToolResult::success(vec![Content::text(data.to_string())]),
        _ => {
            let mut error = match envelope.remove("error") {
                Some(Value::Object(error)) => error,
                _ => Map::new(),
            };
            if let Some(message) = envelope.remove("message") {
                error.insert("message".into(), message);
            }
            error.insert("status".into(), status.into());
            CallToolResult::structured_error(Value::Object(error))
        }
    };
    result.with_meta(meta)
}

/// A tool error that says nothing of the internals.
fn internal_error() -> CallToolResult {
    CallToolResult::structured_error(json!({
        "code": "internal_error",
        "message": "the tool could not answer; try again",
        "status": 500,
    }))
}

#[cfg(test)]
mod tests {
    use shared::edge::call;

    use super::*;

    #[test]
    fn the_routes_event_carries_the_callers_request_id_and_key_and_the_arguments_as_text() {
        let origin = include_str!("../../../events/mcp-tools-call.json");
        let (origin, _) = lambda_http::request::from_str(origin).unwrap().into_parts();
        let arguments = json!({"coin": "eth", "limit": 24, "include_changes": true,
                               "venues": ["okx"], "period": null, "symbol": ""});
        let event = request(history::ROUTE, Some(&origin), query(arguments.as_object()));
        assert_eq!(
            (event.method(), event.uri().path()),
            (&Method::GET, "/v1/history")
        );
        assert_eq!(
            call::request_id(&event),
            "c4d8e2f6-5b1a-4c9e-a7d3-6f0b2e4a8c21"
        );
        assert_eq!(call::api_key(&event), Some("REDACTED-EXAMPLE-KEY"));
        assert_eq!(event.headers().len(), 1, "no other header of the caller's");
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            call::query_pairs(&event),
            pairs(&[
                ("coin", "eth"),
                ("include_changes", "true"),
                ("limit", "24"),
                ("symbol", ""),
                ("venues", "[\"okx\"]"),
            ])
        );
        let bare = request(history::ROUTE, None, query(None));
        assert!(call::query_pairs(&bare).is_empty() && call::api_key(&bare).is_none());
    }

    /// The function serving `route` in template.yaml (its `Binary`, the crate whose handler
    /// answers the tool).
    fn binary_serving(route: &str) -> &'static str {
        let template = include_str!("../../../template.yaml");
        let described = format!("Description: GET {route}\n");
        let at = template
            .find(&described)
            .unwrap_or_else(|| panic!("{route}"));
        let binary = template[..at].rfind("Binary: ").unwrap() + "Binary: ".len();
        template[binary..].lines().next().unwrap().trim()
    }

    #[test]
    fn every_tool_is_found_by_its_name_and_named_after_the_function_serving_its_route() {
        for tool in Tool::ALL {
            assert_eq!(Tool::from_name(tool.name()), Some(tool));
            assert_eq!(
                binary_serving(tool.route()).replace('-', "_"),
                tool.name(),
                "{}",
                tool.route()
            );
            assert!(tool.route().starts_with("/v1/"), "{}", tool.route());
            assert_eq!(tool.info().name, tool.name());
        }
        assert_eq!(Tool::ALL.len(), 9);
        assert_eq!(Tool::WalletPositions.route(), "/v1/wallets/positions");
        assert_eq!(Tool::from_name("track-record"), None);
        assert_eq!(Tool::from_name("wallet-positions"), None);
    }

    #[test]
    fn the_wallet_tools_say_what_the_cohort_is_and_what_the_holds_cover() {
        use shared::upstream::hyperliquid::leaderboard::{
            DEFAULT_COHORT_SIZE, DEFAULT_MIN_ACCOUNT_VALUE_USD,
        };
        let thousands = |n: i64| {
            let digits = n.to_string();
            let mut out = String::new();
            for (i, d) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(d);
            }
            out
        };
        let wallets = Tool::Wallets.description();
        assert!(
            wallets.contains(&format!("{DEFAULT_COHORT_SIZE} with the largest month pnl")),
            "{wallets}"
        );
        assert!(
            wallets.contains(&format!(
                "at least {} USD",
                thousands(DEFAULT_MIN_ACCOUNT_VALUE_USD)
            )),
            "{wallets}"
        );
        for tool in [Tool::Wallets, Tool::WalletPositions] {
            let text = tool.description();
            for words in ["Hyperliquid", "cohort", "coverage", "fills are known"] {
                assert!(text.contains(words), "{}: {words}", tool.name());
            }
        }
    }
}
