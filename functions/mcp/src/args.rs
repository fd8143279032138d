//! Each tool's arguments: the route's own query parameters, same names, described for an agent.
//!
//! These structs are schemas only ([`input_schema`]): a call's arguments go to the route's handler
//! as its query string, unparsed, so the handler's own validation and messages apply (an argument
//! of the wrong type or an unknown name is refused by the handler, naming it, not by serde here).
//! Where shared names the allowed values (periods, venues) the schema's `enum`/`pattern` is built
//! from those constants, as are the screener's, the wallets' and `format`'s lists and ranges (the
//! tables and bounds their parsers use); the tests hold them to the route's own parsing too.
//! Every argument is optional but `wallet_positions`' `coin`, which its route requires.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;
use shared::domain::names::names;
use shared::domain::symbol::{MAX_COINS, MAX_COIN_LEN};
use shared::domain::{Period, Venue};
use shared::endpoints::wallets::WalletsSortBy;
use shared::endpoints::{
    exchanges, history, screener, signal, track_record, wallet_positions, wallets, Format,
};
use shared::maths::screener::{ChangeWindow, SortBy, SortOrder};
use shared::maths::track_record::{MAX_HORIZON, MIN_HORIZON};

/// The input schema of `T`: JSON Schema 2020-12 (as MCP asks), every property optional and not
/// nullable (a `null` argument is taken as absent all the same), each description on one line,
/// no root title or description.
pub fn input_schema<T: JsonSchema>() -> Arc<JsonObject> {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let Value::Object(mut root) = schema.to_value() else {
        return Arc::default();
    };
    root.remove("title");
    root.remove("description");
    if let Some(Value::Object(properties)) = root.get_mut("properties") {
        for property in properties.values_mut() {
            not_nullable(property);
            if let Some(Value::String(text)) = property.get_mut("description") {
                *text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            }
        }
    }
    Arc::new(root)
}

/// `"type": ["string", "null"]` → `"type": "string"`.
fn not_nullable(property: &mut Value) {
    let Some(types) = property.get_mut("type") else {
        return;
    };
    if let Value::Array(list) = types {
        list.retain(|t| t != "null");
        if let [only] = list.as_slice() {
            *types = only.clone();
        }
    }
}

/// The nine periods, in order.
fn periods() -> Vec<&'static str> {
    Period::ALL.iter().map(|p| p.as_str()).collect()
}

/// `^(a|b)(,(a|b))*$`: a comma-separated list out of `names`.
fn comma_list(names: &[&str]) -> String {
    let one = format!("({})", names.join("|"));
    format!("^{one}(,{one})*$")
}

fn venue_ids() -> Vec<&'static str> {
    Venue::ALL.iter().map(|v| v.id()).collect()
}

/// Each closed set's values, from the table its route parses with.
pub fn formats() -> Vec<&'static str> {
    names(&Format::NAMES)
}
pub fn sort_by() -> Vec<&'static str> {
    names(&SortBy::NAMES)
}
pub fn sort_orders() -> Vec<&'static str> {
    names(&SortOrder::NAMES)
}
pub fn signals() -> Vec<&'static str> {
    names(&screener::params::SIGNALS)
}
pub fn strengths() -> Vec<&'static str> {
    names(&screener::params::STRENGTHS)
}
pub fn change_windows() -> Vec<&'static str> {
    names(&ChangeWindow::NAMES)
}
pub fn wallets_sort_by() -> Vec<&'static str> {
    names(&WalletsSortBy::NAMES)
}
pub fn wallets_strengths() -> Vec<&'static str> {
    names(&wallets::STRENGTHS)
}

/// The instrument, as every single-coin route takes it.
#[derive(JsonSchema)]
pub struct MarketArgs {
    /// Base asset, case-insensitive, e.g. "BTC", "eth", "1000PEPE": the instrument is its USDⓈ-M
    /// perpetual against USDT. Give coin or symbol (neither: BTC).
    #[schemars(length(min = 1, max = MAX_COIN_LEN))]
    pub coin: Option<String>,
    /// The full USDT perpetual symbol, case-insensitive, e.g. "BTCUSDT"; must agree with coin
    /// when both are given.
    pub symbol: Option<String>,
}

/// `positioning`: GET /v1/positioning.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PositioningArgs {
    #[serde(flatten)]
    pub market: MarketArgs,
    /// Bucket size of the readings.
    #[schemars(extend("enum" = periods(), "default" = Period::DEFAULT.as_str()))]
    pub period: Option<String>,
}

/// `divergence`: GET /v1/divergence.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DivergenceArgs {
    #[serde(flatten)]
    pub market: MarketArgs,
    /// Bucket size of the readings.
    #[schemars(extend("enum" = periods(), "default" = Period::DEFAULT.as_str()))]
    pub period: Option<String>,
}

/// `history`: GET /v1/history.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HistoryArgs {
    #[serde(flatten)]
    pub market: MarketArgs,
    /// Bucket size of the points.
    #[schemars(extend("enum" = periods(), "default" = Period::DEFAULT.as_str()))]
    pub period: Option<String>,
    /// How many of the newest buckets to look at (points are those where all three cohorts
    /// have a reading, oldest first).
    #[schemars(range(min = history::Limit::MIN, max = history::Limit::MAX))]
    #[schemars(extend("default" = history::Limit::DEFAULT.get()))]
    pub limit: Option<u16>,
    /// "json" (structured result) or "csv" (the points as CSV text, one row per bucket: fewer
    /// tokens for long histories).
    #[schemars(extend("enum" = formats(), "default" = "json"))]
    pub format: Option<String>,
}

/// `signal`: GET /v1/signal.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SignalArgs {
    #[serde(flatten)]
    pub market: MarketArgs,
    /// Bucket size; the context is the coin's own newest 500 buckets of it.
    #[schemars(extend("enum" = periods(), "default" = signal::DEFAULT_PERIOD.as_str()))]
    pub period: Option<String>,
}

/// `screener`: GET /v1/screener.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ScreenerArgs {
    /// Coins to screen, comma-separated base assets, e.g. "BTC,ETH,SOL" (at most 50, repeats
    /// ignored); leave out for the service's default universe.
    pub coins: Option<String>,
    /// Bucket size of the readings.
    #[schemars(extend("enum" = periods(), "default" = Period::DEFAULT.as_str()))]
    pub period: Option<String>,
    /// Order of the rows. confidence needs include_confidence=true; gap_change and money_flow
    /// need include_changes=true.
    #[schemars(extend("enum" = sort_by(), "default" = "long_pct_gap"))]
    pub sort_by: Option<String>,
    /// Ascending or descending.
    #[schemars(extend("enum" = sort_orders(), "default" = "desc"))]
    pub sort_order: Option<String>,
    /// Keep only rows with these signals: comma-separated crowd_over_long, crowd_over_short,
    /// neutral.
    #[schemars(extend("pattern" = comma_list(&signals())))]
    pub signal: Option<String>,
    /// Keep only rows whose |long_pct_gap| is at least this many percentage points (0 to 100, at
    /// most 2 decimals).
    #[schemars(range(min = 0, max = 100))]
    pub min_abs_gap: Option<f64>,
    /// Keep only rows of these signal strengths: comma-separated strong, moderate, weak (needs
    /// include_confidence=true).
    #[schemars(extend("pattern" = comma_list(&strengths())))]
    pub strength: Option<String>,
    /// Rows returned after filtering and ordering.
    #[schemars(range(min = 1, max = MAX_COINS))]
    pub limit: Option<u8>,
    /// Coins listed first (after BTC, ETH, SOL), comma-separated base assets.
    pub pinned: Option<String>,
    /// Add each coin's signal confidence and strength (fetches more buckets per coin).
    pub include_confidence: Option<bool>,
    /// Add each coin's gap change and estimated money flow over change_window.
    pub include_changes: Option<bool>,
    /// Window of the changes (needs include_changes=true; default 24h).
    #[schemars(extend("enum" = change_windows()))]
    pub change_window: Option<String>,
    /// Ask the exchange again instead of this instance's memo: honoured at most once per bucket
    /// per API key.
    pub refresh: Option<bool>,
    /// "json" (structured result) or "csv" (one row per coin, as CSV text).
    #[schemars(extend("enum" = formats(), "default" = "json"))]
    pub format: Option<String>,
}

/// `exchanges`: GET /v1/exchanges.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExchangesArgs {
    #[serde(flatten)]
    pub market: MarketArgs,
    /// Bucket size (Bybit, Gate and Bitget do not publish every period: such a venue is listed
    /// with status unsupported_period).
    #[schemars(extend("enum" = periods(), "default" = exchanges::DEFAULT_PERIOD.as_str()))]
    pub period: Option<String>,
    /// Venues to compare, comma-separated, each once, out of the pattern's list (default: every
    /// venue), answered in that list's order.
    #[schemars(extend("pattern" = comma_list(&venue_ids())))]
    pub venues: Option<String>,
    /// Points of the aggregate series, oldest first.
    #[schemars(range(min = 1, max = exchanges::MAX_LIMIT))]
    #[schemars(extend("default" = exchanges::DEFAULT_LIMIT))]
    pub limit: Option<u16>,
    /// "json" (structured result) or "csv" (the aggregate series as CSV text).
    #[schemars(extend("enum" = formats(), "default" = "json"))]
    pub format: Option<String>,
}

/// `track_record`: GET /v1/track-record.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TrackRecordArgs {
    #[serde(flatten)]
    pub market: MarketArgs,
    /// Bucket size of the signal and of the prices.
    #[schemars(extend("enum" = periods(), "default" = track_record::DEFAULT_PERIOD.as_str()))]
    pub period: Option<String>,
    /// Buckets between a signal and the price it is judged by.
    #[schemars(range(min = MIN_HORIZON, max = MAX_HORIZON))]
    #[schemars(extend("default" = track_record::Horizon::DEFAULT.get()))]
    pub horizon: Option<u16>,
    /// "json" (structured result) or "csv" (one row per sample bucket, as CSV text).
    #[schemars(extend("enum" = formats(), "default" = "json"))]
    pub format: Option<String>,
}

/// `wallets`: GET /v1/wallets.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WalletsArgs {
    /// Only these tokens, comma-separated Hyperliquid coins, case-insensitive, e.g. "BTC,ETH,HYPE"
    /// (at most 50; a token the cohort does not hold is simply absent); leave out for every
    /// token the cohort holds.
    pub coins: Option<String>,
    /// Count only positions whose notional (size × mark price) is at least this many USD (a
    /// plain decimal number, rounded to the cent).
    #[schemars(range(min = 0, max = wallets::MAX_MIN_NOTIONAL_USD))]
    #[schemars(extend("default" = 0))]
    pub min_notional_usd: Option<f64>,
    /// A token needs at least this many counted positions (one per wallet) for its row.
    #[schemars(range(min = 1, max = wallets::MAX_MIN_POSITIONS))]
    #[schemars(extend("default" = 1))]
    pub min_positions: Option<u16>,
    /// Order of the rows after the pinned ones. notional is long + short notional; money_flow and
    /// position_change need include_changes=true; median_hold_hours needs
    /// include_hold_times=true.
    #[schemars(extend("enum" = wallets_sort_by(), "default" = "money_long_pct"))]
    pub sort_by: Option<String>,
    /// Ascending or descending (a row without the sort key sorts last either way).
    #[schemars(extend("enum" = sort_orders(), "default" = "desc"))]
    pub sort_order: Option<String>,
    /// Tokens listed first after BTC, ETH and SOL (which always come first when held),
    /// comma-separated, in the order given.
    pub pinned: Option<String>,
    /// Rows returned, after filtering and ordering (pins included).
    #[schemars(range(min = 1, max = wallets::MAX_LIMIT))]
    #[schemars(extend("default" = wallets::DEFAULT_LIMIT))]
    pub limit: Option<u16>,
    /// Read the wallets' positions and the mark prices from Hyperliquid again instead of this
    /// instance's (kept to the next 5-minute boundary): honoured at most once per 5 minutes per
    /// API key.
    pub refresh: Option<bool>,
    /// "json" (structured result) or "csv" (one row per token, as CSV text).
    #[schemars(extend("enum" = formats(), "default" = "json"))]
    pub format: Option<String>,
    /// Add each token's average and median hold (hours since the positions were opened, rebuilt
    /// from the wallets' fills), its signal_duration and hold_lower_bound, and coverage.
    pub include_hold_times: Option<bool>,
    /// Add each token's position_change_pp and money_flow_usd over change_window (and how many
    /// wallets' fills did not reach back that far), and coverage.
    pub include_changes: Option<bool>,
    /// Window of the changes (needs include_changes=true; default 24h).
    #[schemars(extend("enum" = change_windows()))]
    pub change_window: Option<String>,
    /// Add each token's confidence: a 0-100 score from the number of wallets, their agreement
    /// and how concentrated the notional is, and its strength.
    pub include_confidence: Option<bool>,
    /// Keep only rows of these confidence strengths, comma-separated (needs
    /// include_confidence=true).
    #[schemars(extend("pattern" = comma_list(&wallets_strengths())))]
    pub signal_strength: Option<String>,
}

/// `wallet_positions`: GET /v1/wallets/positions.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WalletPositionsArgs {
    /// The token, a Hyperliquid coin (not a symbol such as BTCUSDT), case-insensitive, e.g.
    /// "BTC", "HYPE", "kPEPE". Required.
    #[schemars(length(min = 1, max = MAX_COIN_LEN))]
    pub coin: String,
    /// Only positions whose notional (size × mark price) is at least this many USD (a plain
    /// decimal number, rounded to the cent).
    #[schemars(range(min = 0, max = wallets::MAX_MIN_NOTIONAL_USD))]
    #[schemars(extend("default" = 0))]
    pub min_notional_usd: Option<f64>,
    /// Positions returned, largest notional first (coverage counts every holder, not only
    /// these).
    #[schemars(range(min = 1, max = wallet_positions::MAX_LIMIT))]
    #[schemars(extend("default" = wallet_positions::DEFAULT_LIMIT))]
    pub limit: Option<u16>,
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use shared::endpoints::{divergence, positioning, screener, Format, Query};
    use shared::ApiError;

    use super::*;
    use crate::tools::Tool;

    /// The route's own parsing of `pairs` (what its handler does before any upstream call).
    fn parse(tool: Tool, pairs: &[(&str, &str)]) -> Result<(), ApiError> {
        let query = Query::new(pairs.iter().copied(), tool.params())?;
        match tool {
            Tool::Positioning => positioning::params(&query).map(drop),
            Tool::Divergence => divergence::params(&query).map(drop),
            Tool::History => history::params(&query).map(drop),
            Tool::Signal => signal::params(&query).map(drop),
            Tool::Screener => screener::Screen::from_query(&query).map(drop),
            Tool::Exchanges => exchanges::params(&query).map(drop),
            Tool::TrackRecord => track_record::params(&query).map(drop),
            Tool::Wallets => wallets::WalletsParams::from_query(&query).map(drop),
            Tool::WalletPositions => {
                wallet_positions::PositionsParams::from_query(&query).map(drop)
            }
        }
    }

    /// A valid value of each argument the tool requires (its route refuses a call without it).
    fn required(tool: Tool) -> Vec<(&'static str, &'static str)> {
        match tool {
            Tool::WalletPositions => vec![("coin", "BTC")],
            _ => vec![],
        }
    }

    /// `name=value` with what the route needs beside it to judge that value alone (the
    /// screener's and the wallets' flags that confidence, strength, the changes and the holds
    /// depend on, a period every change window fits, and a required argument).
    fn judged(tool: Tool, name: &str, value: &str) -> Result<(), ApiError> {
        let mut pairs = vec![(name, value)];
        let context: &[(&str, &str)] = match tool {
            Tool::Screener => &[
                ("include_confidence", "true"),
                ("include_changes", "true"),
                ("period", "1h"),
            ],
            Tool::Wallets => &[
                ("include_confidence", "true"),
                ("include_changes", "true"),
                ("include_hold_times", "true"),
            ],
            _ => &[],
        };
        pairs.extend(context.iter().copied().filter(|(n, _)| *n != name));
        pairs.extend(required(tool).into_iter().filter(|(n, _)| *n != name));
        parse(tool, &pairs)
    }

    fn properties(tool: Tool) -> serde_json::Map<String, Value> {
        match tool.input_schema().get("properties") {
            Some(Value::Object(p)) => p.clone(),
            _ => panic!("{} has no properties", tool.name()),
        }
    }

    #[test]
    fn every_listed_value_and_every_range_end_is_accepted_by_the_route_and_one_past_it_refused() {
        let mut checked = 0;
        for tool in Tool::ALL {
            for (name, property) in properties(tool) {
                let at = format!("{}.{name}", tool.name());
                for value in property["enum"].as_array().into_iter().flatten() {
                    let value = value.as_str().unwrap();
                    assert!(judged(tool, &name, value).is_ok(), "{at}={value}");
                    checked += 1;
                }
                let (Some(min), Some(max)) =
                    (property["minimum"].as_f64(), property["maximum"].as_f64())
                else {
                    continue;
                };
                let integer = property["type"] == "integer";
                let step = if integer { 1.0 } else { 0.01 };
                for ok in [min, max] {
                    assert!(judged(tool, &name, &ok.to_string()).is_ok(), "{at}={ok}");
                }
                for bad in [min - step, max + step] {
                    let text = if integer {
                        format!("{bad}")
                    } else {
                        format!("{bad:.2}")
                    };
                    let refused = judged(tool, &name, &text).unwrap_err();
                    assert_eq!(refused.parameter(), Some(name.as_str()), "{at}={text}");
                }
                checked += 1;
            }
        }
        assert!(checked > 90, "{checked}");
    }

    #[test]
    fn an_argument_is_required_exactly_when_the_route_refuses_a_call_without_it() {
        for tool in Tool::ALL {
            let schema = tool.input_schema();
            let listed: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|n| n.as_str().unwrap())
                .collect();
            let needed = required(tool);
            let names: Vec<&str> = needed.iter().map(|(n, _)| *n).collect();
            assert_eq!(listed, names, "{}", tool.name());
            assert!(parse(tool, &needed).is_ok(), "{}", tool.name());
            for (name, _) in &needed {
                let without: Vec<_> = needed.iter().copied().filter(|(n, _)| n != name).collect();
                let refused = parse(tool, &without).unwrap_err();
                assert_eq!(refused.parameter(), Some(*name), "{}", tool.name());
            }
        }
    }

    #[test]
    fn a_comma_list_pattern_admits_each_name_and_lists_of_them_and_the_route_takes_them() {
        let cases = [
            (Tool::Exchanges, "venues", venue_ids()),
            (Tool::Screener, "signal", signals()),
            (Tool::Screener, "strength", strengths()),
            (Tool::Wallets, "signal_strength", wallets_strengths()),
        ];
        for (tool, name, names) in cases {
            let pattern = properties(tool)[name]["pattern"].clone();
            assert_eq!(pattern, json!(comma_list(&names)));
            for value in names.iter().map(|n| n.to_string()).chain([names.join(",")]) {
                assert!(judged(tool, name, &value).is_ok(), "{name}={value}");
            }
        }
        assert_eq!(comma_list(&["a", "b"]), "^(a|b)(,(a|b))*$");
    }

    #[test]
    fn every_default_in_a_schema_is_the_one_the_route_applies() {
        let empty = |tool: Tool| Query::new([], tool.params()).unwrap();
        let default = |tool: Tool, name: &str| properties(tool)[name]["default"].clone();
        let period = |tool: Tool, p: shared::domain::Period| {
            assert_eq!(
                default(tool, "period"),
                json!(p.as_str()),
                "{}",
                tool.name()
            );
        };
        period(
            Tool::Positioning,
            positioning::params(&empty(Tool::Positioning))
                .unwrap()
                .period,
        );
        period(
            Tool::Divergence,
            divergence::params(&empty(Tool::Divergence)).unwrap().period,
        );
        period(
            Tool::Signal,
            signal::params(&empty(Tool::Signal)).unwrap().period,
        );
        let h = history::params(&empty(Tool::History)).unwrap();
        period(Tool::History, h.market.period);
        assert_eq!(default(Tool::History, "limit"), json!(h.limit.get()));
        assert_eq!(
            (default(Tool::History, "format"), h.format),
            (json!("json"), Format::Json)
        );
        let s = screener::Screen::from_query(&empty(Tool::Screener)).unwrap();
        period(Tool::Screener, s.period);
        assert_eq!(default(Tool::Screener, "sort_by"), json!(s.ranking.sort_by));
        assert_eq!(
            default(Tool::Screener, "sort_order"),
            json!(s.ranking.sort_order)
        );
        let e = exchanges::params(&empty(Tool::Exchanges)).unwrap();
        period(Tool::Exchanges, e.market.period);
        assert_eq!(default(Tool::Exchanges, "limit"), json!(e.limit));
        let t = track_record::params(&empty(Tool::TrackRecord)).unwrap();
        period(Tool::TrackRecord, t.market.period);
        assert_eq!(
            default(Tool::TrackRecord, "horizon"),
            json!(t.horizon.get())
        );
        let w = wallets::WalletsParams::from_query(&empty(Tool::Wallets)).unwrap();
        let usd = |tool: Tool| default(tool, "min_notional_usd").as_f64().unwrap();
        assert_eq!(
            usd(Tool::Wallets),
            w.min_notional_usd.units() as f64 / 100.0
        );
        assert_eq!(
            default(Tool::Wallets, "min_positions"),
            json!(w.min_positions)
        );
        let sort_by = WalletsSortBy::NAMES.iter().find(|(_, v)| *v == w.sort_by);
        assert_eq!(default(Tool::Wallets, "sort_by"), json!(sort_by.unwrap().0));
        assert_eq!(default(Tool::Wallets, "sort_order"), json!(w.sort_order));
        assert_eq!(default(Tool::Wallets, "limit"), json!(w.limit));
        assert_eq!(
            (default(Tool::Wallets, "format"), w.format),
            (json!("json"), Format::Json)
        );
        let coin = Query::new([("coin", "BTC")], Tool::WalletPositions.params()).unwrap();
        let p = wallet_positions::PositionsParams::from_query(&coin).unwrap();
        assert_eq!(
            usd(Tool::WalletPositions),
            p.min_notional_usd.units() as f64 / 100.0
        );
        assert_eq!(default(Tool::WalletPositions, "limit"), json!(p.limit));
        for (tool, format) in [
            (Tool::Screener, s.format),
            (Tool::Exchanges, e.format),
            (Tool::TrackRecord, t.format),
            (Tool::Wallets, w.format),
        ] {
            assert_eq!(
                (default(tool, "format"), format),
                (json!("json"), Format::Json),
                "{}",
                tool.name()
            );
        }
        // Every default a schema gives is one compared above.
        let compared: [(Tool, &[&str]); 9] = [
            (Tool::Positioning, &["period"]),
            (Tool::Divergence, &["period"]),
            (Tool::History, &["period", "limit", "format"]),
            (Tool::Signal, &["period"]),
            (
                Tool::Screener,
                &["period", "sort_by", "sort_order", "format"],
            ),
            (Tool::Exchanges, &["period", "limit", "format"]),
            (Tool::TrackRecord, &["period", "horizon", "format"]),
            (
                Tool::Wallets,
                &[
                    "min_notional_usd",
                    "min_positions",
                    "sort_by",
                    "sort_order",
                    "limit",
                    "format",
                ],
            ),
            (Tool::WalletPositions, &["min_notional_usd", "limit"]),
        ];
        assert_eq!(compared.map(|(tool, _)| tool), Tool::ALL);
        for (tool, names) in compared {
            for (name, property) in properties(tool) {
                if property.get("default").is_some() {
                    assert!(names.contains(&name.as_str()), "{}.{name}", tool.name());
                }
            }
        }
    }

    #[test]
    fn a_schema_is_a_plain_object_of_optional_typed_properties() {
        let schema = Tool::History.input_schema();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert!(schema.get("title").is_none() && schema.get("description").is_none());
        let limit = &schema["properties"]["limit"];
        assert_eq!(
            (&limit["type"], &limit["minimum"], &limit["maximum"]),
            (&json!("integer"), &json!(1), &json!(500))
        );
        let flag = &properties(Tool::Screener)["refresh"];
        assert_eq!(flag["type"], "boolean");
        assert_eq!(properties(Tool::Screener)["min_abs_gap"]["type"], "number");
    }
}
