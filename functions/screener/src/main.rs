//! Composition only: logging, configuration, clients, this instance's memo, then the handler.
//! See `http_handler`.

mod http_handler;

use lambda_http::{run, service_fn, tracing, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = shared::Deps::load().await?;
    // Lives as long as the warm instance; nothing in it is written anywhere.
    let budget = deps.settings.current().await.screener_request_budget;
    let warm = shared::upstream::fanout::Warm::with_budget(budget);
    run(service_fn(|event| {
        http_handler::function_handler(&deps, &warm, event)
    }))
    .await
}
