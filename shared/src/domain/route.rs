//! Every route of the API, once: its path and, for each function that reads a venue, its share
//! of the capacity plan. Values only: `upstream::budget` turns a share into an instance's budget
//! (and says why the plan is what it is), each endpoint names its route from here, `/v1/meta`
//! lists [`ROUTES`], and `scripts/lambda_cluster.py` reads each share's `instances` from this file
//! (`route: "…", instances: N`).

/// One data function's share of the plan, for each of its instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub route: &'static str,
    /// Instances of the function the load run starts (`scripts/loadtest` reads this table):
    /// what the overbooking was measured with.
    pub instances: u32,
    /// Binance requests per 5 minutes on each `/futures/data/*` path, for one instance.
    pub requests: u32,
    /// Binance klines weight per minute, for one instance.
    pub klines_weight: u32,
    /// Hyperliquid info weight per rolling minute, for one instance (the wallet routes).
    pub hyperliquid_weight: u32,
}

// The plan. `instances`: what the tiers' full load keeps busy at once (71 req/s, an answer ~1 ms
// from the memo and ~55 ms fresh at a 50 ms round trip): two for the five routes that carry most
// of it, one for exchanges, track-record, chart and MCP (a few requests per second each; a
// second exchanges instance would also pace the other venues on its own).
//
// Every fresh fetch sends one request on each cohort path (and on `openInterestHist` for the
// signal, the screener's changes, exchanges and MCP's tools), so a share of `n` is `n` distinct
// markets per 5 minutes for one instance. Sizes from what one instance of each meets under the
// tiers' full mix from cold (`scripts/loadtest`: 20 coins × 3 periods, history at two limits, the
// screener's 20-coin screens at 3 periods; MCP answers every tool from its one instance's
// share); track-record's klines (503 rows, weight 5) and MCP's track_record tool share the
// klines plan.

pub const POSITIONING: Share = Share {
    route: "/v1/positioning",
    instances: 2,
    requests: 100,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
pub const DIVERGENCE: Share = Share {
    route: "/v1/divergence",
    instances: 2,
    requests: 100,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
pub const HISTORY: Share = Share {
    route: "/v1/history",
    instances: 2,
    requests: 120,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
/// `/v1/meta` reads no venue: it has no share.
pub const META: &str = "/v1/meta";
pub const SIGNAL: Share = Share {
    route: "/v1/signal",
    instances: 2,
    requests: 120,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
pub const SCREENER: Share = Share {
    route: "/v1/screener",
    instances: 2,
    requests: 160,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
pub const EXCHANGES: Share = Share {
    route: "/v1/exchanges",
    instances: 1,
    requests: 50,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
pub const TRACK_RECORD: Share = Share {
    route: "/v1/track-record",
    instances: 1,
    requests: 70,
    klines_weight: 1_500,
    hyperliquid_weight: 0,
};
pub const CHART: Share = Share {
    route: "/v1/chart",
    instances: 1,
    requests: 70,
    klines_weight: 0,
    hyperliquid_weight: 0,
};
/// `POST /v1/mcp`: the data routes as Model Context Protocol tools, each answered by the route's
/// own handler from this function's one share (its `wallets` and `wallet_positions` tools from
/// its share of Hyperliquid's weight, below).
pub const MCP: Share = Share {
    route: "/v1/mcp",
    instances: 1,
    requests: 110,
    klines_weight: 600,
    hyperliquid_weight: 240,
};

// Hyperliquid is read by the wallet routes and by MCP's `wallets` and `wallet_positions` tools
// (answered by those routes' handlers from MCP's own share). Its limit is 1,200 weight per
// rolling minute per IP; the plan is 1,080 (`upstream::hyperliquid::PLANNED_WEIGHT`), split
// between the three functions so one instance of each stays within it together: /v1/wallets 600,
// /v1/wallets/positions 240, MCP 240. Every share affords a cold read, 140 (asset contexts 20, 60
// wallets' positions at 2); what is left advances the fills sweep, where a page reserves up to
// 120 before it is sent and is settled to what it weighed (~20–25 a wallet): a share S sweeps
// about (S − 120) / 25 + 1 wallets a minute. /v1/wallets, which the scheduled sweep also runs
// every minute, has the most (~20 wallets a minute, the 60 within minutes); a 240 share sweeps
// ~5 a minute once warm and none in its cold read's minute (140 + 120 > 240), its holds filling
// in over the following minutes (`coverage` says how far). `upstream::hyperliquid`'s tests hold
// the sum to the plan and every share to a cold read.
pub const WALLETS: Share = Share {
    route: "/v1/wallets",
    instances: 1,
    requests: 0,
    klines_weight: 0,
    hyperliquid_weight: 600,
};
pub const WALLET_POSITIONS: Share = Share {
    route: "/v1/wallets/positions",
    instances: 1,
    requests: 0,
    klines_weight: 0,
    hyperliquid_weight: 240,
};

/// The capacity model: every function that reads a venue, with its share.
pub const CAPACITY_MODEL: [Share; 11] = [
    POSITIONING,
    DIVERGENCE,
    HISTORY,
    SIGNAL,
    SCREENER,
    EXCHANGES,
    TRACK_RECORD,
    CHART,
    MCP,
    WALLETS,
    WALLET_POSITIONS,
];

/// Every route, in the order `/v1/meta` lists them; kept in step with template.yaml, the router
/// config and openapi.yaml by the consistency test.
pub const ROUTES: [&str; 12] = [
    POSITIONING.route,
    DIVERGENCE.route,
    HISTORY.route,
    META,
    SIGNAL.route,
    SCREENER.route,
    EXCHANGES.route,
    TRACK_RECORD.route,
    CHART.route,
    MCP.route,
    WALLETS.route,
    WALLET_POSITIONS.route,
];

/// The share of the function serving `route` (`None`: it makes no upstream request, like
/// `/v1/meta`).
pub fn share(route: &str) -> Option<Share> {
    CAPACITY_MODEL.iter().find(|s| s.route == route).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_but_meta_has_one_share_and_every_share_is_a_route() {
        for route in ROUTES {
            assert_eq!(share(route).is_some(), route != META, "{route}");
        }
        for s in CAPACITY_MODEL {
            assert_eq!(
                ROUTES.iter().filter(|r| **r == s.route).count(),
                1,
                "{}",
                s.route
            );
            assert!(s.instances >= 1, "{}", s.route);
        }
    }

    /// template.yaml reserves no concurrency for any data function: Lambda never throttles the
    /// tiers' bursts, and the shares are per instance.
    #[test]
    fn the_template_reserves_no_concurrency_as_the_model_assumes() {
        let template = include_str!("../../../template.yaml");
        assert!(
            !template.contains("ReservedConcurrentExecutions"),
            "the model's shares are per instance with no reserved concurrency"
        );
        for share in CAPACITY_MODEL {
            let found = ["GET", "POST"]
                .iter()
                .any(|m| template.contains(&format!("Description: {m} {}\n", share.route)));
            assert!(found, "no function for {}", share.route);
        }
    }

    /// `scripts/lambda_cluster.py` reads `instances` with this pattern from this file.
    #[test]
    fn each_share_is_written_as_the_load_run_reads_it() {
        let text = include_str!("route.rs");
        for s in CAPACITY_MODEL {
            let written = format!("route: \"{}\",\n    instances: {},", s.route, s.instances);
            assert!(text.contains(&written), "{written}");
        }
    }
}
