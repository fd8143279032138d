//! A faithful local stand-in for the venues we read: Binance's USDⓈ-M `futures/data` long/short
//! ratio endpoints (plus its open interest history and klines), OKX, Bybit, Gate and Bitget, each
//! on its own real paths on one server, for tests, benchmarks and the offline demo. Never
//! deployed.
//!
//! - [`data`]: the deterministic series (`row(symbol, cohort, period_ms, ts)`), fixtures.
//! - [`switches`]: latency, fixed clock, lagging cohort, missing buckets, faults.
//! - [`faults`]: the failure kinds and how each looks on the wire.
//! - `server`: Binance's ratio routes, request log, `/__standin/*` control endpoints,
//!   [`StandInHandle`].
//! - [`venues`]: the other venues, one module each, and how a fault looks on each.
//! - [`hyperliquid`]: Hyperliquid's info API and leaderboard (wallets, not a positioning venue),
//!   its fixture wallets and the helpers that recompute what it served.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use standin::{Fault, FaultKind, Switches};
//! let upstream = standin::spawn(Switches { now_ms: Some(standin::DEMO_NOW_MS), ..Default::default() }).await?;
//! upstream.push_fault(Fault::new(FaultKind::RateLimited).once());
//! let _base = upstream.base_url(); // "http://127.0.0.1:PORT"
//! # Ok(()) }
//! ```

mod conn;
pub mod data;
mod exchange_info;
pub mod faults;
mod server;
pub mod switches;
pub mod venues;

pub use data::{
    gap_pp, newest_bucket, oldest_bucket, open_interest, period_ms, price, row, venue_long_share,
    Cohort, Row, DEMO_CROWD_OVER_LONG, DEMO_CROWD_OVER_SHORT, DEMO_NEUTRAL, DEMO_NEWEST_1H_MS,
    DEMO_NOW_MS, GAP_THRESHOLD_PP, PERIODS, PUBLICATION_LAG_MS, RETENTION_MS, SYMBOLS,
};
pub use faults::{Fault, FaultKind, HlEndpoint};
pub use server::{spawn, spawn_on, RequestRecord, StandInHandle};
pub use switches::{MissingBucket, Switches};
pub use venues::hyperliquid;
pub use venues::{instrument, Venue};
