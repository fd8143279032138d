//! Bybit v5 linear perpetuals: the all-accounts long/short series and open interest. Bybit
//! publishes no top-trader series (`/v5/market/top-trader-ratio` is a 404), so its two top-trader
//! cohorts are empty. For now this folder holds the wire format ([`parse`]); the client joins it
//! when Bybit is wired in as a [`super::PositioningSource`]. What Bybit serves, from its
//! documentation, ccxt's source and published captures (no machine here reaches Bybit):
//!
//! - **Paths** (base `https://api.bybit.com`): `/v5/market/account-ratio` (all accounts) and
//!   `/v5/market/open-interest`, each with `category=linear&symbol=BTCUSDT`
//!   ([`parse::instrument`]).
//! - **Query**: `period` (account ratio) / `intervalTime` (open interest) spelled `5min 15min
//!   30min 1h 4h 1d` ([`parse::period`]; 2h, 6h and 12h are not published), `limit` 1 to
//!   [`parse::MAX_ROWS`] (open interest: [`parse::MAX_OPEN_INTEREST_ROWS`]), optional
//!   `startTime` / `endTime` (ms) and `cursor`.
//! - **Rows**: objects whose every value is a string, `timestamp` included, newest first.
//!   `buyRatio` / `sellRatio` are the long / short shares of all holders. Open interest rows are
//!   `{openInterest, singleOpenInterest, timestamp}` in the base coin; `openInterest` is
//!   documented as counting both sides, `singleOpenInterest` one.
//! - **Errors** ([`parse::classify`]): HTTP 200 with `retCode` ≠ 0, e.g. an unknown symbol is
//!   `{"retCode":10001,"retMsg":"params error: symbol invalid","result":{},…}`. A wrong period
//!   spelling may give an error or an empty list (unconfirmed): we only send Bybit's own
//!   spellings. The IP rate limit is a bare **HTTP 403** "access too frequent" that asks for at
//!   least ten minutes of quiet; a US address gets a 403 too.
//! - **Rate limit**: 600 requests per 5 s per IP.

pub mod parse;

/// How long to stay quiet after a 403: Bybit lifts its IP limit after ten minutes at the
/// earliest.
pub const DEFAULT_RETRY_AFTER_403_SECS: u64 = 600;
