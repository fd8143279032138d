//! `GET /v1/track-record`: how the signal did on this coin over the buckets Binance still has:
//! for every bucket of the newest 500 where it fired, the price `horizon` buckets later.

use serde::Serialize;

use super::{Format, Market, Provenance, Query, NOT_ADVICE};
use crate::config::Config;
use crate::domain::route;
use crate::domain::{names, ApiError, CohortSeries, Pct, Period};
use crate::maths::signal::LOOKBACK;
use crate::maths::track_record::{
    samples, track_record, TrackRecord, DEFAULT_HORIZON, MAX_HORIZON, MIN_HORIZON,
};
use crate::render::CsvFile;

pub const ROUTE: &str = route::TRACK_RECORD.route;
pub const PARAMS: &[&str] = &["coin", "symbol", "period", "horizon", "format"];
pub const MESSAGE: &str = "Track record retrieved successfully";
pub const DEFAULT_PERIOD: Period = Period::H1;
/// Rows fetched per cohort (and klines beside them): the whole lookback.
pub const ROWS: u16 = LOOKBACK;

/// Buckets between the decision and the price it is judged by: 1 to 48.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Horizon(u16);

impl Horizon {
    pub const DEFAULT: Horizon = Horizon(DEFAULT_HORIZON);

    /// Plain decimal digits only, 1–48.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        names::whole_number("horizon", text, MIN_HORIZON..=MAX_HORIZON, Some("buckets"))
            .map(Horizon)
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

/// The validated parameters of a track-record call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRecordParams {
    pub market: Market,
    pub horizon: Horizon,
    pub format: Format,
}

pub fn params(query: &Query<'_>) -> Result<TrackRecordParams, ApiError> {
    Ok(TrackRecordParams {
        market: Market::from_query(query, DEFAULT_PERIOD)?,
        horizon: query
            .get("horizon")
            .map_or(Ok(Horizon::DEFAULT), Horizon::parse)?,
        format: Format::from_query(query)?,
    })
}

/// `format=csv`: one row per sample bucket (what every statistic of the JSON is computed from),
/// oldest first.
pub const CSV_COLUMNS: [&str; 9] = [
    "timestamp",
    "long_pct_gap",
    "signal",
    "episode_start",
    "price",
    "forward_timestamp",
    "forward_price",
    "forward_return_pct",
    "hit",
];

/// The sample as a CSV file named `<SYMBOL>-<period>-h<horizon>-track-record.csv`.
pub fn csv(
    config: &Config,
    series: &CohortSeries,
    params: &TrackRecordParams,
) -> Result<CsvFile, ApiError> {
    let market = &params.market;
    let horizon = params.horizon.get();
    CsvFile::new(
        format!(
            "{}-{}-h{horizon}-track-record.csv",
            market.symbol, market.period
        ),
        &CSV_COLUMNS,
        &samples(series, market.period, horizon, config.threshold),
    )
}

#[derive(Serialize)]
pub struct TrackRecordData {
    pub symbol: String,
    pub period: &'static str,
    pub horizon_buckets: u16,
    pub signal_threshold_pp: Pct,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub note: String,
    #[serde(flatten)]
    pub record: TrackRecord,
}

pub fn answer(
    config: &Config,
    provenance: Provenance,
    series: &CohortSeries,
    params: &TrackRecordParams,
) -> TrackRecordData {
    let market = &params.market;
    let horizon = params.horizon.get();
    TrackRecordData {
        symbol: market.symbol.to_string(),
        period: market.period.as_str(),
        horizon_buckets: horizon,
        signal_threshold_pp: config.threshold,
        provenance,
        note: note(config.threshold, horizon, market.period),
        record: track_record(series, market.period, horizon, config.threshold),
    }
}

fn note(threshold: Pct, horizon: u16, period: Period) -> String {
    format!(
        "How the signal (smart money long % minus retail_crowd long %, ±{threshold} pp) did on this \
         coin: for every bucket of the newest {LOOKBACK} (Binance keeps about 30 days of \
         positioning, so fewer at 4h and longer periods) with a signal reading, r = the price \
         {horizon} × {period} later / the price at the bucket − 1, prices being the opens of \
         Binance USDⓈ-M klines that have closed. A hit is r < 0 after crowd_over_long and r > 0 \
         after crowd_over_short (for all_buckets, r > 0); entries are each episode's first \
         bucket. The sample is small and its forward windows overlap, so consecutive buckets are \
         not independent; the 95% interval is Wilson's and understates that. A description of \
         the past, not a forecast. {NOT_ADVICE}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizon_is_a_whole_number_of_buckets_from_1_to_48() {
        assert_eq!(Horizon::parse("1").unwrap().get(), 1);
        assert_eq!(Horizon::parse("48").unwrap().get(), 48);
        for bad in ["0", "49", "100", "", "4.0", "-1", "+4", " 4", "1e1", "04x"] {
            let e = Horizon::parse(bad).unwrap_err();
            assert_eq!(e.parameter(), Some("horizon"), "{bad:?}");
        }
        assert_eq!(Horizon::parse("04").unwrap().get(), 4);
    }
}
