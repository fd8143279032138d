//! What a warm instance keeps for the wallet routes, and the one way to read them: the tracked
//! wallets (the leaderboard at most once an hour), the asset contexts and every tracked wallet's
//! positions (until the next 5-minute boundary), and the wallets' fills (an hour). Fills cost far
//! more weight than a call can wait for, so each read advances a sweep over the holding wallets,
//! largest notional first, as far as the weight budget lets it, and says how far it got.
//!
//! Everything read is turned into `domain::wallet` values (sizes and prices to 10⁻⁸, USD to the
//! cent) for `maths::wallets`.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::leaderboard::TrackingSource;
use super::parse::{self, Num};
use super::{deadline, Hyperliquid, USER_FILLS_MAX_WEIGHT, WEIGHT_KEY};
use crate::domain::wallet::{Fill, FillHistory, Position, Px, Usd};
use crate::domain::Period;
use crate::domain::{ApiError, Fixed};
use crate::maths::stats::div_round;
use crate::upstream::fanout::join_all;
use crate::upstream::memo::{age, STALE_LIMIT_MS};
use crate::upstream::{Age, Fetched, UpstreamReport};

/// How long the tracked wallets read from the leaderboard are kept.
pub const TRACKED_FOR_MS: i64 = 3_600_000;
/// Positions and asset contexts are kept until the next boundary of this.
pub const POSITIONS_BOUNDARY_MS: i64 = 300_000;
/// How long a wallet's fills are kept.
pub const FILLS_FOR_MS: i64 = 3_600_000;
/// How far back fills are read: at least 7 days, so an opening within 7 days is always found.
pub const FILLS_LOOKBACK_MS: i64 = 7 * 24 * 3_600_000;
/// Wallets whose positions are asked at the same time: 60 in 3 round trips (weight, not
/// concurrency, is what Hyperliquid limits).
pub const CONCURRENCY: usize = 20;
/// Wallets whose fills the sweep asks at the same time at most (each page reserves up to 120
/// weight, so fewer when the budget has room for fewer).
pub const SWEEP_CONCURRENCY: usize = 4;
/// The sweep starts no more wallets once this little of the call's deadline is left: an answer
/// never waits on the sweep past it.
pub const SWEEP_STOPS_BEFORE: std::time::Duration = std::time::Duration::from_secs(2);

/// A Hyperliquid amount (6 decimals) as one of ours with 8.
fn to_8(n: Num) -> Fixed<8> {
    Fixed(n.0 * 100)
}

/// A Hyperliquid amount (6 decimals) in USD to the cent, half away from zero.
fn to_usd(n: Num) -> Usd {
    Fixed(div_round(i128::from(n.0), 10_000))
}

/// The tracked wallets (the contract calls them the `cohort` of `/v1/wallets`; not Binance's
/// account cohorts), as an answer states them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TrackedWallets {
    pub rule: String,
    /// Lower-cased, in rank order.
    pub wallets: Vec<String>,
    /// When it was read, epoch ms.
    pub as_of: i64,
}

/// Which wallets' fills a read sweeps for (hold times and changes need them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep<'a> {
    /// None: positions only.
    Off,
    /// The holders, largest total notional first.
    LargestFirst,
    /// The holders of this coin first (largest notional in it first), then the rest as
    /// [`Sweep::LargestFirst`]: what `/v1/wallets/positions?coin=` shows is swept before the rest.
    HoldersOf(&'a str),
}

/// What one read gathered.
#[derive(Debug)]
pub struct WalletsRead {
    pub tracked_wallets: TrackedWallets,
    pub positions: Vec<Position>,
    /// Mark price per coin.
    pub marks: HashMap<String, Px>,
    /// The fills known, per wallet (only when asked for).
    pub histories: HashMap<String, FillHistory>,
    /// Wallets whose positions could not be read this time: listed, never fatal; the answer is
    /// then not to be kept as if complete.
    pub failed_wallets: Vec<(String, ApiError)>,
    /// Some wallets' positions could not be read again and were answered from what was read
    /// before (within the stale limit): the oldest of them.
    pub stale: Option<Age>,
}

#[derive(Default)]
struct Kept {
    tracked_wallets: Option<(i64, TrackedWallets)>,
    marks: Option<(i64, HashMap<String, Px>)>,
    /// Per wallet: the boundary its positions are valid until, when they were read, and them.
    positions: HashMap<String, (i64, i64, Vec<Position>)>,
    /// Per wallet: when its fills were read, and them.
    fills: HashMap<String, (i64, FillHistory)>,
}

/// What a warm instance keeps for the wallet routes.
#[derive(Default)]
pub struct WalletsWarm {
    kept: Mutex<Kept>,
}

fn next_boundary(now_ms: i64) -> i64 {
    (now_ms / POSITIONS_BOUNDARY_MS + 1) * POSITIONS_BOUNDARY_MS
}

impl WalletsWarm {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tracked wallets, the marks and every tracked wallet's positions; then, as `sweep`
    /// says, as many holding wallets' fills as the weight budget affords. `fresh` (a refresh
    /// honoured) reads the marks and positions again even where they are kept.
    pub async fn read(
        &self,
        hl: &Hyperliquid,
        source: &TrackingSource,
        sweep: Sweep<'_>,
        fresh: bool,
        now_ms: i64,
    ) -> Fetched<WalletsRead> {
        let mut reports = Vec::new();
        let result = self
            .gather(hl, source, sweep, fresh, now_ms, &mut reports)
            .await;
        let mut report = UpstreamReport::total(&reports);
        let stale = result.as_ref().ok().and_then(|r| r.stale);
        report.stale = stale.is_some();
        Fetched {
            from_memo: result.is_ok() && report.requests == 0,
            result,
            report,
            stale,
        }
    }

    async fn gather(
        &self,
        hl: &Hyperliquid,
        source: &TrackingSource,
        sweep: Sweep<'_>,
        fresh: bool,
        now_ms: i64,
        reports: &mut Vec<UpstreamReport>,
    ) -> Result<WalletsRead, ApiError> {
        let deadline = deadline();
        // The leaderboard and the asset contexts at once: neither needs the other.
        let (mut board_reports, mut ctx_reports) = (Vec::new(), Vec::new());
        let (tracked, marks) = tokio::join!(
            self.tracked_wallets(hl, source, now_ms, deadline, &mut board_reports),
            self.marks(hl, fresh, now_ms, deadline, &mut ctx_reports),
        );
        reports.append(&mut board_reports);
        reports.append(&mut ctx_reports);
        let (tracked, marks) = (tracked?, marks?);
        let (positions, failed_wallets, stale) = self
            .positions(hl, &tracked.wallets, fresh, now_ms, deadline, reports)
            .await;
        if positions.is_empty()
            && !failed_wallets.is_empty()
            && failed_wallets.len() == tracked.wallets.len()
        {
            return Err(failed_wallets[0].1.clone());
        }
        let histories = match sweep {
            Sweep::Off => HashMap::new(),
            Sweep::LargestFirst => {
                self.sweep(hl, &positions, None, now_ms, deadline, reports)
                    .await
            }
            Sweep::HoldersOf(coin) => {
                self.sweep(hl, &positions, Some(coin), now_ms, deadline, reports)
                    .await
            }
        };
        Ok(WalletsRead {
            tracked_wallets: tracked,
            positions,
            marks,
            histories,
            failed_wallets,
            stale,
        })
    }

    async fn tracked_wallets(
        &self,
        hl: &Hyperliquid,
        source: &TrackingSource,
        now_ms: i64,
        deadline: Instant,
        reports: &mut Vec<UpstreamReport>,
    ) -> Result<TrackedWallets, ApiError> {
        let rule = match source {
            TrackingSource::Explicit(wallets) => {
                return Ok(TrackedWallets {
                    rule: "the operator's list of tracked wallets".into(),
                    wallets: wallets.clone(),
                    as_of: now_ms,
                })
            }
            TrackingSource::Rule(rule) => rule,
        };
        if let Some((at, tracked)) = &self.kept().tracked_wallets {
            if now_ms - at < TRACKED_FOR_MS && tracked.rule == rule.describe() {
                return Ok(tracked.clone());
            }
        }
        let fetched = hl.leaderboard(rule, deadline).await;
        reports.push(fetched.report);
        let board = fetched.result?;
        let tracked = TrackedWallets {
            rule: rule.describe(),
            wallets: board.wallets.into_iter().map(|w| w.address).collect(),
            as_of: now_ms,
        };
        self.kept().tracked_wallets = Some((now_ms, tracked.clone()));
        Ok(tracked)
    }

    async fn marks(
        &self,
        hl: &Hyperliquid,
        fresh: bool,
        now_ms: i64,
        deadline: Instant,
        reports: &mut Vec<UpstreamReport>,
    ) -> Result<HashMap<String, Px>, ApiError> {
        if let Some((until, marks)) = &self.kept().marks {
            if now_ms < *until && !fresh {
                return Ok(marks.clone());
            }
        }
        let fetched = hl.asset_ctxs(deadline).await;
        reports.push(fetched.report);
        let marks: HashMap<String, Px> = fetched
            .result?
            .into_iter()
            .map(|ctx| (ctx.coin, to_8(ctx.mark_px)))
            .collect();
        self.kept().marks = Some((next_boundary(now_ms), marks.clone()));
        Ok(marks)
    }

    async fn positions(
        &self,
        hl: &Hyperliquid,
        wallets: &[String],
        fresh: bool,
        now_ms: i64,
        deadline: Instant,
        reports: &mut Vec<UpstreamReport>,
    ) -> (Vec<Position>, Vec<(String, ApiError)>, Option<Age>) {
        let permits = &Semaphore::new(CONCURRENCY);
        let reads = wallets
            .iter()
            .map(|wallet| async move {
                let kept = self.kept().positions.get(wallet).cloned();
                if let Some((until, _, kept)) = &kept {
                    if now_ms < *until && !fresh {
                        return (wallet, None, Ok((kept.clone(), None)));
                    }
                }
                let _permit = permits.acquire().await.ok();
                let fetched = hl.clearinghouse_state(wallet, deadline).await;
                let result = match fetched.result {
                    Ok(state) => {
                        let read: Vec<Position> = state
                            .positions
                            .into_iter()
                            .map(|p| position(wallet, p))
                            .collect();
                        self.kept().positions.insert(
                            wallet.clone(),
                            (next_boundary(now_ms), now_ms, read.clone()),
                        );
                        Ok((read, None))
                    }
                    // Remembered rather than refused: the wallet's last positions, if read
                    // within the stale limit, with their age.
                    Err(e) => match kept {
                        Some((_, read_at, kept)) if now_ms - read_at <= STALE_LIMIT_MS => {
                            Ok((kept, Some(age(Period::M5, read_at, now_ms))))
                        }
                        _ => Err(e),
                    },
                };
                (wallet, Some(fetched.report), result)
            })
            .collect();
        let mut positions = Vec::new();
        let mut failed = Vec::new();
        let mut stale: Option<Age> = None;
        for (wallet, report, result) in join_all(reads).await {
            reports.extend(report);
            match result {
                Ok((read, aged)) => {
                    positions.extend(read);
                    if let Some(a) = aged {
                        stale =
                            Some(stale.map_or(a, |s| if a.seconds > s.seconds { a } else { s }));
                    }
                }
                Err(e) => failed.push((wallet.clone(), e)),
            }
        }
        (positions, failed, stale)
    }

    /// Fills of the wallets holding positions, largest total notional first: the known ones
    /// from the memo, then as many more as the weight budget affords now, [`SWEEP_CONCURRENCY`]
    /// at a time (a refusal ends the sweep for this call, as does [`SWEEP_STOPS_BEFORE`] of the
    /// deadline left; the next call, or the scheduled one, goes on from there).
    async fn sweep(
        &self,
        hl: &Hyperliquid,
        positions: &[Position],
        first_coin: Option<&str>,
        now_ms: i64,
        deadline: Instant,
        reports: &mut Vec<UpstreamReport>,
    ) -> HashMap<String, FillHistory> {
        // Per wallet: its notional in `first_coin` (0 without one), then in all.
        let mut notional: HashMap<&str, (i64, i64)> = HashMap::new();
        for p in positions {
            let n = notional.entry(&p.wallet).or_default();
            if first_coin.is_some_and(|c| p.coin.eq_ignore_ascii_case(c)) {
                n.0 += p.notional_usd.0;
            }
            n.1 += p.notional_usd.0;
        }
        let mut holders: Vec<(&str, (i64, i64))> = notional.into_iter().collect();
        holders.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut known = HashMap::new();
        let mut unknown = Vec::new();
        for (wallet, _) in holders {
            match self.kept().fills.get(wallet) {
                Some((at, history)) if now_ms - at < FILLS_FOR_MS => {
                    known.insert(wallet.to_string(), history.clone());
                }
                _ => unknown.push(wallet),
            }
        }
        let since = now_ms - FILLS_LOOKBACK_MS;
        let mut rest = unknown.as_slice();
        while !rest.is_empty() {
            if deadline.saturating_duration_since(Instant::now()) < SWEEP_STOPS_BEFORE {
                break;
            }
            // As many at once as the budget can reserve a full page for (at least one: its
            // refusal ends the sweep).
            let affordable = hl
                .budget
                .left(WEIGHT_KEY, crate::domain::clock::now_ms())
                .map_or(SWEEP_CONCURRENCY, |left| {
                    (left / USER_FILLS_MAX_WEIGHT) as usize
                });
            let (group, later) =
                rest.split_at(affordable.clamp(1, SWEEP_CONCURRENCY).min(rest.len()));
            rest = later;
            let reads = group
                .iter()
                .map(|&wallet| async move {
                    (wallet, hl.user_fills(wallet, since, None, deadline).await)
                })
                .collect();
            let mut stop = false;
            for (wallet, fetched) in join_all(reads).await {
                reports.push(fetched.report);
                match fetched.result {
                    Ok(read) if read.complete => {
                        let history = FillHistory {
                            since_ms: read.start_ms,
                            fills: read
                                .fills
                                .into_iter()
                                .filter(parse::Fill::is_perpetual)
                                .map(fill)
                                .collect(),
                        };
                        self.kept()
                            .fills
                            .insert(wallet.to_string(), (now_ms, history.clone()));
                        known.insert(wallet.to_string(), history);
                    }
                    // Pages that stopped short of the range: which side is missing is not known,
                    // so nothing of it is used.
                    Ok(_) => {}
                    Err(
                        ApiError::UpstreamBudgetExhausted { .. }
                        | ApiError::UpstreamRateLimited { .. }
                        | ApiError::UpstreamTimeout,
                    ) => stop = true,
                    Err(e) => tracing::warn!(wallet, error = %e, "fills not read"),
                }
            }
            if stop {
                break;
            }
        }
        known
    }
}

fn position(wallet: &str, p: parse::Position) -> Position {
    Position {
        wallet: wallet.to_string(),
        coin: p.coin,
        size: to_8(p.szi),
        notional_usd: to_usd(p.position_value),
        entry_px: to_8(p.entry_px),
        leverage: p.leverage,
        unrealized_pnl_usd: to_usd(p.unrealized_pnl),
    }
}

fn fill(f: parse::Fill) -> Fill {
    let signed = f.signed_sz();
    Fill {
        coin: f.coin,
        time_ms: f.time,
        start_position: to_8(f.start_position),
        signed_size: to_8(signed),
        tid: f.tid,
    }
}
