//! The screener's pure step: one [`Row`] per coin from that coin's series, then filter → sort →
//! pin → limit ([`rank`]). No I/O; the fan-out is `upstream::fanout`, the parameters are
//! `endpoints::screener`.

use serde::Serialize;

use super::divergence::{Divergence, Signal};
use super::history::{gap_history, history};
use super::signal::money_flow::{self, Usd};
use super::signal::{self, Consensus, SignalParams, Strength};
use crate::domain::names::one_of;
use crate::domain::{ApiError, CohortSeries, CoinList, Pct, Period, Symbol};

/// Always first when present among the rows, before the caller's `pinned`.
pub const DEFAULT_PINS: [&str; 3] = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];

const HOUR_MS: i64 = 3_600_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    LongPctGap,
    AbsGap,
    /// `smart_money_long_pct` (the v1 name, see the glossary).
    #[serde(rename = "smart_money_long_pct")]
    TopTradersByPositionLongPct,
    /// `retail_long_pct` (the v1 name).
    #[serde(rename = "retail_long_pct")]
    RetailCrowdLongPct,
    Confidence,
    GapChange,
    MoneyFlow,
}

impl SortBy {
    /// `sort_by`'s values.
    pub const NAMES: [(&'static str, SortBy); 7] = [
        ("long_pct_gap", SortBy::LongPctGap),
        ("abs_gap", SortBy::AbsGap),
        ("smart_money_long_pct", SortBy::TopTradersByPositionLongPct),
        ("retail_long_pct", SortBy::RetailCrowdLongPct),
        ("confidence", SortBy::Confidence),
        ("gap_change", SortBy::GapChange),
        ("money_flow", SortBy::MoneyFlow),
    ];
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        one_of("sort_by", text, &SortBy::NAMES)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    /// `sort_order`'s values.
    pub const NAMES: [(&'static str, SortOrder); 2] =
        [("asc", SortOrder::Asc), ("desc", SortOrder::Desc)];
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        one_of("sort_order", text, &SortOrder::NAMES)
    }
}

/// The window `gap_change` is measured over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeWindow {
    H1,
    H6,
    H24,
    D7,
}

impl ChangeWindow {
    pub const DEFAULT: ChangeWindow = ChangeWindow::H24;
    /// `change_window`'s values.
    pub const NAMES: [(&'static str, ChangeWindow); 4] = [
        ("1h", ChangeWindow::H1),
        ("6h", ChangeWindow::H6),
        ("24h", ChangeWindow::H24),
        ("7d", ChangeWindow::D7),
    ];
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        one_of("change_window", text, &ChangeWindow::NAMES)
    }
    pub fn as_str(self) -> &'static str {
        ChangeWindow::NAMES
            .iter()
            .find(|(_, w)| *w == self)
            .map_or("24h", |(n, _)| n)
    }
    pub const fn millis(self) -> i64 {
        match self {
            ChangeWindow::H1 => HOUR_MS,
            ChangeWindow::H6 => 6 * HOUR_MS,
            ChangeWindow::H24 => 24 * HOUR_MS,
            ChangeWindow::D7 => 168 * HOUR_MS,
        }
    }
    /// Buckets of `period` back to the window's start: whole, and both ends within one fetch.
    pub fn buckets(self, period: Period) -> Result<usize, ApiError> {
        signal::window_buckets(self.millis(), period, signal::LOOKBACK as usize - 1).map_err(
            |why| {
                ApiError::invalid(
                    "change_window",
                    format!(
                        "change_window={} with period={period}: {why}",
                        self.as_str()
                    ),
                )
            },
        )
    }
}

/// How rows are filtered and ordered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
    /// Keep only rows with one of these signals (`None`: all).
    pub signals: Option<Vec<Signal>>,
    /// Keep only rows with |long_pct_gap| ≥ this.
    pub min_abs_gap: Option<Pct>,
    /// Keep only rows with one of these strengths (needs confidence in the rows).
    pub strengths: Option<Vec<Strength>>,
    /// At most this many rows, after ordering.
    pub limit: Option<usize>,
    /// Coins to put first, after [`DEFAULT_PINS`], in the order given.
    pub pinned: CoinList,
}

// ------------------------------------------------------------------ one coin's row

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowConfidence {
    /// `/v1/signal`'s confidence score, over the buckets fetched here (see `Screen::rows`);
    /// `null` for a neutral row (no signal to be confident in).
    pub confidence: Option<u8>,
    pub strength: Option<Strength>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowChange {
    /// long_pct_gap now minus `gap_change_window` earlier; `null` when that bucket is missing.
    pub gap_change: Option<Pct>,
    pub gap_change_window: &'static str,
    /// Binance's open interest in USD at the row's bucket (as `/v1/signal`'s `open_interest`).
    pub open_interest_usd: Option<Usd>,
    /// Its change over the window, and the money estimated to have moved to the long side.
    pub open_interest_usd_change: Option<Usd>,
    pub money_flow_usd_estimate: Option<Usd>,
}

/// One coin's line of the screener.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub symbol: String,
    pub timestamp: i64,
    pub long_pct_gap: Pct,
    pub signal: Signal,
    #[serde(rename = "smart_money_long_pct")]
    pub top_traders_by_position_long_pct: Pct,
    #[serde(rename = "retail_long_pct")]
    pub retail_crowd_long_pct: Pct,
    pub account_gap: Option<Pct>,
    pub smart_money_consensus: Option<Consensus>,
    #[serde(flatten)]
    pub confidence: Option<RowConfidence>,
    #[serde(flatten)]
    pub change: Option<RowChange>,
}

/// The row of `symbol` from its fetched series (`rows`: how many buckets were fetched):
/// the divergence at the newest common bucket as `/v1/divergence`, account gap and consensus as
/// `/v1/signal`'s `now`, and the asked extras from the buckets with all three cohorts.
pub fn row(
    symbol: &Symbol,
    series: &CohortSeries,
    period: Period,
    params: &SignalParams,
    include_confidence: bool,
    changes: Option<ChangeWindow>,
    rows: u16,
) -> Result<Row, ApiError> {
    let now = Divergence::at_common_bucket(series, params.threshold)
        .ok_or_else(ApiError::no_common_bucket)?;
    let accounts = series
        .top_traders_by_accounts
        .binary_search_by_key(&now.timestamp, |r| r.timestamp)
        .ok()
        .map(|i| series.top_traders_by_accounts[i].long_share.to_percent());
    let account_gap = accounts.map(|a| signal::account_gap(a, now.retail_crowd_long_pct));
    let points = if include_confidence || changes.is_some() {
        history(series, usize::from(rows), period.millis())
    } else {
        Vec::new()
    };
    let confidence = include_confidence.then(|| {
        let persistence = signal::persistence(&points, period, params.threshold);
        let window = usize::from(rows).min(params.window(period));
        let quality = signal::data_quality(series, &points, period, 0, window);
        let beyond_buckets = match persistence.beyond_threshold {
            true => persistence.consecutive_buckets,
            false => 0,
        };
        let z = signal::vs_history(
            &gap_history(series, usize::from(rows), period.millis()),
            period,
        )
        .z_score;
        let c = signal::confidence(
            now.long_pct_gap,
            params.threshold,
            z,
            account_gap,
            beyond_buckets,
            signal::confidence::persistence_buckets(period, params.smoothing_hours),
            (quality.complete_buckets, quality.expected_buckets),
        );
        RowConfidence {
            confidence: c.score,
            strength: c.strength,
        }
    });
    let change = changes.map(|w| {
        let flow = money_flow::flow_change(series, period, now.timestamp, w.millis());
        RowChange {
            gap_change: signal::change(&points, period, w.millis()).long_pct_gap,
            gap_change_window: w.as_str(),
            open_interest_usd: money_flow::usd_at(series, now.timestamp),
            open_interest_usd_change: flow.open_interest_usd_change,
            money_flow_usd_estimate: flow.money_flow_usd_estimate,
        }
    });
    Ok(Row {
        symbol: symbol.to_string(),
        timestamp: now.timestamp,
        long_pct_gap: now.long_pct_gap,
        signal: now.signal,
        top_traders_by_position_long_pct: now.top_traders_by_position_long_pct,
        retail_crowd_long_pct: now.retail_crowd_long_pct,
        account_gap,
        smart_money_consensus: accounts.map(|a| {
            signal::consensus(
                a,
                now.top_traders_by_position_long_pct,
                params.consensus_level,
            )
        }),
        confidence,
        change,
    })
}

// ------------------------------------------------------------------ filter, sort, pin, limit

/// The value a row is sorted by; `None` (an unknown gap change) sorts last in either order.
fn sort_key(row: &Row, by: SortBy) -> Option<i64> {
    match by {
        SortBy::LongPctGap => Some(row.long_pct_gap.units()),
        SortBy::AbsGap => Some(row.long_pct_gap.units().abs()),
        SortBy::TopTradersByPositionLongPct => Some(row.top_traders_by_position_long_pct.units()),
        SortBy::RetailCrowdLongPct => Some(row.retail_crowd_long_pct.units()),
        SortBy::Confidence => row
            .confidence
            .as_ref()
            .and_then(|c| c.confidence)
            .map(i64::from),
        SortBy::GapChange => row
            .change
            .as_ref()
            .and_then(|c| c.gap_change)
            .map(|g| g.units()),
        SortBy::MoneyFlow => row
            .change
            .as_ref()
            .and_then(|c| c.money_flow_usd_estimate)
            .map(|m| m.units()),
    }
}

fn keep(row: &Row, ranking: &Ranking) -> bool {
    ranking
        .signals
        .as_ref()
        .is_none_or(|s| s.contains(&row.signal))
        && ranking
            .min_abs_gap
            .is_none_or(|m| row.long_pct_gap.units().abs() >= m.units())
        && ranking.strengths.as_ref().is_none_or(|s| {
            row.confidence
                .as_ref()
                .and_then(|c| c.strength)
                .is_some_and(|strength| s.contains(&strength))
        })
}

/// The pin order in force: BTC, ETH, SOL, then the caller's pins in their order (no repeats).
pub fn pin_order(pinned: &CoinList) -> Vec<Symbol> {
    let mut order: Vec<Symbol> = DEFAULT_PINS
        .iter()
        .filter_map(|s| Symbol::from_symbol(s).ok())
        .collect();
    for s in pinned.symbols() {
        if !order.contains(s) {
            order.push(s.clone());
        }
    }
    order
}

/// The caller's pins that cannot be among the rows: not among the coins screened, or unknown to
/// Binance. They are ignored for ordering and listed in the answer.
pub fn unknown_pins(pinned: &CoinList, screened: &[Symbol], unknown: &[Symbol]) -> Vec<String> {
    pinned
        .symbols()
        .iter()
        .filter(|s| !screened.contains(s) || unknown.contains(s))
        .map(Symbol::to_string)
        .collect()
}

/// Filters (signal, min_abs_gap, strength), sorts by `sort_by`/`sort_order` (ties by symbol),
/// puts the pinned rows first in pin order, then applies `limit`. Returns the rows and how many
/// passed the filters before `limit`.
pub fn rank(rows: Vec<Row>, ranking: &Ranking) -> (Vec<Row>, usize) {
    let mut rows: Vec<Row> = rows.into_iter().filter(|r| keep(r, ranking)).collect();
    let matched = rows.len();
    rows.sort_by(|a, b| {
        let (ka, kb) = (sort_key(a, ranking.sort_by), sort_key(b, ranking.sort_by));
        let by_value = match (ka, kb) {
            (Some(x), Some(y)) => match ranking.sort_order {
                SortOrder::Asc => x.cmp(&y),
                SortOrder::Desc => y.cmp(&x),
            },
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_value.then_with(|| a.symbol.cmp(&b.symbol))
    });
    let mut ordered = Vec::with_capacity(rows.len());
    for pin in pin_order(&ranking.pinned) {
        if let Some(i) = rows.iter().position(|r| r.symbol == pin.as_str()) {
            ordered.push(rows.remove(i));
        }
    }
    ordered.extend(rows);
    if let Some(limit) = ranking.limit {
        ordered.truncate(limit);
    }
    (ordered, matched)
}

/// When no coin succeeded, the one error that says most: a rate limit (503 with the longest
/// Retry-After) first, then a timeout, then any other upstream failure; only when every coin is
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_a_parameter_takes_is_the_name_the_answer_echoes() {
        fn echoed(v: impl Serialize) -> String {
            serde_json::to_string(&v).unwrap()
        }
        for (name, v) in SortBy::NAMES {
            assert_eq!(echoed(v), format!("\"{name}\""));
        }
        for (name, v) in SortOrder::NAMES {
            assert_eq!(echoed(v), format!("\"{name}\""));
        }
    }
    use crate::domain::{Decimal, Fixed, Reading};

    fn sym(c: &str) -> Symbol {
        Symbol::from_coin(c).unwrap()
    }

    fn reading(t: i64, long: &str) -> Reading {
        let long_share = Decimal::parse(long).unwrap();
        Reading {
            timestamp: t,
            long_share,
            short_share: Decimal::from_units(Decimal::ONE.units() - long_share.units()),
            long_short_ratio: Some(Decimal::ONE),
        }
    }

    const H: i64 = HOUR_MS;
    const PARAMS: SignalParams = SignalParams {
        threshold: Fixed(800),
        sustained: Fixed(1000),
        smoothing_hours: 12,
        consensus_level: Fixed(5500),
        retention_ms: 30 * 24 * H,
    };

    /// Hourly buckets 1..=n; retail 60 %, accounts 56 %, smart money 50 % except the newest
    /// bucket, where smart money is `newest_smart`.
    fn series(n: i64, newest_smart: &str) -> CohortSeries {
        let s = |long: &str| (1..=n).map(|i| reading(i * H, long)).collect::<Vec<_>>();
        let mut smart = s("0.50");
        smart.last_mut().unwrap().long_share = Decimal::parse(newest_smart).unwrap();
        CohortSeries {
            retail_crowd: s("0.60"),
            top_traders_by_accounts: s("0.56"),
            top_traders_by_position: smart,
            open_interest: Vec::new(),
            prices: Vec::new(),
        }
    }

    #[test]
    fn a_row_carries_the_divergence_account_gap_and_consensus_and_the_asked_extras() {
        let r = row(
            &sym("BTC"),
            &series(31, "0.45"),
            Period::H1,
            &PARAMS,
            true,
            Some(ChangeWindow::H6),
            31,
        )
        .unwrap();
        assert_eq!((r.symbol.as_str(), r.timestamp), ("BTCUSDT", 31 * H));
        assert_eq!(
            (r.long_pct_gap, r.signal),
            (Fixed(-1500), Signal::CrowdOverLong)
        );
        assert_eq!(
            (r.top_traders_by_position_long_pct, r.retail_crowd_long_pct),
            (Fixed(4500), Fixed(6000))
        );
        assert_eq!(r.account_gap, Some(Fixed(-400)));
        assert_eq!(r.smart_money_consensus, Some(Consensus::Neutral));
        // gap now −15, six hours ago −10: −5.
        assert_eq!(r.change.as_ref().unwrap().gap_change, Some(Fixed(-500)));
        assert_eq!(r.change.as_ref().unwrap().gap_change_window, "6h");
        // distance: −15 against 30 buckets of −10 is z = (−15 + 10.16) / 0.88 = −5.5, so
        // min(1, 5.5 / 2) = 1; agreement 1, persistence 12/12 = 1 (all 31 buckets are beyond
        // −8), completeness 1: 35 + 25 + 25 + 15 = 100.
        let c = r.confidence.as_ref().unwrap();
        assert_eq!(
            (c.confidence, c.strength),
            (Some(100), Some(Strength::Strong))
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["confidence"], 100);
        assert_eq!(json["strength"], "strong");
        assert_eq!(json["gap_change"], -5.0);
        assert_eq!(json["gap_change_window"], "6h");
        assert_eq!(json["smart_money_consensus"], "NEUTRAL");
    }

    #[test]
    fn without_extras_the_row_has_exactly_the_base_fields() {
        let r = row(
            &sym("ETH"),
            &series(6, "0.70"),
            Period::H1,
            &PARAMS,
            false,
            None,
            6,
        )
        .unwrap();
        let text = serde_json::to_string(&r).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        // Every key once, in this order (the row is serialised in field order).
        let positions: Vec<usize> = [
            "symbol",
            "timestamp",
            "long_pct_gap",
            "signal",
            "smart_money_long_pct",
            "retail_long_pct",
            "account_gap",
            "smart_money_consensus",
        ]
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(json.as_object().unwrap().len(), 8, "{text}");
        assert_eq!(json["signal"], "crowd_over_short");
    }

    #[test]
    fn a_coin_whose_cohorts_share_no_bucket_is_an_upstream_error() {
        let mut s = series(3, "0.5");
        s.top_traders_by_position = vec![reading(100 * H, "0.5")];
        let e = row(&sym("BTC"), &s, Period::H1, &PARAMS, false, None, 6).unwrap_err();
        assert_eq!(e.code(), "upstream_error");
    }
}
