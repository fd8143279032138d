//! smartmoney-api's core, in the order a request travels through it. Each layer depends only on
//! the ones before it (`tests/layers.rs` checks every import):
//!
//! 1. [`domain`]: values, no I/O — symbol, period, cohort, reading and series, venue, exact
//!    decimals, the clock, the one error type, the table of routes and their capacity shares.
//! 2. [`maths`]: pure functions on those — divergence, history, statistics, one file per signal
//!    section, the screener's ranking.
//! 3. [`render`]: answers that are files, as values — a `format=csv` table, the chart's SVG.
//! 4. [`upstream`]: one adapter folder per venue behind [`upstream::PositioningSource`], the
//!    shared policy, the memo, the request budget and the fan-out over many coins.
//! 5. [`config`]: every environment variable and SSM parameter, read in one place.
//! 6. [`endpoints`]: per route, its parameters, answer type, note and pure `answer(…)`.
//! 7. [`edge`]: the Lambda event in ([`edge::Call`]), the envelope or a rendered file out,
//!    `Cache-Control`, the one log line.
//! 8. [`deps`]: what `main.rs` builds once per warm instance.
//!
//! A function's `http_handler.rs` is those steps in order: call → params → fetch → answer →
//! respond.

pub mod config;
pub mod deps;
pub mod domain;
pub mod edge;
pub mod endpoints;
pub mod maths;
pub mod render;
#[cfg(feature = "testing")]
pub mod testing;
pub mod upstream;

pub use config::{Config, Settings};
pub use deps::Deps;
pub use domain::ApiError;
