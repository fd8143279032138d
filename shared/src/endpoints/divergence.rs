//! `GET /v1/divergence`: the smart-money-minus-retail long-share gap, with a signal and a read.

use serde::Serialize;

use super::{divergence_note, Market, Provenance, Query, NEWEST_ROWS};
use crate::config::Config;
use crate::domain::route;
use crate::domain::{ApiError, CohortSeries, Pct, Period, Ratio};
use crate::maths::divergence::{Divergence, Signal};

pub const ROUTE: &str = route::DIVERGENCE.route;
pub const PARAMS: &[&str] = super::MARKET_PARAMS;
pub const MESSAGE: &str = "Divergence retrieved successfully";
/// Rows fetched per cohort.
pub const ROWS: u16 = NEWEST_ROWS;

pub fn params(query: &Query<'_>) -> Result<Market, ApiError> {
    Market::from_query(query, Period::M5)
}

#[derive(Serialize)]
pub struct DivergenceData {
    pub symbol: String,
    pub period: &'static str,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub note: String,
    pub timestamp: i64,
    pub read: String,
    pub signal: Signal,
    pub long_pct_gap: Pct,
    pub ratio_gap: Option<Ratio>,
    #[serde(rename = "retail_long_pct")]
    pub retail_crowd_long_pct: Pct,
    #[serde(rename = "smart_money_long_pct")]
    pub top_traders_by_position_long_pct: Pct,
}

pub fn answer(
    config: &Config,
    provenance: Provenance,
    series: &CohortSeries,
    market: &Market,
) -> Result<DivergenceData, ApiError> {
    let d = Divergence::at_common_bucket(series, config.threshold)
        .ok_or_else(ApiError::no_common_bucket)?;
    Ok(DivergenceData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        provenance,
        note: divergence_note(config.threshold),
        timestamp: d.timestamp,
        read: d.read,
        signal: d.signal,
        long_pct_gap: d.long_pct_gap,
        ratio_gap: d.ratio_gap,
        retail_crowd_long_pct: d.retail_crowd_long_pct,
        top_traders_by_position_long_pct: d.top_traders_by_position_long_pct,
    })
}
