//! `GET /v1/wallets/positions?coin=BTC`: the tracked wallets' positions behind one token's row.
//! See `shared::endpoints::wallet_positions`; the reading is `upstream::hyperliquid::warm`.

use lambda_http::{Body, Error, Request, Response};
use shared::domain::clock::now_ms;
use shared::domain::Period;
use shared::edge::Call;
use shared::endpoints::screener::Refresh;
use shared::endpoints::wallet_positions::{self, PositionsParams};
use shared::endpoints::wallets::WalletsInput;
use shared::upstream::hyperliquid::warm::Sweep;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, wallet_positions::ROUTE);
    let result = async {
        let params = call.params(wallet_positions::PARAMS, PositionsParams::from_query)?;
        call.record_market(None, Period::M5);
        let now = now_ms();
        let (config, hyperliquid) = deps.hyperliquid().await;
        let fetched = (deps.wallets)
            .read(
                hyperliquid,
                &config.wallet_tracking,
                Sweep::HoldersOf(&params.coin),
                false,
                now,
            )
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance_from(hyperliquid.source);
        let read = fetched.result?;
        let data = wallet_positions::answer(
            &params,
            &WalletsInput::of(&read, provenance, Refresh::NotAsked, now),
        );
        let partial = data.coverage.wallets_known < data.coverage.wallets_holding;
        if !read.failed_wallets.is_empty() || partial {
            call.mark_incomplete();
        }
        Ok(data)
    }
    .await;
    Ok(call.respond(result, wallet_positions::MESSAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::domain::clock::now_ms;
    use shared::testing::{
        decimal_units, deps_over, event, fixture_wallet, status_and_body, with_query,
        TRACKED_FIXTURE_LABELS,
    };
    use standin::hyperliquid as hl;
    use standin::Switches;

    const EVENT: &str = include_str!("../../../events/wallet-positions.json");
    const H: i64 = 3_600_000;

    #[tokio::test]
    async fn the_rest_event_lists_btc_positions_largest_first_with_their_openings() {
        let now = now_ms();
        let (standin, deps) = deps_over(Switches {
            now_ms: Some(now),
            ..Default::default()
        })
        .await;
        let response = function_handler(&deps, event(EVENT)).await.unwrap();
        let (status, body) = status_and_body(&response);
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        assert_eq!(d["token"], "BTC");
        // By hand from the raw positions: every tracked wallet's BTC, notional descending.
        let mut want: Vec<(i64, &str, String)> = TRACKED_FIXTURE_LABELS
            .iter()
            .map(|l| fixture_wallet(l))
            .flat_map(|w| {
                hl::positions(w, now)
                    .into_iter()
                    .filter(|p| p.coin == "BTC")
                    .map(move |p| (decimal_units(&p.position_value, 2), w, p.szi))
            })
            .collect();
        want.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        want.truncate(10);
        let got = d["positions"].as_array().unwrap();
        assert!(want.len() >= 3, "the fixtures hold BTC in several wallets");
        assert_eq!(got.len(), want.len());
        assert_eq!(d["count"], want.len());
        for (g, (cents, wallet, szi)) in got.iter().zip(&want) {
            assert_eq!(g["wallet"], *wallet);
            assert_eq!(g["notional_usd"], *cents as f64 / 100.0);
            assert_eq!(g["size"], decimal_units(szi, 8) as f64 / 1e8);
            let side = if szi.starts_with('-') {
                "short"
            } else {
                "long"
            };
            assert_eq!(g["side"], side);
        }
        let of = |label: &str| {
            got.iter()
                .find(|g| g["wallet"] == fixture_wallet(label))
                .unwrap_or_else(|| panic!("{label} holds BTC"))
        };
        // The whale opened BTC with its buy 3 hours before the stand-in's anchor.
        let whale = of("whale");
        let opened = hl::anchor(now) - 3 * H;
        assert_eq!(whale["opened_at"], opened);
        assert_eq!(whale["hold_lower_bound"], false);
        let hours = whale["hold_hours"].as_f64().unwrap();
        let by_clock = (now_ms() - opened) as f64 / H as f64;
        assert!((hours - by_clock).abs() <= 0.1, "{hours} vs {by_clock}");
        // The old holder's fills never reach its opening: at least the 7 days looked at.
        let old = of("old_holder");
        assert_eq!(old["opened_at"], Value::Null);
        assert_eq!(old["hold_lower_bound"], true);
        assert!(old["hold_hours"].as_f64().unwrap() >= 168.0);
        assert_eq!(
            d["coverage"]["wallets_known"],
            d["coverage"]["wallets_holding"]
        );
        assert!(standin.max_weight_in_any_minute() <= hl::WEIGHT_PER_MINUTE);
    }

    #[tokio::test]
    async fn coin_is_required_and_a_bad_limit_is_named_before_any_request() {
        let now = now_ms();
        let (standin, deps) = deps_over(Switches {
            now_ms: Some(now),
            ..Default::default()
        })
        .await;
        let mut no_coin: Value = serde_json::from_str(EVENT).unwrap();
        no_coin["queryStringParameters"] = serde_json::json!({});
        no_coin["multiValueQueryStringParameters"] = serde_json::json!({});
        for (json, parameter) in [
            (no_coin.to_string(), "coin"),
            (with_query(EVENT, &[("limit", "201")]), "limit"),
            (
                with_query(EVENT, &[("min_notional_usd", "lots")]),
                "min_notional_usd",
            ),
        ] {
            let response = function_handler(&deps, event(&json)).await.unwrap();
            let (status, body) = status_and_body(&response);
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["error"]["parameter"], parameter);
        }
        assert_eq!(standin.request_count(), 0);
    }
}
