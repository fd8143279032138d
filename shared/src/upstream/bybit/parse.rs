//! Parsing Bybit v5 market data: an envelope `{"retCode","retMsg","result":{"list":[…]}}` whose
//! rows are objects of strings, newest first; Bybit's spellings of a period and an instrument;
//! and what a status and body mean ([`classify`]).

use serde::Deserialize;

use crate::domain::{Fixed, Period, Reading, Symbol};
use crate::upstream::wire::{amount, body_error, epoch_millis, share, NumText};
pub use crate::upstream::wire::{BodyError, Classified};

/// Rows per account-ratio request at most (`limit`).
pub const MAX_ROWS: u16 = 500;
/// Rows per open-interest request at most (`limit`).
pub const MAX_OPEN_INTEREST_ROWS: u16 = 200;

/// Bybit's spelling of `p`, or `None` when Bybit does not publish that period (2h, 6h, 12h):
/// never ask with a guessed spelling, since Bybit may answer that with an empty list rather
/// than an error.
pub fn period(p: Period) -> Option<&'static str> {
    match p {
        Period::M5 => Some("5min"),
        Period::M15 => Some("15min"),
        Period::M30 => Some("30min"),
        Period::H1 => Some("1h"),
        Period::H4 => Some("4h"),
        Period::D1 => Some("1d"),
        Period::H2 | Period::H6 | Period::H12 => None,
    }
}

/// Bybit's linear perpetual for `symbol`: the symbol itself (`BTCUSDT`).
pub fn instrument(symbol: &Symbol) -> String {
    symbol.as_str().to_string()
}

/// Parses the all-accounts series (`/v5/market/account-ratio`) into readings sorted oldest first,
/// one per timestamp (the first served wins when a timestamp repeats). `buyRatio` and
/// `sellRatio` are the long and short shares of all holders; the ratio is their quotient, `None`
/// when nobody is short. An empty list is an empty series.
pub fn parse_account_ratio(body: &[u8]) -> Result<Vec<Reading>, BodyError> {
    let mut readings = listed::<RatioRow<'_>>(body)?
        .into_iter()
        .map(RatioRow::into_reading)
        .collect::<Result<Vec<_>, _>>()?;
    readings.sort_by_key(|r| r.timestamp);
    readings.dedup_by_key(|r| r.timestamp);
    Ok(readings)
}

/// One bucket of open interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterestRow {
    /// Bucket timestamp, epoch milliseconds.
    pub timestamp: i64,
    /// `openInterest` in the base coin to 4 decimals, as Bybit publishes it: Bybit documents it
    /// as counting both sides (`singleOpenInterest`, one side, is not read). Not a [`Decimal`]:
    /// a cheap coin's open interest runs to billions of coins, beyond its ±9.2e8.
    pub coins: Fixed<4>,
}

/// Parses an open-interest series (`/v5/market/open-interest`, rows `{openInterest, timestamp}`)
/// into rows sorted oldest first, one per timestamp (the first served wins).
pub fn parse_open_interest(body: &[u8]) -> Result<Vec<OpenInterestRow>, BodyError> {
    let mut rows = listed::<OpenInterestRaw<'_>>(body)?
        .into_iter()
        .map(OpenInterestRaw::into_row)
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by_key(|r| r.timestamp);
    rows.dedup_by_key(|r| r.timestamp);
    Ok(rows)
}

/// What `status` and `body` mean. Bybit's errors arrive as HTTP 200 with a `retCode`, except its
/// IP rate limit, a bare 403 ("access too frequent"); its API rate limit is `retCode` 10006.
pub fn classify(status: u16, body: &[u8]) -> Classified {
    let head = serde_json::from_slice::<Head<'_>>(body)
        .ok()
        .and_then(|h| Some((h.code()?, h.ret_msg.unwrap_or_default())));
    match (status, head) {
        // A 403 from a US address (Bybit serves none) looks the same: nothing in it tells the
        // two apart, and waiting is what both call for from a client's side. 429 is not in the
        // notes; it means the same everywhere.
        (403 | 429, _) => Classified::RateLimited,
        // Bybit's API rate limit: "If you receive "retCode": 10006, "retMsg": "Too many
        // visits!" in the JSON response, you have hit the API rate limit"
        // (https://bybit-exchange.github.io/docs/v5/rate-limit), with HTTP 200.
        (_, Some((10006, _))) => Classified::RateLimited,
        (500..=599, _) => Classified::ServerError,
        // 10001 is every parameter error; the symbol's names it ("params error: symbol
        // invalid"). Our period spellings are Bybit's own, so another 10001 is a bug to see.
        (_, Some((10001, msg))) if msg.to_ascii_lowercase().contains("symbol") => {
            Classified::UnknownInstrument
        }
        (_, Some((code, msg))) if code != 0 => {
            Classified::BadRequest(format!("Bybit error {code}: {msg}"))
        }
        (200..=299, _) => Classified::Ok,
        _ => Classified::BadRequest(format!("Bybit answered HTTP {status}")),
    }
}

/// The envelope's error part, read first: an error's `result` is `{}`.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "retCode", borrow)]
    ret_code: NumText<'a>,
    #[serde(rename = "retMsg", default)]
    ret_msg: Option<String>,
}

impl Head<'_> {
    fn code(&self) -> Option<i64> {
        self.ret_code.0.parse().ok()
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    result: List<T>,
}

#[derive(Deserialize)]
struct List<T> {
    list: Vec<T>,
}

/// The rows of a `retCode` 0 envelope; any other code is [`BodyError::from_venue`].
fn listed<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<Vec<T>, BodyError> {
    let head: Head<'_> =
        serde_json::from_slice(body).map_err(|e| body_error(&e, "not a Bybit envelope"))?;
    let code = head.code().ok_or_else(|| {
        BodyError(format!(
            "retCode {:?} is not an integer",
            head.ret_code.0.as_ref()
        ))
    })?;
    if code != 0 {
        return Err(BodyError::from_venue(
            "Bybit",
            &code.to_string(),
            &head.ret_msg.unwrap_or_default(),
        ));
    }
    let Envelope {
        result: List { list },
    } = serde_json::from_slice(body).map_err(|e| body_error(&e, "no list of rows in result"))?;
    Ok(list)
}

/// `{"symbol","buyRatio","sellRatio","timestamp"}`; `symbol` is not read.
#[derive(Deserialize)]
struct RatioRow<'a> {
    #[serde(rename = "buyRatio", borrow)]
    buy_ratio: NumText<'a>,
    #[serde(rename = "sellRatio", borrow)]
    sell_ratio: NumText<'a>,
    #[serde(borrow)]
    timestamp: NumText<'a>,
}

impl RatioRow<'_> {
    fn into_reading(self) -> Result<Reading, BodyError> {
        let long_share = share("buyRatio", &self.buy_ratio.0)?;
        let short_share = share("sellRatio", &self.sell_ratio.0)?;
        // With no shorts the ratio is infinite: served as null.
        let long_short_ratio = if short_share.is_zero() {
            None
        } else {
            Some(long_share.checked_div(short_share).ok_or_else(|| {
                BodyError(format!(
                    "buyRatio / sellRatio ({long_share:?} / {short_share:?}) is out of range"
                ))
            })?)
        };
        Ok(Reading {
            timestamp: epoch_millis(&self.timestamp)?,
            long_share,
            short_share,
            long_short_ratio,
        })
    }
}

/// `{"openInterest","timestamp"}`; other fields (`singleOpenInterest`) are not read.
#[derive(Deserialize)]
struct OpenInterestRaw<'a> {
    #[serde(rename = "openInterest", borrow)]
    open_interest: NumText<'a>,
    #[serde(borrow)]
    timestamp: NumText<'a>,
}

impl OpenInterestRaw<'_> {
    fn into_row(self) -> Result<OpenInterestRow, BodyError> {
        let coins = amount::<4>(&self.open_interest.0).ok_or_else(|| {
            BodyError(format!(
                "openInterest {:?} is not an amount ≥ 0",
                self.open_interest.0
            ))
        })?;
        Ok(OpenInterestRow {
            timestamp: epoch_millis(&self.timestamp)?,
            coins,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decimal;

    /// ETHUSDT, live, verbatim (newest first).
    const CAPTURE: &str = r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"ETHUSDT","buyRatio":"0.6784","sellRatio":"0.3216","timestamp":"1789460400000"},{"symbol":"ETHUSDT","buyRatio":"0.6783","sellRatio":"0.3217","timestamp":"1789460100000"}],"nextPageCursor":"lastid%3D0%26lasttime%3D1789460100"},"retExtInfo":{},"time":1789460661467}"#;
    const UNKNOWN_SYMBOL: &str = r#"{"retCode":10001,"retMsg":"params error: symbol invalid","result":{},"retExtInfo":{},"time":1789460661467}"#;
    const EMPTY_LIST: &str = r#"{"retCode":0,"retMsg":"OK","result":{"list":[],"nextPageCursor":""},"retExtInfo":{},"time":1789460661467}"#;
    /// Built to the documented shape (no capture at hand), newest first.
    const OPEN_INTEREST: &str = r#"{"retCode":0,"retMsg":"OK","result":{"symbol":"DOGEUSDT","category":"linear","list":[{"openInterest":"3456789012.5","timestamp":"1789460400000"},{"openInterest":"3450000000","timestamp":"1789460100000"}],"nextPageCursor":""},"retExtInfo":{},"time":1789460661467}"#;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn periods_are_bybits_spellings_and_two_six_and_twelve_hours_are_unsupported() {
        let spelled: Vec<Option<&str>> = Period::ALL.iter().map(|p| period(*p)).collect();
        assert_eq!(
            spelled,
            [
                Some("5min"),
                Some("15min"),
                Some("30min"),
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
    fn instruments_are_the_symbol_itself() {
        assert_eq!(instrument(&Symbol::default()), "BTCUSDT");
        assert_eq!(instrument(&Symbol::from_coin("eth").unwrap()), "ETHUSDT");
    }

    /// The response examples of https://bybit-exchange.github.io/docs/v5/market/long-short-ratio
    /// (the current page's, for `limit=2`, and an earlier version's, for `period=1d&limit=1`),
    /// verbatim but for whitespace.
    #[test]
    fn bybits_documented_account_ratio_examples_read_as_documented() {
        let current = r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"BTCUSDT","buyRatio":"0.49","sellRatio":"0.51","timestamp":"1696262400000"},{"symbol":"BTCUSDT","buyRatio":"0.4927","sellRatio":"0.5073","timestamp":"1696258800000"}],"nextPageCursor":"lastid%3D0%26lasttime%3D1696258800"},"retExtInfo":{},"time":1731567491688}"#;
        let rows = parse_account_ratio(current.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        // Served newest first, an hour apart (the request asked for 1h): read oldest first.
        assert_eq!(ts, [1_696_258_800_000, 1_696_262_400_000]);
        assert_eq!(
            (rows[0].long_share, rows[0].short_share),
            (d("0.4927"), d("0.5073"))
        );
        assert_eq!(
            (rows[1].long_share, rows[1].short_share),
            (d("0.49"), d("0.51"))
        );
        // 0.4927 / 0.5073 = 0.97122018529469… → 0.9712201853 (the 11th digit, 9, rounds up);
        // 0.49 / 0.51 = 0.96078431372549… → 0.9607843137 (the 11th digit, 2, rounds down).
        assert_eq!(rows[0].long_short_ratio, Some(d("0.9712201853")));
        assert_eq!(rows[1].long_short_ratio, Some(d("0.9607843137")));

        let earlier = r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"BTCUSDT","buyRatio":"0.5777","sellRatio":"0.4223","timestamp":"1695772800000"}]},"retExtInfo":{},"time":1695785131028}"#;
        let [r] = parse_account_ratio(earlier.as_bytes()).unwrap()[..] else {
            panic!("one row documented");
        };
        // 2023-09-27 00:00 UTC: a day bucket on the UTC grid.
        assert_eq!(r.timestamp, 1_695_772_800_000);
        assert_eq!(r.timestamp % 86_400_000, 0);
        assert_eq!(r.long_share.to_percent().to_string(), "57.77");
        // 0.5777 / 0.4223 = 1.36798484489699… → 1.3679848449.
        assert_eq!(r.long_short_ratio, Some(d("1.3679848449")));
    }

    /// The response example of https://bybit-exchange.github.io/docs/v5/market/open-interest
    /// (`category=inverse&symbol=BTCUSD&intervalTime=5min`), verbatim but for whitespace.
    #[test]
    fn bybits_documented_open_interest_example_reads_as_documented() {
        let body = r#"{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSD","category":"inverse","list":[{"openInterest":"461134384.00000000","timestamp":"1669571400000"},{"openInterest":"461134292.00000000","timestamp":"1669571100000"}],"nextPageCursor":""},"retExtInfo":{},"time":1672053548579}"#;
        assert_eq!(
            parse_open_interest(body.as_bytes()).unwrap(),
            [
                OpenInterestRow {
                    timestamp: 1_669_571_100_000,
                    coins: Fixed(4_611_342_920_000),
                },
                OpenInterestRow {
                    timestamp: 1_669_571_400_000,
                    coins: Fixed(4_611_343_840_000),
                },
            ]
        );
    }

    #[test]
    fn parses_the_captured_account_ratio_into_shares_and_their_quotient_oldest_first() {
        let rows = parse_account_ratio(CAPTURE.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1_789_460_100_000, 1_789_460_400_000]);
        let newest = rows[1];
        assert_eq!(newest.long_share, d("0.6784"));
        assert_eq!(newest.short_share, d("0.3216"));
        // 0.6784 / 0.3216 = 6784 / 3216 = 424 / 201 (both ÷ 16) = 2.10945273631840…:
        // 201 × 2 = 402, remainder 22; 220/201 → 1 r 19; 190 → 0 r 190; 1900 → 9 r 91; 910 → 4 r 106;
        // 1060 → 5 r 55; 550 → 2 r 148; 1480 → 7 r 73; 730 → 3 r 127; 1270 → 6 r 64; 640 → 3 r 37;
        // 370 → 1 (the 11th decimal) → rounds down to 2.1094527363.
        assert_eq!(newest.long_short_ratio, Some(d("2.1094527363")));
        // 0.6783 / 0.3217 = 2.10848616723… → 2.1084861672.
        assert_eq!(rows[0].long_short_ratio, Some(d("2.1084861672")));
        assert_eq!(rows[0].long_share.to_percent().to_string(), "67.83");
    }

    #[test]
    fn sorts_newest_first_rows_and_keeps_the_first_served_of_a_repeated_bucket() {
        let body = r#"{"retCode":0,"retMsg":"OK","result":{"list":[
          {"buyRatio":"0.6","sellRatio":"0.4","timestamp":"3"},
          {"buyRatio":"0.7","sellRatio":"0.3","timestamp":"3"},
          {"buyRatio":"0.5","sellRatio":"0.5","timestamp":"1"},
          {"buyRatio":"0.55","sellRatio":"0.45","timestamp":"2"}]}}"#;
        let rows = parse_account_ratio(body.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1, 2, 3]);
        assert_eq!(rows[2].long_share, d("0.6"), "first served wins");
        assert_eq!(rows[2].long_short_ratio, Some(d("1.5")));
    }

    #[test]
    fn an_empty_list_is_an_empty_series() {
        assert!(parse_account_ratio(EMPTY_LIST.as_bytes())
            .unwrap()
            .is_empty());
        assert!(parse_open_interest(EMPTY_LIST.as_bytes())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn nobody_short_gives_no_ratio_instead_of_an_error() {
        let body = r#"{"retCode":0,"result":{"list":[{"buyRatio":"1","sellRatio":"0.0000","timestamp":"1"}]}}"#;
        let r = parse_account_ratio(body.as_bytes()).unwrap()[0];
        assert_eq!((r.long_share, r.long_short_ratio), (Decimal::ONE, None));
    }

    #[test]
    fn numbers_where_bybit_sends_strings_and_a_string_ret_code_read_the_same() {
        // Bybit sends every list value as a string and `retCode` as a number; either form of
        // either is read as the same exact decimal.
        let body = r#"{"retCode":"0","retMsg":"OK","result":{"list":[{"symbol":"ETHUSDT","buyRatio":0.6784,"sellRatio":0.3216,"timestamp":1789460400000},{"symbol":"ETHUSDT","buyRatio":"0.6783","sellRatio":"0.3217","timestamp":"1789460100000"}]}}"#;
        assert_eq!(
            parse_account_ratio(body.as_bytes()).unwrap(),
            parse_account_ratio(CAPTURE.as_bytes()).unwrap()
        );
        let body = r#"{"retCode":"10001","retMsg":"params error: symbol invalid","result":{}}"#;
        assert_eq!(
            classify(200, body.as_bytes()),
            Classified::UnknownInstrument
        );
    }

    #[test]
    fn every_ret_code_but_zero_is_a_venue_error_with_what_bybit_said() {
        let want = BodyError("Bybit error 10001: params error: symbol invalid".into());
        let body = UNKNOWN_SYMBOL.as_bytes();
        assert_eq!(parse_account_ratio(body).unwrap_err(), want);
        assert_eq!(parse_open_interest(body).unwrap_err(), want);
        let body = r#"{"retCode":10002,"retMsg":"","result":{"list":[]}}"#;
        assert_eq!(
            parse_account_ratio(body.as_bytes()),
            Err(BodyError("Bybit error 10002: ".into()))
        );
    }

    #[test]
    fn anything_else_is_a_body_error() {
        for body in [
            "<html><body>403 Forbidden</body></html>",
            "access too frequent",
            "",
            "null",
            "[]",
            r#"{"retMsg":"OK","result":{"list":[]}}"#,
            r#"{"retCode":0.5,"retMsg":"OK","result":{"list":[]}}"#,
            r#"{"retCode":0,"retMsg":"OK","result":{}}"#,
            r#"{"retCode":0,"retMsg":"OK","result":{"list":{}}}"#,
            r#"{"retCode":0,"result":{"list":[{"sellRatio":"0.3","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":null,"sellRatio":"0.3","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"abc","sellRatio":"0.3","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"NaN","sellRatio":"0.3","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"1.7","sellRatio":"0.3","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"0.7","sellRatio":"-0.3","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"0.7","sellRatio":"0.3","timestamp":"soon"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"0.7","sellRatio":"0.3","timestamp":-5}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"buyRatio":"0.7","sellRatio":"0.3"}]}}"#,
        ] {
            let got = parse_account_ratio(body.as_bytes());
            assert!(
                matches!(&got, Err(e) if !e.0.starts_with("Bybit error")),
                "{body}: {got:?}"
            );
        }
    }

    #[test]
    fn truncated_and_html_bodies_say_which() {
        let Err(e) = parse_account_ratio(&CAPTURE.as_bytes()[..80]) else {
            panic!("a truncated body parsed");
        };
        assert!(e.0.starts_with("truncated JSON"), "{e}");
        let Err(e) = parse_account_ratio(b"<html>502 Bad Gateway</html>") else {
            panic!("HTML parsed");
        };
        assert!(e.0.starts_with("not JSON"), "{e}");
        let Err(e) = parse_account_ratio(br#"{"result":{"list":[]}}"#) else {
            panic!("an envelope without a retCode parsed");
        };
        assert!(e.0.starts_with("not a Bybit envelope"), "{e}");
    }

    #[test]
    fn open_interest_is_the_base_coin_to_4_decimals_oldest_first() {
        let rows = parse_open_interest(OPEN_INTEREST.as_bytes()).unwrap();
        assert_eq!(
            rows,
            [
                OpenInterestRow {
                    timestamp: 1_789_460_100_000,
                    coins: Fixed(34_500_000_000_000),
                },
                OpenInterestRow {
                    timestamp: 1_789_460_400_000,
                    // 3,456,789,012.5 DOGE: more than a Decimal holds.
                    coins: Fixed(34_567_890_125_000),
                },
            ]
        );
        for bad in [
            r#"{"retCode":0,"result":{"list":[{"timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"openInterest":"-1","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"openInterest":"3.4e9","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"openInterest":"","timestamp":"1"}]}}"#,
            r#"{"retCode":0,"result":{"list":[{"openInterest":"5","timestamp":"x"}]}}"#,
        ] {
            let got = parse_open_interest(bad.as_bytes());
            assert!(
                matches!(&got, Err(e) if !e.0.starts_with("Bybit error")),
                "{bad}: {got:?}"
            );
        }
    }

    #[test]
    fn classify_reads_errors_from_the_ret_code_and_the_ip_limit_from_a_403() {
        use Classified::*;
        let bad = |s: &str| BadRequest(s.to_string());
        for (status, body, want) in [
            (200, CAPTURE, Ok),
            (200, EMPTY_LIST, Ok),
            // A 200 we cannot read is the parser's to report.
            (200, "<html></html>", Ok),
            (200, UNKNOWN_SYMBOL, UnknownInstrument),
            (
                200,
                r#"{"retCode":10001,"retMsg":"params error: period invalid","result":{}}"#,
                bad("Bybit error 10001: params error: period invalid"),
            ),
            (
                200,
                r#"{"retCode":10002,"retMsg":"request expired","result":{}}"#,
                bad("Bybit error 10002: request expired"),
            ),
            (403, "access too frequent", RateLimited),
            // Bybit's API rate limit: HTTP 200, retCode 10006 "Too many visits!"
            // (https://bybit-exchange.github.io/docs/v5/rate-limit).
            (
                200,
                r#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":1}"#,
                RateLimited,
            ),
            (403, "", RateLimited),
            (429, "", RateLimited),
            (502, "<html>502 Bad Gateway</html>", ServerError),
            (503, UNKNOWN_SYMBOL, ServerError),
            (404, "Not Found", bad("Bybit answered HTTP 404")),
            (400, EMPTY_LIST, bad("Bybit answered HTTP 400")),
        ] {
            assert_eq!(classify(status, body.as_bytes()), want, "{status} {body}");
        }
    }
}
