//! Gate v4 USDT perpetuals (base `https://api.gateio.ws`): all three cohorts come from one
//! endpoint, `GET /api/v4/futures/usdt/contract_stats?contract=BTC_USDT&interval=1h&limit=30`.
//! Only the wire format lives here so far ([`parse`]); the adapter will sit beside it.
//!
//! - **Query**: `contract` is `BASE_USDT` ([`parse::instrument`]); `interval` is one of `5m 15m
//!   30m 1h 4h 1d` ([`parse::period`]: 2h, 6h and 12h are unconfirmed, so treated as
//!   unsupported); `limit` ≤ [`parse::MAX_ROWS`] (default 30); optional `from` in **seconds**
//!   (older than 180 days → 400).
//! - **Success**: a bare JSON array, oldest first, one row per bucket, `time` in **seconds**,
//!   values as JSON numbers (Gate's own JS SDK types `top_lsr_account` / `top_lsr_size` as
//!   strings, so strings are accepted too). Each cohort is published only as a long/short ratio
//!   r (long share = r / (1 + r)): `lsr_account` (all accounts, head count), `top_lsr_account`
//!   (top traders by account), `top_lsr_size` (top traders by position). Gate does not say what
//!   "top" means. A ratio of **0 means no data**, not "all short". `open_interest_usd` is in USD.
//!   Newer rows also carry counts (`long_users`, `top_long_size`, …): ignored.
//! - **Errors**: a body `{"label":…,"message":…}`: unknown contract `400 CONTRACT_NOT_FOUND`, bad
//!   values `400 INVALID_PARAM_VALUE`, rate limit `429 TOO_MANY_REQUESTS` ([`parse::classify`]).
//! - **Rate limit**: 200 requests / 10 s per endpoint per IP.

pub mod parse;
