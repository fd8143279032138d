//! Parsing OKX's trading statistics: an envelope `{"code","msg","data"}` whose rows are arrays of
//! decimal strings, newest first; OKX's spellings of a period and an instrument; and what a
//! status and body mean ([`classify`]).

use serde::Deserialize;

use crate::domain::{Decimal, OpenInterest, Period, Reading, Symbol};
use crate::upstream::wire::{amount, body_error, epoch_millis, NumText};
pub use crate::upstream::wire::{BodyError, Classified};

/// Rows per request at most (`limit`).
pub const MAX_ROWS: u16 = 100;

/// OKX's spelling of `p`: hours and days upper-case (`1h` is refused with 51000), and from 6h up
/// the `utc` buckets, because plain `6H 12H 1D` open at UTC+8 and would not line up with the
/// other venues' buckets.
pub fn period(p: Period) -> &'static str {
    match p {
        Period::M5 => "5m",
        Period::M15 => "15m",
        Period::M30 => "30m",
        Period::H1 => "1H",
        Period::H2 => "2H",
        Period::H4 => "4H",
        Period::H6 => "6Hutc",
        Period::H12 => "12Hutc",
        Period::D1 => "1Dutc",
    }
}

/// OKX's USDT perpetual swap for `symbol`: `BTC-USDT-SWAP` for BTCUSDT. OKX has no `1000`
/// prefixes: 1000PEPEUSDT is `PEPE-USDT-SWAP`.
pub fn instrument(symbol: &Symbol) -> String {
    format!("{}-USDT-SWAP", symbol.unscaled_coin())
}

/// Parses a long/short ratio series (any of the three cohorts' paths) into readings sorted
/// oldest first, one per timestamp (the first served wins when a timestamp repeats). OKX
/// publishes only the ratio r: the long share is r / (1 + r), the short share the rest. A window
/// with no data (`"data":[]`) is an empty series.
pub fn parse_ratio_series(body: &[u8]) -> Result<Vec<Reading>, BodyError> {
    let mut readings = data_rows(body)?
        .iter()
        .map(|row| ratio_reading(row))
        .collect::<Result<Vec<_>, _>>()?;
    readings.sort_by_key(|r| r.timestamp);
    readings.dedup_by_key(|r| r.timestamp);
    Ok(readings)
}

/// Parses an open-interest history (rows `[ts, oi, oiCcy, oiUsd]`: contracts, base coin, USD)
/// into rows sorted oldest first, one per timestamp (the first served wins).
pub fn parse_open_interest(body: &[u8]) -> Result<Vec<OpenInterest>, BodyError> {
    let mut rows = data_rows(body)?
        .iter()
        .map(|row| open_interest_row(row))
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by_key(|r| r.timestamp);
    rows.dedup_by_key(|r| r.timestamp);
    Ok(rows)
}

/// What `status` and `body` mean. The code is read wherever it comes, because OKX is not
/// consistent about the status it sends with one: 51000 comes with a 400, 51001 probably with a
/// 200 (unconfirmed on these paths, so either status counts), 50011 with a 429.
pub fn classify(status: u16, body: &[u8]) -> Classified {
    let head = serde_json::from_slice::<Head<'_>>(body).ok();
    let code = head.as_ref().map(|h| h.code.0.as_ref());
    match (status, code) {
        (429, _) | (_, Some("50011")) => Classified::RateLimited,
        (500..=599, _) => Classified::ServerError,
        (_, Some("51001")) => Classified::UnknownInstrument,
        (200..=299, None | Some("0")) => Classified::Ok,
        (_, Some(code)) if code != "0" => {
            let msg = head.as_ref().and_then(|h| h.msg.as_deref()).unwrap_or("");
            Classified::BadRequest(format!("OKX error {code}: {msg}"))
        }
        _ => Classified::BadRequest(format!("OKX answered HTTP {status}")),
    }
}

/// The envelope's error part, read first: error answers carry no `data` (the rate limit's
/// `{"msg":"Too Many Requests","code":"50011"}`) or an empty one.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    code: NumText<'a>,
    #[serde(default)]
    msg: Option<String>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    data: Vec<Vec<NumText<'a>>>,
}

/// The rows of a `code` "0" envelope; any other code is [`BodyError::from_venue`].
fn data_rows(body: &[u8]) -> Result<Vec<Vec<NumText<'_>>>, BodyError> {
    let head: Head<'_> =
        serde_json::from_slice(body).map_err(|e| body_error(&e, "not an OKX envelope"))?;
    if head.code.0 != "0" {
        return Err(BodyError::from_venue(
            "OKX",
            &head.code.0,
            &head.msg.unwrap_or_default(),
        ));
    }
    let Data { data } =
        serde_json::from_slice(body).map_err(|e| body_error(&e, "no array of rows in data"))?;
    Ok(data)
}

/// `[ts, ratio]`; further columns, should OKX add any, are ignored.
fn ratio_reading(row: &[NumText<'_>]) -> Result<Reading, BodyError> {
    let [ts, ratio, ..] = row else {
        return Err(BodyError(format!(
            "a row of {} values, not [ts, ratio]",
            row.len()
        )));
    };
    let r = Decimal::parse(&ratio.0).map_err(|e| BodyError(format!("ratio: {e}")))?;
    let long_share = Decimal::share_of_ratio(r)
        .ok_or_else(|| BodyError(format!("ratio {:?} is negative", ratio.0)))?;
    Ok(Reading {
        timestamp: epoch_millis(ts)?,
        long_share,
        short_share: long_share.complement(),
        long_short_ratio: Some(r),
    })
}

/// `[ts, oi, oiCcy, oiUsd]`; the USD column (to the cent) is the one comparable across venues.
fn open_interest_row(row: &[NumText<'_>]) -> Result<OpenInterest, BodyError> {
    let [ts, _, _, usd, ..] = row else {
        return Err(BodyError(format!(
            "a row of {} values, not [ts, oi, oiCcy, oiUsd]",
            row.len()
        )));
    };
    let usd = amount::<2>(&usd.0)
        .ok_or_else(|| BodyError(format!("oiUsd {:?} is not an amount ≥ 0", usd.0)))?;
    Ok(OpenInterest {
        timestamp: epoch_millis(ts)?,
        usd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Fixed;

    /// The all-accounts ratio, as OKX serves it (newest first).
    const CAPTURE: &str = r#"{"code":"0","msg":"","data":[["1789460400000","1.3402061855670102"],["1789460100000","1.3412816691505216"]]}"#;
    const BAD_PERIOD: &str = r#"{"code":"51000","msg":"Parameter period error","data":[]}"#;
    const UNKNOWN_INSTRUMENT: &str =
        r#"{"code":"51001","msg":"Instrument ID NOPE-USDT-SWAP doesn't exist.","data":[]}"#;
    const RATE_LIMITED: &str = r#"{"msg":"Too Many Requests","code":"50011"}"#;
    const EMPTY_WINDOW: &str = r#"{"code":"0","msg":"","data":[]}"#;
    /// Built to the documented shape `[ts, oi, oiCcy, oiUsd]` (no capture at hand): BTC's swap
    /// carries billions of USD.
    const OPEN_INTEREST: &str = r#"{"code":"0","msg":"","data":[["1789460400000","2876543.21","28765.4321","3412345678.9"],["1789460100000","2870000","28700","3400000000"]]}"#;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn periods_are_spelled_upper_case_and_utc_aligned_from_six_hours() {
        let spelled: Vec<&str> = Period::ALL.iter().map(|p| period(*p)).collect();
        assert_eq!(
            spelled,
            ["5m", "15m", "30m", "1H", "2H", "4H", "6Hutc", "12Hutc", "1Dutc"]
        );
    }

    #[test]
    fn instruments_are_the_usdt_swap_of_the_coin() {
        assert_eq!(instrument(&Symbol::default()), "BTC-USDT-SWAP");
        assert_eq!(
            instrument(&Symbol::from_coin("eth").unwrap()),
            "ETH-USDT-SWAP"
        );
        let pepe = Symbol::from_coin("1000PEPE").unwrap();
        assert_eq!(instrument(&pepe), "PEPE-USDT-SWAP");
    }

    #[test]
    fn parses_the_captured_ratio_series_into_long_shares_oldest_first() {
        let rows = parse_ratio_series(CAPTURE.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1_789_460_100_000, 1_789_460_400_000]);
        // 1.3402061855670102 is 130/97 (130 long accounts to 97 short): the long share is
        // 130/227 = 0.57268722466… → 0.5727 → 57.27 %. Computed from the ratio rounded to 10
        // decimals (1.3402061856): 1.3402061856 / 2.3402061856 = 0.57268722467… → 0.5726872247.
        let newest = rows[1];
        assert_eq!(newest.long_share, d("0.5726872247"));
        assert_eq!(newest.long_share.to_percent(), Fixed(5727));
        assert_eq!(newest.short_share, d("0.4273127753"));
        assert_eq!(newest.long_short_ratio, Some(d("1.3402061856")));
        // 1.3412816691505216 is 900/671: 900/1571 = 0.57288351368… → 0.5728835137.
        assert_eq!(rows[0].long_share, d("0.5728835137"));
        assert_eq!(rows[0].short_share, d("0.4271164863"));
    }

    #[test]
    fn sorts_newest_first_rows_and_keeps_the_first_served_of_a_repeated_bucket() {
        let body = r#"{"code":"0","msg":"","data":[["3","1.5"],["3","4"],["1","1"],["2","1"]]}"#;
        let rows = parse_ratio_series(body.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1, 2, 3]);
        assert_eq!(rows[2].long_share, d("0.6"), "1.5 / 2.5, the first served");
        assert_eq!(rows[0].long_share, d("0.5"));
    }

    #[test]
    fn a_window_with_no_data_is_an_empty_series() {
        assert!(parse_ratio_series(EMPTY_WINDOW.as_bytes())
            .unwrap()
            .is_empty());
        assert!(parse_open_interest(EMPTY_WINDOW.as_bytes())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_zero_ratio_is_all_short_with_a_ratio_of_zero() {
        let body = r#"{"code":"0","msg":"","data":[["1","0"]]}"#;
        let r = parse_ratio_series(body.as_bytes()).unwrap()[0];
        assert_eq!(
            (r.long_share, r.short_share, r.long_short_ratio),
            (Decimal::ZERO, Decimal::ONE, Some(Decimal::ZERO))
        );
    }

    #[test]
    fn numbers_where_okx_sends_strings_read_the_same() {
        // Every capture has strings, `code` included; a JSON number in their place is read as
        // the same exact decimal (the ratio's shortest float form is its text), and a numeric
        // error code as the same code.
        let body = r#"{"code":0,"msg":"","data":[[1789460400000,1.3402061855670102],["1789460100000","1.3412816691505216"]]}"#;
        assert_eq!(
            parse_ratio_series(body.as_bytes()).unwrap(),
            parse_ratio_series(CAPTURE.as_bytes()).unwrap()
        );
        let body = r#"{"code":51000,"msg":"Parameter period error","data":[]}"#;
        assert_eq!(
            parse_ratio_series(body.as_bytes()),
            Err(BodyError("OKX error 51000: Parameter period error".into()))
        );
    }

    #[test]
    fn every_code_but_zero_is_a_venue_error_with_what_okx_said() {
        for (body, code, msg) in [
            (BAD_PERIOD, "51000", "Parameter period error"),
            (
                UNKNOWN_INSTRUMENT,
                "51001",
                "Instrument ID NOPE-USDT-SWAP doesn't exist.",
            ),
            (RATE_LIMITED, "50011", "Too Many Requests"),
            (r#"{"code":"50001"}"#, "50001", ""),
        ] {
            let want = BodyError(format!("OKX error {code}: {msg}"));
            assert_eq!(parse_ratio_series(body.as_bytes()).unwrap_err(), want);
            assert_eq!(parse_open_interest(body.as_bytes()).unwrap_err(), want);
        }
    }

    #[test]
    fn anything_else_is_a_body_error() {
        for body in [
            "<html><body>403 Forbidden</body></html>",
            "",
            "null",
            "[]",
            r#"[["1789460400000","1.34"]]"#,
            r#"{"msg":"","data":[["1789460400000","1.34"]]}"#,
            r#"{"code":"0","msg":""}"#,
            r#"{"code":"0","msg":"","data":{}}"#,
            r#"{"code":"0","msg":"","data":[{"ts":"1","ratio":"1.34"}]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000",null]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","abc"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","NaN"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","1e3"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","-1.34"]]}"#,
            r#"{"code":"0","msg":"","data":[["soon","1.34"]]}"#,
            r#"{"code":"0","msg":"","data":[[-5,"1.34"]]}"#,
            r#"{"code":"0","msg":"","data":[[1.5,"1.34"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","1.34"]]} trailing"#,
        ] {
            let got = parse_ratio_series(body.as_bytes());
            assert!(
                matches!(&got, Err(e) if !e.0.starts_with("OKX error")),
                "{body}: {got:?}"
            );
        }
    }

    #[test]
    fn truncated_and_html_bodies_say_which() {
        let Err(e) = parse_ratio_series(&CAPTURE.as_bytes()[..60]) else {
            panic!("a truncated body parsed");
        };
        assert!(e.0.starts_with("truncated JSON"), "{e}");
        let Err(e) = parse_ratio_series(b"<html>502 Bad Gateway</html>") else {
            panic!("HTML parsed");
        };
        assert!(e.0.starts_with("not JSON"), "{e}");
        let Err(e) = parse_ratio_series(br#"{"data":[]}"#) else {
            panic!("an envelope without a code parsed");
        };
        assert!(e.0.starts_with("not an OKX envelope"), "{e}");
    }

    #[test]
    fn open_interest_is_the_usd_column_to_the_cent_oldest_first() {
        let rows = parse_open_interest(OPEN_INTEREST.as_bytes()).unwrap();
        assert_eq!(
            rows,
            [
                OpenInterest {
                    timestamp: 1_789_460_100_000,
                    usd: Fixed(340_000_000_000),
                },
                OpenInterest {
                    timestamp: 1_789_460_400_000,
                    // 3,412,345,678.9 USD: more than a Decimal holds, exact to the cent.
                    usd: Fixed(341_234_567_890),
                },
            ]
        );
    }

    #[test]
    fn open_interest_rows_without_a_readable_usd_column_are_body_errors() {
        for body in [
            r#"{"code":"0","msg":"","data":[["1789460400000","2876543.21","28765.4321"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","1","1",""]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","1","1","-5"]]}"#,
            r#"{"code":"0","msg":"","data":[["1789460400000","1","1","3.4e9"]]}"#,
            r#"{"code":"0","msg":"","data":[["x","1","1","3400000000"]]}"#,
        ] {
            let got = parse_open_interest(body.as_bytes());
            assert!(
                matches!(&got, Err(e) if !e.0.starts_with("OKX error")),
                "{body}: {got:?}"
            );
        }
    }

    #[test]
    fn classify_reads_the_code_whatever_the_status() {
        use Classified::*;
        let bad = |s: &str| BadRequest(s.to_string());
        for (status, body, want) in [
            (200, CAPTURE, Ok),
            (200, EMPTY_WINDOW, Ok),
            // A 200 we cannot read is the parser's to report.
            (200, "<html></html>", Ok),
            (
                400,
                BAD_PERIOD,
                bad("OKX error 51000: Parameter period error"),
            ),
            (200, UNKNOWN_INSTRUMENT, UnknownInstrument),
            (400, UNKNOWN_INSTRUMENT, UnknownInstrument),
            (429, RATE_LIMITED, RateLimited),
            (429, "", RateLimited),
            (200, RATE_LIMITED, RateLimited),
            (
                503,
                r#"{"code":"50001","msg":"Service temporarily unavailable"}"#,
                ServerError,
            ),
            (502, "<html>502 Bad Gateway</html>", ServerError),
            (
                200,
                r#"{"code":"51002","msg":"x"}"#,
                bad("OKX error 51002: x"),
            ),
            (403, "<html>Forbidden</html>", bad("OKX answered HTTP 403")),
            (404, "", bad("OKX answered HTTP 404")),
            (
                400,
                r#"{"code":"0","msg":""}"#,
                bad("OKX answered HTTP 400"),
            ),
        ] {
            assert_eq!(classify(status, body.as_bytes()), want, "{status} {body}");
        }
    }
}
