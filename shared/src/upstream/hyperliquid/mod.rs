//! Hyperliquid: wallets' positions and fills, the perpetuals' market state, and the leaderboard
//! that picks the wallets (`/v1/wallets`). Not a positioning venue (no cohorts of long/short
//! shares, not in `domain::Venue` nor the registry): its own client, [`Hyperliquid`], under the
//! shared [`policy`] (deadline, retries, quiet after a rate limit) and its own weight budget.
//! What Hyperliquid serves (`/work/shared/upstream-hyperliquid.md`: its docs, its SDKs and
//! public recordings; no machine here reaches it):
//!
//! - **Info** `POST {base}/info` ([`DEFAULT_BASE_URL`]) with a JSON body naming the request:
//!   `clearinghouseState` (weight 2), `userFillsByTime` (20 + 1 per 20 fills returned; at most
//!   2,000 fills an answer), `metaAndAssetCtxs` (20). Numbers are JSON strings ([`parse`]).
//! - **Leaderboard** `GET {stats}/Mainnet/leaderboard` ([`DEFAULT_STATS_URL`]): 25–40 MB, read
//!   as a stream ([`leaderboard`]); not an info request, so no weight is counted for it.
//! - **Errors**: 429 with body `null` and no `Retry-After` is the rate limit: `503
//!   upstream_rate_limited`, and the instance stays quiet for [`DEFAULT_RETRY_AFTER_429_SECS`]
//!   (the limit's window: by then every weight counted against us has aged out). 422 text/plain
//!   means Hyperliquid could not read our body: our bug, logged as an error, `502
//!   upstream_error`, never retried. 500 `null` (its answer to an unknown coin) is not
//!   transient: not retried. Other 5xx and broken connections are retried within the deadline.
//! - **Weight**: 1,200 per rolling minute per IP. Each instance keeps a share of it
//!   ([`weight_budget`]): every request reserves its weight **before** it is sent and is not
//!   sent (`503 upstream_budget_exhausted`) when the window cannot afford it. A
//!   `userFillsByTime` page reserves the most a page can weigh (20 + 2,000 / 20 = 120) and is
//!   settled to what the answer weighed (20 + ⌈fills / 20⌉) once it arrives: never over the
//!   share even with pages in flight, at the price of briefly holding back up to 100 weight a
//!   page. A retry is paid from the headroom above the share, as with Binance.
//!
//! # Use
//! ```no_run
//! # async fn demo() {
//! use shared::upstream::hyperliquid::{self, Hyperliquid};
//! use shared::upstream::hyperliquid::leaderboard::TrackingRule;
//! let http = shared::upstream::policy::http_client().unwrap();
//! let hl = Hyperliquid::new(http, None, None, hyperliquid::weight_budget(540));
//! let deadline = hyperliquid::deadline();
//! let cohort = hl.leaderboard(&TrackingRule::default(), deadline).await;
//! for wallet in cohort.result.unwrap().wallets {
//!     let state = hl.clearinghouse_state(&wallet.address, deadline).await;
//!     let week_ago = shared::domain::clock::now_ms() - 7 * 86_400_000;
//!     let fills = hl.user_fills(&wallet.address, week_ago, None, deadline).await;
//! #   let _ = (state, fills);
//! }
//! # }
//! ```

pub mod leaderboard;
pub mod parse;
pub mod warm;

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use serde_json::json;
use tokio::time::Instant;

use self::leaderboard::{LeaderboardRow, RowScanner, Selection, TrackingRule};
use self::parse::{AssetCtx, Classified, ClearinghouseState, Fill, MAX_FILLS_PER_PAGE};
use super::budget::{Budget, WEIGHT_WINDOW_MS};
use super::meter::{self, Upstream};
use super::policy::{self, Attempt, Quiet};
use super::request::{body_failure, read, send, Answer};
use super::{Fetched, UpstreamReport};
use crate::domain::clock::now_ms;
use crate::domain::ApiError;

pub const DEFAULT_BASE_URL: &str = "https://api.hyperliquid.xyz";
pub const DEFAULT_STATS_URL: &str = "https://stats-data.hyperliquid.xyz";
pub const INFO_PATH: &str = "/info";
pub const LEADERBOARD_PATH: &str = "/Mainnet/leaderboard";
/// How a message names it.
pub const NAME: &str = "Hyperliquid";
/// What an answer's `source` says for data read from Hyperliquid itself, and through another
/// configured host.
pub const LABEL: &str = "hyperliquid_info_api";
pub const RELAYED_LABEL: &str = "hyperliquid_info_api via a configured upstream";

/// Quiet this long after a 429 (Hyperliquid sends no Retry-After): its weight window.
pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 60;
/// Hyperliquid's limit: weight per rolling minute per IP, all info requests together.
pub const WEIGHT_LIMIT: u32 = 1_200;
/// What the whole deployment plans to spend of it: the limit less 10% headroom.
pub const PLANNED_WEIGHT: u32 = 1_080;
/// The key the weight budget counts under.
pub const WEIGHT_KEY: &str = "hyperliquid /info";
/// Weights: `clearinghouseState`, `metaAndAssetCtxs`, and a fills page before its fills.
pub const CLEARINGHOUSE_STATE_WEIGHT: u32 = 2;
pub const META_AND_ASSET_CTXS_WEIGHT: u32 = 20;
pub const USER_FILLS_BASE_WEIGHT: u32 = 20;
/// Pages one [`Hyperliquid::user_fills`] reads at most (100,000 fills); past it the history is
/// returned with `complete: false`.
pub const MAX_FILL_PAGES: u32 = 50;

/// What a `userFillsByTime` answer of `fills` fills weighs: 20 + ⌈fills / 20⌉ (counted up: the
/// stricter reading of "1 per 20 items").
pub const fn user_fills_weight(fills: usize) -> u32 {
    USER_FILLS_BASE_WEIGHT + fills.div_ceil(20) as u32
}

/// The most a `userFillsByTime` page can weigh (2,000 fills): what each page reserves.
pub const USER_FILLS_MAX_WEIGHT: u32 = user_fills_weight(MAX_FILLS_PER_PAGE);

/// One instance's weight budget: `planned` weight per rolling minute for first attempts (its
/// function's share of [`PLANNED_WEIGHT`]), and retries up to its part of the headroom to
/// [`WEIGHT_LIMIT`].
pub fn weight_budget(planned: u32) -> Budget {
    Budget::weight(
        WEIGHT_KEY,
        WEIGHT_WINDOW_MS,
        planned,
        WEIGHT_LIMIT,
        PLANNED_WEIGHT,
    )
}

/// The deadline of a fetch starting now: [`policy::DEADLINE`] from now.
pub fn deadline() -> Instant {
    Instant::now() + policy::DEADLINE
}

/// One wallet's fills from `start_ms`, every page read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillHistory {
    /// De-duplicated on `tid`, sorted by time; within one millisecond in the order Hyperliquid
    /// served them (a newest-first answer is read backwards, so that the order is the one the
    /// fills happened in either way).
    pub fills: Vec<Fill>,
    /// What was asked: fills from `start_ms` to `end_ms` (`None`: now).
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub pages: u32,
    /// False when the pages stopped short of the range: [`MAX_FILL_PAGES`] read, or more than
    /// a page of fills in one millisecond.
    pub complete: bool,
}

/// The tracked wallets selected from the leaderboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaderboard {
    /// Ranked: month pnl descending, ties by address ascending; at most the rule's size.
    pub wallets: Vec<LeaderboardRow>,
    /// Rows read, and bytes.
    pub rows_read: u32,
    pub bytes_read: u64,
}

/// Hyperliquid's client, built once per warm instance: the pooled HTTP client, the two base
/// URLs, the quiet period after a rate limit, and the weight budget.
#[derive(Debug)]
pub struct Hyperliquid {
    http: reqwest::Client,
    info_url: String,
    leaderboard_url: String,
    /// What the answers' `source` says ([`super::label_at`] of the info URL).
    pub source: &'static str,
    pub quiet: Quiet,
    pub budget: Budget,
}

impl Hyperliquid {
    /// At `base_url` (info) and `stats_url` (leaderboard), [`DEFAULT_BASE_URL`] and
    /// [`DEFAULT_STATS_URL`] when `None`, spending from `budget` ([`weight_budget`]).
    pub fn new(
        http: reqwest::Client,
        base_url: Option<&str>,
        stats_url: Option<&str>,
        budget: Budget,
    ) -> Self {
        let trim = |u: &str| u.trim_end_matches('/').to_string();
        Hyperliquid {
            http,
            info_url: trim(base_url.unwrap_or(DEFAULT_BASE_URL)) + INFO_PATH,
            source: super::label_at(
                (LABEL, RELAYED_LABEL),
                DEFAULT_BASE_URL,
                base_url.map(|u| u.trim_end_matches('/')),
            ),
            leaderboard_url: trim(stats_url.unwrap_or(DEFAULT_STATS_URL)) + LEADERBOARD_PATH,
            quiet: Quiet::default(),
            budget,
        }
    }

    /// `user`'s perpetual positions now (`clearinghouseState`, weight 2).
    pub async fn clearinghouse_state(
        &self,
        user: &str,
        deadline: Instant,
    ) -> Fetched<ClearinghouseState> {
        let requests = AtomicU32::new(0);
        let started = Instant::now();
        let body = json!({"type": "clearinghouseState", "user": user});
        let result = self
            .info(
                "hyperliquid clearinghouseState",
                &body,
                CLEARINGHOUSE_STATE_WEIGHT,
                |_| CLEARINGHOUSE_STATE_WEIGHT,
                deadline,
                &requests,
            )
            .await
            .and_then(|b| parse::parse_clearinghouse_state(&b).map_err(|e| self.unreadable(e)));
        fetched(started, &requests, result)
    }

    /// The perpetuals and their market state (`metaAndAssetCtxs`, weight 20).
    pub async fn asset_ctxs(&self, deadline: Instant) -> Fetched<Vec<AssetCtx>> {
        let requests = AtomicU32::new(0);
        let started = Instant::now();
        let body = json!({"type": "metaAndAssetCtxs"});
        let result = self
            .info(
                "hyperliquid metaAndAssetCtxs",
                &body,
                META_AND_ASSET_CTXS_WEIGHT,
                |_| META_AND_ASSET_CTXS_WEIGHT,
                deadline,
                &requests,
            )
            .await
            .and_then(|b| parse::parse_asset_ctxs(&b).map_err(|e| self.unreadable(e)));
        fetched(started, &requests, result)
    }

    /// `user`'s fills from `start_ms` to `end_ms` (`None`: now), every page: `userFillsByTime`
    /// pages of at most 2,000, each reserving [`USER_FILLS_MAX_WEIGHT`] and settled to what it
    /// weighed. An answer oldest first pages forward (the next `startTime` is the last time
    /// returned); one newest first (the newest 2,000 of the range) pages backwards (the next
    /// `endTime` is the oldest time returned). Overlaps are removed on `tid`.
    pub async fn user_fills(
        &self,
        user: &str,
        start_ms: i64,
        end_ms: Option<i64>,
        deadline: Instant,
    ) -> Fetched<FillHistory> {
        let requests = AtomicU32::new(0);
        let started = Instant::now();
        let result = self
            .fill_pages(user, start_ms, end_ms, deadline, &requests)
            .await;
        fetched(started, &requests, result)
    }

    async fn fill_pages(
        &self,
        user: &str,
        start_ms: i64,
        end_ms: Option<i64>,
        deadline: Instant,
        requests: &AtomicU32,
    ) -> Result<FillHistory, ApiError> {
        // Pages in the order the fills happened, each oldest first.
        let mut pages: Vec<Vec<Fill>> = Vec::new();
        let (mut start, mut end) = (start_ms, end_ms);
        let mut backwards = false;
        let mut seen: HashSet<u64> = HashSet::new();
        let mut complete = true;
        let mut read = 0;
        loop {
            if read == MAX_FILL_PAGES {
                complete = false;
                break;
            }
            let mut body = json!({
                "type": "userFillsByTime",
                "user": user,
                "startTime": start,
                "aggregateByTime": false,
            });
            if let Some(end) = end {
                body["endTime"] = end.into();
            }
            let bytes = self
                .info(
                    "hyperliquid userFillsByTime",
                    &body,
                    USER_FILLS_MAX_WEIGHT,
                    |answer: &Answer| {
                        // A 200 weighs by its fills (counted cheaply by their `"tid"` keys);
                        // anything else its base.
                        if (200..300).contains(&answer.status) {
                            user_fills_weight(count_fills(&answer.body))
                        } else {
                            USER_FILLS_BASE_WEIGHT
                        }
                    },
                    deadline,
                    requests,
                )
                .await?;
            read += 1;
            let mut page = parse::parse_fills(&bytes).map_err(|e| self.unreadable(e))?;
            let full = page.len() >= MAX_FILLS_PER_PAGE;
            let descending = page.first().map(|f| f.time) > page.last().map(|f| f.time);
            if descending {
                page.reverse();
            }
            let (oldest, newest) = match (page.first(), page.last()) {
                (Some(o), Some(n)) => (o.time, n.time),
                _ => (start, start),
            };
            let new: Vec<Fill> = page.into_iter().filter(|f| seen.insert(f.tid)).collect();
            let progressed = !new.is_empty();
            if read == 1 {
                backwards = descending;
            }
            if backwards {
                pages.insert(0, new);
            } else {
                pages.push(new);
            }
            if !full {
                break;
            }
            if !progressed {
                // A whole page inside one millisecond, all seen: no way past it.
                complete = false;
                break;
            }
            if backwards {
                end = Some(oldest);
            } else {
                start = newest;
            }
        }
        let mut fills: Vec<Fill> = pages.into_iter().flatten().collect();
        // Stable: the order served (read forwards) within one millisecond is kept.
        fills.sort_by_key(|f| f.time);
        Ok(FillHistory {
            fills,
            start_ms,
            end_ms,
            pages: read,
            complete,
        })
    }

    /// The tracked wallets the `rule` selects from the leaderboard, read as a stream (never
    /// held whole: see [`leaderboard`]). Not an info request: no weight.
    pub async fn leaderboard(
        &self,
        rule: &TrackingRule,
        deadline: Instant,
    ) -> Fetched<Leaderboard> {
        let requests = AtomicU32::new(0);
        let started = Instant::now();
        let result = match self.quiet.check() {
            Err(e) => Err(e),
            Ok(()) => {
                policy::with_retries("hyperliquid leaderboard", deadline, || {
                    self.read_leaderboard(rule, &requests)
                })
                .await
            }
        };
        fetched(started, &requests, result)
    }

    async fn read_leaderboard(
        &self,
        rule: &TrackingRule,
        requests: &AtomicU32,
    ) -> Attempt<Leaderboard> {
        requests.fetch_add(1, Ordering::Relaxed);
        meter::sent_on(Upstream::Hyperliquid, "leaderboard");
        let mut response = match send(self.http.get(&self.leaderboard_url), NAME).await {
            Ok(r) => r,
            Err(failed) => return failed.widen(),
        };
        if !response.status().is_success() {
            return match read(response, NAME).await {
                // Never a success here: the 2xx are read as a stream below.
                Ok(answer) => self.judge(&answer, |_| {
                    Attempt::Done(Err(ApiError::upstream(format!("{NAME} answered oddly"))))
                }),
                Err(failed) => failed.widen(),
            };
        }
        let mut scanner = RowScanner::new();
        let mut selection = Selection::new(rule.clone());
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if let Err(e) = scanner.feed(&chunk, &mut |row| selection.offer(row)) {
                        return Attempt::Done(Err(self.unreadable(e)));
                    }
                }
                Ok(None) => break,
                Err(e) => return body_failure(&e, NAME).widen(),
            }
        }
        if let Err(e) = scanner.finish() {
            return Attempt::Done(Err(self.unreadable(e)));
        }
        let rows_read = selection.rows;
        Attempt::Done(Ok(Leaderboard {
            wallets: selection.finish(),
            rows_read,
            bytes_read: scanner.bytes,
        }))
    }

    /// One info request under the policy: quiet checked, `reserve` weight reserved before each
    /// attempt is sent (a retry from the headroom) and settled to `weighed(answer)` once
    /// Hyperliquid has answered; the body of a success.
    async fn info(
        &self,
        what: &'static str,
        body: &serde_json::Value,
        reserve: u32,
        weighed: impl Fn(&Answer) -> u32,
        deadline: Instant,
        requests: &AtomicU32,
    ) -> Result<Vec<u8>, ApiError> {
        self.quiet.check()?;
        let reserved_at = AtomicI64::new(now_ms());
        if let Err(secs) = self.budget.reserve(
            &[(WEIGHT_KEY, reserve)],
            reserved_at.load(Ordering::Relaxed),
        ) {
            tracing::warn!(
                venue = "hyperliquid",
                request = what,
                retry_after_secs = secs,
                "the weight budget cannot afford the request; not sent"
            );
            return Err(ApiError::UpstreamBudgetExhausted {
                retry_after_secs: secs,
            });
        }
        let body = body.to_string();
        let afford = || {
            let at = now_ms();
            let ok = self.quiet.check().is_ok() && self.budget.retry(WEIGHT_KEY, reserve, at);
            if ok {
                reserved_at.store(at, Ordering::Relaxed);
            }
            ok
        };
        policy::with_retries_if(what, deadline, afford, || {
            self.post_once(what, &body, reserve, &weighed, &reserved_at, requests)
        })
        .await
    }

    /// One attempt: sent, read whole, its weight settled, judged.
    async fn post_once(
        &self,
        what: &'static str,
        body: &str,
        reserve: u32,
        weighed: &impl Fn(&Answer) -> u32,
        reserved_at: &AtomicI64,
        requests: &AtomicU32,
    ) -> Attempt<Vec<u8>> {
        requests.fetch_add(1, Ordering::Relaxed);
        // Metered per request type (`clearinghouseState`, …): one URL serves them all.
        meter::sent_on(
            Upstream::Hyperliquid,
            what.trim_start_matches("hyperliquid "),
        );
        let request = self
            .http
            .post(&self.info_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let answer = match send(request, NAME).await {
            Ok(response) => match read(response, NAME).await {
                Ok(answer) => answer,
                Err(failed) => return failed.widen(),
            },
            Err(failed) => return failed.widen(),
        };
        self.budget.settle(
            WEIGHT_KEY,
            reserved_at.load(Ordering::Relaxed),
            reserve,
            weighed(&answer).min(reserve),
        );
        self.judge(&answer, |b| Attempt::Done(Ok(b.to_vec())))
    }

    /// What `answer` means for the policy ([`parse::classify`]); `ok` takes a success's body.
    fn judge<T>(&self, answer: &Answer, ok: impl FnOnce(&[u8]) -> Attempt<T>) -> Attempt<T> {
        let status = answer.status;
        match parse::classify(status, &answer.body) {
            Classified::Ok => ok(&answer.body),
            Classified::RateLimited => {
                meter::rate_limited(Upstream::Hyperliquid);
                let secs = answer
                    .retry_after_secs
                    .unwrap_or(DEFAULT_RETRY_AFTER_429_SECS);
                self.quiet.for_secs(secs);
                tracing::warn!(
                    venue = "hyperliquid",
                    status,
                    retry_after_secs = secs,
                    "upstream rate limit; quiet until it passes"
                );
                Attempt::Done(Err(ApiError::UpstreamRateLimited {
                    retry_after_secs: secs,
                }))
            }
            Classified::ServerError => Attempt::Retryable(ApiError::upstream(format!(
                "{NAME} is failing (HTTP {status})"
            ))),
            Classified::BadRequest(words) => {
                if status == 422 {
                    tracing::error!(venue = "hyperliquid", status, venue_said = %words, "Hyperliquid could not read our request: a bug on our side");
                } else {
                    tracing::warn!(venue = "hyperliquid", status, venue_said = %words, "upstream refused the request");
                }
                Attempt::Done(Err(ApiError::upstream(format!(
                    "{NAME} refused the request (HTTP {status})"
                ))))
            }
            Classified::UnknownInstrument => Attempt::Done(Err(ApiError::upstream(format!(
                "{NAME} does not list it (HTTP {status})"
            )))),
        }
    }

    /// An unreadable body as the caller's error (the details go to the log).
    fn unreadable(&self, error: impl std::fmt::Display) -> ApiError {
        tracing::warn!(venue = "hyperliquid", error = %error, "upstream body unreadable");
        ApiError::upstream(format!("{NAME} answered with data we could not read"))
    }
}

/// Fills in a `userFillsByTime` body, counted without parsing it: occurrences of `"tid"` (one
/// key per fill). The parser reads the same body right after; this only sizes the weight.
fn count_fills(body: &[u8]) -> usize {
    const KEY: &[u8] = b"\"tid\"";
    body.windows(KEY.len()).filter(|w| *w == KEY).count()
}

/// A result with what it cost since `started`.
fn fetched<T>(started: Instant, requests: &AtomicU32, result: Result<T, ApiError>) -> Fetched<T> {
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

#[cfg(test)]
mod tests;
