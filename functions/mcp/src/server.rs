//! The MCP server: `initialize`, `tools/list` and `tools/call` over rmcp's Streamable HTTP
//! service, stateless (no session between invocations: any instance answers any request) and with
//! plain JSON answers (no SSE stream: a Lambda answers once).

use std::sync::Arc;

use lambda_http::http::request::Parts;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, Implementation, InitializeRequestParams,
    InitializeResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities,
    ServerInfo, Tool as ToolInfo,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use shared::Deps;

use crate::tools::Tool;

/// What every answer is built from: this instance's dependencies (clients, memo, budgets).
#[derive(Clone)]
pub struct SmartMoney {
    deps: Arc<Deps>,
}

/// The Streamable HTTP service the Lambda handler calls.
pub type McpService = StreamableHttpService<SmartMoney, NeverSessionManager>;

/// Stateless, JSON answers. The `Host` check against DNS rebinding (rmcp allows only loopback
/// hosts by default) is for servers on a developer's machine; this one is reached through API
/// Gateway under its own host names, with an API key.
pub fn service(deps: Arc<Deps>) -> McpService {
    let config = StreamableHttpServerConfig::default()
        .with_stateful_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts();
    let server = SmartMoney { deps };
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}

pub const INSTRUCTIONS: &str = "Binance USDⓈ-M futures positioning: how the exchange's top traders \
    (smart money, by position size) are split long/short against the retail crowd, per coin and \
    period, and how far apart they are (long_pct_gap, percentage points; signal at ±8 pp by \
    default). Smart money by wallet (the wallets and wallet_positions tools): the positions of a \
    cohort of Hyperliquid's most profitable wallets, per token. Each tool answers as the REST route \
    of the same name (GET /v1/<route>; wallet_positions: GET /v1/wallets/positions) with the same \
    parameters and numbers. Percentages are long share × 100; timestamps are epoch milliseconds \
    (bucket starts on the Binance tools). Errors name the parameter to fix. Not financial advice.";

impl ServerHandler for SmartMoney {
    fn get_info(&self) -> ServerInfo {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("smartmoney-api", env!("CARGO_PKG_VERSION"))
                    .with_title("Smart money vs retail positioning"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    /// Answers in the client's protocol version when it is one rmcp speaks (its stateful
    /// transport negotiates so; the stateless one leaves it to the handler), else the newest.
    async fn initialize(
        &self,
        request: InitializeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        let info = self.get_info();
        Ok(
            match ProtocolVersion::KNOWN_VERSIONS.contains(&request.protocol_version) {
                true => info.with_protocol_version(request.protocol_version),
                false => info,
            },
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            Tool::ALL.into_iter().map(Tool::info).collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<ToolInfo> {
        Tool::from_name(name).map(Tool::info)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let Some(tool) = Tool::from_name(&request.name) else {
            let names: Vec<&str> = Tool::ALL.iter().map(|t| t.name()).collect();
            return Err(ErrorData::invalid_params(
                format!(
                    "no tool named '{}'; the tools are {}",
                    printable(&request.name),
                    names.join(", ")
                ),
                None,
            ));
        };
        let origin = context.extensions.get::<Parts>();
        Ok(tool
            .call(&self.deps, origin, request.arguments.as_ref())
            .await)
    }
}

/// A caller's text quoted back: at most 64 printable characters.
fn printable(text: &str) -> String {
    shared::domain::error::printable(text, 64)
}
