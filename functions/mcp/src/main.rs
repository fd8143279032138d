//! Composition only: logging, configuration, clients and the MCP service, then the handler. See
//! `http_handler`.

use std::sync::Arc;

use lambda_http::{run, service_fn, tracing, Error};
use mcp::{http_handler, server};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = shared::Deps::load(http_handler::ROUTE).await?;
    let service = server::service(Arc::new(deps));
    run(service_fn(|event| {
        http_handler::function_handler(&service, event)
    }))
    .await
}
