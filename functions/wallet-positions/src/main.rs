//! Composition only: logging, configuration, clients, then the handler. See `http_handler`.

use wallet_positions::http_handler;

use lambda_http::{run, service_fn, tracing, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = shared::Deps::load(shared::endpoints::wallet_positions::ROUTE).await?;
    run(service_fn(|event| {
        http_handler::function_handler(&deps, event)
    }))
    .await
}
