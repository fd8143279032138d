//! `GET /v1/screener`: many coins ranked by divergence in one call. The parameters are in
//! [`params`]; the rows and their ranking are `maths::screener`; the fan-out that fetches the
//! coins is `upstream::fanout`.

pub mod params;

use serde::Serialize;
use serde_json::Value;

use super::{divergence_note, signal::signal_params};
use crate::config::Config;
use crate::domain::route;
use crate::domain::{ApiError, Symbol, Venue};
use crate::maths::screener::{self, Row, SortBy, SortOrder};
use crate::render::CsvFile;
use crate::upstream::fanout::CoinFetched;
use crate::upstream::Age;

pub use params::{Screen, SCREENER_PARAMS};

pub const ROUTE: &str = route::SCREENER.route;
pub const PARAMS: &[&str] = SCREENER_PARAMS;
pub const MESSAGE: &str = "Screener retrieved successfully";

#[derive(Serialize)]
pub struct ScreenerData {
    pub period: &'static str,
    pub source: &'static str,
    pub note: String,
    /// `default` (the configured universe) or `coins` (the caller's list).
    pub universe: &'static str,
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
    /// Rows asked per cohort and coin: the fewest the asked outputs need.
    pub buckets_fetched: u16,
    pub counts: Counts,
    /// Upstream requests this answer sent (memo hits send none).
    pub upstream_calls: u32,
    /// Coins answered from this instance's memo of upstream answers.
    pub memo_hits: usize,
    /// Some coins were served stale from the memo (Binance could not be asked): `stale_coins`.
    pub stale: bool,
    pub stale_coins: Vec<StaleCoin>,
    /// What became of `refresh=true`: honoured at most once per bucket per API key.
    pub refresh: Refresh,
    /// The pin order in force: BTC, ETH, SOL, then the caller's `pinned`.
    pub pinned: Vec<String>,
    /// The caller's pins that are not among the coins screened or unknown to Binance: ignored.
    pub unknown_pinned: Vec<String>,
    pub rows: Vec<Row>,
    pub errors: Vec<CoinError>,
}

#[derive(Serialize)]
pub struct Counts {
    pub requested: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// Rows that passed the filters, before `limit`.
    pub matched: usize,
    pub returned: usize,
}

/// A coin served stale from the memo, and how old its numbers are.
#[derive(Serialize)]
pub struct StaleCoin {
    pub symbol: String,
    pub age: Age,
}

#[derive(Serialize)]
pub struct CoinError {
    pub symbol: String,
    pub error: CoinErrorDetail,
}

#[derive(Serialize)]
pub struct CoinErrorDetail {
    pub code: &'static str,
    pub message: String,
}

/// What became of the caller's `refresh=true`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refresh {
    /// No `refresh=true`.
    NotAsked,
    /// Every coin was asked of the upstream again.
    Honoured,
    /// This API key already refreshed in this bucket of the period: the memo answered.
    DeclinedOncePerBucket,
}

fn note(threshold: crate::domain::Pct) -> String {
    format!(
        "One row per coin, as /v1/divergence at its newest bucket, with account_gap and \
         smart_money_consensus as /v1/signal's now; confidence is /v1/signal's formula over the \
         buckets fetched. Upstream answers are reused by this instance until the next bucket can \
         appear (refresh=true asks again, once per bucket per API key). {}",
        divergence_note(threshold)
    )
}

/// The coins to screen: the caller's `coins`, else the configured default universe; and which.
pub fn universe(config: &Config, screen: &Screen) -> (Vec<Symbol>, &'static str) {
    match &screen.coins {
        Some(c) => (c.symbols().to_vec(), "coins"),
        None => (config.screener_default_coins.clone(), "default"),
    }
}

/// The answer from every coin's fetch (`rows`: how many buckets each was fetched with). A coin
/// that failed is listed under `errors`; only when none succeeded is the answer an error.
pub fn answer(
    config: &Config,
    source: &'static str,
    screen: &Screen,
    (coins, universe): (Vec<Symbol>, &'static str),
    fetched: Vec<CoinFetched>,
    rows: u16,
    refresh: Refresh,
) -> Result<ScreenerData, ApiError> {
    let params = signal_params(config);
    let upstream_calls: u32 = fetched.iter().map(|f| f.fetched.report.requests).sum();
    let memo_hits = fetched.iter().filter(|f| f.fetched.from_memo).count();
    let stale_coins: Vec<StaleCoin> = fetched
        .iter()
        .filter_map(|f| {
            f.fetched.stale.map(|age| StaleCoin {
                symbol: f.symbol.to_string(),
                age,
            })
        })
        .collect();
    let mut lines = Vec::new();
    let mut failures: Vec<(Symbol, ApiError)> = Vec::new();
    for f in fetched {
        let row = f.fetched.result.and_then(|series| {
            screener::row(
                &f.symbol,
                &series,
                screen.period,
                &params,
                screen.include_confidence,
                screen.changes,
                rows,
            )
        });
        match row {
            Ok(r) => lines.push(r),
            Err(e) => failures.push((f.symbol, e)),
        }
    }
    if lines.is_empty() {
        return Err(most_telling(&failures));
    }
    let unknown: Vec<Symbol> = failures
        .iter()
        .filter(|(_, e)| matches!(e, ApiError::UnknownSymbol { .. }))
        .map(|(s, _)| s.clone())
        .collect();
    let succeeded = lines.len();
    let (lines, matched) = screener::rank(lines, &screen.ranking);
    Ok(ScreenerData {
        period: screen.period.as_str(),
        source,
        note: note(config.threshold),
        universe,
        sort_by: screen.ranking.sort_by,
        sort_order: screen.ranking.sort_order,
        buckets_fetched: rows,
        counts: Counts {
            requested: coins.len(),
            succeeded,
            failed: failures.len(),
            matched,
            returned: lines.len(),
        },
        upstream_calls,
        memo_hits,
        stale: !stale_coins.is_empty(),
        stale_coins,
        refresh,
        pinned: screener::pin_order(&screen.ranking.pinned)
            .iter()
            .map(Symbol::to_string)
            .collect(),
        unknown_pinned: screener::unknown_pins(&screen.ranking.pinned, &coins, &unknown),
        rows: lines,
        errors: failures
            .into_iter()
            .map(|(s, e)| CoinError {
                symbol: s.to_string(),
                error: CoinErrorDetail {
                    code: e.code(),
                    message: e.to_string(),
                },
            })
            .collect(),
    })
}

/// `format=csv`: the row's JSON fields, those of `include_confidence` and `include_changes` when
/// asked, and `error`: a coin that failed is a line of its own after the ranked rows, with its
/// symbol and `error.code` only (so a spreadsheet shows it, as `errors` does in the JSON).
pub fn csv_columns(screen: &Screen) -> Vec<&'static str> {
    let mut columns = vec![
        "symbol",
        "timestamp",
        "long_pct_gap",
        "signal",
        "smart_money_long_pct",
        "retail_long_pct",
        "account_gap",
        "smart_money_consensus",
    ];
    if screen.include_confidence {
        columns.extend(["confidence", "strength"]);
    }
    if screen.changes.is_some() {
        columns.extend([
            "gap_change",
            "gap_change_window",
            "open_interest_usd",
            "open_interest_usd_change",
            "money_flow_usd_estimate",
        ]);
    }
    columns.push("error");
    columns
}

/// The screen as a CSV file named `screener-<period>.csv`.
pub fn csv(data: &ScreenerData, screen: &Screen) -> Result<CsvFile, ApiError> {
    let columns = csv_columns(screen);
    let to_json = |row: &Row| {
        let mut json = serde_json::to_value(row).unwrap_or(Value::Null);
        if let Some(fields) = json.as_object_mut() {
            fields.insert("error".into(), Value::Null);
        }
        json
    };
    let failed = |e: &CoinError| {
        let mut fields: serde_json::Map<String, Value> = columns
            .iter()
            .map(|c| (c.to_string(), Value::Null))
            .collect();
        fields.insert("symbol".into(), e.symbol.clone().into());
        fields.insert("error".into(), e.error.code.into());
        Value::Object(fields)
    };
    let lines: Vec<Value> = data
        .rows
        .iter()
        .map(to_json)
        .chain(data.errors.iter().map(failed))
        .collect();
    CsvFile::new(format!("screener-{}.csv", data.period), &columns, &lines)
}

/// When no coin succeeded, the one error that says most: a rate limit or a spent request budget
/// (503 with the longest Retry-After) first, then a timeout, then any other upstream failure; only
/// when every coin is unknown to Binance, 404 naming them.
pub fn most_telling(errors: &[(Symbol, ApiError)]) -> ApiError {
    // A rate limit or a spent budget (503): the one that says to wait longest.
    let wait = errors
        .iter()
        .filter_map(|(_, e)| e.retry_after_secs().map(|secs| (secs, e)))
        .max_by_key(|(secs, _)| *secs);
    if let Some((_, e)) = wait {
        return e.clone();
    }
    if errors.iter().any(|(_, e)| *e == ApiError::UpstreamTimeout) {
        return ApiError::UpstreamTimeout;
    }
    if let Some((_, e)) = errors
        .iter()
        .find(|(_, e)| matches!(e, ApiError::UpstreamError { .. }))
    {
        return e.clone();
    }
    let unknown: Vec<&str> = errors
        .iter()
        .filter(|(_, e)| matches!(e, ApiError::UnknownSymbol { .. }))
        .map(|(s, _)| s.as_str())
        .collect();
    if unknown.is_empty() {
        return ApiError::upstream("no coin could be screened; try again shortly");
    }
    let mut symbol = unknown
        .iter()
        .take(5)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if unknown.len() > 5 {
        symbol.push_str(&format!(" and {} more", unknown.len() - 5));
    }
    ApiError::UnknownSymbol {
        venue: Venue::Binance,
        symbol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CoinList, Fixed};
    use crate::endpoints::Query;
    use crate::maths::divergence::signal;
    use crate::maths::screener::{rank, Ranking, RowChange, RowConfidence};
    use crate::maths::signal::Strength;

    fn ranking(pairs: &[(&str, &str)]) -> Result<Ranking, ApiError> {
        Screen::from_query(&Query::new(pairs.iter().copied(), SCREENER_PARAMS)?).map(|s| s.ranking)
    }

    fn sym(c: &str) -> Symbol {
        Symbol::from_coin(c).unwrap()
    }

    fn r(coin: &str, gap: i64) -> Row {
        Row {
            symbol: format!("{coin}USDT"),
            timestamp: 0,
            long_pct_gap: Fixed(gap),
            signal: signal(Fixed(gap), Fixed(800)),
            top_traders_by_position_long_pct: Fixed(5000 + gap),
            retail_crowd_long_pct: Fixed(5000),
            account_gap: None,
            smart_money_consensus: None,
            confidence: None,
            change: None,
        }
    }

    fn symbols(rows: &[Row]) -> Vec<&str> {
        rows.iter()
            .map(|r| r.symbol.strip_suffix("USDT").unwrap())
            .collect()
    }

    fn rows() -> Vec<Row> {
        vec![
            r("XRP", 300),
            r("DOGE", -1200),
            r("ETH", 900),
            r("BTC", -2100),
            r("ADA", 1500),
            r("LINK", 300),
            r("SOL", 0),
        ]
    }

    #[test]
    fn btc_eth_sol_come_first_then_the_rest_by_gap_descending_ties_by_symbol() {
        let (out, matched) = rank(rows(), &ranking(&[]).unwrap());
        assert_eq!(
            symbols(&out),
            ["BTC", "ETH", "SOL", "ADA", "LINK", "XRP", "DOGE"]
        );
        assert_eq!(matched, 7);
    }

    #[test]
    fn pinned_coins_follow_the_defaults_in_the_order_given_then_the_rest_ascending() {
        let s = ranking(&[("pinned", "doge,xrp,BTC"), ("sort_order", "asc")]).unwrap();
        let (out, _) = rank(rows(), &s);
        assert_eq!(
            symbols(&out),
            ["BTC", "ETH", "SOL", "DOGE", "XRP", "LINK", "ADA"]
        );
    }

    #[test]
    fn abs_gap_sorts_by_distance_either_side() {
        let s = ranking(&[("sort_by", "abs_gap")]).unwrap();
        let (out, _) = rank(rows(), &s);
        assert_eq!(
            symbols(&out),
            ["BTC", "ETH", "SOL", "ADA", "DOGE", "LINK", "XRP"]
        );
    }

    #[test]
    fn smart_money_and_retail_long_pct_sort_by_their_own_column() {
        // (coin, gap, retail long %); smart money = retail + gap. The three orders all differ:
        // smart money XRP 70, ADA 60, LINK 55; retail ADA 70, LINK 55, XRP 40;
        // gap XRP +30, LINK 0, ADA −10.
        let rows = || {
            [("XRP", 3000, 4000), ("ADA", -1000, 7000), ("LINK", 0, 5500)]
                .map(|(c, gap, retail)| Row {
                    retail_crowd_long_pct: Fixed(retail),
                    top_traders_by_position_long_pct: Fixed(retail + gap),
                    ..r(c, gap)
                })
                .to_vec()
        };
        let order = |pairs: &[(&str, &str)]| {
            let (out, _) = rank(rows(), &ranking(pairs).unwrap());
            symbols(&out).join(",")
        };
        assert_eq!(
            order(&[("sort_by", "smart_money_long_pct")]),
            "XRP,ADA,LINK"
        );
        assert_eq!(
            order(&[("sort_by", "smart_money_long_pct"), ("sort_order", "asc")]),
            "LINK,ADA,XRP"
        );
        assert_eq!(order(&[("sort_by", "retail_long_pct")]), "ADA,LINK,XRP");
        assert_eq!(
            order(&[("sort_by", "retail_long_pct"), ("sort_order", "asc")]),
            "XRP,LINK,ADA"
        );
        assert_eq!(order(&[]), "XRP,LINK,ADA");
    }

    #[test]
    fn filters_apply_before_pinning_and_limit_after_ordering() {
        let s = ranking(&[
            ("signal", "crowd_over_long,crowd_over_short"),
            ("pinned", "DOGE"),
            ("limit", "3"),
        ])
        .unwrap();
        let (out, matched) = rank(rows(), &s);
        // BTC −21, ETH +9, ADA +15, DOGE −12 pass; SOL (neutral) is filtered out despite its pin.
        assert_eq!(matched, 4);
        assert_eq!(symbols(&out), ["BTC", "ETH", "DOGE"]);
        let s = ranking(&[("min_abs_gap", "9")]).unwrap();
        let (out, _) = rank(rows(), &s);
        assert_eq!(symbols(&out), ["BTC", "ETH", "ADA", "DOGE"]);
        let s = ranking(&[("min_abs_gap", "9.01")]).unwrap();
        assert_eq!(symbols(&rank(rows(), &s).0), ["BTC", "ADA", "DOGE"]);
    }

    #[test]
    fn confidence_and_strength_sort_and_filter_and_a_null_gap_change_sorts_last() {
        let mut rs = rows();
        for (row, score) in rs.iter_mut().zip([90u8, 40, 70, 85, 60, 10, 55]) {
            // A neutral row (XRP, LINK, SOL) has no confidence score.
            let directional = row.signal != crate::maths::divergence::Signal::Neutral;
            row.confidence = Some(RowConfidence {
                confidence: directional.then_some(score),
                strength: directional.then_some(match score {
                    80.. => Strength::Strong,
                    60..=79 => Strength::Moderate,
                    _ => Strength::Weak,
                }),
            });
            row.change = Some(RowChange {
                gap_change: (score != 10).then_some(Fixed(i64::from(score) - 50)),
                gap_change_window: "24h",
                open_interest_usd: None,
                open_interest_usd_change: None,
                // The opposite order to the gap change, in dollars; LINK's unknown too.
                money_flow_usd_estimate: (score != 10)
                    .then_some(Fixed(-(i64::from(score) - 50) * 100_000)),
            });
        }
        let s = ranking(&[
            ("include_confidence", "true"),
            ("sort_by", "confidence"),
            ("pinned", "LINK"),
        ])
        .unwrap();
        // Pins first; then ADA 60, DOGE 40; XRP (neutral, no score) last.
        assert_eq!(
            symbols(&rank(rs.clone(), &s).0),
            ["BTC", "ETH", "SOL", "LINK", "ADA", "DOGE", "XRP"]
        );
        let s = ranking(&[
            ("include_confidence", "true"),
            ("strength", "strong,moderate"),
        ])
        .unwrap();
        // A neutral row never matches a strength (XRP's 90 would have been strong).
        assert_eq!(symbols(&rank(rs.clone(), &s).0), ["BTC", "ETH", "ADA"]);
        for (order, rest) in [
            ("asc", ["DOGE", "ADA", "XRP", "LINK"]),
            ("desc", ["XRP", "ADA", "DOGE", "LINK"]),
        ] {
            let s = ranking(&[
                ("include_changes", "true"),
                ("sort_by", "gap_change"),
                ("sort_order", order),
            ])
            .unwrap();
            let out = rank(rs.clone(), &s).0;
            // LINK has no gap change: after every row that has one, whatever the order.
            assert_eq!(symbols(&out)[3..], rest, "{order}");
            let s = ranking(&[
                ("include_changes", "true"),
                ("sort_by", "money_flow"),
                ("sort_order", if order == "asc" { "desc" } else { "asc" }),
            ])
            .unwrap();
            let out = rank(rs.clone(), &s).0;
            assert_eq!(symbols(&out)[3..], rest, "money flow, {order} reversed");
        }
    }

    #[test]
    fn unknown_pins_are_those_not_screened_or_unknown_to_binance() {
        let pinned = CoinList::parse("pinned", "XRP,NOPE,doge,TRX").unwrap();
        let screened = [sym("BTC"), sym("XRP"), sym("NOPE"), sym("DOGE")];
        assert_eq!(
            screener::unknown_pins(&pinned, &screened, &[sym("NOPE")]),
            ["NOPEUSDT", "TRXUSDT"]
        );
        let order: Vec<String> =
            screener::pin_order(&CoinList::parse("pinned", "sol,XRP").unwrap())
                .iter()
                .map(Symbol::to_string)
                .collect();
        assert_eq!(order, ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]);
    }

    #[test]
    fn the_most_telling_error_prefers_rate_limits_then_timeouts_then_upstream_errors_then_404() {
        let unknown = |c: &str| {
            (
                sym(c),
                ApiError::UnknownSymbol {
                    venue: Venue::Binance,
                    symbol: sym(c).to_string(),
                },
            )
        };
        let limited = |s| {
            (
                sym("BTC"),
                ApiError::UpstreamRateLimited {
                    retry_after_secs: s,
                },
            )
        };
        let all_unknown = [unknown("NOPE"), unknown("NADA")];
        let e = most_telling(&all_unknown);
        assert_eq!((e.status(), e.code()), (404, "unknown_symbol"));
        assert!(e.to_string().contains("NOPEUSDT, NADAUSDT"), "{e}");
        let e = most_telling(&[unknown("NOPE"), (sym("ETH"), ApiError::upstream("x"))]);
        assert_eq!(e.code(), "upstream_error");
        let e = most_telling(&[
            (sym("ETH"), ApiError::upstream("x")),
            (sym("SOL"), ApiError::UpstreamTimeout),
        ]);
        assert_eq!(e.code(), "upstream_timeout");
        let e = most_telling(&[
            unknown("NOPE"),
            limited(7),
            (sym("SOL"), ApiError::UpstreamTimeout),
            limited(30),
        ]);
        assert_eq!((e.status(), e.retry_after_secs()), (503, Some(30)));
        assert_eq!(e.code(), "upstream_rate_limited");
        let spent = (
            sym("ETH"),
            ApiError::UpstreamBudgetExhausted {
                retry_after_secs: 90,
            },
        );
        let e = most_telling(&[limited(30), spent.clone(), unknown("NOPE")]);
        assert_eq!(
            (e.code(), e.retry_after_secs()),
            ("upstream_budget_exhausted", Some(90))
        );
        let many: Vec<_> = (0..8).map(|i| unknown(&format!("N{i}"))).collect();
        assert!(most_telling(&many).to_string().contains("and 3 more"));
    }
}
