//! `GET /v1/chart`: `/v1/history`'s points drawn as an SVG image (`render::svg`): the three
//! cohorts' long % and the gap with its neutral band at ±T.

use super::{history, Market, Provenance, Query};
use crate::domain::route;
use crate::domain::{ApiError, CohortSeries, Pct, Period};
use crate::maths::history::history;
use crate::render::svg::{self, Svg};

pub const ROUTE: &str = route::CHART.route;
pub const PARAMS: &[&str] = &["coin", "symbol", "period", "limit"];

/// Number of buckets drawn: history's rule (1 to 500), with a default of 96 (a day of 15m, four
/// days of 1h: enough to see a trend at a glance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub const DEFAULT: Limit = Limit(96);

    /// As `/v1/history`'s `limit`, the same rule and the same 400 naming `limit`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        history::Limit::parse(text).map(|l| Limit(l.get()))
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

/// The validated parameters of a chart call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartParams {
    pub market: Market,
    pub limit: Limit,
}

impl ChartParams {
    /// Rows fetched per cohort: the buckets asked for, as history fetches them.
    pub fn rows(&self) -> u16 {
        self.limit.get()
    }
}

pub fn params(query: &Query<'_>) -> Result<ChartParams, ApiError> {
    Ok(ChartParams {
        market: Market::from_query(query, Period::M5)?,
        limit: query
            .get("limit")
            .map_or(Ok(Limit::DEFAULT), Limit::parse)?,
    })
}

/// The chart of the points `/v1/history` gives for the same coin, period and limit, with the
/// neutral band at ±`threshold`; `provenance` as history's `source` says it.
pub fn answer(
    threshold: Pct,
    provenance: Provenance,
    series: &CohortSeries,
    params: &ChartParams,
) -> Svg {
    let market = &params.market;
    let points = history(
        series,
        usize::from(params.limit.get()),
        market.period.millis(),
    );
    svg::chart(
        &market.symbol,
        market.period,
        threshold,
        provenance.source,
        &points,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_given_means_96_buckets_of_5m_of_btcusdt() {
        let p = params(&Query::new([], PARAMS).unwrap()).unwrap();
        assert_eq!(
            (p.market.symbol.as_str(), p.market.period, p.rows()),
            ("BTCUSDT", Period::M5, 96)
        );
        let q = [("coin", "eth"), ("period", "1h"), ("limit", "500")];
        let p = params(&Query::new(q, PARAMS).unwrap()).unwrap();
        assert_eq!(
            (p.market.symbol.as_str(), p.market.period, p.rows()),
            ("ETHUSDT", Period::H1, 500)
        );
    }

    #[test]
    fn a_bad_limit_or_an_unknown_parameter_is_a_400_naming_it() {
        for bad in ["0", "501", "96.0", "-1", "ten"] {
            let e = params(&Query::new([("limit", bad)], PARAMS).unwrap()).unwrap_err();
            assert_eq!((e.status(), e.parameter()), (400, Some("limit")), "{bad}");
        }
        let e = Query::new([("format", "csv")], PARAMS).err().unwrap();
        assert_eq!(e.parameter(), Some("format"));
    }
}
