//! One request to a venue, the same for every adapter but Binance's (whose statuses carry more
//! meaning, see `binance/`): pace it under the venue's own rate limit ([`Pace`]), send it, and
//! turn the venue's [`Classified`] answer into an [`Attempt`] the [`policy`] knows what to do
//! with. Each adapter brings only its classification, its parser and its figures.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::time::Instant;

use super::fanout::join_all;
use super::meter;
use super::pace::Pace;
use super::policy::{self, Attempt, Quiet};
use super::wire::Classified;
use super::{Fetched, UpstreamReport};
use crate::domain::{ApiError, CohortSeries, Symbol, Venue};

/// One GET of a fetch: its URL, and the key its venue's rate limit counts it under.
pub struct Get {
    pub url: String,
    pub pace_key: String,
}

/// What every adapter but Binance's keeps per warm instance: the pooled HTTP client, the
/// venue's quiet period after a rate limit, and its pacing.
#[derive(Debug)]
pub struct VenueClient {
    pub venue: Venue,
    pub http: reqwest::Client,
    pub quiet: Quiet,
    pub pace: Pace,
    /// Quiet this long after a rate limit that came without a usable Retry-After.
    pub default_retry_after_secs: u64,
}

/// A venue's answer before it is judged.
pub struct Answer {
    pub status: u16,
    pub retry_after_secs: Option<u64>,
    pub body: Vec<u8>,
}

impl VenueClient {
    /// Every GET of `gets` side by side under one `deadline`, each retried as the policy allows
    /// and judged with the venue's `classify`: their bodies in order, or the first error. Every
    /// request sent is counted in `requests`.
    pub async fn get_all(
        &self,
        what: &'static str,
        gets: &[Get],
        classify: fn(u16, &[u8]) -> Classified,
        symbol: &Symbol,
        deadline: Instant,
        requests: &AtomicU32,
    ) -> Result<Vec<Vec<u8>>, ApiError> {
        let bodies = join_all(
            gets.iter()
                .map(|get| {
                    policy::with_retries(what, deadline, move || async move {
                        match self.get(&get.url, &get.pace_key, deadline, requests).await {
                            Ok(answer) => self.judge(&answer, classify, symbol, |body| {
                                Ok::<_, Infallible>(body.to_vec())
                            }),
                            Err(failed) => failed.widen(),
                        }
                    })
                })
                .collect(),
        )
        .await;
        bodies.into_iter().collect()
    }

    /// An unreadable body as the caller's error (the details go to the log).
    pub fn unreadable(&self, error: impl std::fmt::Display) -> ApiError {
        tracing::warn!(venue = self.venue.id(), error = %error, "upstream body unreadable");
        ApiError::upstream(format!(
            "{} answered with data we could not read",
            self.venue.name()
        ))
    }

    /// Sends one GET to `url` once `pace_key` has a slot under the venue's rate limit (waiting
    /// for one if it comes before `deadline`), counted in `requests` as it is sent. A transport
    /// failure is already the attempt's outcome.
    pub async fn get(
        &self,
        url: &str,
        pace_key: &str,
        deadline: Instant,
        requests: &AtomicU32,
    ) -> Result<Answer, Attempt<Infallible>> {
        let name = self.venue.name();
        if let Err(secs) = self.pace.acquire(pace_key, deadline).await {
            tracing::warn!(
                venue = self.venue.id(),
                endpoint = pace_key,
                "the venue's rate limit leaves no room before the deadline; not sent"
            );
            return Err(Attempt::Done(Err(ApiError::UpstreamRateLimited {
                retry_after_secs: secs,
            })));
        }
        requests.fetch_add(1, Ordering::Relaxed);
        meter::sent(self.venue, url);
        let response = send(self.http.get(url), name).await?;
        read(response, name).await
    }

    /// What `answer` means for the policy, classified by the venue's `classify`; `parse` reads
    /// a success's body.
    pub fn judge<T, E: std::fmt::Display>(
        &self,
        answer: &Answer,
        classify: fn(u16, &[u8]) -> Classified,
        symbol: &Symbol,
        parse: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Attempt<T> {
        let name = self.venue.name();
        let status = answer.status;
        match classify(status, &answer.body) {
            Classified::Ok => Attempt::Done(parse(&answer.body).map_err(|e| {
                tracing::warn!(venue = self.venue.id(), error = %e, "upstream body unreadable");
                ApiError::upstream(format!("{name} answered with data we could not read"))
            })),
            Classified::UnknownInstrument => Attempt::Done(Err(ApiError::UnknownSymbol {
                venue: self.venue,
                symbol: symbol.to_string(),
            })),
            Classified::RateLimited => {
                meter::rate_limited(self.venue);
                let secs = answer
                    .retry_after_secs
                    .unwrap_or(self.default_retry_after_secs);
                self.quiet.for_secs(secs);
                tracing::warn!(
                    venue = self.venue.id(),
                    status,
                    retry_after_secs = secs,
                    "upstream rate limit; quiet until it passes"
                );
                Attempt::Done(Err(ApiError::UpstreamRateLimited {
                    retry_after_secs: secs,
                }))
            }
            Classified::ServerError => Attempt::Retryable(ApiError::upstream(format!(
                "{name} is failing (HTTP {status})"
            ))),
            Classified::BadRequest(words) => {
                // The venue's words go to the log only: they are not ours to show callers.
                tracing::warn!(venue = self.venue.id(), status, venue_said = %words, "upstream refused the request");
                Attempt::Done(Err(ApiError::upstream(format!(
                    "{name} refused the request (HTTP {status})"
                ))))
            }
        }
    }
}

/// Sends `request` to the venue called `name`: the response (its body unread), or a transport
/// failure as the attempt's outcome (a timeout final, a connection that failed retryable).
pub async fn send(
    request: reqwest::RequestBuilder,
    name: &str,
) -> Result<reqwest::Response, Attempt<Infallible>> {
    match request.send().await {
        Ok(r) => Ok(r),
        Err(e) => Err(transport_failure(&e, name, "the connection to")),
    }
}

/// Reads `response` whole into an [`Answer`].
pub async fn read(response: reqwest::Response, name: &str) -> Result<Answer, Attempt<Infallible>> {
    let status = response.status().as_u16();
    let retry_after_secs = policy::retry_after_secs(&response);
    match response.bytes().await {
        Ok(body) => Ok(Answer {
            status,
            retry_after_secs,
            body: body.to_vec(),
        }),
        Err(e) => Err(body_failure(&e, name)),
    }
}

/// A failure while a body was arriving: a timeout is final, a broken connection retryable.
pub fn body_failure(e: &reqwest::Error, name: &str) -> Attempt<Infallible> {
    if e.is_timeout() {
        Attempt::Done(Err(ApiError::UpstreamTimeout))
    } else {
        Attempt::Retryable(ApiError::upstream(format!(
            "the connection to {name} broke mid-answer"
        )))
    }
}

fn transport_failure(e: &reqwest::Error, name: &str, what: &str) -> Attempt<Infallible> {
    if e.is_timeout() {
        Attempt::Done(Err(ApiError::UpstreamTimeout))
    } else if e.is_connect() {
        Attempt::Retryable(ApiError::upstream(format!("could not connect to {name}")))
    } else {
        Attempt::Retryable(ApiError::upstream(format!("{what} {name} failed")))
    }
}

impl Attempt<Infallible> {
    /// A transport failure as an attempt at any `T`.
    pub fn widen<T>(self) -> Attempt<T> {
        match self {
            Attempt::Done(Err(e)) => Attempt::Done(Err(e)),
            Attempt::Done(Ok(never)) => match never {},
            Attempt::Retryable(e) => Attempt::Retryable(e),
        }
    }
}

/// A fetch's result with what it cost since `started`.
pub fn fetched(
    started: Instant,
    requests: &AtomicU32,
    result: Result<CohortSeries, ApiError>,
) -> Fetched {
    let report = UpstreamReport {
        elapsed_ms: started.elapsed().as_millis() as u64,
        requests: requests.load(Ordering::Relaxed),
        outcome: result.as_ref().map_or_else(ApiError::code, |_| "ok"),
        stale: false,
    };
    Fetched {
        result,
        report,
        from_memo: false,
        stale: None,
    }
}
