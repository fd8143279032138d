//! One module per route: the parameters it accepts, the answer type, its note, and a pure
//! `answer(…)` from the configuration in force and the fetched series. No I/O here: the function
//! crate's handler fetches (through `upstream`) and responds (through `edge`).

pub mod chart;
pub mod divergence;
pub mod exchanges;
pub mod history;
pub mod meta;
pub mod positioning;
pub mod query;
pub mod screener;
pub mod signal;
pub mod track_record;
pub mod wallet_positions;
pub mod wallets;

use crate::domain::{route, Pct};

pub use crate::domain::route::ROUTES;
pub use crate::upstream::Provenance;
pub use query::{Format, Market, Query, MARKET_PARAMS};

/// Said in every answer's `note`.
pub const NOT_ADVICE: &str = "Not financial advice.";

/// Rows asked per cohort when only the newest bucket is needed: enough to find a common bucket
/// when one cohort publishes a few buckets late.
pub const NEWEST_ROWS: u16 = 6;

/// `POST /v1/mcp`: the data routes as Model Context Protocol tools. It has no module here: the
/// `mcp` function answers each tool call with the route's own handler.
pub const MCP_ROUTE: &str = route::MCP.route;

/// The `note` of every answer that carries a divergence.
pub fn divergence_note(threshold: Pct) -> String {
    format!(
        "long_pct_gap = smart money (top_traders_by_position) long % minus retail_crowd long %, in \
         percentage points, at the newest bucket both have; signal at ±{threshold} pp. Shares are \
         Binance's published values × 100 rounded half away from zero to 2 decimals, ratios to 4. \
         {NOT_ADVICE}"
    )
}
