//! Bitget v2 USDT-M futures (base `https://api.bitget.com`): one endpoint per cohort under
//! `/api/v2/mix/market/`, each `?symbol=BTCUSDT&period=1h`. Only the wire format lives here so
//! far ([`parse`]); the adapter will sit beside it.
//!
//! - **Cohorts**: `long-short` (all accounts, probably every user: unconfirmed),
//!   `account-long-short` (Bitget's "large holders", one vote each), `position-long-short`
//!   (the same, weighted by position). Bitget does not say what "large" means.
//! - **Query**: `symbol` is the symbol itself ([`parse::instrument`]); `period` one of `5m 15m 30m
//!   1h 2h 4h 6h 12h 1d`, except that `long-short` spells the day `1Dutc`
//!   ([`parse::period`], [`parse::all_accounts_period`]). **No `limit`, no start or end**: the
//!   row count is whatever Bitget gives (unconfirmed how many).
//! - **Success**: `{"code":"00000","msg":"success","requestTime":…,"data":[…]}`, rows oldest
//!   first, every value a **string**, `ts` in milliseconds. Each row carries the long and short
//!   shares and a `longShort*Ratio` that is (long / short) / 100, truncated: never read; the
//!   ratio is computed from the shares.
//! - **Open interest**: only a current snapshot, in the base coin:
//!   `GET /api/v2/mix/market/open-interest?symbol=BTCUSDT&productType=USDT-FUTURES`
//!   ([`parse::parse_open_interest`]).
//! - **Errors** ([`parse::classify`]): `400 {"code":"40034","msg":"Parameter … does not exist"}`
//!   for an unknown symbol (seen on sibling endpoints); `40054 "The data fetched by … is empty"`
//!   happens intermittently (retried); rate limit → 429.
//! - **Rate limit**: 1 request per second per IP per endpoint.

pub mod parse;
