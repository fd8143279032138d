//! `GET /v1/screener`: its parameters (newtypes that can only hold valid values, with the
//! dependent-parameter rules), one row per coin from that coin's fetched series, and the pure
//! filter → sort → pin → limit step. No I/O here: the fan-out lives in `functions/screener`.

use serde::Serialize;

use crate::binance::policy::MARKET_LOOKBACK;
use crate::binance::CohortSeries;
use crate::decimal::{Fixed, Pct};
use crate::divergence::{history, Divergence, Signal};
use crate::error::ApiError;
use crate::params::{Limit, Period, Query, Symbol};
use crate::signal::{self, Consensus, SignalParams, Strength};

/// What `/v1/screener` accepts.
pub const SCREENER_PARAMS: &[&str] = &[
    "coins",
    "period",
    "sort_by",
    "sort_order",
    "signal",
    "min_abs_gap",
    "strength",
    "limit",
    "pinned",
    "include_confidence",
    "include_changes",
    "change_window",
    "refresh",
];
/// Most coins one call screens (after de-duplication); also the most rows and pins.
pub const MAX_COINS: usize = 50;
/// Always first when present among the rows, before the caller's `pinned`.
pub const DEFAULT_PINS: [&str; 3] = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];

const HOUR_MS: i64 = 3_600_000;

/// A caller's item cut short and made printable, safe to echo in a message.
fn shown(item: &str) -> String {
    let mut s: String = item
        .chars()
        .take(24)
        .map(|c| {
            if c.is_ascii_graphic() && c != '\'' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if item.chars().count() > 24 {
        s.push('…');
    }
    s
}

/// A comma-separated list of base assets (`BTC,eth, sol`): case-insensitive, spaces around an
/// item ignored, 1 to [`MAX_COINS`] distinct coins (duplicates dropped, first order kept).
fn coin_list(parameter: &'static str, text: &str) -> Result<Vec<Symbol>, ApiError> {
    let mut out: Vec<Symbol> = Vec::new();
    for item in text.split(',') {
        let item = item.trim_matches(' ');
        let symbol = Symbol::from_coin(item).map_err(|_| {
            ApiError::invalid(
                parameter,
                format!(
                    "{parameter}: '{}' is not a base asset; give comma-separated coins of 1 to 20 \
                     letters or digits, such as BTC,ETH,SOL",
                    shown(item)
                ),
            )
        })?;
        if !out.contains(&symbol) {
            out.push(symbol);
        }
        if out.len() > MAX_COINS {
            return Err(ApiError::invalid(
                parameter,
                format!("{parameter}: at most {MAX_COINS} distinct coins per call"),
            ));
        }
    }
    Ok(out)
}

/// The coins to screen, as given (`coins=`); absent means the configured default universe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coins(Vec<Symbol>);

impl Coins {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        coin_list("coins", text).map(Coins)
    }
    pub fn symbols(&self) -> &[Symbol] {
        &self.0
    }
}

/// Coins to put first, after the default pins, in the order given (at most [`MAX_COINS`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pinned(Vec<Symbol>);

impl Pinned {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        coin_list("pinned", text).map(Pinned)
    }
    pub fn symbols(&self) -> &[Symbol] {
        &self.0
    }
}

/// One of a closed set of names, for the enum-like parameters.
fn one_of<T: Copy>(
    parameter: &'static str,
    text: &str,
    allowed: &[(&'static str, T)],
) -> Result<T, ApiError> {
    allowed
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(
                parameter,
                format!("{parameter} must be one of {}", names.join(", ")),
            )
        })
}

/// A comma-separated set of names from a closed set (`signal=crowd_over_long,neutral`).
fn set_of<T: Copy + PartialEq>(
    parameter: &'static str,
    text: &str,
    allowed: &[(&'static str, T)],
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let v = one_of(parameter, item.trim_matches(' '), allowed).map_err(|_| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(
                parameter,
                format!(
                    "{parameter} must be one or more of {}, comma-separated",
                    names.join(", ")
                ),
            )
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn boolean(parameter: &'static str, text: &str) -> Result<bool, ApiError> {
    one_of(parameter, text, &[("true", true), ("false", false)])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    LongPctGap,
    AbsGap,
    SmartMoneyLongPct,
    RetailLongPct,
    Confidence,
    GapChange,
}

impl SortBy {
    const NAMES: [(&'static str, SortBy); 6] = [
        ("long_pct_gap", SortBy::LongPctGap),
        ("abs_gap", SortBy::AbsGap),
        ("smart_money_long_pct", SortBy::SmartMoneyLongPct),
        ("retail_long_pct", SortBy::RetailLongPct),
        ("confidence", SortBy::Confidence),
        ("gap_change", SortBy::GapChange),
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
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        one_of(
            "sort_order",
            text,
            &[("asc", SortOrder::Asc), ("desc", SortOrder::Desc)],
        )
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
    const NAMES: [(&'static str, ChangeWindow); 4] = [
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
        signal::window_buckets(self.millis(), period, Limit::MAX as usize - 1).map_err(|why| {
            ApiError::invalid(
                "change_window",
                format!(
                    "change_window={} with period={period}: {why}",
                    self.as_str()
                ),
            )
        })
    }
}

/// `min_abs_gap`: plain decimal percentage points, 0 to 100, at most 2 decimals.
fn min_abs_gap(text: &str) -> Result<Pct, ApiError> {
    let err = || {
        ApiError::invalid(
            "min_abs_gap",
            "min_abs_gap must be a number of percentage points from 0 to 100 with at most 2 decimals, such as 8 or 7.5",
        )
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return Err(err());
    }
    if text.ends_with('.') {
        return Err(err());
    }
    match Pct::parse(text) {
        Ok(p) if p <= Fixed(10_000) => Ok(p),
        _ => Err(err()),
    }
}

/// `limit`: rows returned, 1 to [`MAX_COINS`], applied after filtering and ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowLimit(u8);

impl RowLimit {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let err =
            || ApiError::invalid("limit", "limit must be a whole number of rows from 1 to 50");
        if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        match text.parse::<u8>() {
            Ok(n @ 1..=50) => Ok(RowLimit(n)),
            _ => Err(err()),
        }
    }
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

const SIGNALS: [(&str, Signal); 3] = [
    ("crowd_over_long", Signal::CrowdOverLong),
    ("crowd_over_short", Signal::CrowdOverShort),
    ("neutral", Signal::Neutral),
];
const STRENGTHS: [(&str, Strength); 3] = [
    ("strong", Strength::Strong),
    ("moderate", Strength::Moderate),
    ("weak", Strength::Weak),
];

/// The validated parameters of one screener call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    /// `None`: the configured default universe.
    pub coins: Option<Coins>,
    pub period: Period,
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
    /// Keep only rows with one of these signals (`None`: all).
    pub signals: Option<Vec<Signal>>,
    /// Keep only rows with |long_pct_gap| ≥ this.
    pub min_abs_gap: Option<Pct>,
    /// Keep only rows with one of these strengths (needs `include_confidence`).
    pub strengths: Option<Vec<Strength>>,
    pub limit: Option<RowLimit>,
    pub pinned: Pinned,
    pub include_confidence: bool,
    /// `Some(window)` when `include_changes=true`.
    pub changes: Option<ChangeWindow>,
    /// Bypass the instance's memo of upstream answers.
    pub refresh: bool,
}

fn needs(flag: &'static str, what: String) -> ApiError {
    ApiError::invalid(flag, format!("{what} needs {flag}=true"))
}

impl Screen {
    /// Every parameter on its own first (so a malformed value is named), then the rules between
    /// them, each naming the parameter that is missing.
    pub fn from_query(query: &Query<'_>) -> Result<Self, ApiError> {
        let opt = |name| query.get(name);
        let coins = opt("coins").map(Coins::parse).transpose()?;
        let period = query.period()?;
        let sort_by = opt("sort_by").map_or(Ok(SortBy::LongPctGap), SortBy::parse)?;
        let sort_order = opt("sort_order").map_or(Ok(SortOrder::Desc), SortOrder::parse)?;
        let signals = opt("signal")
            .map(|t| set_of("signal", t, &SIGNALS))
            .transpose()?;
        let min_abs_gap = opt("min_abs_gap").map(min_abs_gap).transpose()?;
        let strengths = opt("strength")
            .map(|t| set_of("strength", t, &STRENGTHS))
            .transpose()?;
        let limit = opt("limit").map(RowLimit::parse).transpose()?;
        let pinned = opt("pinned")
            .map(Pinned::parse)
            .transpose()?
            .unwrap_or_default();
        let include_confidence = opt("include_confidence")
            .map(|t| boolean("include_confidence", t))
            .transpose()?
            .unwrap_or(false);
        let include_changes = opt("include_changes")
            .map(|t| boolean("include_changes", t))
            .transpose()?
            .unwrap_or(false);
        let window = opt("change_window").map(ChangeWindow::parse).transpose()?;
        let refresh = opt("refresh")
            .map(|t| boolean("refresh", t))
            .transpose()?
            .unwrap_or(false);

        if !include_confidence {
            if sort_by == SortBy::Confidence {
                return Err(needs("include_confidence", "sort_by=confidence".into()));
            }
            if let Some(t) = opt("strength") {
                return Err(needs(
                    "include_confidence",
                    format!("strength={}", shown(t)),
                ));
            }
        }
        if !include_changes {
            if sort_by == SortBy::GapChange {
                return Err(needs("include_changes", "sort_by=gap_change".into()));
            }
            if let Some(w) = window {
                return Err(needs(
                    "include_changes",
                    format!("change_window={}", w.as_str()),
                ));
            }
        }
        let changes = include_changes.then(|| window.unwrap_or(ChangeWindow::DEFAULT));
        if let Some(w) = changes {
            w.buckets(period)?;
        }
        Ok(Screen {
            coins,
            period,
            sort_by,
            sort_order,
            signals,
            min_abs_gap,
            strengths,
            limit,
            pinned,
            include_confidence,
            changes,
            refresh,
        })
    }

    /// Buckets to fetch per cohort: the fewest the asked outputs need.
    /// - the row alone: [`MARKET_LOOKBACK`] (the newest bucket, with room for a late cohort);
    /// - `include_confidence`: the smoothing window in buckets (where `persistence` saturates)
    ///   plus that room;
    /// - `include_changes`: the window in buckets, plus one for its start, plus that room;
    ///
    /// the largest of those, at most 500 (Binance's maximum, what `/v1/signal` fetches).
    pub fn fetch_limit(&self, smoothing_hours: u32) -> u16 {
        let room = usize::from(MARKET_LOOKBACK);
        let period_ms = self.period.millis();
        let mut n = room;
        if self.include_confidence {
            let smoothing_ms = i64::from(smoothing_hours) * HOUR_MS;
            let k = (smoothing_ms + period_ms - 1) / period_ms;
            n = n.max(k as usize + room);
        }
        if let Some(w) = self.changes {
            n = n.max((w.millis() / period_ms) as usize + 1 + room);
        }
        n.min(usize::from(Limit::MAX)) as u16
    }
}

// ------------------------------------------------------------------ one coin's row

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowConfidence {
    /// `/v1/signal`'s confidence score, over the buckets fetched here (see `fetch_limit`).
    pub confidence: u8,
    pub strength: Strength,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowChange {
    /// long_pct_gap now minus `gap_change_window` earlier; `null` when that bucket is missing.
    pub gap_change: Option<Pct>,
    pub gap_change_window: &'static str,
}

/// One coin's line of the screener.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub symbol: String,
    pub timestamp: i64,
    pub long_pct_gap: Pct,
    pub signal: Signal,
    pub smart_money_long_pct: Pct,
    pub retail_long_pct: Pct,
    pub account_gap: Option<Pct>,
    pub smart_money_consensus: Option<Consensus>,
    #[serde(flatten)]
    pub confidence: Option<RowConfidence>,
    #[serde(flatten)]
    pub change: Option<RowChange>,
}

/// The row of `symbol` from its fetched series (`fetched`: the `limit` they were fetched with):
/// the divergence at the newest common bucket as `/v1/divergence`, account gap and consensus as
/// `/v1/signal`'s `now`, and the asked extras from the buckets with all three cohorts.
pub fn row(
    symbol: &Symbol,
    series: &CohortSeries,
    period: Period,
    params: &SignalParams,
    include_confidence: bool,
    changes: Option<ChangeWindow>,
    fetched: u16,
) -> Result<Row, ApiError> {
    let now = Divergence::at_common_bucket(series, params.threshold)
        .ok_or_else(ApiError::no_common_bucket)?;
    let accounts = series
        .top_traders_by_accounts
        .binary_search_by_key(&now.timestamp, |r| r.timestamp)
        .ok()
        .map(|i| series.top_traders_by_accounts[i].long_share.to_percent());
    let account_gap = accounts.map(|a| signal::account_gap(a, now.retail_long_pct));
    let points = if include_confidence || changes.is_some() {
        history(series, usize::from(fetched), period.millis())
    } else {
        Vec::new()
    };
    let confidence = include_confidence.then(|| {
        let persistence = signal::persistence(&points, period, params.threshold);
        let quality = signal::data_quality(series, &points, period, 0);
        let beyond_hours = match persistence.beyond_threshold {
            true => persistence.duration_hours.unwrap_or(Fixed(0)),
            false => Fixed(0),
        };
        let c = signal::confidence(
            now.long_pct_gap,
            params.threshold,
            account_gap,
            beyond_hours,
            params.smoothing_hours,
            (quality.complete_buckets, quality.expected_buckets),
        );
        RowConfidence {
            confidence: c.score,
            strength: c.strength,
        }
    });
    let change = changes.map(|w| RowChange {
        gap_change: signal::change(&points, period, w.millis()).long_pct_gap,
        gap_change_window: w.as_str(),
    });
    Ok(Row {
        symbol: symbol.to_string(),
        timestamp: now.timestamp,
        long_pct_gap: now.long_pct_gap,
        signal: now.signal,
        smart_money_long_pct: now.smart_money_long_pct,
        retail_long_pct: now.retail_long_pct,
        account_gap,
        smart_money_consensus: accounts
            .map(|a| signal::consensus(a, now.smart_money_long_pct, params.consensus_level)),
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
        SortBy::SmartMoneyLongPct => Some(row.smart_money_long_pct.units()),
        SortBy::RetailLongPct => Some(row.retail_long_pct.units()),
        SortBy::Confidence => row.confidence.as_ref().map(|c| i64::from(c.confidence)),
        SortBy::GapChange => row
            .change
            .as_ref()
            .and_then(|c| c.gap_change)
            .map(|g| g.units()),
    }
}

fn keep(row: &Row, screen: &Screen) -> bool {
    screen
        .signals
        .as_ref()
        .is_none_or(|s| s.contains(&row.signal))
        && screen
            .min_abs_gap
            .is_none_or(|m| row.long_pct_gap.units().abs() >= m.units())
        && screen.strengths.as_ref().is_none_or(|s| {
            row.confidence
                .as_ref()
                .is_some_and(|c| s.contains(&c.strength))
        })
}

/// The pin order in force: BTC, ETH, SOL, then the caller's pins in their order (no repeats).
pub fn pin_order(pinned: &Pinned) -> Vec<Symbol> {
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
pub fn unknown_pins(pinned: &Pinned, screened: &[Symbol], unknown: &[Symbol]) -> Vec<String> {
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
pub fn rank(rows: Vec<Row>, screen: &Screen) -> (Vec<Row>, usize) {
    let mut rows: Vec<Row> = rows.into_iter().filter(|r| keep(r, screen)).collect();
    let matched = rows.len();
    rows.sort_by(|a, b| {
        let (ka, kb) = (sort_key(a, screen.sort_by), sort_key(b, screen.sort_by));
        let by_value = match (ka, kb) {
            (Some(x), Some(y)) => match screen.sort_order {
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
    for pin in pin_order(&screen.pinned) {
        if let Some(i) = rows.iter().position(|r| r.symbol == pin.as_str()) {
            ordered.push(rows.remove(i));
        }
    }
    ordered.extend(rows);
    if let Some(l) = screen.limit {
        ordered.truncate(l.get());
    }
    (ordered, matched)
}

/// When no coin succeeded, the one error that says most: a rate limit (503 with the longest
/// Retry-After) first, then a timeout, then any other upstream failure; only when every coin is
/// unknown to Binance, 404 naming them.
pub fn most_telling(errors: &[(Symbol, ApiError)]) -> ApiError {
    let retry = errors
        .iter()
        .filter_map(|(_, e)| e.retry_after_secs())
        .max();
    if let Some(retry_after_secs) = retry {
        return ApiError::UpstreamRateLimited { retry_after_secs };
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
    ApiError::UnknownSymbol { symbol }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::Reading;
    use crate::decimal::Decimal;
    use crate::params::MARKET_PARAMS;

    fn screen(pairs: &[(&str, &str)]) -> Result<Screen, ApiError> {
        Screen::from_query(&Query::new(pairs.iter().copied(), SCREENER_PARAMS)?)
    }

    fn refused(pairs: &[(&str, &str)]) -> (String, String) {
        let e = screen(pairs).unwrap_err();
        assert_eq!(e.status().as_u16(), 400, "{pairs:?}");
        (e.parameter().unwrap().to_string(), e.to_string())
    }

    fn sym(c: &str) -> Symbol {
        Symbol::from_coin(c).unwrap()
    }

    #[test]
    fn nothing_given_means_the_default_universe_5m_by_gap_descending_with_no_extras() {
        let s = screen(&[]).unwrap();
        assert_eq!(s.coins, None);
        assert_eq!(s.period, Period::M5);
        assert_eq!(
            (s.sort_by, s.sort_order),
            (SortBy::LongPctGap, SortOrder::Desc)
        );
        assert!(!s.include_confidence && s.changes.is_none() && !s.refresh);
        assert_eq!(
            (s.signals, s.strengths, s.limit, s.min_abs_gap),
            (None, None, None, None)
        );
    }

    #[test]
    fn coins_are_case_insensitive_trimmed_and_deduplicated_in_first_order() {
        let s = screen(&[("coins", "eth, BTC,eth,1000pepe,Btc")]).unwrap();
        let got: Vec<&str> = s
            .coins
            .as_ref()
            .unwrap()
            .symbols()
            .iter()
            .map(Symbol::as_str)
            .collect();
        assert_eq!(got, ["ETHUSDT", "BTCUSDT", "1000PEPEUSDT"]);
    }

    #[test]
    fn fifty_distinct_coins_are_accepted_and_fifty_one_are_refused_duplicates_not_counted() {
        let coins: Vec<String> = (0..50).map(|i| format!("C{i}")).collect();
        let fifty = coins.join(",");
        assert_eq!(
            screen(&[("coins", &fifty)])
                .unwrap()
                .coins
                .unwrap()
                .symbols()
                .len(),
            50
        );
        let with_repeats = format!("{fifty},C0,c1,C2");
        assert!(screen(&[("coins", &with_repeats)]).is_ok());
        let (p, m) = refused(&[("coins", &format!("{fifty},C50"))]);
        assert_eq!(p, "coins");
        assert!(m.contains("at most 50"), "{m}");
    }

    #[test]
    fn a_bad_coin_in_the_list_is_named_in_the_message() {
        for bad in ["BTC,,ETH", "BTC,", "BTC,ETH-", "BTCUSDT", "BTC,../x", "₿"] {
            let (p, m) = refused(&[("coins", bad)]);
            assert_eq!(p, "coins", "{bad:?}");
            assert!(m.starts_with("coins: '"), "{m}");
        }
        let (_, m) = refused(&[("coins", "BTC,ETH-")]);
        assert!(m.contains("'ETH-'"), "{m}");
        let (p, _) = refused(&[("pinned", "XRP,DO GE")]);
        assert_eq!(p, "pinned");
    }

    #[test]
    fn enum_parameters_list_their_allowed_values() {
        let (p, m) = refused(&[("sort_by", "gap")]);
        assert_eq!(p, "sort_by");
        assert_eq!(
            m,
            "sort_by must be one of long_pct_gap, abs_gap, smart_money_long_pct, retail_long_pct, confidence, gap_change"
        );
        assert_eq!(refused(&[("sort_order", "DESC")]).0, "sort_order");
        assert_eq!(refused(&[("signal", "bullish")]).0, "signal");
        assert_eq!(
            refused(&[("change_window", "2h"), ("include_changes", "true")]).0,
            "change_window"
        );
        for b in ["1", "TRUE", "yes", "True"] {
            assert_eq!(refused(&[("refresh", b)]).0, "refresh", "{b}");
        }
        assert_eq!(refused(&[("period", "3m")]).0, "period");
    }

    #[test]
    fn signal_and_strength_filters_take_a_comma_separated_set() {
        let s = screen(&[
            ("signal", "crowd_over_long,crowd_over_short,crowd_over_long"),
            ("strength", "strong, moderate"),
            ("include_confidence", "true"),
        ])
        .unwrap();
        assert_eq!(
            s.signals,
            Some(vec![Signal::CrowdOverLong, Signal::CrowdOverShort])
        );
        assert_eq!(
            s.strengths,
            Some(vec![Strength::Strong, Strength::Moderate])
        );
        let (p, m) = refused(&[("signal", "neutral,")]);
        assert_eq!(p, "signal");
        assert!(m.contains("comma-separated"), "{m}");
    }

    #[test]
    fn dependent_parameters_name_the_missing_flag() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case; 6] = [
            (
                &[("sort_by", "confidence")],
                "include_confidence",
                "sort_by=confidence needs include_confidence=true",
            ),
            (
                &[("sort_by", "confidence"), ("include_confidence", "false")],
                "include_confidence",
                "sort_by=confidence needs include_confidence=true",
            ),
            (
                &[("strength", "strong")],
                "include_confidence",
                "strength=strong needs include_confidence=true",
            ),
            (
                &[("sort_by", "gap_change")],
                "include_changes",
                "sort_by=gap_change needs include_changes=true",
            ),
            (
                &[("change_window", "6h")],
                "include_changes",
                "change_window=6h needs include_changes=true",
            ),
            (
                &[("change_window", "6h"), ("include_changes", "false")],
                "include_changes",
                "change_window=6h needs include_changes=true",
            ),
        ];
        for (pairs, parameter, message) in cases {
            assert_eq!(
                refused(pairs),
                (parameter.to_string(), message.to_string()),
                "{pairs:?}"
            );
        }
        let ok = screen(&[
            ("sort_by", "gap_change"),
            ("include_changes", "true"),
            ("change_window", "6h"),
        ])
        .unwrap();
        assert_eq!(ok.changes, Some(ChangeWindow::H6));
        let ok = screen(&[("include_changes", "true")]).unwrap();
        assert_eq!(ok.changes, Some(ChangeWindow::H24), "24h by default");
    }

    #[test]
    fn a_change_window_the_period_cannot_cover_is_refused_naming_change_window() {
        let (p, m) = refused(&[
            ("include_changes", "true"),
            ("change_window", "1h"),
            ("period", "1d"),
        ]);
        assert_eq!(p, "change_window");
        assert!(m.contains("longer than 1h"), "{m}");
        let (p, m) = refused(&[
            ("include_changes", "true"),
            ("change_window", "7d"),
            ("period", "5m"),
        ]);
        assert_eq!(p, "change_window");
        assert!(m.contains("2016 buckets"), "{m}");
        assert!(screen(&[
            ("include_changes", "true"),
            ("change_window", "7d"),
            ("period", "30m")
        ])
        .is_ok());
    }

    #[test]
    fn min_abs_gap_and_limit_accept_only_plain_numbers_in_range() {
        assert_eq!(
            screen(&[("min_abs_gap", "7.5")]).unwrap().min_abs_gap,
            Some(Fixed(750))
        );
        assert_eq!(
            screen(&[("min_abs_gap", "0")]).unwrap().min_abs_gap,
            Some(Fixed(0))
        );
        assert_eq!(
            screen(&[("min_abs_gap", "100")]).unwrap().min_abs_gap,
            Some(Fixed(10_000))
        );
        for bad in [
            "-1", "100.01", "1e1", "7.", ".5", "7.555", "abc", "NaN", " 8",
        ] {
            assert_eq!(refused(&[("min_abs_gap", bad)]).0, "min_abs_gap", "{bad:?}");
        }
        assert_eq!(screen(&[("limit", "50")]).unwrap().limit.unwrap().get(), 50);
        for bad in ["0", "51", "500", "-1", "5.0", "+5"] {
            assert_eq!(refused(&[("limit", bad)]).0, "limit", "{bad:?}");
        }
    }

    #[test]
    fn unknown_and_market_only_parameters_are_refused() {
        assert_eq!(refused(&[("coin", "BTC")]).0, "coin");
        assert_eq!(refused(&[("symbol", "BTCUSDT")]).0, "symbol");
        assert!(!SCREENER_PARAMS
            .iter()
            .any(|p| MARKET_PARAMS.contains(p) && *p != "period"));
    }

    #[test]
    fn the_fetch_limit_is_the_fewest_buckets_the_asked_outputs_need() {
        let limit = |pairs: &[(&str, &str)]| screen(pairs).unwrap().fetch_limit(12);
        assert_eq!(limit(&[("period", "1h")]), 6);
        assert_eq!(
            limit(&[("period", "1h"), ("include_confidence", "true")]),
            12 + 6
        );
        assert_eq!(
            limit(&[("period", "5m"), ("include_confidence", "true")]),
            144 + 6
        );
        assert_eq!(
            limit(&[("period", "1d"), ("include_confidence", "true")]),
            1 + 6
        );
        assert_eq!(
            limit(&[("period", "1h"), ("include_changes", "true")]),
            24 + 1 + 6
        );
        assert_eq!(
            limit(&[
                ("period", "1h"),
                ("include_changes", "true"),
                ("change_window", "1h"),
                ("include_confidence", "true")
            ]),
            18
        );
        assert_eq!(
            limit(&[
                ("period", "30m"),
                ("include_changes", "true"),
                ("change_window", "7d")
            ]),
            343
        );
        assert_eq!(
            limit(&[
                ("period", "1h"),
                ("include_changes", "true"),
                ("change_window", "7d")
            ]),
            175
        );
        assert_eq!(
            screen(&[("period", "5m"), ("include_confidence", "true")])
                .unwrap()
                .fetch_limit(168),
            500
        );
    }

    // ---------------------------------------------------------------- rows and ranking

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
            (r.smart_money_long_pct, r.retail_long_pct),
            (Fixed(4500), Fixed(6000))
        );
        assert_eq!(r.account_gap, Some(Fixed(-400)));
        assert_eq!(r.smart_money_consensus, Some(Consensus::Neutral));
        // gap now −15, six hours ago −10: −5.
        assert_eq!(r.change.as_ref().unwrap().gap_change, Some(Fixed(-500)));
        assert_eq!(r.change.as_ref().unwrap().gap_change_window, "6h");
        // distance min(1, 15/16) = 0.94, agreement 1, persistence 12/12 = 1 (all 31 buckets are
        // beyond −8), completeness 1: round(32.9 + 25 + 25 + 15) = 98.
        let c = r.confidence.as_ref().unwrap();
        assert_eq!((c.confidence, c.strength), (98, Strength::Strong));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["confidence"], 98);
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

    fn r(coin: &str, gap: i64) -> Row {
        Row {
            symbol: format!("{coin}USDT"),
            timestamp: 0,
            long_pct_gap: Fixed(gap),
            signal: crate::divergence::signal(Fixed(gap), Fixed(800)),
            smart_money_long_pct: Fixed(5000 + gap),
            retail_long_pct: Fixed(5000),
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
        let (out, matched) = rank(rows(), &screen(&[]).unwrap());
        assert_eq!(
            symbols(&out),
            ["BTC", "ETH", "SOL", "ADA", "LINK", "XRP", "DOGE"]
        );
        assert_eq!(matched, 7);
    }

    #[test]
    fn pinned_coins_follow_the_defaults_in_the_order_given_then_the_rest_ascending() {
        let s = screen(&[("pinned", "doge,xrp,BTC"), ("sort_order", "asc")]).unwrap();
        let (out, _) = rank(rows(), &s);
        assert_eq!(
            symbols(&out),
            ["BTC", "ETH", "SOL", "DOGE", "XRP", "LINK", "ADA"]
        );
    }

    #[test]
    fn abs_gap_sorts_by_distance_either_side() {
        let s = screen(&[("sort_by", "abs_gap")]).unwrap();
        let (out, _) = rank(rows(), &s);
        assert_eq!(
            symbols(&out),
            ["BTC", "ETH", "SOL", "ADA", "DOGE", "LINK", "XRP"]
        );
    }

    #[test]
    fn filters_apply_before_pinning_and_limit_after_ordering() {
        let s = screen(&[
            ("signal", "crowd_over_long,crowd_over_short"),
            ("pinned", "DOGE"),
            ("limit", "3"),
        ])
        .unwrap();
        let (out, matched) = rank(rows(), &s);
        // BTC −21, ETH +9, ADA +15, DOGE −12 pass; SOL (neutral) is filtered out despite its pin.
        assert_eq!(matched, 4);
        assert_eq!(symbols(&out), ["BTC", "ETH", "DOGE"]);
        let s = screen(&[("min_abs_gap", "9")]).unwrap();
        let (out, _) = rank(rows(), &s);
        assert_eq!(symbols(&out), ["BTC", "ETH", "ADA", "DOGE"]);
        let s = screen(&[("min_abs_gap", "9.01")]).unwrap();
        assert_eq!(symbols(&rank(rows(), &s).0), ["BTC", "ADA", "DOGE"]);
    }

    #[test]
    fn confidence_and_strength_sort_and_filter_and_a_null_gap_change_sorts_last() {
        let mut rs = rows();
        for (row, score) in rs.iter_mut().zip([90u8, 40, 70, 85, 60, 10, 55]) {
            row.confidence = Some(RowConfidence {
                confidence: score,
                strength: match score {
                    80.. => Strength::Strong,
                    60..=79 => Strength::Moderate,
                    _ => Strength::Weak,
                },
            });
            row.change = Some(RowChange {
                gap_change: (score != 10).then_some(Fixed(i64::from(score) - 50)),
                gap_change_window: "24h",
            });
        }
        let s = screen(&[
            ("include_confidence", "true"),
            ("sort_by", "confidence"),
            ("pinned", "LINK"),
        ])
        .unwrap();
        assert_eq!(
            symbols(&rank(rs.clone(), &s).0),
            ["BTC", "ETH", "SOL", "LINK", "XRP", "ADA", "DOGE"]
        );
        let s = screen(&[
            ("include_confidence", "true"),
            ("strength", "strong,moderate"),
        ])
        .unwrap();
        assert_eq!(
            symbols(&rank(rs.clone(), &s).0),
            ["BTC", "ETH", "ADA", "XRP"]
        );
        for (order, rest) in [
            ("asc", ["DOGE", "ADA", "XRP", "LINK"]),
            ("desc", ["XRP", "ADA", "DOGE", "LINK"]),
        ] {
            let s = screen(&[
                ("include_changes", "true"),
                ("sort_by", "gap_change"),
                ("sort_order", order),
            ])
            .unwrap();
            let out = rank(rs.clone(), &s).0;
            // LINK has no gap change: after every row that has one, whatever the order.
            assert_eq!(symbols(&out)[3..], rest, "{order}");
        }
    }

    #[test]
    fn unknown_pins_are_those_not_screened_or_unknown_to_binance() {
        let pinned = Pinned::parse("XRP,NOPE,doge,TRX").unwrap();
        let screened = [sym("BTC"), sym("XRP"), sym("NOPE"), sym("DOGE")];
        assert_eq!(
            unknown_pins(&pinned, &screened, &[sym("NOPE")]),
            ["NOPEUSDT", "TRXUSDT"]
        );
        let order: Vec<String> = pin_order(&Pinned::parse("sol,XRP").unwrap())
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
        assert_eq!((e.status().as_u16(), e.code()), (404, "unknown_symbol"));
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
        assert_eq!((e.status().as_u16(), e.retry_after_secs()), (503, Some(30)));
        let many: Vec<_> = (0..8).map(|i| unknown(&format!("N{i}"))).collect();
        assert!(most_telling(&many).to_string().contains("and 3 more"));
    }
}
