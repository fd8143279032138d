//! A budget of upstream requests per warm instance and venue: at most its capacity per rolling
//! [`BUDGET_WINDOW_MS`], whatever the callers ask. Each fetch reserves its worst case (retries
//! included) before it is sent; a fetch that would exceed the budget is not sent and answers
//! `503 upstream_budget_exhausted` with the seconds until there is room. It lives only in this
//! instance's memory.
//!
//! # The capacity model
//! Binance allows about 1,000 requests per 5 minutes per IP on these endpoints, and bans IPs that
//! keep calling. Every instance of every function may share one outbound IP (Lambda gives no
//! guarantee either way), so the model assumes they do: the deployment plans for
//! [`BINANCE_PLANNED_REQUESTS`] (10% headroom) and splits them among the functions
//! ([`CAPACITY_MODEL`]); each function's share is divided among the instances its reserved
//! concurrency allows (template.yaml, checked against this table by a test). However many
//! callers arrive, all instances together stay within the plan: beyond it they answer 503 with
//! a true Retry-After, never a ban. The README's "Capacity" section does the arithmetic.

use std::sync::Mutex;

pub const BUDGET_WINDOW_MS: i64 = 300_000;
/// Of Binance's ~1,000 requests per 5 minutes per IP, what the whole deployment plans to use.
pub const BINANCE_PLANNED_REQUESTS: u32 = 900;

/// One data function's part of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub route: &'static str,
    /// `ReservedConcurrentExecutions` in template.yaml: at most this many instances.
    pub reserved_concurrency: u32,
    /// Binance requests per 5 minutes for all of the function's instances together.
    pub requests: u32,
}

impl Share {
    /// Each instance's budget: the function's share divided among its instances.
    pub const fn per_instance(self) -> u32 {
        self.requests / self.reserved_concurrency
    }
}

/// The plan. Each fresh fetch costs 3 requests (the cohorts), 4 where the function also reads
/// the open interest (signal, screener, exchanges) or the prices (track-record). A cold 20-coin
/// screen costs 60 to 80, so the screener gets the largest part on one instance (its memo then
/// serves every repeat); positioning, divergence and history 50 per instance (16 fresh coin ×
/// period fetches each per 5 minutes), the signal 80 per instance (20 fetches); exchanges,
/// track-record, chart and MCP one instance each, 15 to 20 fetches.
pub const CAPACITY_MODEL: [Share; 9] = [
    Share {
        route: "/v1/positioning",
        reserved_concurrency: 2,
        requests: 100,
    },
    Share {
        route: "/v1/divergence",
        reserved_concurrency: 2,
        requests: 100,
    },
    Share {
        route: "/v1/history",
        reserved_concurrency: 2,
        requests: 100,
    },
    Share {
        route: "/v1/signal",
        reserved_concurrency: 2,
        requests: 160,
    },
    Share {
        route: "/v1/screener",
        reserved_concurrency: 1,
        requests: 200,
    },
    Share {
        route: "/v1/exchanges",
        reserved_concurrency: 1,
        requests: 60,
    },
    Share {
        route: "/v1/track-record",
        reserved_concurrency: 1,
        requests: 60,
    },
    Share {
        route: "/v1/chart",
        reserved_concurrency: 1,
        requests: 60,
    },
    Share {
        route: "/v1/mcp",
        reserved_concurrency: 1,
        requests: 60,
    },
];

/// The Binance budget of one instance of the function serving `route` (0: it makes no
/// upstream request, like `/v1/meta`).
pub fn binance_per_instance(route: &str) -> u32 {
    CAPACITY_MODEL
        .iter()
        .find(|s| s.route == route)
        .map_or(0, |s| s.per_instance())
}

/// Requests sent (or reserved) in the last [`BUDGET_WINDOW_MS`].
pub struct RequestBudget {
    capacity: u32,
    /// (when, requests), one per reservation.
    spent: Mutex<Vec<(i64, u32)>>,
}

/// Requests set aside for one fetch until it says how many it sent.
#[derive(Debug)]
pub struct Reservation {
    at_ms: i64,
    requests: u32,
}

impl RequestBudget {
    pub fn new(capacity: u32) -> Self {
        RequestBudget {
            capacity,
            spent: Mutex::new(Vec::new()),
        }
    }

    /// Sets aside `requests` at `now_ms`, or says in how many seconds that many will be free.
    /// Reserve the most a fetch can send (retries included), then [`RequestBudget::settle`].
    pub fn reserve(&self, requests: u32, now_ms: i64) -> Result<Reservation, u64> {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent.retain(|(at, n)| *at > now_ms - BUDGET_WINDOW_MS && *n > 0);
        let used: u32 = spent.iter().map(|(_, n)| n).sum();
        if used + requests <= self.capacity {
            spent.push((now_ms, requests));
            return Ok(Reservation {
                at_ms: now_ms,
                requests,
            });
        }
        // The oldest reservations leave the window first: wait until enough of them have.
        spent.sort_by_key(|(at, _)| *at);
        let mut freed = 0;
        let mut until = now_ms + BUDGET_WINDOW_MS;
        for (at, n) in spent.iter() {
            freed += n;
            if used - freed + requests <= self.capacity {
                until = at + BUDGET_WINDOW_MS;
                break;
            }
        }
        Err(((until - now_ms).max(1) as u64).div_ceil(1000))
    }

    /// Records what a reserved fetch actually sent (never more than reserved).
    pub fn settle(&self, reservation: Reservation, sent: u32) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = spent
            .iter_mut()
            .find(|(at, n)| *at == reservation.at_ms && *n == reservation.requests)
        {
            entry.1 = sent.min(reservation.requests);
        }
    }

    /// Requests counted in the window ending at `now_ms`.
    pub fn used(&self, now_ms: i64) -> u32 {
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent
            .iter()
            .filter(|(at, _)| *at > now_ms - BUDGET_WINDOW_MS)
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const S: i64 = 1000;

    #[test]
    fn the_budget_refuses_beyond_its_capacity_and_says_when_room_frees_up() {
        let b = RequestBudget::new(20);
        let t = DAY;
        let first = b.reserve(9, t).unwrap();
        let second = b.reserve(9, t + 10 * S).unwrap();
        assert_eq!(
            b.reserve(9, t + 20 * S).unwrap_err(),
            280,
            "until the first leaves"
        );
        // They sent 3 each: 6 used, room for two more worst-case fetches.
        b.settle(first, 3);
        b.settle(second, 3);
        assert_eq!(b.used(t + 20 * S), 6);
        let _third = b.reserve(9, t + 20 * S).unwrap();
        assert_eq!(b.reserve(9, t + 21 * S).unwrap_err(), 289);
        // Five minutes after the first, its 3 requests no longer count.
        assert_eq!(b.used(t + BUDGET_WINDOW_MS), 12);
        assert!(b.reserve(6, t + BUDGET_WINDOW_MS).is_ok());
    }

    #[test]
    fn the_plan_stays_within_binance_s_limit_and_every_data_route_has_a_share() {
        let total: u32 = CAPACITY_MODEL
            .iter()
            .map(|s| s.per_instance() * s.reserved_concurrency)
            .sum();
        assert!(
            total <= BINANCE_PLANNED_REQUESTS && BINANCE_PLANNED_REQUESTS <= 1000,
            "{total}"
        );
        assert_eq!(total, 900);
        assert_eq!(binance_per_instance("/v1/positioning"), 50);
        assert_eq!(binance_per_instance("/v1/signal"), 80);
        assert_eq!(binance_per_instance("/v1/screener"), 200);
        assert_eq!(binance_per_instance("/v1/exchanges"), 60);
        assert_eq!(binance_per_instance("/v1/track-record"), 60);
        assert_eq!(binance_per_instance("/v1/chart"), 60);
        assert_eq!(binance_per_instance("/v1/mcp"), 60);
        assert_eq!(binance_per_instance("/v1/meta"), 0);
        for route in crate::endpoints::ROUTES {
            let has_share = CAPACITY_MODEL.iter().any(|s| s.route == route);
            assert_eq!(has_share, route != "/v1/meta", "{route}");
        }
    }

    /// template.yaml gives each data function the reserved concurrency the plan divides by.
    #[test]
    fn the_template_reserves_the_concurrency_the_plan_assumes() {
        let template = include_str!("../../../template.yaml");
        for share in CAPACITY_MODEL {
            // `GET /v1/…`, or `POST /v1/mcp`.
            let at = ["GET", "POST"]
                .iter()
                .find_map(|m| template.find(&format!("Description: {m} {}\n", share.route)))
                .unwrap_or_else(|| panic!("no function for {}", share.route));
            // The function's properties run until the next resource (a key indented two spaces).
            let wanted = format!(
                "ReservedConcurrentExecutions: {}",
                share.reserved_concurrency
            );
            let found = template[at..]
                .lines()
                .take_while(|l| !l.starts_with("  ") || l.starts_with("   "))
                .any(|l| l.trim() == wanted);
            assert!(found, "{}: {wanted:?} missing", share.route);
        }
    }

    #[test]
    fn by_construction_an_instance_never_sends_more_than_the_budget_in_any_window() {
        const BUDGET_REQUESTS: u32 = 600;
        let b = RequestBudget::new(BUDGET_REQUESTS);
        let mut sent: Vec<i64> = Vec::new();
        // A caller asking every second for 30 minutes, 9 reserved and 9 sent each time.
        for s in 0..1800 {
            let now = DAY + s * S;
            if let Ok(r) = b.reserve(9, now) {
                b.settle(r, 9);
                sent.extend(std::iter::repeat_n(now, 9));
            }
        }
        for &start in &sent {
            let in_window = sent
                .iter()
                .filter(|&&t| t >= start && t < start + BUDGET_WINDOW_MS)
                .count();
            assert!(in_window <= BUDGET_REQUESTS as usize, "{in_window}");
        }
        assert!(sent.len() >= 6 * 594, "{}", sent.len());
    }
}
