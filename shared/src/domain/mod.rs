//! Values only, no I/O: what an instrument, a period, a cohort, a reading and an error are, and
//! exact decimals. Everything else in the crate is built from these.

pub mod clock;
pub mod cohort;
pub mod decimal;
pub mod error;
pub mod names;
pub mod period;
pub mod route;
pub mod series;
pub mod symbol;
pub mod venue;
pub mod wallet;

pub use cohort::Cohort;
pub use decimal::{Decimal, Fixed, Pct, Ratio};
pub use error::ApiError;
pub use period::Period;
pub use series::{CohortSeries, OpenInterest, Price, Reading, PRICE_ROWS_BEYOND};
pub use symbol::{CoinList, Symbol};
pub use venue::Venue;
