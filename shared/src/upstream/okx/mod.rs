//! OKX USDT perpetual swaps: the three cohorts' long/short ratios and open interest from OKX's
//! trading statistics. For now this folder holds the wire format ([`parse`]); the client joins it
//! when OKX is wired in as a [`super::PositioningSource`]. What OKX serves, from its
//! documentation, ccxt's source and published captures (no machine here reaches OKX):
//!
//! - **Paths** (base `https://www.okx.com`), under `/api/v5/rubik/stat/contracts/`:
//!   `long-short-account-ratio-contract` (all accounts), `long-short-account-ratio-contract-top-trader`
//!   (top traders by account), `long-short-position-ratio-contract-top-trader` (top traders by
//!   position), `open-interest-history`. OKX's "top" is the top 5% by open-position value
//!   (Binance's is the top 20% by margin balance): gaps are not comparable across venues.
//! - **Query**: `instId` ([`parse::instrument`]: `BTC-USDT-SWAP`, no `1000` prefixes), `period`
//!   ([`parse::period`]: upper-case, `utc` buckets from 6h up; lower-case is refused), `begin` /
//!   `end` (ms, both exclusive), `limit` ≤ [`parse::MAX_ROWS`]. To page backwards send
//!   `end = the oldest timestamp received`. About the latest 1,440 rows per period exist.
//! - **Rows**: `[ts, ratio]` arrays of strings, newest first, ratios unrounded; only the ratio r is
//!   published, so the long share is r / (1 + r). Values may repeat for several rows: that is
//!   data, not a duplicate. Open interest rows are `[ts, oi, oiCcy, oiUsd]` (contracts, base
//!   coin, USD).
//! - **Errors** ([`parse::classify`]): any `code` but "0" is an error. Bad period
//!   `400 {"code":"51000","msg":"Parameter period error","data":[]}`; unknown instrument
//!   probably `200 {"code":"51001",…}` (unconfirmed on these paths); rate limit
//!   `429 {"msg":"Too Many Requests","code":"50011"}`; a window with no data is `200` with
//!   `"data":[]`, an empty series.
//! - **Rate limit**: 5 requests per 2 s per IP **and instrument** (open interest: 10 per 2 s).

pub mod parse;

/// How long to stay quiet after a 429 that carries no usable Retry-After: OKX's window.
pub const DEFAULT_RETRY_AFTER_429_SECS: u64 = 2;
