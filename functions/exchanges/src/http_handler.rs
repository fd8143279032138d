//! `GET /v1/exchanges`: one coin on every venue side by side and the aggregated Sentiment
//! Divergence Score. See `shared::endpoints::exchanges`.

use lambda_http::{Body, Error, Request, Response};
use shared::edge::Call;
use shared::endpoints::exchanges::{self, VenueFetch};
use shared::upstream::fanout::fetch_venue;
use shared::upstream::UpstreamReport;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, exchanges::ROUTE);
    let result = async {
        let params = call.params(exchanges::PARAMS, exchanges::params)?;
        let (symbol, period, rows) = (&params.market.symbol, params.market.period, params.rows());
        call.record_market(Some(symbol), period);
        let (config, venues) = deps.venues().await;
        let binance = venues.binance.with_open_interest();
        let (asked, warm) = (&params.venues, &deps.warm);
        // Every venue asked for, side by side, each under its own deadline: one round trip.
        let (binance, okx, bybit, gate, bitget) = tokio::join!(
            fetch_venue(&binance, asked, warm, symbol, period, rows),
            fetch_venue(&venues.okx, asked, warm, symbol, period, rows),
            fetch_venue(&venues.bybit, asked, warm, symbol, period, rows),
            fetch_venue(&venues.gate, asked, warm, symbol, period, rows),
            fetch_venue(&venues.bitget, asked, warm, symbol, period, rows),
        );
        let fetches: Vec<VenueFetch> = [binance, okx, bybit, gate, bitget]
            .into_iter()
            .flatten()
            .map(VenueFetch::from)
            .collect();
        call.record_upstream(UpstreamReport::total(
            fetches.iter().filter_map(|f| f.report.as_ref()),
        ));
        if fetches.iter().any(VenueFetch::failed_for_now) {
            call.mark_incomplete();
        }
        exchanges::answer(&params, &fetches, config.sds_sustained)
    }
    .await;
    Ok(call.respond(result, exchanges::MESSAGE))
}
