//! Parsing Gate's `contract_stats`: a bare array of rows, each carrying the three cohorts as
//! long/short ratios (numbers, or strings), `time` in seconds; and classifying its answers.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::domain::{CohortSeries, Decimal, Fixed, OpenInterest, Period, Reading, Symbol};
pub use crate::upstream::wire::Classified;
use crate::upstream::wire::{amount, body_error, BodyError};

/// Rows per request at most (`limit`). Gate's documentation names 100 as the maximum; Gate's
/// own SDK, generated from its API specification, refuses more ("must be a value less than or
/// equal to `100`", gateapi-python `gate_api/api/futures_api.py`, `list_contract_stats`,
/// commit 744afea), and ccxt pages this endpoint 100 rows at a time (`ts/src/gate.ts`,
/// `fetchOpenInterestHistory`: `fetchPaginatedCallDeterministic (…, 100)`). The 2,000 some
/// clients send is the limit of Gate's candlesticks (`list_futures_candlesticks`, ≤ 2000), not
/// of this endpoint: larger requests are paged.
pub const MAX_ROWS: u16 = 100;

/// Gate's `interval` for `p`. `None` for 2h, 6h and 12h: Gate documents only `5m 15m 30m 1h 4h
/// 1d` for this endpoint and nobody has captured the others, so they are treated as unsupported
/// rather than risk a 400 or buckets of another size.
pub fn period(p: Period) -> Option<&'static str> {
    match p {
        Period::M5 => Some("5m"),
        Period::M15 => Some("15m"),
        Period::M30 => Some("30m"),
        Period::H1 => Some("1h"),
        Period::H4 => Some("4h"),
        Period::D1 => Some("1d"),
        Period::H2 | Period::H6 | Period::H12 => None,
    }
}

/// Gate's `contract` for `symbol`: `BTC_USDT` for `BTCUSDT`, `PEPE_USDT` for `1000PEPEUSDT`
/// (Gate lists cheap coins unscaled).
pub fn instrument(symbol: &Symbol) -> String {
    format!("{}_USDT", symbol.unscaled_coin())
}

/// One bucket of `contract_stats`: each cohort's reading, `None` where Gate has no data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateRow {
    /// Bucket timestamp, epoch milliseconds (Gate's seconds × 1000).
    pub timestamp: i64,
    /// `lsr_account`: every account, one vote each.
    pub all_accounts: Option<Reading>,
    /// `top_lsr_account`: top traders, one vote each.
    pub top_accounts: Option<Reading>,
    /// `top_lsr_size`: top traders weighted by position size.
    pub top_positions: Option<Reading>,
    /// Open interest in USD, to the cent. Not a [`Decimal`]: BTC's alone (2.2e9 in the capture)
    /// is beyond its ±9.2e8.
    pub open_interest_usd: Option<Fixed<2>>,
}

/// Parses a `contract_stats` body into rows sorted oldest first, one per timestamp (the first
/// served wins when a timestamp repeats). `[]` parses to no rows.
pub fn parse_contract_stats(body: &[u8]) -> Result<Vec<GateRow>, BodyError> {
    let raw: Vec<RawRow<'_>> = serde_json::from_slice(body)
        .map_err(|e| body_error(&e, "not an array of contract_stats rows"))?;
    let mut rows = raw
        .into_iter()
        .map(RawRow::into_row)
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by_key(|r| r.timestamp);
    rows.dedup_by_key(|r| r.timestamp);
    Ok(rows)
}

/// The buckets Gate has closed, each read at its close, from `rows` (sorted, as
/// [`parse_contract_stats`] returns them).
///
/// A row's `time` is its bucket's **start**, and the newest row is the bucket still open: its
/// values keep changing until after the bucket closes (a recorded bucket was rewritten about
/// 2.5 minutes after its close; upstream-venues.md). So, as with Binance's open kline:
/// `newest_served`, the newest row of a request for the most recent rows, is left out whatever
/// the clocks say (it is the bucket open at Gate's clock), and so is every row whose bucket has
/// not closed by our clock (`now_ms`, with the publication lag of
/// [`newest_visible_bucket`](crate::domain::clock::newest_visible_bucket)). A closed row holds
/// the state at its close, which is what Binance's row at that instant describes, so each kept
/// row (its readings and open interest) is labelled with its close, `time` + `period`: compare
/// like with like. Gate may still rewrite a row in the minutes after its close; that is not
/// seen here.
pub fn closed_buckets(
    rows: Vec<GateRow>,
    newest_served: Option<i64>,
    period: Period,
    now_ms: i64,
) -> Vec<GateRow> {
    let p = period.millis();
    let closed_by = crate::domain::clock::newest_visible_bucket(period, now_ms);
    rows.into_iter()
        .filter(|r| Some(r.timestamp) != newest_served && r.timestamp + p <= closed_by)
        .map(|r| r.at_close(p))
        .collect()
}

impl GateRow {
    /// The same row labelled `p` later (its bucket's close).
    fn at_close(self, p: i64) -> GateRow {
        let moved = |r: Option<Reading>| {
            r.map(|r| Reading {
                timestamp: r.timestamp + p,
                ..r
            })
        };
        GateRow {
            timestamp: self.timestamp + p,
            all_accounts: moved(self.all_accounts),
            top_accounts: moved(self.top_accounts),
            top_positions: moved(self.top_positions),
            open_interest_usd: self.open_interest_usd,
        }
    }
}

/// The three cohorts' series and the open interest from `rows` (sorted, as
/// [`parse_contract_stats`] returns them), leaving out the buckets where Gate has no data.
pub fn cohort_series(rows: &[GateRow]) -> CohortSeries {
    CohortSeries {
        retail_crowd: rows.iter().filter_map(|r| r.all_accounts).collect(),
        top_traders_by_accounts: rows.iter().filter_map(|r| r.top_accounts).collect(),
        top_traders_by_position: rows.iter().filter_map(|r| r.top_positions).collect(),
        open_interest: rows
            .iter()
            .filter_map(|r| {
                Some(OpenInterest {
                    timestamp: r.timestamp,
                    usd: r.open_interest_usd?,
                })
            })
            .collect(),
        prices: Vec::new(),
    }
}

/// What `status` and `body` mean. The label decides where Gate sent one (it is the more
/// specific), except that a 429 is always a rate limit and a 5xx a server error.
pub fn classify(status: u16, body: &[u8]) -> Classified {
    // Read as a map, not a derived struct: serde would also take an array (a success) for one.
    let error = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |name: &str| {
        let value = error.as_ref().and_then(|e| e.get(name))?;
        value.as_str().filter(|s| !s.is_empty())
    };
    match (status, field("label")) {
        (429, _) | (_, Some("TOO_MANY_REQUESTS")) => Classified::RateLimited,
        (_, Some("CONTRACT_NOT_FOUND")) => Classified::UnknownInstrument,
        (500..=599, _) => Classified::ServerError,
        (200..=299, None) => Classified::Ok,
        (_, Some(label)) => {
            let words = match field("message") {
                Some(message) => format!("{label}: {message}"),
                None => label.to_string(),
            };
            let words: String = words.chars().take(200).collect();
            Classified::BadRequest(format!("HTTP {status} {words}"))
        }
        (_, None) => Classified::BadRequest(format!("HTTP {status}")),
    }
}

#[derive(Deserialize)]
struct RawRow<'a> {
    time: Seconds,
    // Required keys (a missing one means the format changed), but `null` reads as no data.
    #[serde(borrow)]
    lsr_account: Num<'a>,
    #[serde(borrow)]
    top_lsr_account: Num<'a>,
    #[serde(borrow)]
    top_lsr_size: Num<'a>,
    // Not a cohort: a row without it is still worth serving.
    #[serde(default, borrow)]
    open_interest_usd: Num<'a>,
}

impl RawRow<'_> {
    fn into_row(self) -> Result<GateRow, BodyError> {
        let ts = self.time.0;
        let open_interest_usd = match &self.open_interest_usd.0 {
            None => None,
            Some(text) => Some(amount::<2>(text).ok_or_else(|| {
                BodyError(format!("open_interest_usd {text:?} is not an amount ≥ 0"))
            })?),
        };
        Ok(GateRow {
            timestamp: ts,
            all_accounts: reading(ts, "lsr_account", self.lsr_account)?,
            top_accounts: reading(ts, "top_lsr_account", self.top_lsr_account)?,
            top_positions: reading(ts, "top_lsr_size", self.top_lsr_size)?,
            open_interest_usd,
        })
    }
}

/// The reading a published ratio r gives: long r / (1 + r), short the rest. Gate writes 0 (and
/// we read `null` alike) when it has no figure for the bucket: that is no reading, not 0 % long.
fn reading(timestamp: i64, field: &str, ratio: Num<'_>) -> Result<Option<Reading>, BodyError> {
    let Some(text) = ratio.0 else {
        return Ok(None);
    };
    let r = Decimal::parse(&text).map_err(|e| BodyError(format!("{field}: {e}")))?;
    if r.is_zero() {
        return Ok(None);
    }
    // `None` for a negative ratio, or one too large to add 1 to.
    let long_share = Decimal::share_of_ratio(r)
        .ok_or_else(|| BodyError(format!("{field} {text:?} is not a ratio ≥ 0")))?;
    Ok(Some(Reading {
        timestamp,
        long_share,
        short_share: long_share.complement(),
        long_short_ratio: Some(r),
    }))
}

/// A number Gate sends as a JSON number (usually) or a string (as its SDK types some), kept as
/// text and parsed exactly; `None` for `null`.
#[derive(Default)]
struct Num<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Num<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal number or string, or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Num(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Num(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Num(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Num(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // Display of a finite f64 is its shortest round-trip decimal, with no exponent.
                Ok(Num(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Epoch seconds (a JSON number, or a string of digits), held as milliseconds.
struct Seconds(i64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("epoch seconds as a number or a string of digits")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|s| s.checked_mul(1000))
                    .map(Seconds)
                    .ok_or_else(|| E::custom("time out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
                if v >= 0 {
                    self.visit_u64(v as u64)
                } else {
                    Err(E::custom("negative time"))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
                if v.fract() == 0.0 && (0.0..9.0e15).contains(&v) {
                    self.visit_u64(v as u64)
                } else {
                    Err(E::custom("time is not whole seconds"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Seconds, E> {
                if v.is_empty() || v.len() > 16 || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom("time string is not epoch seconds"));
                }
                v.parse().map_err(E::custom).and_then(|s| self.visit_u64(s))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gate's documented row, verbatim.
    const CAPTURE: &str = r#"[{"time":1654335300,"lsr_taker":0.0730,"lsr_account":1.7797816801139,"top_lsr_account":1.1739130434783,"top_lsr_size":0.91006677837509,"open_interest":749773515,"open_interest_usd":2226295750.1279,"mark_price":29692.91,"long_liq_size":0,"short_liq_size":0,"long_liq_usd":0,"short_liq_usd":0,"long_liq_amount":0,"short_liq_amount":0}]"#;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    /// A row with the three ratios as given (JSON text) at `time`.
    fn row(time: u32, account: &str, top_account: &str, top_size: &str) -> String {
        format!(
            r#"{{"time":{time},"lsr_account":{account},"top_lsr_account":{top_account},"top_lsr_size":{top_size}}}"#
        )
    }

    #[test]
    fn the_captured_row_gives_each_cohorts_shares_from_its_ratio() {
        let rows = parse_contract_stats(CAPTURE.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        let r = rows[0];
        assert_eq!(r.timestamp, 1_654_335_300_000, "seconds × 1000");

        // lsr_account 1.7797816801139 → 1.7797816801 (10 decimals; the 11th digit, 1, rounds
        // down). Long = 1.7797816801 / 2.7797816801 = 0.64025951852… → 0.6402595185, since
        // 2.7797816801 × 0.6402595185 = 1.7797816800|36 and × 0.6402595186 = 1.7797816803|14:
        // the ratio lies nearer the first. Short = 1 − 0.6402595185 = 0.3597404815.
        let all = r.all_accounts.unwrap();
        assert_eq!(all.timestamp, 1_654_335_300_000);
        assert_eq!(all.long_share, d("0.6402595185"));
        assert_eq!(all.short_share, d("0.3597404815"));
        assert_eq!(all.long_short_ratio, Some(d("1.7797816801")));
        assert_eq!(all.long_share.to_percent(), Fixed(6403));

        // top_lsr_account 1.1739130434783 ≈ 27/23 → 1.1739130435 (11th digit 7 rounds up);
        // 1.1739130435 / 2.1739130435 = 0.540000000004… → 0.54; short 0.46.
        let top = r.top_accounts.unwrap();
        assert_eq!((top.long_share, top.short_share), (d("0.54"), d("0.46")));
        assert_eq!(top.long_short_ratio, Some(d("1.1739130435")));

        // top_lsr_size 0.91006677837509 → 0.9100667784 (11th digit 3 rounds down);
        // 0.9100667784 / 1.9100667784 = 0.47645809491… → 0.4764580949; short 0.5235419051.
        let pos = r.top_positions.unwrap();
        assert_eq!(pos.long_share, d("0.4764580949"));
        assert_eq!(pos.short_share, d("0.5235419051"));

        // 2226295750.1279 USD → 2226295750.13 (third decimal 7 rounds up), beyond Decimal.
        assert_eq!(r.open_interest_usd, Some(Fixed(222_629_575_013)));
    }

    #[test]
    fn numbers_sent_as_strings_read_the_same_as_numbers() {
        // Gate's JS SDK types top_lsr_account and top_lsr_size as strings.
        let body = r#"[{"time":"1654335300","lsr_account":"1.7797816801139","top_lsr_account":"1.1739130434783","top_lsr_size":"0.91006677837509","open_interest_usd":"2226295750.1279"}]"#;
        assert_eq!(
            parse_contract_stats(body.as_bytes()).unwrap(),
            parse_contract_stats(CAPTURE.as_bytes()).unwrap()
        );
    }

    #[test]
    fn newer_rows_with_head_counts_parse_and_the_counts_are_ignored() {
        let body = r#"[{"time":1789460400,"lsr_taker":1.02,"lsr_account":1.5,"top_lsr_account":3,"top_lsr_size":1,"open_interest":1,"open_interest_usd":7,"mark_price":1,"long_users":60,"short_users":40,"top_long_account":75,"top_short_account":25,"top_long_size":50,"top_short_size":50}]"#;
        let r = parse_contract_stats(body.as_bytes()).unwrap()[0];
        assert_eq!(r.all_accounts.unwrap().long_share, d("0.6"));
        assert_eq!(r.top_accounts.unwrap().long_share, d("0.75"));
        assert_eq!(r.top_positions.unwrap().long_share, d("0.5"));
        assert_eq!(r.open_interest_usd, Some(Fixed(700)));
    }

    #[test]
    fn a_zero_ratio_means_no_data_not_all_short() {
        for zero in ["0", "0.0", r#""0""#, r#""0.000""#, "null"] {
            let body = format!("[{}]", row(1, "1", zero, zero));
            let r = parse_contract_stats(body.as_bytes()).unwrap()[0];
            assert!(r.all_accounts.is_some(), "{zero}");
            assert_eq!((r.top_accounts, r.top_positions), (None, None), "{zero}");
            assert_eq!(r.open_interest_usd, None, "no open_interest_usd key");
        }
    }

    #[test]
    fn cohort_series_puts_each_ratio_in_its_cohort_and_leaves_out_the_gaps() {
        let body = format!("[{},{}]", row(60, "1", "0", "3"), row(120, "0", "1", "3"));
        let s = cohort_series(&parse_contract_stats(body.as_bytes()).unwrap());
        let ts = |v: &[Reading]| v.iter().map(|r| r.timestamp).collect::<Vec<_>>();
        assert_eq!(ts(&s.retail_crowd), [60_000]);
        assert_eq!(ts(&s.top_traders_by_accounts), [120_000]);
        assert_eq!(ts(&s.top_traders_by_position), [60_000, 120_000]);
        assert_eq!(s.retail_crowd[0].long_share, d("0.5"));
        assert_eq!(s.top_traders_by_position[1].long_share, d("0.75"));
    }

    #[test]
    fn rows_are_sorted_oldest_first_and_a_repeated_time_keeps_the_first_served() {
        let body = format!(
            "[{},{},{},{}]",
            row(3, "1", "1", "1"),
            row(3, "3", "3", "3"),
            row(1, "1", "1", "1"),
            row(2, "1", "1", "1"),
        );
        let rows = parse_contract_stats(body.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1_000, 2_000, 3_000]);
        assert_eq!(rows[2].all_accounts.unwrap().long_share, d("0.5"));
    }

    #[test]
    fn the_open_bucket_is_left_out_and_each_closed_one_is_labelled_at_its_close() {
        const H: i64 = 3_600_000;
        let body = format!(
            "[{},{},{},{}]",
            row(0, "1", "1", "1"),
            row(3600, "3", "1", "1"),
            row(7200, "1", "3", "1"),
            row(10_800, "1", "1", "3"),
        );
        let rows = parse_contract_stats(body.as_bytes()).unwrap();
        // Our clock at 03:00:06: the 03:00 bucket is open, the 02:00 one closed at 03:00.
        let kept = closed_buckets(rows.clone(), Some(3 * H), Period::H1, 3 * H + 6_000);
        let ts: Vec<i64> = kept.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [H, 2 * H, 3 * H], "labelled at each bucket's close");
        // The row that started at 01:00 (lsr_account 3: 75 % long) is read at 02:00.
        let at_two = kept[1].all_accounts.unwrap();
        assert_eq!((at_two.timestamp, at_two.long_share), (2 * H, d("0.75")));
        assert_eq!(kept[2].top_accounts.unwrap().timestamp, 3 * H);
        // The newest row served is left out even when our clock calls it closed (Gate's runs
        // ahead, or ours is late): it is the bucket open at Gate's clock.
        let kept = closed_buckets(rows.clone(), Some(3 * H), Period::H1, 9 * H);
        assert_eq!(kept.last().unwrap().timestamp, 3 * H);
        // Our clock within the publication lag of 03:00: the 02:00 bucket is not counted closed
        // yet, even with no newest row to leave out (a `from` page).
        let kept = closed_buckets(rows, None, Period::H1, 3 * H + 2_000);
        let ts: Vec<i64> = kept.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [H, 2 * H]);
    }

    #[test]
    fn an_empty_array_is_no_rows() {
        assert!(parse_contract_stats(b"[]").unwrap().is_empty());
    }

    #[test]
    fn anything_else_is_a_body_error() {
        for body in [
            "<html><body>502 Bad Gateway</body></html>",
            r#"{"label":"CONTRACT_NOT_FOUND"}"#,
            r#"{"label":"INVALID_PARAM_VALUE","message":"invalid interval"}"#,
            r#"[{"time":1,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"lsr_account":1,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1,"lsr_account":-1.5,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1,"lsr_account":"abc","top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1,"lsr_account":"NaN","top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1,"lsr_account":1e300,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1,"lsr_account":true,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":-5,"lsr_account":1,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1.5,"lsr_account":1,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":"soon","lsr_account":1,"top_lsr_account":1,"top_lsr_size":1}]"#,
            r#"[{"time":1,"lsr_account":1,"top_lsr_account":1,"top_lsr_size":1,"open_interest_usd":-3}]"#,
            r#"[{"time":1,"lsr_account":1,"top_lsr_account":1,"top_lsr_size":1,"open_interest_usd":"1e9"}]"#,
            "",
            "null",
        ] {
            assert!(parse_contract_stats(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn truncated_and_html_bodies_say_which() {
        let err = parse_contract_stats(&CAPTURE.as_bytes()[..60]).unwrap_err();
        assert!(err.0.starts_with("truncated JSON"), "{err}");
        let err = parse_contract_stats(b"<html>429 Too Many Requests</html>").unwrap_err();
        assert!(err.0.starts_with("not JSON"), "{err}");
        let err = parse_contract_stats(br#"{"label":"CONTRACT_NOT_FOUND"}"#).unwrap_err();
        assert!(err.0.starts_with("not an array"), "{err}");
    }

    #[test]
    fn every_error_form_is_classified() {
        let cases: [(u16, &str, Classified); 9] = [
            (200, CAPTURE, Classified::Ok),
            (200, "[]", Classified::Ok),
            (
                400,
                r#"{"label":"CONTRACT_NOT_FOUND"}"#,
                Classified::UnknownInstrument,
            ),
            (
                400,
                r#"{"label":"INVALID_PARAM_VALUE","message":"from is too old"}"#,
                Classified::BadRequest("HTTP 400 INVALID_PARAM_VALUE: from is too old".into()),
            ),
            (
                429,
                r#"{"label":"TOO_MANY_REQUESTS","message":"Request Rate limit Exceeded"}"#,
                Classified::RateLimited,
            ),
            (429, "<html>slow down</html>", Classified::RateLimited),
            (502, "<html>Bad Gateway</html>", Classified::ServerError),
            (
                404,
                "<html>Not Found</html>",
                Classified::BadRequest("HTTP 404".into()),
            ),
            (
                403,
                r#"{"label":"FORBIDDEN"}"#,
                Classified::BadRequest("HTTP 403 FORBIDDEN".into()),
            ),
        ];
        for (status, body, want) in cases {
            assert_eq!(classify(status, body.as_bytes()), want, "{status} {body}");
        }
        let long = format!(r#"{{"label":"X","message":"{}"}}"#, "m".repeat(500));
        let Classified::BadRequest(text) = classify(400, long.as_bytes()) else {
            panic!("a 400 is a bad request");
        };
        assert_eq!(text.len(), "HTTP 400 ".len() + 200, "Gate's words are cut");
    }

    #[test]
    fn periods_are_gates_spelling_and_unconfirmed_ones_are_unsupported() {
        let shown: Vec<_> = Period::ALL.into_iter().map(period).collect();
        assert_eq!(
            shown,
            [
                Some("5m"),
                Some("15m"),
                Some("30m"),
                Some("1h"),
                None,
                Some("4h"),
                None,
                None,
                Some("1d")
            ]
        );
    }

    #[test]
    fn the_contract_is_the_coin_and_usdt_joined_by_an_underscore() {
        assert_eq!(instrument(&Symbol::default()), "BTC_USDT");
        assert_eq!(instrument(&Symbol::from_coin("eth").unwrap()), "ETH_USDT");
        let pepe = Symbol::from_coin("1000PEPE").unwrap();
        assert_eq!(instrument(&pepe), "PEPE_USDT");
    }

    #[test]
    fn open_interest_is_read_to_the_cent_by_hand() {
        assert_eq!(amount::<2>("0"), Some(Fixed(0)));
        assert_eq!(amount::<2>("7.5"), Some(Fixed(750)));
        assert_eq!(amount::<2>("0.125"), Some(Fixed(13)));
        assert_eq!(amount::<2>("0.12499"), Some(Fixed(12)));
        assert_eq!(amount::<2>("92233720368547758.07"), Some(Fixed(i64::MAX)));
        for bad in [
            "",
            ".5",
            "-1",
            "1e9",
            "1.2.3",
            " 1",
            "92233720368547758.08",
            "92233720368547759",
        ] {
            assert_eq!(amount::<2>(bad), None, "{bad:?}");
        }
    }
}
