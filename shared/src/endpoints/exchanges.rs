//! `GET /v1/exchanges`: the same coin's cohorts on every venue side by side, and the aggregated
//! Sentiment Divergence Score (SDS): each venue's position gap (top traders by position long %
//! minus all accounts long %) weighted by its open interest in USD, equally, and by median, with
//! its 12-hour mean. The maths is `maths::aggregate`; this module reads each venue's fetch into
//! the answer.

use std::sync::Arc;

use serde::Serialize;

use super::{Format, Market, Query, NOT_ADVICE};
use crate::domain::route;
use crate::domain::{names, ApiError, Cohort, CohortSeries, Fixed, Pct, Period, Reading, Venue};
use crate::maths::aggregate::{self, SdsSmoothed, SeriesPoint, VenueGaps};
use crate::render::CsvFile;
use crate::upstream::fanout::VenueFetched;
use crate::upstream::{Age, UpstreamReport, VenueFacts, Weight, STANDIN_SOURCE};

pub const ROUTE: &str = route::EXCHANGES.route;
pub const PARAMS: &[&str] = &["coin", "symbol", "period", "venues", "limit", "format"];
pub const MESSAGE: &str = "Positioning across exchanges retrieved successfully";
pub const DEFAULT_PERIOD: Period = Period::H1;
/// Points of the aggregate series: 1 to 100, 24 unless asked.
pub const MAX_LIMIT: u16 = 100;
pub const DEFAULT_LIMIT: u16 = 24;

/// The validated parameters of an exchanges call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangesParams {
    pub market: Market,
    /// The venues asked for, in answer order.
    pub venues: Vec<Venue>,
    pub limit: u16,
    /// JSON (default) or the aggregate series as CSV.
    pub format: Format,
}

impl ExchangesParams {
    /// Rows fetched per venue: the series' points or the 12-hour window, whichever is longer,
    /// and one more in case a venue is a bucket late.
    pub fn rows(&self) -> u16 {
        self.limit
            .max(aggregate::window_buckets(self.market.period))
            + 1
    }
}

pub fn params(query: &Query<'_>) -> Result<ExchangesParams, ApiError> {
    Ok(ExchangesParams {
        market: Market::from_query(query, DEFAULT_PERIOD)?,
        venues: query
            .get("venues")
            .map_or(Ok(Venue::ALL.to_vec()), venues)?,
        limit: query.get("limit").map_or(Ok(DEFAULT_LIMIT), limit)?,
        format: Format::from_query(query)?,
    })
}

/// `format=csv`: the aggregate series, one row per bucket, oldest first.
pub const CSV_COLUMNS: [&str; 3] = ["timestamp", "sds_pp", "venues_used"];

/// The series as a CSV file named `<SYMBOL>-<period>-exchanges.csv`.
pub fn csv(data: &ExchangesData) -> Result<CsvFile, ApiError> {
    CsvFile::new(
        format!("{}-{}-exchanges.csv", data.symbol, data.period),
        &CSV_COLUMNS,
        &data.series,
    )
}

/// `binance,okx`: venue ids, each at most once, answered in [`Venue::ALL`]'s order.
fn venues(text: &str) -> Result<Vec<Venue>, ApiError> {
    let ids: Vec<(&'static str, Venue)> = Venue::ALL.iter().map(|&v| (v.id(), v)).collect();
    let mut asked = names::set_of("venues", text, &ids)?;
    asked.sort();
    Ok(asked)
}

fn limit(text: &str) -> Result<u16, ApiError> {
    names::whole_number("limit", text, 1..=MAX_LIMIT, None)
}

/// What one venue's fetch came to.
#[derive(Clone, Debug)]
pub enum VenueResult {
    Fetched(Arc<CohortSeries>),
    Failed(ApiError),
    /// The venue publishes no buckets of this period: nothing was asked.
    UnsupportedPeriod,
}

/// One requested venue's fetch, as the answer reads it.
#[derive(Clone, Debug)]
pub struct VenueFetch {
    /// What the venue is.
    pub facts: &'static VenueFacts,
    pub instrument: String,
    pub source: &'static str,
    pub from_memo: bool,
    /// Served stale from the memo (the venue could not be asked): how old.
    pub stale: Option<Age>,
    /// What the fetch cost (`None`: nothing was asked).
    pub report: Option<UpstreamReport>,
    pub result: VenueResult,
}

impl From<VenueFetched> for VenueFetch {
    fn from(f: VenueFetched) -> Self {
        let (from_memo, stale, report, result) = match f.fetched {
            None => (false, None, None, VenueResult::UnsupportedPeriod),
            Some(fetched) => (
                fetched.from_memo,
                fetched.stale,
                Some(fetched.report),
                match fetched.result {
                    Ok(series) => VenueResult::Fetched(series),
                    Err(e) => VenueResult::Failed(e),
                },
            ),
        };
        VenueFetch {
            facts: f.facts,
            instrument: f.instrument,
            source: f.source,
            from_memo,
            stale,
            report,
            result,
        }
    }
}

impl VenueFetch {
    pub fn venue(&self) -> Venue {
        self.facts.venue
    }

    /// The venue's failure, if it failed (an unsupported period is not a failure).
    pub fn error(&self) -> Option<&ApiError> {
        match &self.result {
            VenueResult::Failed(e) => Some(e),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VenueRow {
    pub venue: &'static str,
    pub instrument: String,
    /// `ok`, or the `error.code` the venue ended with, or `unsupported_period`.
    pub status: &'static str,
    pub message: Option<String>,
    pub timestamp: Option<i64>,
    #[serde(rename = "all_accounts_long_pct")]
    pub retail_crowd_long_pct: Option<Pct>,
    #[serde(rename = "top_accounts_long_pct")]
    pub top_traders_by_accounts_long_pct: Option<Pct>,
    #[serde(rename = "top_positions_long_pct")]
    pub top_traders_by_position_long_pct: Option<Pct>,
    pub account_gap: Option<Pct>,
    #[serde(rename = "position_gap")]
    pub long_pct_gap: Option<Pct>,
    pub top_definition: &'static str,
    pub open_interest_usd: Option<Fixed<2>>,
    pub weight: Option<Fixed<4>>,
    pub weight_basis: String,
    /// This venue's numbers were served stale from the memo; `age` says how old (else null).
    pub stale: bool,
    pub age: Option<Age>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AggregateNow {
    pub timestamp: i64,
    pub sds_pp: Option<Pct>,
    pub sds_equal_weight_pp: Pct,
    pub sds_median_pp: Pct,
    pub venues_used: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExchangesData {
    pub symbol: String,
    pub coin: String,
    pub period: &'static str,
    pub source: String,
    /// Every venue's answer came from this instance's memo: nothing was sent.
    pub from_memo: bool,
    /// Some venue's numbers were served stale from the memo (see each venue's `age`); `age`
    /// is the oldest of them (else null).
    pub stale: bool,
    pub age: Option<Age>,
    pub note: String,
    pub venues: Vec<VenueRow>,
    pub aggregate: Option<AggregateNow>,
    pub smoothed: Option<SdsSmoothed>,
    pub series: Vec<SeriesPoint>,
}

/// The answer, from each requested venue's fetch (in answer order). `Err` only when no venue
/// answered: the first failing venue's error, as a single-venue endpoint would give it, or a 400
/// naming `period` when no requested venue publishes it.
pub fn answer(
    params: &ExchangesParams,
    fetches: &[VenueFetch],
    sustained_level: Pct,
) -> Result<ExchangesData, ApiError> {
    let market = &params.market;
    let period = market.period;
    if !fetches
        .iter()
        .any(|f| matches!(f.result, VenueResult::Fetched(_)))
    {
        return Err(no_venue_answered(fetches, period));
    }
    let readings: Vec<Option<NewestReadings>> = fetches
        .iter()
        .map(|f| match &f.result {
            VenueResult::Fetched(series) => NewestReadings::of(series),
            _ => None,
        })
        .collect();
    let gaps: Vec<(Venue, Vec<(i64, Pct)>)> = fetches
        .iter()
        .filter_map(|f| match &f.result {
            VenueResult::Fetched(series) => Some((f.venue(), long_pct_gaps(series))),
            _ => None,
        })
        .collect();
    let open_interest: Vec<Vec<(i64, Fixed<2>)>> = fetches
        .iter()
        .filter(|f| matches!(f.result, VenueResult::Fetched(_)))
        .map(|f| match &f.result {
            VenueResult::Fetched(series) => series
                .open_interest
                .iter()
                .map(|oi| (oi.timestamp, oi.usd))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let inputs: Vec<VenueGaps<'_>> = gaps
        .iter()
        .zip(&open_interest)
        .map(|((venue, gaps), oi)| VenueGaps {
            venue: *venue,
            gaps,
            open_interest_usd: oi,
        })
        .collect();
    let newest = aggregate::newest_common_bucket(&inputs);
    let now = newest.and_then(|t| aggregate::at(&inputs, period, t));
    let venues = fetches
        .iter()
        .zip(&readings)
        .map(|(fetch, newest_readings)| {
            venue_row(
                fetch,
                newest_readings.as_ref(),
                &inputs,
                period,
                now.as_ref(),
            )
        })
        .collect();
    let (smoothed, series) = match newest {
        Some(t) => (
            Some(aggregate::smoothed(&inputs, period, t, sustained_level)),
            aggregate::series(&inputs, period, t, usize::from(params.limit)),
        ),
        None => (None, Vec::new()),
    };
    Ok(ExchangesData {
        symbol: market.symbol.to_string(),
        coin: market.symbol.coin().to_string(),
        period: period.as_str(),
        source: source(fetches),
        from_memo: fetches
            .iter()
            .filter(|f| matches!(f.result, VenueResult::Fetched(_)))
            .all(|f| f.from_memo),
        stale: fetches.iter().any(|f| f.stale.is_some()),
        age: fetches
            .iter()
            .filter_map(|f| f.stale)
            .max_by_key(|a| a.seconds),
        note: note(sustained_level),
        venues,
        aggregate: now.map(|a| AggregateNow {
            timestamp: a.timestamp,
            sds_pp: a.sds_pp,
            sds_equal_weight_pp: a.sds_equal_weight_pp,
            sds_median_pp: a.sds_median_pp,
            venues_used: a.venues_used,
        }),
        smoothed,
        series,
    })
}

fn no_venue_answered(fetches: &[VenueFetch], period: Period) -> ApiError {
    let first_failure = fetches.iter().find_map(|f| match &f.result {
        VenueResult::Failed(e) => Some(e.clone()),
        _ => None,
    });
    first_failure.unwrap_or_else(|| {
        let names: Vec<&str> = fetches.iter().map(|f| f.venue().name()).collect();
        ApiError::invalid(
            "period",
            format!(
                "{} publish{} no {period} buckets; ask for another period or other venues",
                names.join(" and "),
                if names.len() == 1 { "es" } else { "" }
            ),
        )
    })
}

/// One venue's three cohorts at its newest common bucket, as percentages.
struct NewestReadings {
    timestamp: i64,
    retail_crowd: Option<Pct>,
    top_traders_by_accounts: Option<Pct>,
    top_traders_by_position: Option<Pct>,
}

impl NewestReadings {
    /// At the newest bucket every cohort the venue published shares; `None` when they share
    /// none.
    fn of(series: &CohortSeries) -> Option<NewestReadings> {
        let published: Vec<&[Reading]> = [
            &series.retail_crowd,
            &series.top_traders_by_accounts,
            &series.top_traders_by_position,
        ]
        .into_iter()
        .map(Vec::as_slice)
        .filter(|s| !s.is_empty())
        .collect();
        let first = published.first()?;
        let timestamp = first.iter().rev().map(|r| r.timestamp).find(|t| {
            published
                .iter()
                .all(|s| s.binary_search_by_key(t, |r| r.timestamp).is_ok())
        })?;
        let pct = |s: &[Reading]| {
            s.binary_search_by_key(&timestamp, |r| r.timestamp)
                .ok()
                .map(|i| s[i].long_share.to_percent())
        };
        Some(NewestReadings {
            timestamp,
            retail_crowd: pct(&series.retail_crowd),
            top_traders_by_accounts: pct(&series.top_traders_by_accounts),
            top_traders_by_position: pct(&series.top_traders_by_position),
        })
    }
}

/// top positions long % − all accounts long % (each rounded to 2 decimals) at every bucket both
/// have, oldest first.
fn long_pct_gaps(series: &CohortSeries) -> Vec<(i64, Pct)> {
    series
        .top_traders_by_position
        .iter()
        .filter_map(|top| {
            let all = series.at(Cohort::RetailCrowd, top.timestamp)?;
            Some((
                top.timestamp,
                top.long_share.to_percent() - all.long_share.to_percent(),
            ))
        })
        .collect()
}

fn venue_row(
    fetch: &VenueFetch,
    newest: Option<&NewestReadings>,
    inputs: &[VenueGaps<'_>],
    period: Period,
    now: Option<&aggregate::Aggregate>,
) -> VenueRow {
    let (venue, facts) = (fetch.venue(), fetch.facts);
    let (status, message) = match &fetch.result {
        VenueResult::Fetched(_) if newest.is_none() => (
            "upstream_error",
            Some(format!(
                "{}'s cohorts share no bucket yet; try again shortly",
                venue.name()
            )),
        ),
        VenueResult::Fetched(_) => ("ok", None),
        // The venue publishes this period off the other venues' grid (Bitget's UTC+8 days):
        // it has no buckets of it that line up, which is what `unsupported_period` says.
        VenueResult::Failed(e) if e.parameter() == Some("period") => {
            ("unsupported_period", Some(e.to_string()))
        }
        VenueResult::Failed(e) => {
            let said = e.to_string();
            let message = if said.contains(venue.name()) {
                said
            } else {
                format!("{}: {said}", venue.name())
            };
            (e.code(), Some(message))
        }
        VenueResult::UnsupportedPeriod => (
            "unsupported_period",
            Some(format!("{} publishes no {period} buckets", venue.name())),
        ),
    };
    let gap = |top: Option<Pct>| Some(top? - newest?.retail_crowd?);
    let input = inputs.iter().find(|i| i.venue == venue);
    let weight = now.and_then(|a| a.weights.iter().find(|(v, _)| *v == venue));
    let at = now.map_or(newest.map(|n| n.timestamp), |a| Some(a.timestamp));
    let open_interest_usd = input
        .zip(at)
        .and_then(|(i, t)| aggregate::open_interest_at(i.open_interest_usd, period, t));
    let weight_basis = match (status, weight, &facts.weight) {
        (_, Some((_, Some(_))), Weight::OpenInterestUsd { field }) => {
            format!("open interest in USD at the aggregate's bucket ({field})")
        }
        (_, Some((_, _)), Weight::Unweighted { why }) => {
            format!("not weighted: {why}; counted in the equal-weighted and median values")
        }
        (_, Some((_, _)), _) => "not weighted: no open interest at or just before the \
             aggregate's bucket; counted in the equal-weighted and median values"
            .to_string(),
        ("ok", None, _) if !facts.publishes(Cohort::TopTradersByPosition) => format!(
            "not in the aggregate: {} publishes no top-trader series",
            venue.name()
        ),
        ("ok", None, _) => "not in the aggregate: no position gap at the aggregate's bucket".into(),
        (status, None, _) => format!("not in the aggregate: {status}"),
    };
    VenueRow {
        venue: venue.id(),
        instrument: fetch.instrument.clone(),
        status,
        message,
        timestamp: newest.map(|n| n.timestamp),
        retail_crowd_long_pct: newest.and_then(|n| n.retail_crowd),
        top_traders_by_accounts_long_pct: newest.and_then(|n| n.top_traders_by_accounts),
        top_traders_by_position_long_pct: newest.and_then(|n| n.top_traders_by_position),
        account_gap: gap(newest.and_then(|n| n.top_traders_by_accounts)),
        long_pct_gap: gap(newest.and_then(|n| n.top_traders_by_position)),
        top_definition: facts.top_definition,
        open_interest_usd,
        weight: weight.and_then(|(_, w)| *w),
        weight_basis,
        stale: fetch.stale.is_some(),
        age: fetch.stale,
    }
}

/// The venues' `source` labels; the stand-in's alone when any venue is the stand-in.
fn source(fetches: &[VenueFetch]) -> String {
    if fetches
        .iter()
        .any(|f| f.source.starts_with("local_standin"))
    {
        return STANDIN_SOURCE.to_string();
    }
    let labels: Vec<&str> = fetches.iter().map(|f| f.source).collect();
    labels.join(", ")
}

fn note(sustained_level: Pct) -> String {
    format!(
        "Each venue's cohorts at its newest bucket, long share × 100 (a venue publishing only a \
         long/short ratio r: r / (1 + r)). position_gap = top traders by position long % minus \
         all accounts long %; \"top\" means something different on each venue (top_definition), \
         so gap levels are not comparable across venues. The Sentiment Divergence Score \
         (sds_pp) is the venues' position gaps at the newest bucket they all have, weighted by \
         open interest in USD (weight); sds_equal_weight_pp and sds_median_pp beside it. No \
         gap-filling: a venue missing a bucket is left out of it (venues_used). smoothed: the \
         mean sds_pp over the last 12 hours, sustained at ±{sustained_level} pp. {NOT_ADVICE}"
    )
}
