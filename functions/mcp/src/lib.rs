//! `POST /v1/mcp`: a stateless Model Context Protocol server (Streamable HTTP, JSON answers)
//! whose tools are the data routes, each answered by the route's own handler.
//!
//! event → [`http_handler`] (path, JSON-RPC check) → [`server`] (rmcp: initialize, tools/list,
//! tools/call) → [`tools`] (a synthetic `GET /v1/<route>` to the route's handler, its envelope
//! into the tool result), with [`args`] describing each tool's arguments.

pub mod args;
pub mod http_handler;
pub mod server;
pub mod tools;
