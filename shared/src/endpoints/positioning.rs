//! `GET /v1/positioning`: the three cohorts side by side, with the divergence.

use serde::Serialize;

use super::{divergence_note, Market, Provenance, Query, NEWEST_ROWS};
use crate::config::Config;
use crate::domain::route;
use crate::domain::{ApiError, Cohort, CohortSeries, Period};
use crate::maths::divergence::{CohortReading, Divergence};

pub const ROUTE: &str = route::POSITIONING.route;
pub const PARAMS: &[&str] = super::MARKET_PARAMS;
pub const MESSAGE: &str = "Positioning retrieved successfully";
/// Rows fetched per cohort.
pub const ROWS: u16 = NEWEST_ROWS;

pub fn params(query: &Query<'_>) -> Result<Market, ApiError> {
    Market::from_query(query, Period::M5)
}

#[derive(Serialize)]
pub struct PositioningData {
    pub symbol: String,
    pub period: &'static str,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub note: String,
    /// Each cohort's newest reading, in the order retail_crowd, top_traders_by_accounts,
    /// top_traders_by_position.
    pub cohorts: Vec<CohortReading>,
    pub divergence: Divergence,
}

pub fn answer(
    config: &Config,
    provenance: Provenance,
    series: &CohortSeries,
    market: &Market,
) -> Result<PositioningData, ApiError> {
    let divergence = Divergence::at_common_bucket(series, config.threshold)
        .ok_or_else(ApiError::no_common_bucket)?;
    let cohorts = Cohort::ALL
        .into_iter()
        .filter_map(|c| series.get(c).last().map(|r| CohortReading::new(c, r)))
        .collect();
    Ok(PositioningData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        provenance,
        note: divergence_note(config.threshold),
        cohorts,
        divergence,
    })
}
