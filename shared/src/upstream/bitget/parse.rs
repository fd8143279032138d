//! Parsing Bitget's long/short series and open interest: a `{code, msg, data}` envelope, every
//! value a decimal string, `ts` in milliseconds; and classifying its answers.

use serde_json::Value;

use crate::domain::{Decimal, Fixed, Period, Reading, Symbol};
pub use crate::upstream::wire::Classified;
use crate::upstream::wire::{self, amount, BodyError};

/// The `code` of a success.
const SUCCESS: &str = "00000";

/// Bitget's `period` for `account-long-short` and `position-long-short`: our own spellings.
pub fn period(p: Period) -> &'static str {
    p.as_str()
}

/// Bitget's `period` for `long-short` (all accounts): as [`period`], but the day is `1Dutc`.
pub fn all_accounts_period(p: Period) -> &'static str {
    match p {
        Period::D1 => "1Dutc",
        p => period(p),
    }
}

/// The first bucket in `readings` that does not start on the UTC grid of `period` (a multiple
/// of its length since the epoch, as every other venue's buckets do). Bitget documents no UTC
/// spelling of `1d` on `account-long-short` and `position-long-short`
/// (https://www.bitget.com/api-doc/common/apidata/Account-Long-Short: "5m 15m 30m 1h 2h 4h 6h
/// 12h 1d"), while its plain day elsewhere opens at midnight UTC+8 beside an explicit `1Dutc`
/// (candles: "day in UTC: 1Dutc, 3Dutc"), as OKX's `1D` does beside `1Dutc`: those buckets
/// would start at 16:00 UTC. Checked on what Bitget sends rather than assumed.
pub fn off_the_utc_grid(readings: &[Reading], period: Period) -> Option<i64> {
    readings
        .iter()
        .map(|r| r.timestamp)
        .find(|ts| ts.rem_euclid(period.millis()) != 0)
}

/// Why a series off the UTC grid (its bucket at `ts` on `path`) is left out.
pub fn misaligned(period: Period, path: &str, ts: i64) -> String {
    let of_day = ts.rem_euclid(86_400_000);
    format!(
        "Bitget's {period} buckets on {path} start at {:02}:{:02} UTC (e.g. {}), not on the UTC \
         grid the other venues' {period} buckets share (a day from 00:00 UTC): Bitget is left \
         out rather than mixed in; ask for another period",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        crate::domain::clock::iso8601_millis(ts)
    )
}

/// Bitget's `symbol` for `symbol`: the same, `BTCUSDT`, but unscaled: `PEPEUSDT` for
/// `1000PEPEUSDT` (Bitget lists PEPE unscaled; unconfirmed for every scaled coin).
pub fn instrument(symbol: &Symbol) -> String {
    format!("{}USDT", symbol.unscaled_coin())
}

/// `long-short` (all accounts) into readings sorted oldest first, one per timestamp.
pub fn parse_long_short(body: &[u8]) -> Result<Vec<Reading>, BodyError> {
    parse_shares(body, LONG_SHORT)
}

/// `account-long-short` (large holders, one vote each), as [`parse_long_short`].
pub fn parse_account_long_short(body: &[u8]) -> Result<Vec<Reading>, BodyError> {
    parse_shares(body, ACCOUNT_LONG_SHORT)
}

/// `position-long-short` (large holders by position), as [`parse_long_short`].
pub fn parse_position_long_short(body: &[u8]) -> Result<Vec<Reading>, BodyError> {
    parse_shares(body, POSITION_LONG_SHORT)
}

/// The current open interest of one symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterest {
    /// When Bitget read it, epoch milliseconds.
    pub timestamp: i64,
    /// Both sides' size in the base coin, to 4 decimals. Not a [`Decimal`]: meme coins' counts
    /// (PEPE's run to 1e13) are beyond its ±9.2e8; this holds up to 9.2e14.
    pub base: Fixed<4>,
}

/// `open-interest`: its one entry's `size` and the `ts` beside the list.
pub fn parse_open_interest(body: &[u8]) -> Result<OpenInterest, BodyError> {
    let data = open(body)?;
    let Some(Value::Array(list)) = data.get("openInterestList") else {
        return Err(BodyError("data has no openInterestList array".into()));
    };
    let [entry] = list.as_slice() else {
        return Err(BodyError(format!(
            "openInterestList has {} entries, not one",
            list.len()
        )));
    };
    let size = text(entry, "size")?;
    let base = amount::<4>(size)
        .ok_or_else(|| BodyError(format!("size {size:?} is not an amount ≥ 0")))?;
    Ok(OpenInterest {
        timestamp: timestamp(&data)?,
        base,
    })
}

/// What `status` and `body` mean: a 429, or a body `code` "429" under any status, is a rate
/// limit; otherwise the code decides where Bitget sent one, then the status.
pub fn classify(status: u16, body: &[u8]) -> Classified {
    let envelope = serde_json::from_slice::<Value>(body).ok();
    let field = |name: &str| envelope.as_ref().and_then(|e| e.get(name)).map(plain);
    let code = field("code");
    match (status, code.as_deref()) {
        // A body `code` of "429" is a rate limit whatever the HTTP status (upstream-venues.md).
        (429, _) | (_, Some("429")) => Classified::RateLimited,
        (_, Some("40034")) => Classified::UnknownInstrument,
        (_, Some("40054")) | (500..=599, _) => Classified::ServerError,
        (200..=299, Some(SUCCESS) | None) => Classified::Ok,
        (_, Some(code)) => {
            let words = format!("{code}: {}", field("msg").unwrap_or_default());
            let words: String = words.chars().take(200).collect();
            Classified::BadRequest(format!("HTTP {status} {words}"))
        }
        (_, None) => Classified::BadRequest(format!("HTTP {status}")),
    }
}

/// Where one endpoint's rows keep the long and short shares.
struct Fields {
    long: &'static str,
    short: &'static str,
}

const LONG_SHORT: Fields = Fields {
    long: "longRatio",
    short: "shortRatio",
};
const ACCOUNT_LONG_SHORT: Fields = Fields {
    long: "longAccountRatio",
    short: "shortAccountRatio",
};
const POSITION_LONG_SHORT: Fields = Fields {
    long: "longPositionRatio",
    short: "shortPositionRatio",
};

/// The one implementation behind the three series: rows sorted oldest first, one per timestamp
/// (the first served wins when a timestamp repeats); `[]` parses to an empty series.
fn parse_shares(body: &[u8], fields: Fields) -> Result<Vec<Reading>, BodyError> {
    let Value::Array(rows) = open(body)? else {
        return Err(BodyError("data is not an array of rows".into()));
    };
    let mut readings = rows
        .iter()
        .map(|row| reading(row, &fields))
        .collect::<Result<Vec<_>, _>>()?;
    readings.sort_by_key(|r| r.timestamp);
    readings.dedup_by_key(|r| r.timestamp);
    Ok(readings)
}

/// One row's reading from its two shares. The `longShort*Ratio` beside them is (long / short)
/// / 100, truncated to 4 decimals: never read; the ratio is computed from the shares.
fn reading(row: &Value, fields: &Fields) -> Result<Reading, BodyError> {
    let long_share = share(row, fields.long)?;
    let short_share = share(row, fields.short)?;
    Ok(Reading {
        timestamp: timestamp(row)?,
        long_share,
        short_share,
        // `None` when nobody is short (the ratio is infinite) or the ratio is beyond ±9.2e8.
        long_short_ratio: long_share.checked_div(short_share),
    })
}

fn share(row: &Value, field: &str) -> Result<Decimal, BodyError> {
    wire::share(field, text(row, field)?)
}

/// `ts`: epoch milliseconds as a string of digits.
fn timestamp(object: &Value) -> Result<i64, BodyError> {
    let ts = text(object, "ts")?;
    if ts.is_empty() || ts.len() > 16 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BodyError(format!("ts {ts:?} is not epoch milliseconds")));
    }
    ts.parse().map_err(|e| BodyError(format!("ts {ts:?}: {e}")))
}

/// A field Bitget sends as a string. A JSON number there would be a change of format: refused
/// rather than read through `f64`.
fn text<'a>(object: &'a Value, field: &str) -> Result<&'a str, BodyError> {
    match object.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(BodyError(format!("{field} is not a string"))),
        None => Err(BodyError(format!("no {field}"))),
    }
}

/// The `data` of a success. A `code` other than `00000` is an error; an envelope without one is
/// read as a success (nothing says otherwise, and the open-interest capture shows none).
fn open(body: &[u8]) -> Result<Value, BodyError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "not JSON",
        };
        BodyError(format!("{what} ({e})"))
    })?;
    // Read as a map, not a derived struct: serde would also take an array for one.
    let Value::Object(mut envelope) = value else {
        return Err(BodyError("not a Bitget envelope (an object)".into()));
    };
    match envelope.get("code").map(plain) {
        Some(code) if code != SUCCESS => {
            let msg = envelope.get("msg").map(plain).unwrap_or_default();
            let msg: String = msg.chars().take(200).collect();
            Err(BodyError(format!("error {code}: {msg}")))
        }
        _ => Ok(envelope.remove("data").unwrap_or(Value::Null)),
    }
}

/// A string's text without quotes; anything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bitget's `account-long-short` answer, verbatim.
    const CAPTURE: &str = r#"{"code":"00000","msg":"success","requestTime":1758612172170,"data":[{"longAccountRatio":"0.7724","shortAccountRatio":"0.2276","longShortAccountRatio":"0.0339","ts":"1758603000000"}]}"#;

    /// The documented open-interest `data` in the envelope every Bitget answer carries (the
    /// capture elides `ts`; here it is the request's time).
    const OPEN_INTEREST: &str = r#"{"code":"00000","msg":"success","requestTime":1758612172170,"data":{"openInterestList":[{"symbol":"BTCUSDT","size":"34278.06"}],"ts":"1758612172170"}}"#;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    /// A success whose rows are `rows` (JSON objects).
    fn success(rows: &[String]) -> String {
        format!(
            r#"{{"code":"00000","msg":"success","requestTime":1,"data":[{}]}}"#,
            rows.join(",")
        )
    }

    fn account_row(ts: u64, long: &str, short: &str) -> String {
        format!(
            r#"{{"longAccountRatio":"{long}","shortAccountRatio":"{short}","longShortAccountRatio":"0.01","ts":"{ts}"}}"#
        )
    }

    #[test]
    fn the_symbol_is_ours_unscaled() {
        assert_eq!(instrument(&Symbol::default()), "BTCUSDT");
        let pepe = Symbol::from_coin("1000PEPE").unwrap();
        assert_eq!(instrument(&pepe), "PEPEUSDT");
    }

    #[test]
    fn the_captured_body_gives_its_shares_and_the_ratio_of_the_shares() {
        let rows = parse_account_long_short(CAPTURE.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        let r = rows[0];
        assert_eq!(r.timestamp, 1_758_603_000_000);
        assert_eq!(r.long_share, d("0.7724"));
        assert_eq!(r.short_share, d("0.2276"));
        // 0.7724 / 0.2276 = 1931 / 569 = 3.39367311072… → 3.3936731107, since
        // 0.2276 × 3.3936731107 = 0.77239999999532 and × 3.3936731108 = 0.77240000001808: 0.7724
        // lies nearer the first. Not the body's longShortAccountRatio "0.0339" (= 3.39… / 100).
        assert_eq!(r.long_short_ratio, Some(d("3.3936731107")));
        assert_eq!(r.long_short_ratio.unwrap().to_ratio(), Fixed(33937));
    }

    #[test]
    fn the_long_short_ratio_field_is_never_read_whatever_it_says() {
        let want = parse_account_long_short(CAPTURE.as_bytes()).unwrap();
        for field in [
            r#""3.3936""#,
            r#""0.0339""#,
            r#""250""#,
            r#""garbage""#,
            "null",
        ] {
            let body = CAPTURE.replace(r#""0.0339""#, field);
            assert_eq!(
                parse_account_long_short(body.as_bytes()).unwrap(),
                want,
                "{field}"
            );
        }
        let without = CAPTURE.replace(r#""longShortAccountRatio":"0.0339","#, "");
        assert_eq!(parse_account_long_short(without.as_bytes()).unwrap(), want);
    }

    #[test]
    fn each_endpoint_reads_its_own_field_names() {
        let position = success(&[
            r#"{"longPositionRatio":"0.6","shortPositionRatio":"0.4","longShortPositionRatio":"0.015","ts":"1"}"#.into(),
        ]);
        let r = parse_position_long_short(position.as_bytes()).unwrap()[0];
        assert_eq!(
            (r.long_share, r.short_share, r.long_short_ratio),
            (d("0.6"), d("0.4"), Some(d("1.5")))
        );
        let all = success(&[
            r#"{"longRatio":"0.25","shortRatio":"0.75","longShortRatio":"0.0033","ts":"1"}"#.into(),
        ]);
        let r = parse_long_short(all.as_bytes()).unwrap()[0];
        assert_eq!(r.long_short_ratio, Some(d("0.3333333333")));
        // Another endpoint's rows are not this one's.
        assert!(parse_position_long_short(CAPTURE.as_bytes()).is_err());
        assert!(parse_long_short(CAPTURE.as_bytes()).is_err());
        assert!(parse_account_long_short(all.as_bytes()).is_err());
    }

    #[test]
    fn a_zero_short_share_gives_no_ratio_instead_of_an_error() {
        let body = success(&[account_row(1, "1.0000", "0.0000")]);
        let r = parse_account_long_short(body.as_bytes()).unwrap()[0];
        assert_eq!((r.long_share, r.long_short_ratio), (Decimal::ONE, None));
    }

    #[test]
    fn rows_are_sorted_oldest_first_and_a_repeated_ts_keeps_the_first_served() {
        let body = success(&[
            account_row(3, "0.6", "0.4"),
            account_row(3, "0.7", "0.3"),
            account_row(1, "0.5", "0.5"),
            account_row(2, "0.55", "0.45"),
        ]);
        let rows = parse_account_long_short(body.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1, 2, 3]);
        assert_eq!(rows[2].long_share, d("0.6"), "first served wins");
    }

    #[test]
    fn an_empty_data_array_is_an_empty_series() {
        assert!(parse_long_short(success(&[]).as_bytes())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn values_must_be_strings_as_bitget_sends_them() {
        for body in [
            CAPTURE.replace(r#""0.7724""#, "0.7724"),
            CAPTURE.replace(r#""1758603000000""#, "1758603000000"),
        ] {
            let err = parse_account_long_short(body.as_bytes()).unwrap_err();
            assert!(err.0.contains("not a string"), "{err}");
        }
    }

    #[test]
    fn error_envelopes_and_anything_else_are_body_errors() {
        for body in [
            r#"{"code":"40034","msg":"Parameter NOPEUSDT does not exist","requestTime":1758612172170,"data":null}"#.to_string(),
            r#"{"code":"40054","msg":"The data fetched by BTCUSDT is empty","requestTime":1758612172170,"data":null}"#.into(),
            r#"{"code":"00000","msg":"success","requestTime":1,"data":null}"#.into(),
            r#"{"code":"00000","msg":"success","requestTime":1,"data":{}}"#.into(),
            "<html><body>403 Forbidden</body></html>".into(),
            r#"[{"longAccountRatio":"0.7724","shortAccountRatio":"0.2276","ts":"1"}]"#.into(),
            success(&[account_row(1, "abc", "0.3")]),
            success(&[account_row(1, "NaN", "0.3")]),
            success(&[account_row(1, "1.7", "0.3")]),
            success(&[account_row(1, "-0.1", "0.3")]),
            success(&[r#"{"longAccountRatio":"0.7","shortAccountRatio":"0.3"}"#.into()]),
            success(&[r#"{"longAccountRatio":"0.7","shortAccountRatio":"0.3","ts":"-5"}"#.into()]),
            success(&[r#"{"longAccountRatio":"0.7","shortAccountRatio":"0.3","ts":"soon"}"#.into()]),
            success(&[r#"{"shortAccountRatio":"0.3","ts":"1"}"#.into()]),
            success(&[r#"["0.7","0.3","1"]"#.into()]),
            String::new(),
            "null".into(),
        ] {
            assert!(parse_account_long_short(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn truncated_html_and_error_bodies_say_which() {
        let err = parse_account_long_short(&CAPTURE.as_bytes()[..60]).unwrap_err();
        assert!(err.0.starts_with("truncated JSON"), "{err}");
        let err = parse_account_long_short(b"<html>Too Many Requests</html>").unwrap_err();
        assert!(err.0.starts_with("not JSON"), "{err}");
        let err = parse_account_long_short(b"[]").unwrap_err();
        assert!(err.0.starts_with("not a Bitget envelope"), "{err}");
        let err = parse_account_long_short(b"").unwrap_err();
        assert!(err.0.starts_with("truncated JSON"), "{err}");
        let err = parse_account_long_short(
            br#"{"code":"40034","msg":"Parameter NOPEUSDT does not exist","requestTime":1,"data":null}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.0, "error 40034: Parameter NOPEUSDT does not exist",
            "{err}"
        );
    }

    #[test]
    fn open_interest_is_the_one_entrys_size_in_the_base_coin() {
        let oi = parse_open_interest(OPEN_INTEREST.as_bytes()).unwrap();
        assert_eq!(oi.timestamp, 1_758_612_172_170);
        assert_eq!(oi.base, Fixed(342_780_600), "34278.06 to 4 decimals");
        // A meme coin's count, beyond Decimal: read exactly.
        let pepe = OPEN_INTEREST.replace("34278.06", "12345678901234.56789");
        assert_eq!(
            parse_open_interest(pepe.as_bytes()).unwrap().base,
            Fixed(123_456_789_012_345_679)
        );
    }

    #[test]
    fn open_interest_without_exactly_one_readable_entry_is_a_body_error() {
        let entry = r#"{"symbol":"BTCUSDT","size":"34278.06"}"#;
        for body in [
            OPEN_INTEREST.replace(entry, ""),
            OPEN_INTEREST.replace(entry, &format!("{entry},{entry}")),
            OPEN_INTEREST.replace(r#""34278.06""#, "34278.06"),
            OPEN_INTEREST.replace(r#""34278.06""#, r#""-1""#),
            OPEN_INTEREST.replace(r#""34278.06""#, r#""1e9""#),
            OPEN_INTEREST.replace(r#","ts":"1758612172170""#, ""),
            OPEN_INTEREST.replace("openInterestList", "list"),
            r#"{"code":"40034","msg":"Parameter NOPEUSDT does not exist","requestTime":1,"data":null}"#.into(),
            CAPTURE.into(),
        ] {
            assert!(parse_open_interest(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn every_error_form_is_classified() {
        let unknown = r#"{"code":"40034","msg":"Parameter NOPEUSDT does not exist","requestTime":1758612172170,"data":null}"#;
        let empty = r#"{"code":"40054","msg":"The data fetched by BTCUSDT is empty","requestTime":1758612172170,"data":null}"#;
        let other = r#"{"code":"40019","msg":"Parameter period cannot be empty","requestTime":1,"data":null}"#;
        let cases: [(u16, &str, Classified); 10] = [
            (200, CAPTURE, Classified::Ok),
            (400, unknown, Classified::UnknownInstrument),
            (400, empty, Classified::ServerError),
            (200, empty, Classified::ServerError),
            (
                429,
                r#"{"code":"429","msg":"Too Many Requests","requestTime":1,"data":null}"#,
                Classified::RateLimited,
            ),
            (429, "<html>slow down</html>", Classified::RateLimited),
            (
                503,
                "<html>Service Unavailable</html>",
                Classified::ServerError,
            ),
            (
                400,
                other,
                Classified::BadRequest("HTTP 400 40019: Parameter period cannot be empty".into()),
            ),
            (
                200,
                other,
                Classified::BadRequest("HTTP 200 40019: Parameter period cannot be empty".into()),
            ),
            (
                404,
                "<html>Not Found</html>",
                Classified::BadRequest("HTTP 404".into()),
            ),
        ];
        for (status, body, want) in cases {
            assert_eq!(classify(status, body.as_bytes()), want, "{status} {body}");
        }
        assert_eq!(
            classify(400, br#"{"code":40034,"msg":"numeric code"}"#),
            Classified::UnknownInstrument,
            "a numeric code reads the same"
        );
    }

    #[test]
    fn buckets_off_the_utc_grid_are_found_and_named() {
        const H: i64 = 3_600_000;
        let at = |timestamp: i64| Reading {
            timestamp,
            long_share: Decimal::ONE,
            short_share: Decimal::ZERO,
            long_short_ratio: None,
        };
        // 2026-08-01 16:00 UTC: midnight UTC+8.
        let day = 1_785_628_800_000 - 8 * H;
        let days = [at(day - 24 * H), at(day)];
        assert_eq!(off_the_utc_grid(&days, Period::D1), Some(day - 24 * H));
        assert_eq!(
            off_the_utc_grid(&days, Period::H4),
            None,
            "16:00 is on the 4h grid"
        );
        assert_eq!(off_the_utc_grid(&days, Period::H12), Some(day - 24 * H));
        assert_eq!(off_the_utc_grid(&[at(day + 8 * H)], Period::D1), None);
        assert_eq!(off_the_utc_grid(&[], Period::D1), None);
        let said = misaligned(Period::D1, "/api/v2/mix/market/position-long-short", day);
        assert!(
            said.starts_with("Bitget's 1d buckets on /api/v2/mix/market/position-long-short start at 16:00 UTC (e.g. 2026-08-01T16:00:00.000Z)"),
            "{said}"
        );
    }

    #[test]
    fn a_body_code_429_is_a_rate_limit_whatever_the_status() {
        let limited = r#"{"code":"429","msg":"Too Many Requests","requestTime":1,"data":null}"#;
        for status in [200, 400, 403, 429, 500] {
            assert_eq!(
                classify(status, limited.as_bytes()),
                Classified::RateLimited,
                "{status}"
            );
        }
        assert_eq!(
            classify(200, br#"{"code":429,"msg":"numeric"}"#),
            Classified::RateLimited
        );
    }

    #[test]
    fn periods_are_bitgets_spelling_and_long_short_spells_the_day_1dutc() {
        for p in Period::ALL {
            assert_eq!(period(p), p.as_str(), "the same spelling as ours");
            let want = if p == Period::D1 { "1Dutc" } else { p.as_str() };
            assert_eq!(all_accounts_period(p), want);
        }
    }

    #[test]
    fn the_symbol_is_sent_as_it_is() {
        assert_eq!(instrument(&Symbol::default()), "BTCUSDT");
        assert_eq!(instrument(&Symbol::from_coin("eth").unwrap()), "ETHUSDT");
    }

    #[test]
    fn amounts_are_read_to_four_decimals_by_hand() {
        assert_eq!(amount::<4>("34278.06"), Some(Fixed(342_780_600)));
        assert_eq!(amount::<4>("0.00005"), Some(Fixed(1)));
        assert_eq!(amount::<4>("0.00004999"), Some(Fixed(0)));
        assert_eq!(amount::<4>("7"), Some(Fixed(70_000)));
        assert_eq!(amount::<4>("922337203685477.5807"), Some(Fixed(i64::MAX)));
        for bad in ["", ".5", "-1", "1e9", "1.2.3", " 1", "922337203685477.5808"] {
            assert_eq!(amount::<4>(bad), None, "{bad:?}");
        }
    }
}
