//! `GET /v1/history`: the three cohorts and the gap, bucket by bucket, oldest first.

use serde::Serialize;

use super::{Format, Market, Provenance, Query, NOT_ADVICE};
use crate::domain::route;
use crate::domain::{names, ApiError, CohortSeries, Period};
use crate::maths::history::{history, HistoryPoint};
use crate::render::CsvFile;

pub const ROUTE: &str = route::HISTORY.route;
pub const PARAMS: &[&str] = &["coin", "symbol", "period", "limit", "format"];
pub const MESSAGE: &str = "History retrieved successfully";

/// Number of history buckets: 1 to 500 (Binance's own maximum per request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 500;
    pub const DEFAULT: Limit = Limit(48);

    /// Plain decimal digits only: `1e3`, `-1`, `48.5`, `+5` and `0x10` are all refused.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        names::whole_number("limit", text, Limit::MIN..=Limit::MAX, None).map(Limit)
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

/// The validated parameters of a history call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryParams {
    pub market: Market,
    pub limit: Limit,
    pub format: Format,
}

impl HistoryParams {
    /// Rows fetched per cohort: the buckets asked for.
    pub fn rows(&self) -> u16 {
        self.limit.get()
    }
}

pub fn params(query: &Query<'_>) -> Result<HistoryParams, ApiError> {
    Ok(HistoryParams {
        market: Market::from_query(query, Period::M5)?,
        limit: query
            .get("limit")
            .map_or(Ok(Limit::DEFAULT), Limit::parse)?,
        format: Format::from_query(query)?,
    })
}

/// `points` as CSV (`format=csv`): a header of the point's JSON field names, one row per point.
pub const CSV_COLUMNS: [&str; 8] = [
    "timestamp",
    "long_pct_gap",
    "retail_crowd_long_pct",
    "retail_crowd_ls_ratio",
    "top_traders_by_accounts_long_pct",
    "top_traders_by_accounts_ls_ratio",
    "top_traders_by_position_long_pct",
    "top_traders_by_position_ls_ratio",
];

/// The history as a CSV file named `<SYMBOL>-<period>-history.csv`.
pub fn csv(data: &HistoryData) -> Result<CsvFile, ApiError> {
    CsvFile::new(
        format!("{}-{}-history.csv", data.symbol, data.period),
        &CSV_COLUMNS,
        &data.points,
    )
}

#[derive(Serialize)]
pub struct HistoryData {
    pub symbol: String,
    pub period: &'static str,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub note: String,
    pub count: usize,
    pub points: Vec<HistoryPoint>,
}

pub fn answer(
    provenance: Provenance,
    series: &CohortSeries,
    params: &HistoryParams,
) -> HistoryData {
    let market = &params.market;
    let points = history(
        series,
        usize::from(params.limit.get()),
        market.period.millis(),
    );
    HistoryData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        provenance,
        note: note(),
        count: points.len(),
        points,
    }
}

fn note() -> String {
    format!(
        "One point per bucket, oldest first, over the newest `limit` periods, where all three \
         cohorts have a reading (missing buckets are left out, never invented). long_pct_gap = \
         top_traders_by_position long % minus retail_crowd long %, in percentage points. \
         {NOT_ADVICE}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_accepts_only_plain_whole_numbers_from_1_to_500() {
        assert_eq!(Limit::parse("1").unwrap().get(), 1);
        assert_eq!(Limit::parse("500").unwrap().get(), 500);
        assert_eq!(Limit::parse("048").unwrap().get(), 48);
        for bad in [
            "0", "501", "1e3", "-1", "48.5", "+5", "", "0x10", "5000", " 5",
        ] {
            let e = Limit::parse(bad).unwrap_err();
            assert_eq!(e.parameter(), Some("limit"), "{bad:?}");
        }
    }

    #[test]
    fn nothing_given_means_48_buckets_of_5m() {
        let p = params(&Query::new([], PARAMS).unwrap()).unwrap();
        assert_eq!((p.rows(), p.market.period), (48, Period::M5));
        let p = params(&Query::new([("limit", "500"), ("period", "1d")], PARAMS).unwrap()).unwrap();
        assert_eq!((p.rows(), p.market.period), (500, Period::D1));
    }
}
