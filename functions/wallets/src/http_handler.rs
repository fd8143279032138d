//! `GET /v1/wallets`: smart money by wallet — the tracked Hyperliquid wallets' positions per
//! token. See `shared::endpoints::wallets`; the reading is `upstream::hyperliquid::warm`. The
//! template's scheduled event (every minute) is a call of this route too
//! (`events/wallets-sweep.json`): it advances the fills sweep within this function's share.

use lambda_http::{Body, Error, Request, Response};
use shared::domain::clock::now_ms;
use shared::domain::Period;
use shared::edge::{call, Call};
use shared::endpoints::screener::Refresh;
use shared::endpoints::wallets::{self, WalletsInput, WalletsParams};
use shared::endpoints::Format;
use shared::upstream::hyperliquid::warm::Sweep;
use shared::Deps;

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    let call = Call::new(&event, wallets::ROUTE);
    let result = async {
        let params = call.params(wallets::PARAMS, WalletsParams::from_query)?;
        // Positions and marks are kept to the 5-minute boundary: an answer may be kept as long.
        call.record_market(None, Period::M5);
        let now = now_ms();
        let refresh = match params.refresh {
            false => Refresh::NotAsked,
            true => {
                let key = deps.warm.refreshes.key_hash(call::api_key(&event));
                match deps.warm.refreshes.allow(key, Period::M5, now) {
                    true => Refresh::Honoured,
                    false => Refresh::DeclinedOncePerBucket,
                }
            }
        };
        let (config, hyperliquid) = deps.hyperliquid().await;
        let sweep = match params.include_hold_times || params.changes.is_some() {
            true => Sweep::LargestFirst,
            false => Sweep::Off,
        };
        let fresh = refresh == Refresh::Honoured;
        let fetched = (deps.wallets)
            .read(hyperliquid, &config.wallet_tracking, sweep, fresh, now)
            .await;
        call.record_upstream(fetched.report);
        let provenance = fetched.provenance_from(hyperliquid.source);
        let read = fetched.result?;
        let data = wallets::answer(&params, &WalletsInput::of(&read, provenance, refresh, now));
        // A wallet that failed, or holds whose fills are not known yet: a later call will say
        // more, so nobody keeps this one.
        let partial = data
            .coverage
            .is_some_and(|c| c.wallets_known < c.wallets_holding);
        if !read.failed_wallets.is_empty() || partial {
            call.mark_incomplete();
        }
        Ok((data, params))
    }
    .await;
    Ok(match result {
        Ok((data, params)) if params.format == Format::Csv => {
            call.respond_csv(wallets::csv(&data, &params))
        }
        result => call.respond(result.map(|(data, _)| data), wallets::MESSAGE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::domain::clock::now_ms;
    use shared::testing::{
        assert_cells_are_the_json, csv_table, decimal_units, deps_over, event, fixture_wallet,
        status_and_body, with_query, TRACKED_FIXTURE_LABELS,
    };
    use standin::hyperliquid as hl;
    use standin::{Fault, FaultKind, HlEndpoint, StandInHandle, Switches};
    use std::collections::BTreeMap;

    const EVENT: &str = include_str!("../../../events/wallets.json");

    /// A stand-in whose clock is now (the handler reads fills back from its own clock).
    async fn over(faults: Vec<Fault>) -> (StandInHandle, Deps, i64) {
        let now = now_ms();
        let switches = Switches {
            now_ms: Some(now),
            faults,
            ..Default::default()
        };
        let (standin, deps) = deps_over(switches).await;
        (standin, deps, now)
    }

    async fn call(deps: &Deps, json: &str) -> (u16, Value) {
        let response = function_handler(deps, event(json)).await.unwrap();
        status_and_body(&response)
    }

    /// Per token, by hand from the stand-in's raw `clearinghouseState` positions of the tracked
    /// fixture wallets with notional ≥ `min_cents`: (longs, shorts, long cents, short cents).
    fn rows_by_hand(now: i64, min_cents: i64) -> BTreeMap<String, (u32, u32, i64, i64)> {
        let mut rows: BTreeMap<String, (u32, u32, i64, i64)> = BTreeMap::new();
        for label in TRACKED_FIXTURE_LABELS {
            for raw in hl::positions(fixture_wallet(label), now) {
                let cents = decimal_units(&raw.position_value, 2);
                if cents < min_cents {
                    continue;
                }
                let row = rows.entry(raw.coin.to_string()).or_default();
                if raw.szi.starts_with('-') {
                    row.1 += 1;
                    row.3 += cents;
                } else {
                    row.0 += 1;
                    row.2 += cents;
                }
            }
        }
        rows
    }

    /// `part / whole × 100` to 2 decimals, half away from zero, as a number.
    fn pct(part: i64, whole: i64) -> f64 {
        let hundredths = (part * 20_000 + whole) / (2 * whole);
        hundredths as f64 / 100.0
    }

    #[tokio::test]
    async fn the_rest_event_answers_every_token_row_as_the_raw_positions_add_up() {
        let (standin, deps, now) = over(vec![]).await;
        let (status, body) = call(&deps, EVENT).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        let want: Vec<&str> = TRACKED_FIXTURE_LABELS.map(fixture_wallet).to_vec();
        assert_eq!(d["cohort"]["wallets"], serde_json::json!(want));
        assert_eq!(d["source"], shared::upstream::STANDIN_SOURCE);
        assert_eq!(d["change_window"], "24h");
        // The event filters positions under 10,000 USD.
        let by_hand = rows_by_hand(now, 1_000_000);
        let tokens = d["tokens"].as_array().unwrap();
        assert_eq!(tokens.len(), by_hand.len(), "{tokens:?}");
        for t in tokens {
            let token = t["token"].as_str().unwrap();
            let (longs, shorts, long_c, short_c) = by_hand[token];
            assert_eq!(
                (&t["long_positions"], &t["short_positions"]),
                (&Value::from(longs), &Value::from(shorts)),
                "{token}"
            );
            assert_eq!(t["traders"], longs + shorts, "{token}");
            assert_eq!(t["long_notional_usd"], long_c as f64 / 100.0, "{token}");
            assert_eq!(t["short_notional_usd"], short_c as f64 / 100.0, "{token}");
            assert_eq!(
                t["net_notional_usd"],
                (long_c - short_c) as f64 / 100.0,
                "{token}"
            );
            let positions = i64::from(longs + shorts);
            assert_eq!(t["position_long_pct"], pct(i64::from(longs), positions));
            assert_eq!(t["money_long_pct"], pct(long_c, long_c + short_c));
        }
        // BTC, ETH and SOL come first when held.
        let first: Vec<&str> = tokens
            .iter()
            .take(3)
            .map(|t| t["token"].as_str().unwrap())
            .collect();
        assert_eq!(first, ["BTC", "ETH", "SOL"]);
        // The whole deployment's weight affords every holder's fills on the first call.
        let coverage = &d["coverage"];
        assert_eq!(coverage["wallets_known"], coverage["wallets_holding"]);
        assert!(
            coverage["wallets_holding"].as_u64().unwrap() >= 8,
            "{coverage}"
        );
        // The old holder's BTC opening is older than the 7 days looked at: BTC's holds say "at
        // least".
        let btc = &tokens[0];
        assert_eq!(btc["hold_lower_bound"], true, "{btc}");
        assert!(standin.max_weight_in_any_minute() <= hl::WEIGHT_PER_MINUTE);
    }

    #[tokio::test]
    async fn a_repeat_within_five_minutes_is_answered_from_the_memo_without_a_request() {
        let (standin, deps, _) = over(vec![]).await;
        let (status, first) = call(&deps, EVENT).await;
        assert_eq!(status, 200, "{first}");
        let sent = standin.request_count();
        let (status, again) = call(&deps, EVENT).await;
        assert_eq!(status, 200);
        // Across a 5-minute boundary the positions are read again; a minute's margin for the
        // clock turning over between the two calls.
        if now_ms() % 300_000 > 1_000 {
            assert_eq!(standin.request_count(), sent);
            assert_eq!(again["data"]["from_memo"], true);
        }
        // The same rows; only the holds grow with the clock.
        let timeless = |d: &Value| {
            let mut tokens = d["data"]["tokens"].clone();
            for t in tokens.as_array_mut().unwrap() {
                let t = t.as_object_mut().unwrap();
                t.remove("avg_hold_hours");
                t.remove("median_hold_hours");
            }
            tokens
        };
        assert_eq!(timeless(&again), timeless(&first));
    }

    #[tokio::test]
    async fn each_bad_parameter_is_named_and_nothing_reaches_hyperliquid() {
        let (standin, deps, _) = over(vec![]).await;
        for (pairs, parameter) in [
            (vec![("min_positions", "0")], "min_positions"),
            (vec![("sort_by", "position_change")], "include_changes"),
            (
                vec![
                    ("sort_by", "median_hold_hours"),
                    ("include_hold_times", "false"),
                ],
                "include_hold_times",
            ),
            (vec![("change_window", "2h")], "change_window"),
            (vec![("signal_strength", "strong")], "include_confidence"),
            (vec![("limit", "201")], "limit"),
            (vec![("wallet", "0x1")], "wallet"),
        ] {
            let base = include_str!("../../../events/wallets-sweep.json");
            let (status, body) = call(&deps, &with_query(base, &pairs)).await;
            assert_eq!(status, 400, "{pairs:?}: {body}");
            assert_eq!(body["error"]["parameter"], parameter, "{pairs:?}");
        }
        assert_eq!(standin.request_count(), 0);
    }

    #[tokio::test]
    async fn a_wallet_that_cannot_be_read_is_listed_and_the_answer_is_not_kept() {
        let fault = Fault::new(FaultKind::Html)
            .at_hyperliquid(HlEndpoint::ClearinghouseState)
            .times(3);
        let (_standin, deps, _) = over(vec![fault]).await;
        let response = function_handler(&deps, event(EVENT)).await.unwrap();
        let cache = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string();
        let (status, body) = status_and_body(&response);
        assert_eq!(status, 200, "{body}");
        let errors = body["data"]["errors"].as_array().unwrap();
        assert!((1..=3).contains(&errors.len()), "{errors:?}");
        let cohort = body["data"]["cohort"]["wallets"].as_array().unwrap();
        for e in errors {
            assert!(cohort.contains(&e["wallet"]), "{e}");
            assert_eq!(e["error"]["code"], "upstream_error");
        }
        assert_eq!(cache, "no-store");
    }

    #[tokio::test]
    async fn hyperliquid_rate_limiting_every_request_answers_503_fast() {
        let fault = Fault::new(FaultKind::RateLimited).at_hyperliquid(HlEndpoint::Any);
        let (_standin, deps, _) = over(vec![fault]).await;
        let started = std::time::Instant::now();
        let (status, body) = call(&deps, EVENT).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "upstream_rate_limited");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_refresh_while_hyperliquid_rate_limits_is_answered_from_the_kept_positions_stale() {
        let (standin, deps, _) = over(vec![]).await;
        let (status, first) = call(&deps, EVENT).await;
        assert_eq!(status, 200, "{first}");
        standin.push_fault(
            Fault::new(FaultKind::RateLimited).at_hyperliquid(HlEndpoint::ClearinghouseState),
        );
        let refresh = with_query(EVENT, &[("refresh", "true")]);
        let response = function_handler(&deps, event(&refresh)).await.unwrap();
        let headers = response.headers().clone();
        let (status, again) = status_and_body(&response);
        assert_eq!(status, 200, "{again}");
        let d = &again["data"];
        assert_eq!(d["refresh"], "honoured");
        assert_eq!(
            (&d["stale"], &d["errors"]),
            (&Value::Bool(true), &serde_json::json!([]))
        );
        assert!(d["age"]["seconds"].as_u64().is_some(), "{}", d["age"]);
        assert_eq!(
            d["tokens"].as_array().unwrap().len(),
            first["data"]["tokens"].as_array().unwrap().len()
        );
        assert_eq!(headers["x-stale"], "true");
        assert_eq!(headers["cache-control"], "no-store");
    }

    #[tokio::test]
    async fn csv_cells_are_the_json_rows() {
        let (_standin, deps, _) = over(vec![]).await;
        let (_, json) = call(&deps, EVENT).await;
        let csv_event = with_query(EVENT, &[("format", "csv"), ("include_confidence", "true")]);
        let response = function_handler(&deps, event(&csv_event)).await.unwrap();
        assert_eq!(response.status(), 200);
        let (header, rows) = csv_table(&response);
        assert_eq!(header[0], "token");
        assert!(header.contains(&"median_hold_hours".to_string()));
        assert!(header.contains(&"money_flow_usd".to_string()));
        // The JSON rows flattened as the file is: confidence's score and strength.
        let (_, with_confidence) =
            call(&deps, &with_query(EVENT, &[("include_confidence", "true")])).await;
        let flat: Vec<Value> = with_confidence["data"]["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let mut t = t.clone();
                let c = t["confidence"].take();
                t["confidence"] = c["score"].clone();
                t["strength"] = c["strength"].clone();
                t
            })
            .collect();
        assert_eq!(flat.len(), json["data"]["tokens"].as_array().unwrap().len());
        assert_cells_are_the_json(&header, &rows, &flat);
    }

    #[tokio::test]
    async fn the_scheduled_sweep_event_is_a_call_of_this_route() {
        let (_standin, deps, _) = over(vec![]).await;
        let (status, body) = call(&deps, include_str!("../../../events/wallets-sweep.json")).await;
        assert_eq!(status, 200, "{body}");
        let coverage = &body["data"]["coverage"];
        assert_eq!(coverage["wallets_known"], coverage["wallets_holding"]);
    }
}
