//! Test support for the function crates (feature `testing`, dev-dependencies only): the
//! dependencies of a handler wired to an in-process stand-in (every venue at its base URL), and event helpers.

use lambda_http::{Body, Request, Response};
use standin::{StandInHandle, Switches};

use crate::{Config, Deps};

/// A stand-in with `switches`, and handler dependencies whose upstream is that stand-in.
pub async fn deps_over(switches: Switches) -> (StandInHandle, Deps) {
    let standin = standin::spawn(switches).await.expect("stand-in starts");
    let mut config = Config::default();
    for venue in crate::domain::Venue::ALL {
        config.apply_base_url(venue, Some(&standin.base_url()));
    }
    // Hyperliquid's info API and its leaderboard's host are both the stand-in.
    config.hyperliquid_base_url = Some(standin.base_url());
    config.hyperliquid_stats_url = Some(standin.base_url());
    let deps = Deps::fixed(config).expect("HTTP client builds");
    (standin, deps)
}

/// `deps` with a Binance request budget of `requests` per path per 5 minutes (and as much
/// klines weight per minute), as a deployed instance has its capacity model's share.
pub fn with_binance_budget(deps: &mut Deps, requests: u32) {
    use crate::domain::route::Share;
    use crate::upstream::binance::{self, BinanceClient};
    let share = Share {
        route: "test",
        instances: 1,
        requests,
        klines_weight: requests,
        hyperliquid_weight: 0,
    };
    let http = crate::upstream::policy::http_client().expect("HTTP client builds");
    deps.clients.binance = BinanceClient::with_budget(http, binance::budget(share));
}

/// An API Gateway event from its JSON (an `events/*.json` file).
pub fn event(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("a valid API Gateway event")
}

/// Status and JSON body of a handler's answer.
pub fn status_and_body(response: &Response<Body>) -> (u16, serde_json::Value) {
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status().as_u16(), body)
}

/// `json` (an `events/*.json` REST event) with `pairs` added to its query string.
pub fn with_query(json: &str, pairs: &[(&str, &str)]) -> String {
    let mut event: serde_json::Value = serde_json::from_str(json).expect("a JSON event");
    for (name, value) in pairs {
        event["queryStringParameters"][*name] = (*value).into();
        event["multiValueQueryStringParameters"][*name] = serde_json::json!([value]);
    }
    event.to_string()
}

/// A CSV answer read back as a spreadsheet would: the header, then every row's cells.
pub fn csv_table(response: &Response<Body>) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(response.body().as_ref());
    let header = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Every cell of `rows` (under `header`) is the same value as the field of that name in the
/// JSON object at the same index: numbers equal as numbers, `null` an empty cell, words and
/// booleans the same text.
pub fn assert_cells_are_the_json(
    header: &[String],
    rows: &[Vec<String>],
    json: &[serde_json::Value],
) {
    use serde_json::Value;
    assert_eq!(rows.len(), json.len(), "one row per JSON object");
    for (i, (row, object)) in rows.iter().zip(json).enumerate() {
        assert_eq!(row.len(), header.len(), "row {i}");
        for (name, cell) in header.iter().zip(row) {
            let want = object
                .get(name)
                .unwrap_or_else(|| panic!("row {i}: {name} is not a JSON field"));
            match want {
                Value::Null => assert_eq!(cell, "", "row {i} {name}"),
                Value::Number(n) => assert_eq!(
                    cell.parse::<f64>().ok(),
                    n.as_f64(),
                    "row {i} {name}: {cell:?} vs {n}"
                ),
                Value::String(s) => assert_eq!(cell, s, "row {i} {name}"),
                Value::Bool(b) => assert_eq!(cell, &b.to_string(), "row {i} {name}"),
                other => panic!("row {i} {name}: {other} is not a cell"),
            }
        }
    }
}

/// A decimal as a venue prints it, in units of 10^-`places` rounded half away from zero: the
/// tests' own reading of a raw answer (independent of the adapters' parsers).
pub fn decimal_units(text: &str, places: u32) -> i64 {
    let (sign, text) = text.strip_prefix('-').map_or((1, text), |t| (-1, t));
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digit = |i: usize| i64::from(frac.as_bytes().get(i).map_or(0, |d| d - b'0'));
    let mut n = whole.parse::<i64>().expect("a decimal");
    for i in 0..places as usize {
        n = n * 10 + digit(i);
    }
    if digit(places as usize) >= 5 {
        n += 1;
    }
    sign * n
}

/// The stand-in's fixture wallets that the default tracking rule selects, in rank order (by hand
/// from their leaderboard figures: account value ≥ 100,000, allTime and month pnl > 0, not the
/// HLP vault; month pnl descending, ties by address).
pub const TRACKED_FIXTURE_LABELS: [&str; 11] = [
    "whale",
    "flipper",
    "busy",
    "tie_a",
    "tie_b",
    "liquidated",
    "old_holder",
    "twap_gap",
    "isolated_and_spot",
    "flat",
    "at_the_minimum",
];

/// The address of the stand-in's fixture wallet `label`.
pub fn fixture_wallet(label: &str) -> &'static str {
    standin::hyperliquid::WALLETS
        .iter()
        .find(|w| w.label == label)
        .unwrap_or_else(|| panic!("no fixture wallet {label}"))
        .address
}
