//! What every venue's parser shares: numbers read as text (a venue may send a value as a JSON
//! string or a number, and may switch between its docs and live answers, as Binance's timestamps
//! did), exact epoch milliseconds and millions, the one body error, and the one classification of
//! an answer that each adapter maps onto the policy.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::domain::decimal::DecimalError;
use crate::domain::Decimal;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable upstream body: {0}")]
pub struct BodyError(pub String);

/// A serde error as a [`BodyError`]: truncated, not JSON, or `otherwise` (JSON of another shape).
pub fn body_error(e: &serde_json::Error, otherwise: &str) -> BodyError {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax => "not JSON",
        _ => otherwise,
    };
    BodyError(format!("{what} ({e})"))
}

/// What an answer means before its rows are read, for the adapter to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classified {
    /// A success: read the body with the parser (which reports a body it cannot read).
    Ok,
    /// The venue does not list this instrument.
    UnknownInstrument,
    /// Refused for something in the request: a retry will not help. The venue's own words, cut
    /// short, for the log (not for callers: the venue wrote them).
    BadRequest(String),
    /// Over the venue's rate limit: stay quiet for a while.
    RateLimited,
    /// The venue is failing: worth a retry.
    ServerError,
}

/// A value sent as a JSON string or number, kept as text and parsed exactly.
pub struct NumText<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for NumText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string or number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(NumText(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(NumText(Cow::Owned(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(NumText(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(NumText(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // Display of a finite f64 is its shortest round-trip decimal, with no exponent.
                Ok(NumText(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// Epoch milliseconds from digits (a string, or a whole JSON number read as text).
pub fn epoch_millis(t: &NumText<'_>) -> Result<i64, BodyError> {
    let v = &t.0;
    if v.is_empty() || v.len() > 16 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BodyError(format!(
            "timestamp {v:?} is not epoch milliseconds"
        )));
    }
    v.parse()
        .map_err(|e| BodyError(format!("timestamp {v:?}: {e}")))
}

/// `text` / 10^6 exactly (the decimal point moved six places left), for amounts beyond
/// [`Decimal`]'s ±9.2e8 such as open interest: a non-negative plain decimal.
pub fn millions(text: &str) -> Result<Decimal, DecimalError> {
    let err = || DecimalError(text.chars().take(32).collect());
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(err());
    }
    // At least seven digits, so one stays before the point.
    let int = format!("{int:0>7}");
    let (whole, sixth) = int.split_at(int.len() - 6);
    Decimal::parse(&format!("{whole}.{sixth}{frac}")).map_err(|_| err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_strings_read_alike_and_millions_move_the_point_exactly() {
        let n: Vec<NumText<'_>> = serde_json::from_str(r#"["1.5", 2, 0.25]"#).unwrap();
        let texts: Vec<&str> = n.iter().map(|t| t.0.as_ref()).collect();
        assert_eq!(texts, ["1.5", "2", "0.25"]);
        assert_eq!(
            epoch_millis(&NumText("1789460400000".into())),
            Ok(1_789_460_400_000)
        );
        assert!(epoch_millis(&NumText("-1".into())).is_err());
        assert_eq!(millions("3412345678.9"), Decimal::parse("3412.3456789"));
        assert_eq!(millions("12"), Decimal::parse("0.000012"));
        assert!(millions("-5").is_err() && millions("1e9").is_err() && millions("").is_err());
    }
}
