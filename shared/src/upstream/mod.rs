//! The upstreams: one adapter folder per venue, each implementing [`PositioningSource`], plus
//! what every venue shares — the policy ([`policy`]: deadline, retries, rate-limit quiet), and
//! what a warm instance keeps ([`warm`]: the memo of answers ([`memo`]), a request budget per
//! venue ([`budget`]), the refresh ledger ([`refresh`])), and the fan-out over many coins
//! ([`fanout`]). Every fetch goes through [`warm::Warm::fetch`].
//!
//! Hyperliquid ([`hyperliquid`]) is read for wallets, not cohorts: its own client beside the
//! venues, under the same policy.
//!
//! Venues are data: each adapter folder declares what its venue is ([`VenueFacts`]: label, what
//! "top" means, where the open interest that weighs it comes from) and [`registry`] lists the
//! adapters, so a route asks `Deps` for the venues it wants and loops. Adding a venue: README,
//! "A sixth venue".

pub mod binance;
pub mod bitget;
pub mod budget;
pub mod bybit;
pub mod fanout;
pub mod gate;
pub mod hyperliquid;
pub mod memo;
pub mod meter;
pub mod okx;
pub mod pace;
pub mod policy;
pub mod refresh;
pub mod registry;
pub mod request;
pub mod warm;
pub mod wire;

use std::future::Future;

use serde::Serialize;

use crate::domain::{ApiError, Cohort, CohortSeries, Period, Symbol, Venue};

/// What a fetch reads beside the cohorts. A remembered series fetched with more serves a
/// request needing less, never the other way round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Extras {
    pub open_interest: bool,
    pub prices: bool,
}

impl Extras {
    pub const NONE: Extras = Extras {
        open_interest: false,
        prices: false,
    };

    /// Whether a series fetched with `self` has everything a request needing `needed` reads.
    pub fn covers(self, needed: Extras) -> bool {
        (self.open_interest || !needed.open_interest) && (self.prices || !needed.prices)
    }
}

/// What a venue is, declared once as `FACTS` in its adapter folder and read by every route that
/// shows venues side by side.
#[derive(Debug)]
pub struct VenueFacts {
    pub venue: Venue,
    pub default_base_url: &'static str,
    /// `source` for data read from the venue itself.
    pub label: &'static str,
    /// `source` for data read through a configured base URL that is not the venue's own.
    pub relayed_label: &'static str,
    /// The cohorts it publishes (one it does not is an empty series).
    pub cohorts: &'static [Cohort],
    /// What "top" means on this venue, in words: gap levels are not comparable across venues.
    pub top_definition: &'static str,
    /// What weighs its position gap in the aggregate.
    pub weight: Weight,
}

/// What weighs a venue's position gap in the Sentiment Divergence Score.
#[derive(Debug)]
pub enum Weight {
    /// Its open interest in USD per bucket, read from `field`.
    OpenInterestUsd { field: &'static str },
    /// Nothing: `why` says why (counted in the equal-weighted and median values only).
    Unweighted { why: &'static str },
}

impl VenueFacts {
    pub fn publishes(&self, cohort: Cohort) -> bool {
        self.cohorts.contains(&cohort)
    }
}

/// A venue that publishes the three cohorts' long/short series.
pub trait PositioningSource {
    /// What the venue is (its adapter folder's `FACTS`).
    fn facts(&self) -> &'static VenueFacts;

    fn venue(&self) -> Venue {
        self.facts().venue
    }

    /// What every answer's `source` says about where its data came from.
    fn source(&self) -> &'static str;

    /// The venue's own name for `symbol`'s USDT perpetual (`BTC-USDT-SWAP` on OKX).
    fn instrument(&self, symbol: &Symbol) -> String;

    /// Whether the venue publishes buckets of `period` (asking for others is never sent).
    fn supports(&self, _period: Period) -> bool {
        true
    }

    /// What its fetch reads beside the cohorts (the open interest of venues that publish it in
    /// USD is part of every fetch and not an extra).
    fn extras(&self) -> Extras {
        Extras::NONE
    }

    /// The upstream requests one [`PositioningSource::fetch`] of `rows` rows sends, retries
    /// excluded.
    fn requests(&self, rows: u16) -> u32;

    /// Spends from this instance's request budget what a fetch of `rows` rows sends at
    /// `now_ms`, or says in how many seconds the budget can afford it. Venues whose limits are
    /// kept by their pace have no budget.
    fn reserve(&self, _rows: u16, _now_ms: i64) -> Result<(), u64> {
        Ok(())
    }

    /// The newest `rows` buckets of the three cohorts of `instrument` at `period` (a cohort the
    /// venue does not publish is an empty series), with what the fetch cost.
    fn fetch(
        &self,
        instrument: &Symbol,
        period: Period,
        rows: u16,
    ) -> impl Future<Output = Fetched> + Send;
}

/// What `source` says for data from the local stand-in of any venue.
pub const STANDIN_SOURCE: &str =
    "local_standin: SIMULATED data from a local stand-in, NOT live market data";

/// What every answer's `source` says for data read from the venue of `facts` at `base_url`
/// (`None`: its `default_base_url`): the venue's own label, or loudly that it is not the venue.
pub fn source_label(facts: &VenueFacts, base_url: Option<&str>) -> &'static str {
    label_at(
        (facts.label, facts.relayed_label),
        facts.default_base_url,
        base_url,
    )
}

/// `labels.0` (the venue's own) when `base_url` is `default_base_url` or `None`,
/// [`STANDIN_SOURCE`] on a loopback host, else `labels.1` (relayed).
pub fn label_at(
    labels: (&'static str, &'static str),
    default_base_url: &str,
    base_url: Option<&str>,
) -> &'static str {
    let Some(base_url) = base_url.filter(|u| *u != default_base_url) else {
        return labels.0;
    };
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    if matches!(host, "localhost" | "[") || host.starts_with("127.") {
        STANDIN_SOURCE
    } else {
        labels.1
    }
}

/// A fetch's result and what it cost, returned together (never stashed aside).
#[derive(Debug)]
pub struct Fetched<T = CohortSeries> {
    pub result: Result<T, ApiError>,
    pub report: UpstreamReport,
    /// Answered from this instance's memo: nothing was sent.
    pub from_memo: bool,
    /// Answered from the memo past its validity, because the venue could not be asked (the
    /// request budget was spent, or the venue rate-limited us): how old the answer is.
    pub stale: Option<Age>,
}

/// How old a remembered answer served stale is: seconds since it was fetched, and buckets of its
/// period that can have appeared upstream since.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Age {
    pub seconds: u64,
    pub buckets: u32,
}

impl<T> Fetched<T> {
    /// Where this fetch's data came from, as an answer states it.
    pub fn provenance(&self, source: &impl PositioningSource) -> Provenance {
        self.provenance_from(source.source())
    }

    /// [`Fetched::provenance`] for an upstream that is not a positioning venue (Hyperliquid),
    /// whose answers say `source`.
    pub fn provenance_from(&self, source: &'static str) -> Provenance {
        Provenance {
            source,
            from_memo: self.from_memo,
            stale: self.stale.is_some(),
            age: self.stale,
        }
    }
}

/// Where an answer's data came from, as its `source` and `from_memo` fields say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub source: &'static str,
    /// Served from this instance's memo of upstream answers: no upstream request was sent.
    pub from_memo: bool,
    /// Served from the memo past its validity because the venue could not be asked; `age` says
    /// how old (null when not stale).
    pub stale: bool,
    pub age: Option<Age>,
}

/// What one fetch cost upstream, for the call's log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpstreamReport {
    /// Wall time from the first request to the answer (0 when nothing was sent).
    pub elapsed_ms: u64,
    /// Upstream requests sent, retries included.
    pub requests: u32,
    /// `ok`, or the `error.code` the fetch ended with.
    pub outcome: &'static str,
    /// A remembered answer was served stale instead (the call is then not to be cached).
    pub stale: bool,
}

impl UpstreamReport {
    /// Nothing sent, nothing failed (an answer from the memo).
    pub const NONE: UpstreamReport = UpstreamReport {
        elapsed_ms: 0,
        requests: 0,
        outcome: "ok",
        stale: false,
    };

    /// Nothing sent because the request budget is spent.
    pub const REFUSED: UpstreamReport = UpstreamReport {
        elapsed_ms: 0,
        requests: 0,
        outcome: "upstream_budget_exhausted",
        stale: false,
    };

    /// Two fetches' costs as one (they ran side by side): the requests add up, the slower one's
    /// time, the first failure's outcome; stale if either was.
    pub fn and(self, other: UpstreamReport) -> UpstreamReport {
        UpstreamReport {
            elapsed_ms: self.elapsed_ms.max(other.elapsed_ms),
            requests: self.requests + other.requests,
            outcome: if self.outcome == "ok" {
                other.outcome
            } else {
                self.outcome
            },
            stale: self.stale || other.stale,
        }
    }

    /// Many fetches' costs as one, as [`UpstreamReport::and`].
    pub fn total<'a>(reports: impl IntoIterator<Item = &'a UpstreamReport>) -> UpstreamReport {
        reports
            .into_iter()
            .fold(UpstreamReport::NONE, |a, b| a.and(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_add_requests_keep_the_slowest_time_and_the_first_failure() {
        let ok = |elapsed_ms, requests| UpstreamReport {
            elapsed_ms,
            requests,
            outcome: "ok",
            stale: false,
        };
        let failed = UpstreamReport {
            elapsed_ms: 30,
            requests: 9,
            outcome: "upstream_timeout",
            stale: false,
        };
        let stale = UpstreamReport {
            stale: true,
            ..UpstreamReport::NONE
        };
        let t = UpstreamReport::total(&[
            ok(50, 3),
            UpstreamReport::NONE,
            failed,
            UpstreamReport::REFUSED,
        ]);
        assert_eq!(
            (t.elapsed_ms, t.requests, t.outcome, t.stale),
            (50, 12, "upstream_timeout", false)
        );
        assert!(UpstreamReport::total(&[ok(50, 3), stale]).stale);
        assert_eq!(UpstreamReport::total(&[]), UpstreamReport::NONE);
    }
}
