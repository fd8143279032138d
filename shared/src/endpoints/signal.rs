//! `GET /v1/signal`: the divergence in the context of the coin's own newest buckets.

use serde::Serialize;

use super::{Market, Provenance, Query, NOT_ADVICE};
use crate::config::Config;
use crate::domain::route;
use crate::domain::{ApiError, CohortSeries, Period};
use crate::maths::divergence::Divergence;
use crate::maths::signal::money_flow::{open_interest_flows, OpenInterestFlows};
use crate::maths::signal::{report, Report, SignalParams, CONSENSUS_LEVEL_PCT, LOOKBACK};

pub const ROUTE: &str = route::SIGNAL.route;
pub const PARAMS: &[&str] = super::MARKET_PARAMS;
pub const MESSAGE: &str = "Signal retrieved successfully";
/// Unlike the other endpoints, the context wants hours of buckets: 1h unless asked otherwise.
pub const DEFAULT_PERIOD: Period = Period::H1;
/// Rows fetched per cohort: the whole lookback.
pub const ROWS: u16 = LOOKBACK;

pub fn params(query: &Query<'_>) -> Result<Market, ApiError> {
    Market::from_query(query, DEFAULT_PERIOD)
}

#[derive(Serialize)]
pub struct SignalData {
    pub symbol: String,
    pub period: &'static str,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub note: String,
    #[serde(flatten)]
    pub report: Report,
    /// Binance's open interest at `now` and the estimated money flow per change window.
    pub open_interest: OpenInterestFlows,
}

/// The signal's settings in force.
pub fn signal_params(config: &Config) -> SignalParams {
    SignalParams {
        threshold: config.threshold,
        sustained: config.signal_sustained,
        smoothing_hours: config.signal_smoothing_hours,
        consensus_level: CONSENSUS_LEVEL_PCT,
        retention_ms: crate::upstream::binance::RETENTION_MS,
    }
}

/// Every section at `clock_ms` (the data-quality age is measured against it).
pub fn answer(
    config: &Config,
    provenance: Provenance,
    series: &CohortSeries,
    market: &Market,
    clock_ms: i64,
) -> Result<SignalData, ApiError> {
    let params = signal_params(config);
    let now = Divergence::at_common_bucket(series, config.threshold)
        .ok_or_else(ApiError::no_common_bucket)?;
    Ok(SignalData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        provenance,
        note: note(&params),
        open_interest: open_interest_flows(series, market.period, now.timestamp),
        report: report(series, now, market.period, &params, clock_ms),
    })
}

fn note(params: &SignalParams) -> String {
    format!(
        "Describes how Binance futures' smart money (top traders by position) is positioned against \
         the retail crowd, measured against this coin's own newest {LOOKBACK} buckets: signal at \
         ±{} pp, smoothed over {}h and sustained at ±{} pp, consensus at {}%. The scores are \
         descriptive statistics of published positioning: evidence of how far apart the cohorts \
         are, for how long and how unusual that is for this coin; not evidence of future prices, \
         not a forecast and not backtested. Formulas: docs/SIGNALS.md. {NOT_ADVICE}",
        params.threshold, params.smoothing_hours, params.sustained, params.consensus_level,
    )
}
