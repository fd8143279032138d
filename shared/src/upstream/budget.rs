//! A budget of upstream requests per warm instance, counted the way the venue counts them: for
//! Binance, per path (each `/futures/data/*` path has its own limit) and, for the klines, in
//! weight per minute. It lives only in this instance's memory.
//!
//! - **A fetch reserves what it sends**: one request per path per page (the klines' weight),
//!   all or nothing against the instance's planned share. A fetch the share cannot afford is not
//!   sent: the memo answers if it remembers the market (`stale`), else `503
//!   upstream_budget_exhausted` with the seconds until the share can afford it.
//! - **Retries draw on the headroom** (the 10% between the plan and the venue's limit), counted
//!   when sent; a retry the headroom cannot afford is not sent and the fetch fails as it would
//!   have.
//!
//! Our own sliding windows rather than a rate-limiting crate such as `governor`: its GCRA lets a
//! full burst through and then refills continuously, so a bucket of `b` cells refilled at `r`
//! admits `b + r × W` in a window `W`; to promise Binance "at most 900 in any 5 minutes" it would
//! have to halve the burst an instance may spend from cold. A window answers exactly what
//! Binance counts, all-or-nothing over several paths, and says when room frees up.
//!
//! # The capacity model
//! Binance allows 1,000 requests per 5 minutes per IP on each `/futures/data/*` path, and 2,400
//! weight per minute on `/fapi/v1/klines`; it bans IPs that keep calling. Every instance of every
//! function may share one outbound IP (Lambda promises nothing either way), so the model plans
//! for [`BINANCE_PLANNED_PER_PATH`] and [`KLINES_PLANNED_WEIGHT`] (10% headroom) and gives each
//! function a share ([`CAPACITY_MODEL`](crate::domain::route::CAPACITY_MODEL), in the table of
//! routes). The functions have no reserved concurrency (Lambda never throttles the tiers'
//! bursts), so a share is **per instance** and assumes one busy instance per function: the plan
//! is overbooked by the number of instances that actually fill their memos at once. The load run
//! (`scripts/loadtest`) starts [`Share::instances`] of each and counts what Binance sees; a 429
//! quiets the instance at once, and the operator can lower every share through SSM
//! (`binance_budget_pct`) without a deploy. The README's "Capacity" section does the arithmetic
//! and states the worst case.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// The window of Binance's per-path limit.
pub const BUDGET_WINDOW_MS: i64 = 300_000;
/// The window of Binance's weight limit (klines).
pub const WEIGHT_WINDOW_MS: i64 = 60_000;
/// Binance's limit on each `/futures/data/*` path: requests per 5 minutes per IP.
pub const BINANCE_PATH_LIMIT: u32 = 1_000;
/// What the whole deployment plans to send on each path: the limit less 10% headroom.
pub const BINANCE_PLANNED_PER_PATH: u32 = 900;
/// Binance's weight limit per minute per IP (`/fapi/v1/*`, the klines among them).
pub const KLINES_WEIGHT_LIMIT: u32 = 2_400;
/// What the whole deployment plans to spend of it: the limit less 10% headroom.
pub const KLINES_PLANNED_WEIGHT: u32 = 2_160;

/// The weight Binance counts for a klines request of `limit` rows.
pub const fn klines_weight(limit: usize) -> u32 {
    match limit {
        0..=99 => 1,
        100..=499 => 2,
        500..=1000 => 5,
        _ => 10,
    }
}

/// One limit an instance keeps: at most `planned` units per rolling `window_ms` for first
/// attempts, `ceiling` with retries.
#[derive(Clone, Copy, Debug)]
struct Limit {
    key: &'static str,
    window_ms: i64,
    planned: u32,
    ceiling: u32,
}

/// One venue's request budget in this instance: a sliding window per key (a path, as the venue
/// counts). A key without a limit is never refused.
#[derive(Debug)]
pub struct Budget {
    limits: Vec<Limit>,
    /// Percent of every limit in force (the operator's `binance_budget_pct`).
    pct: AtomicU32,
    /// Per key, (when, units) sent, oldest first.
    spent: Mutex<HashMap<&'static str, VecDeque<(i64, u32)>>>,
}

impl Budget {
    /// No limit on any key (venues whose limits are per second, kept by their pace).
    pub fn unlimited() -> Self {
        Budget::with_limits(Vec::new())
    }

    /// Binance's budget for one instance: `requests` per 5 minutes on each of `paths`, and
    /// `klines_weight` per minute on `klines_path`, each with its 10% of headroom for retries.
    pub fn binance(
        paths: &[&'static str],
        requests: u32,
        klines_path: &'static str,
        klines_weight: u32,
    ) -> Self {
        let headroom = |planned: u32, limit: u32, plan: u32| {
            // The instance's part of the headroom, in proportion to its part of the plan.
            (u64::from(planned) * u64::from(limit) / u64::from(plan)) as u32
        };
        let mut limits: Vec<Limit> = paths
            .iter()
            .map(|&key| Limit {
                key,
                window_ms: BUDGET_WINDOW_MS,
                planned: requests,
                ceiling: headroom(requests, BINANCE_PATH_LIMIT, BINANCE_PLANNED_PER_PATH),
            })
            .collect();
        limits.push(Limit {
            key: klines_path,
            window_ms: WEIGHT_WINDOW_MS,
            planned: klines_weight,
            ceiling: headroom(klines_weight, KLINES_WEIGHT_LIMIT, KLINES_PLANNED_WEIGHT),
        });
        Budget::with_limits(limits)
    }

    /// One weight window of `window_ms` on `key`: `planned` units for first attempts, and
    /// retries up to the instance's part of the headroom between the deployment's `plan` and
    /// the venue's `limit` (Hyperliquid: its 1,200 weight per minute, `upstream::hyperliquid`).
    pub fn weight(key: &'static str, window_ms: i64, planned: u32, limit: u32, plan: u32) -> Self {
        let ceiling = (u64::from(planned) * u64::from(limit) / u64::from(plan.max(1))) as u32;
        Budget::with_limits(vec![Limit {
            key,
            window_ms,
            planned,
            ceiling: ceiling.max(planned),
        }])
    }

    /// Sets what an entry spent on `key` at `at_ms` with `reserved` units turned out to cost:
    /// `actual` (a reservation made for the most a request can weigh, settled once its answer
    /// says what it weighed). Nothing when no such entry is left in the window.
    pub fn settle(&self, key: &'static str, at_ms: i64, reserved: u32, actual: u32) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = spent
            .get_mut(key)
            .and_then(|w| w.iter_mut().rev().find(|e| **e == (at_ms, reserved)))
        {
            entry.1 = actual;
        }
    }

    fn with_limits(limits: Vec<Limit>) -> Self {
        Budget {
            limits,
            pct: AtomicU32::new(100),
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// Every limit at `pct` percent (1–100) of its planned figure, from now on.
    pub fn set_pct(&self, pct: u32) {
        self.pct.store(pct.clamp(1, 100), Ordering::Relaxed);
    }

    fn limit(&self, key: &str) -> Option<Limit> {
        let pct = self.pct.load(Ordering::Relaxed);
        let scaled = |n: u32| (u64::from(n) * u64::from(pct) / 100) as u32;
        self.limits.iter().find(|l| l.key == key).map(|l| Limit {
            planned: scaled(l.planned),
            ceiling: scaled(l.ceiling),
            ..*l
        })
    }

    /// Spends `sends` (units per key: what a fetch's first attempts send) at `now_ms` if every
    /// key's planned share affords it; else spends nothing and says in how many seconds it will
    /// (at least 1).
    pub fn reserve(&self, sends: &[(&'static str, u32)], now_ms: i64) -> Result<(), u64> {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        let mut room_from: Option<i64> = None;
        for &(key, units) in sends {
            let Some(limit) = self.limit(key) else {
                continue;
            };
            let window = spent.entry(key).or_default();
            forget_before(window, now_ms - limit.window_ms);
            if let Some(at) = room_at(window, units, limit.planned, limit.window_ms, now_ms) {
                room_from = Some(room_from.map_or(at, |r| r.max(at)));
            }
        }
        if let Some(at) = room_from {
            return Err(((at - now_ms).max(1) as u64).div_ceil(1000));
        }
        for &(key, units) in sends {
            if self.limit(key).is_some() && units > 0 {
                spent.entry(key).or_default().push_back((now_ms, units));
            }
        }
        Ok(())
    }

    /// Spends `units` on `key` at `now_ms` for a retry if the headroom affords it.
    pub fn retry(&self, key: &'static str, units: u32, now_ms: i64) -> bool {
        let Some(limit) = self.limit(key) else {
            return true;
        };
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        let window = spent.entry(key).or_default();
        forget_before(window, now_ms - limit.window_ms);
        if room_at(window, units, limit.ceiling, limit.window_ms, now_ms).is_some() {
            return false;
        }
        window.push_back((now_ms, units));
        true
    }

    /// The share of the planned figure left on the tightest key at `now_ms`, in percent (`None`
    /// without limits).
    pub fn left_pct(&self, now_ms: i64) -> Option<u32> {
        self.limits
            .iter()
            .filter_map(|l| {
                let planned = self.limit(l.key)?.planned;
                let used = self.used(l.key, now_ms);
                Some(if planned == 0 {
                    0
                } else {
                    (u64::from(planned.saturating_sub(used)) * 100 / u64::from(planned)) as u32
                })
            })
            .min()
    }

    /// Units of `key`'s planned figure still free at `now_ms` (`None`: `key` has no limit).
    pub fn left(&self, key: &str, now_ms: i64) -> Option<u32> {
        let planned = self.limit(key)?.planned;
        Some(planned.saturating_sub(self.used(key, now_ms)))
    }

    /// Units spent on `key` in its window ending at `now_ms`.
    pub fn used(&self, key: &str, now_ms: i64) -> u32 {
        let Some(limit) = self.limit(key) else {
            return 0;
        };
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent.get(key).map_or(0, |w| {
            w.iter()
                .filter(|(at, _)| *at > now_ms - limit.window_ms)
                .map(|(_, n)| n)
                .sum()
        })
    }
}

fn forget_before(window: &mut VecDeque<(i64, u32)>, cutoff_ms: i64) {
    while window.front().is_some_and(|(at, _)| *at <= cutoff_ms) {
        window.pop_front();
    }
}

/// `None` when `units` more fit under `capacity` at `now_ms`; else when they will (the oldest
/// entries leave the window first). More than the capacity never fits: a window from now.
fn room_at(
    window: &VecDeque<(i64, u32)>,
    units: u32,
    capacity: u32,
    window_ms: i64,
    now_ms: i64,
) -> Option<i64> {
    let used: u32 = window.iter().map(|(_, n)| n).sum();
    if used + units <= capacity {
        return None;
    }
    let mut freed = 0;
    for (at, n) in window {
        freed += n;
        if used - freed + units <= capacity {
            return Some(at + window_ms);
        }
    }
    Some(now_ms + window_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::route::share;

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const S: i64 = 1000;
    const A: &str = "/a";
    const B: &str = "/b";
    const K: &str = "/k";

    /// 90 per 5 minutes on each of two paths (ceiling 100), 180 weight per minute (ceiling 200).
    fn budget() -> Budget {
        Budget::binance(&[A, B], 90, K, 180)
    }

    #[test]
    fn klines_weight_follows_binance_s_table_at_every_edge() {
        let weights: Vec<u32> = [1, 99, 100, 499, 500, 503, 1000, 1001, 1500]
            .into_iter()
            .map(klines_weight)
            .collect();
        assert_eq!(weights, [1, 1, 2, 2, 5, 5, 5, 10, 10]);
    }

    #[test]
    fn each_path_has_its_own_window_and_a_fetch_takes_all_its_paths_or_none() {
        let b = budget();
        for i in 0..90 {
            b.reserve(&[(A, 1), (B, 1)], DAY + i * S).unwrap();
        }
        // Path A is full: a fetch needing A and B takes neither, and waits for the first to leave.
        assert_eq!(b.reserve(&[(A, 1), (B, 1)], DAY + 100 * S), Err(200));
        assert_eq!(
            (b.used(A, DAY + 100 * S), b.used(B, DAY + 100 * S)),
            (90, 90)
        );
        // A path the budget does not limit never refuses; a zero budget always does.
        let none = Budget::binance(&[A], 0, K, 0);
        assert_eq!(none.reserve(&[(A, 1)], DAY), Err(300));
        assert!(!none.retry(A, 1, DAY));
        assert_eq!(b.reserve(&[("/other", 1_000)], DAY + 100 * S), Ok(()));
        // Five minutes after the first, one slot is free on each.
        assert_eq!(b.reserve(&[(A, 1), (B, 1)], DAY + BUDGET_WINDOW_MS), Ok(()));
        assert_eq!(b.reserve(&[(A, 1)], DAY + BUDGET_WINDOW_MS), Err(1));
    }

    #[test]
    fn retries_draw_on_the_headroom_and_stop_at_the_ceiling() {
        let b = budget();
        for _ in 0..90 {
            b.reserve(&[(A, 1)], DAY).unwrap();
        }
        // 90 planned, ceiling 1,000/900 × 90 = 100: ten retries fit, the eleventh is not sent.
        let retries: Vec<bool> = (0..11).map(|_| b.retry(A, 1, DAY + S)).collect();
        assert_eq!(retries.iter().filter(|r| **r).count(), 10);
        assert!(!retries[10]);
        assert_eq!(b.used(A, DAY + S), 100);
        // The other path's headroom is untouched.
        assert!(b.retry(B, 1, DAY + S));
    }

    #[test]
    fn the_klines_weight_is_kept_per_minute() {
        let b = budget();
        // 36 fetches of weight 5 = 180 in one minute: the 37th waits for the first to age out.
        for i in 0..36 {
            b.reserve(&[(K, 5)], DAY + i * S).unwrap();
        }
        assert_eq!(b.reserve(&[(K, 5)], DAY + 40 * S), Err(20));
        assert_eq!(b.reserve(&[(K, 5)], DAY + WEIGHT_WINDOW_MS), Ok(()));
    }

    #[test]
    fn the_operator_s_percentage_scales_every_limit_from_the_next_reservation() {
        let b = budget();
        b.set_pct(50);
        for _ in 0..45 {
            b.reserve(&[(A, 1)], DAY).unwrap();
        }
        assert!(b.reserve(&[(A, 1)], DAY).is_err(), "45 of the 90 planned");
        // Retries: half of the ceiling of 100.
        assert_eq!((0..10).filter(|_| b.retry(A, 1, DAY)).count(), 5);
        b.set_pct(100);
        assert_eq!(b.reserve(&[(A, 1)], DAY), Ok(()));
    }

    #[test]
    fn by_construction_an_instance_never_sends_more_than_the_ceiling_in_any_window() {
        let b = budget();
        let mut sent: Vec<i64> = Vec::new();
        // A caller every second for 30 minutes, each fetch 1 on A and, one in three, two retries.
        for s in 0..1800 {
            let now = DAY + s * S;
            if b.reserve(&[(A, 1)], now).is_ok() {
                sent.push(now);
                if s % 3 == 0 {
                    sent.extend((0..2).filter(|_| b.retry(A, 1, now)).map(|_| now));
                }
            }
        }
        for &start in &sent {
            let in_window = sent
                .iter()
                .filter(|&&t| t >= start && t < start + BUDGET_WINDOW_MS)
                .count();
            assert!(in_window <= 100, "{in_window}");
        }
        // Six windows of at least the 90 planned.
        assert!(sent.len() >= 6 * 90, "{}", sent.len());
    }

    #[test]
    fn a_weight_window_reserves_the_most_and_settles_to_what_was_counted() {
        // 1,080 planned of 1,200: a share of 540 has a ceiling of 600.
        let b = Budget::weight(K, WEIGHT_WINDOW_MS, 540, 1_200, 1_080);
        for i in 0..4 {
            b.reserve(&[(K, 120)], DAY + i).unwrap();
        }
        assert_eq!(b.reserve(&[(K, 120)], DAY + 10), Err(60), "480 + 120 > 540");
        // Two answers weighed 21 and 51: 480 − 99 − 69 = 312 spent, room for two more.
        b.settle(K, DAY, 120, 21);
        b.settle(K, DAY + 1, 120, 51);
        b.settle(K, DAY + 1, 120, 51); // already settled: no entry (DAY + 1, 120) is left
        assert_eq!(b.used(K, DAY + 10), 312);
        b.reserve(&[(K, 120)], DAY + 10).unwrap();
        b.reserve(&[(K, 100)], DAY + 10).unwrap();
        assert_eq!(b.used(K, DAY + 10), 532);
        assert!(b.retry(K, 60, DAY + 11), "the headroom up to 600");
        assert!(!b.retry(K, 20, DAY + 11));
    }

    /// Binance's limits less a tenth, the model's planned figures, derived here from the limits
    /// rather than read back from the table.
    #[test]
    fn the_shares_fit_nine_tenths_of_binance_s_limits_with_one_busy_instance_each() {
        use crate::domain::route::CAPACITY_MODEL;
        let nine_tenths = |limit: u32| limit - limit / 10;
        let (per_path, klines) = (nine_tenths(1_000), nine_tenths(2_400));
        assert_eq!((per_path, klines), (900, 2_160));
        assert_eq!(
            (BINANCE_PATH_LIMIT, KLINES_WEIGHT_LIMIT),
            (1_000, 2_400),
            "Binance's published limits"
        );
        assert_eq!(
            (BINANCE_PLANNED_PER_PATH, KLINES_PLANNED_WEIGHT),
            (
                nine_tenths(BINANCE_PATH_LIMIT),
                nine_tenths(KLINES_WEIGHT_LIMIT)
            )
        );
        // The model's promise: one busy instance of every function stays within the plan on each
        // path (every function reads the same cohort paths) and on the klines. More busy
        // instances overbook it (README "Capacity": up to n × 900 per path).
        let requests: u32 = CAPACITY_MODEL.iter().map(|s| s.requests).sum();
        assert!(requests <= per_path, "{requests} per path > {per_path}");
        let weight: u32 = CAPACITY_MODEL.iter().map(|s| s.klines_weight).sum();
        assert!(weight <= klines, "{weight} klines weight > {klines}");
        // Every instance of track-record can afford one 500-row fetch's klines (weight 5).
        assert!(share("/v1/track-record").unwrap().klines_weight >= klines_weight(503));
    }
}
