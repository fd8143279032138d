//! Pure functions on exact decimals, no I/O: the divergence at a bucket, the history join,
//! statistics, the signal's sections and the screener's ranking.

pub mod aggregate;
pub mod divergence;
pub mod history;
pub mod screener;
pub mod signal;
pub mod stats;
pub mod track_record;
pub mod wallets;
