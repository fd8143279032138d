//! Parsing Binance's ratio series: decimal strings, timestamps as numbers or strings, any order.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::domain::{Decimal, OpenInterest, Price, Reading};
use crate::upstream::wire::{amount, body_error, share, NumText};

pub use crate::upstream::wire::BodyError;

/// Parses a ratio-series body into readings sorted oldest first, one per timestamp (the first
/// served wins when a timestamp repeats). `[]` parses to an empty series.
pub fn parse_series(body: &[u8]) -> Result<Vec<Reading>, BodyError> {
    let rows: Vec<RawRow<'_>> =
        serde_json::from_slice(body).map_err(|e| body_error(&e, "not an array of ratio rows"))?;
    let mut readings = rows
        .into_iter()
        .map(RawRow::into_reading)
        .collect::<Result<Vec<_>, _>>()?;
    readings.sort_by_key(|r| r.timestamp);
    readings.dedup_by_key(|r| r.timestamp);
    Ok(readings)
}

/// Parses an `openInterestHist` body (`[{symbol, sumOpenInterest, sumOpenInterestValue,
/// CMCCirculatingSupply, timestamp}]`, strings but the timestamp, oldest first) into open
/// interest in USD (`sumOpenInterestValue`, to the cent), sorted, one per timestamp.
pub fn parse_open_interest(body: &[u8]) -> Result<Vec<OpenInterest>, BodyError> {
    #[derive(Deserialize)]
    struct Row<'a> {
        #[serde(rename = "sumOpenInterestValue", borrow)]
        value: NumText<'a>,
        timestamp: Timestamp,
    }
    let rows: Vec<Row<'_>> = serde_json::from_slice(body)
        .map_err(|e| body_error(&e, "not an array of open interest rows"))?;
    let mut out = rows
        .into_iter()
        .map(|row| {
            let usd = amount::<2>(&row.value.0).ok_or_else(|| {
                BodyError(format!(
                    "sumOpenInterestValue {:?} is not an amount ≥ 0",
                    row.value.0
                ))
            })?;
            Ok(OpenInterest {
                timestamp: row.timestamp.0,
                usd,
            })
        })
        .collect::<Result<Vec<_>, BodyError>>()?;
    out.sort_by_key(|r| r.timestamp);
    out.dedup_by_key(|r| r.timestamp);
    Ok(out)
}

/// Parses a `/fapi/v1/klines` body (`[[openTime, "open", "high", "low", "close", "volume",
/// closeTime, …], …]`: numbers for times, strings for prices) into the price at each bucket, the
/// kline's open, sorted oldest first, one per open time. Only closed bars are kept: the newest
/// row of a most-recent request is the bar still open at Binance's clock (dropped whatever ours
/// says), and so is any whose `closeTime` is not before `now_ms`.
pub fn parse_klines(body: &[u8], now_ms: i64) -> Result<Vec<Price>, BodyError> {
    let rows: Vec<Vec<NumText<'_>>> =
        serde_json::from_slice(body).map_err(|e| body_error(&e, "not an array of klines"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let field = |i: usize, name: &str| {
            row.get(i)
                .map(|v| v.0.as_ref())
                .ok_or_else(|| BodyError(format!("a kline without its {name}")))
        };
        let time = |i: usize, name: &str| {
            let text = field(i, name)?;
            text.parse::<i64>().ok().filter(|t| *t >= 0).ok_or_else(|| {
                BodyError(format!("kline {name} {text:?} is not epoch milliseconds"))
            })
        };
        let timestamp = time(0, "open time")?;
        let close_time = time(6, "close time")?;
        let open_text = field(1, "open")?;
        let open = amount::<8>(open_text)
            .filter(|p| p.units() > 0)
            .ok_or_else(|| BodyError(format!("kline open {open_text:?} is not a price > 0")))?;
        if close_time < now_ms {
            out.push(Price { timestamp, open });
        }
    }
    out.sort_by_key(|p| p.timestamp);
    out.dedup_by_key(|p| p.timestamp);
    let newest_open = rows
        .iter()
        .filter_map(|row| row.first()?.0.parse::<i64>().ok())
        .max();
    out.retain(|p| Some(p.timestamp) != newest_open);
    Ok(out)
}

/// A ratio row. The position ratio's shares are spelled `longPosition` / `shortPosition` in
/// Binance's COIN-M answers (e.g. @exchanges/binance 1.2.1,
/// `coinMFutures/marketData/topTraderLongShortRatioPositions.d.ts`) and `longAccount` /
/// `shortAccount` in every USDⓈ-M capture: either is read; a row carrying both is refused
/// (serde: duplicate field).
#[derive(Deserialize)]
struct RawRow<'a> {
    #[serde(rename = "longAccount", alias = "longPosition", borrow)]
    long_account: NumText<'a>,
    #[serde(rename = "shortAccount", alias = "shortPosition", borrow)]
    short_account: NumText<'a>,
    #[serde(rename = "longShortRatio", borrow)]
    long_short_ratio: NumText<'a>,
    timestamp: Timestamp,
}

impl RawRow<'_> {
    fn into_reading(self) -> Result<Reading, BodyError> {
        let long_share = share("longAccount", &self.long_account.0)?;
        let short_share = share("shortAccount", &self.short_account.0)?;
        // With no shorts the ratio is infinite: served as null, whatever Binance wrote there.
        let long_short_ratio = if short_share.is_zero() {
            None
        } else {
            let text = &self.long_short_ratio.0;
            let ratio =
                Decimal::parse(text).map_err(|e| BodyError(format!("longShortRatio: {e}")))?;
            if ratio < Decimal::ZERO {
                return Err(BodyError(format!("longShortRatio {text:?} is negative")));
            }
            Some(ratio)
        };
        Ok(Reading {
            timestamp: self.timestamp.0,
            long_share,
            short_share,
            long_short_ratio,
        })
    }
}

/// Epoch milliseconds, sent as a JSON number (live) or a string (Binance's docs).
struct Timestamp(i64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("epoch milliseconds as a number or a string of digits")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp)
                    .map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                if v >= 0 {
                    Ok(Timestamp(v))
                } else {
                    Err(E::custom("negative timestamp"))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                if v.fract() == 0.0 && (0.0..9.0e15).contains(&v) {
                    Ok(Timestamp(v as i64))
                } else {
                    Err(E::custom("timestamp is not whole milliseconds"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                if v.is_empty() || v.len() > 16 || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom("timestamp string is not epoch milliseconds"));
                }
                v.parse().map(Timestamp).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Fixed;

    #[test]
    fn klines_give_each_closed_bars_open_to_eight_decimals_and_drop_the_open_bar() {
        // As Binance serves them (upstream-venues.md): numbers for times, strings for prices.
        let body = br#"[
            [1785668400000,"97012.30","97100.00","96950.10","97050.00","812.345",1785671999999,"78836111.2345",1234,"400.100","38820000.1000","0"],
            [1785672000000,"97050.00","97200.00","97000.00","97180.50","700.001",1785675599999,"68000000.0000",1100,"350.000","34000000.0000","0"],
            [1785675600000,"97180.50","97190.00","97100.00","97150.00","10.000",1785679199999,"971500.0000",90,"5.000","485750.0000","0"]
        ]"#;
        let now = 1_785_675_650_000; // 13:00:50: the 13:00 bar is still open
        let prices = parse_klines(body, now).unwrap();
        assert_eq!(
            prices,
            [
                Price {
                    timestamp: 1_785_668_400_000,
                    open: Fixed(9_701_230_000_000)
                },
                Price {
                    timestamp: 1_785_672_000_000,
                    open: Fixed(9_705_000_000_000)
                },
            ]
        );
        // The newest row is the bar still open at Binance's clock, even when ours (or a
        // stand-in's fixed clock) says otherwise.
        assert_eq!(parse_klines(body, 1_785_679_200_000).unwrap(), prices);
        // A bar whose close time has not passed is not a price either (12:59:59.999).
        let early = parse_klines(body, 1_785_675_599_999).unwrap();
        assert_eq!(early.len(), 1);
        // 7 decimals are kept exactly.
        let cheap = br#"[[1785668400000,"0.0000123","1","1","1","1",1785671999999],
                         [1785672000000,"0.0000124","1","1","1","1",1785675599999]]"#;
        assert_eq!(parse_klines(cheap, now).unwrap()[0].open, Fixed(1_230));
        assert_eq!(parse_klines(b"[]", now).unwrap(), []);
        for bad in [
            &b"{}"[..],
            br#"[[1785668400000,"abc","1","1","1","1",1785671999999]]"#,
            br#"[[1785668400000,"-1.5","1","1","1","1",1785671999999]]"#,
            br#"[[1785668400000,"1.5"]]"#,
            br#"[["x","1.5","1","1","1","1",1785671999999]]"#,
        ] {
            assert!(
                parse_klines(bad, now).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn open_interest_is_the_usd_value_to_the_cent_oldest_first() {
        // Binance's shape (strings but the timestamp), newest row first to check the sorting.
        let body = br#"[{"symbol":"BTCUSDT","sumOpenInterest":"81234.56700000","sumOpenInterestValue":"5061453473.06826934","CMCCirculatingSupply":"19912345.0","timestamp":1789460400000},{"symbol":"BTCUSDT","sumOpenInterest":"81000.00000000","sumOpenInterestValue":"5000000000.00500000","CMCCirculatingSupply":"19912345.0","timestamp":"1789456800000"}]"#;
        let rows = parse_open_interest(body).unwrap();
        assert_eq!(
            rows,
            [
                OpenInterest {
                    timestamp: 1_789_456_800_000,
                    usd: Fixed(500_000_000_001), // 0.005 rounds half up
                },
                OpenInterest {
                    timestamp: 1_789_460_400_000,
                    usd: Fixed(506_145_347_307),
                },
            ]
        );
        assert_eq!(parse_open_interest(b"[]").unwrap(), []);
        for bad in [
            &br#"[{"sumOpenInterestValue":"-1","timestamp":1}]"#[..],
            br#"[{"sumOpenInterestValue":"1e9","timestamp":1}]"#,
            br#"[{"timestamp":1}]"#,
            br#"[{"sumOpenInterestValue":"5","#,
        ] {
            assert!(parse_open_interest(bad).is_err());
        }
    }

    const CAPTURE: &str = r#"[{"symbol":"BTCUSDT","longAccount":"0.6561","longShortRatio":"1.9078","shortAccount":"0.3439","timestamp":1785672000000},
 {"symbol":"BTCUSDT","longAccount":"0.6575","longShortRatio":"1.9197","shortAccount":"0.3425","timestamp":1785675600000}]"#;

    #[test]
    fn position_ratio_rows_spelled_long_position_read_as_long_account() {
        // COIN-M's topLongShortPositionRatio spells the shares longPosition / shortPosition
        // (@exchanges/binance 1.2.1, coinMFutures/marketData/topTraderLongShortRatioPositions.d.ts).
        let position = br#"[{"pair":"BTCUSD","longShortRatio":"1.9078","longPosition":"0.6561","shortPosition":"0.3439","timestamp":1785672000000}]"#;
        let account = br#"[{"symbol":"BTCUSDT","longAccount":"0.6561","longShortRatio":"1.9078","shortAccount":"0.3439","timestamp":1785672000000}]"#;
        let read = parse_series(position).unwrap();
        assert_eq!(read, parse_series(account).unwrap());
        assert_eq!(read[0].long_share, Decimal::parse("0.6561").unwrap());
        assert_eq!(read[0].short_share, Decimal::parse("0.3439").unwrap());
        // One spelling or the other, never both in one row.
        let both = br#"[{"longAccount":"0.6","longPosition":"0.6","shortAccount":"0.4","longShortRatio":"1.5","timestamp":1}]"#;
        assert!(parse_series(both).is_err());
    }

    #[test]
    fn parses_a_live_capture_exactly() {
        let rows = parse_series(CAPTURE.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].timestamp, 1_785_675_600_000);
        assert_eq!(rows[1].long_share, Decimal::parse("0.6575").unwrap());
        assert_eq!(rows[1].short_share, Decimal::parse("0.3425").unwrap());
        assert_eq!(
            rows[1].long_short_ratio,
            Some(Decimal::parse("1.9197").unwrap())
        );
    }

    #[test]
    fn accepts_string_timestamps_numeric_values_and_any_key_order() {
        let body = r#"[{"timestamp":"1785675600000","shortAccount":0.3425,"longShortRatio":"1.9197","longAccount":"0.6575"}]"#;
        let rows = parse_series(body.as_bytes()).unwrap();
        assert_eq!(rows[0].timestamp, 1_785_675_600_000);
        assert_eq!(rows[0].short_share, Decimal::parse("0.3425").unwrap());
    }

    #[test]
    fn sorts_newest_first_input_and_drops_repeated_buckets() {
        let body = r#"[
          {"longAccount":"0.6","shortAccount":"0.4","longShortRatio":"1.5","timestamp":3},
          {"longAccount":"0.7","shortAccount":"0.3","longShortRatio":"2.3333","timestamp":3},
          {"longAccount":"0.5","shortAccount":"0.5","longShortRatio":"1","timestamp":1},
          {"longAccount":"0.55","shortAccount":"0.45","longShortRatio":"1.2222","timestamp":2}]"#;
        let rows = parse_series(body.as_bytes()).unwrap();
        let ts: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [1, 2, 3]);
        assert_eq!(
            rows[2].long_share,
            Decimal::parse("0.6").unwrap(),
            "first served wins"
        );
    }

    #[test]
    fn an_empty_array_is_an_empty_series() {
        assert!(parse_series(b"[]").unwrap().is_empty());
    }

    #[test]
    fn a_zero_short_share_gives_no_ratio_instead_of_an_error() {
        let body = r#"[{"longAccount":"1.0000","shortAccount":"0.0000","longShortRatio":"Infinity","timestamp":1}]"#;
        let rows = parse_series(body.as_bytes()).unwrap();
        assert_eq!(rows[0].long_short_ratio, None);
    }

    #[test]
    fn anything_else_is_a_body_error() {
        for body in [
            "<html><body>403 Forbidden</body></html>",
            r#"[{"longAccount":"0.6575","shortAccount":"0.3425","longSho"#,
            r#"{"status":"ERROR","code":"99099990","message":"system busy"}"#,
            r#"{"code":-1000,"msg":"An unknown error occurred"}"#,
            r#"[{"shortAccount":"0.3","longShortRatio":"2","timestamp":1}]"#,
            r#"[{"longAccount":"abc","shortAccount":"0.3","longShortRatio":"2","timestamp":1}]"#,
            r#"[{"longAccount":"NaN","shortAccount":"0.3","longShortRatio":"2","timestamp":1}]"#,
            r#"[{"longAccount":"0.7","shortAccount":"0.3","longShortRatio":"Infinity","timestamp":1}]"#,
            r#"[{"longAccount":"1.7","shortAccount":"0.3","longShortRatio":"2","timestamp":1}]"#,
            r#"[{"longAccount":"0.7","shortAccount":"0.3","longShortRatio":"2","timestamp":-5}]"#,
            r#"[{"longAccount":"0.7","shortAccount":"0.3","longShortRatio":"2","timestamp":"soon"}]"#,
            r#"[{"longAccount":null,"shortAccount":"0.3","longShortRatio":"2","timestamp":1}]"#,
            "",
            "null",
        ] {
            assert!(parse_series(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn truncated_bodies_say_so() {
        let err = parse_series(&CAPTURE.as_bytes()[..60]).unwrap_err();
        assert!(err.0.starts_with("truncated JSON"), "{err}");
    }
}
