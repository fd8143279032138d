//! What every venue's parser shares: numbers read as text (a venue may send a value as a JSON
//! string or a number, and may switch between its docs and live answers, as Binance's timestamps
//! did), exact epoch milliseconds and amounts, the one body error, and the one classification of
//! an answer that each adapter maps onto the policy.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::domain::{Decimal, Fixed};

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable upstream body: {0}")]
pub struct BodyError(pub String);

impl BodyError {
    /// A venue's own error code where rows were expected (`"OKX error 51000: Parameter period
    /// error"`).
    pub fn from_venue(venue: &str, code: &str, msg: &str) -> BodyError {
        BodyError(format!("{venue} error {code}: {msg}"))
    }
}

/// `text` as a share in 0..=1 (a long or short share), exactly; `field` names it in the error.
pub fn share(field: &str, text: &str) -> Result<Decimal, BodyError> {
    let d = Decimal::parse(text).map_err(|e| BodyError(format!("{field}: {e}")))?;
    if d < Decimal::ZERO || d > Decimal::ONE {
        return Err(BodyError(format!(
            "{field} {text:?} is not a share in 0..=1"
        )));
    }
    Ok(d)
}

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

/// A non-negative plain decimal (`"2226295750.1279"`) rounded half up to `P` places, for
/// amounts beyond [`Decimal`]'s ±9.2e8 such as open interest in USD or in a cheap coin; `None`
/// when it is not such a number or does not fit.
pub fn amount<const P: u32>(text: &str) -> Option<Fixed<P>> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) {
        return None;
    }
    let digit = |i: usize| frac.as_bytes().get(i).map_or(0, |d| i64::from(d - b'0'));
    let mut units = whole.parse::<i64>().ok()?;
    for i in 0..P as usize {
        units = units.checked_mul(10)?.checked_add(digit(i))?;
    }
    units
        .checked_add(i64::from(digit(P as usize) >= 5))
        .map(Fixed)
}

/// [`amount`] with an optional leading `-` (a pnl), rounded half away from zero.
pub fn signed_amount<const P: u32>(text: &str) -> Option<Fixed<P>> {
    match text.strip_prefix('-') {
        Some(abs) => amount::<P>(abs).map(|a| -a),
        None => amount::<P>(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_strings_read_alike_and_amounts_round_half_up_exactly() {
        let n: Vec<NumText<'_>> = serde_json::from_str(r#"["1.5", 2, 0.25]"#).unwrap();
        let texts: Vec<&str> = n.iter().map(|t| t.0.as_ref()).collect();
        assert_eq!(texts, ["1.5", "2", "0.25"]);
        assert_eq!(
            epoch_millis(&NumText("1789460400000".into())),
            Ok(1_789_460_400_000)
        );
        assert!(epoch_millis(&NumText("-1".into())).is_err());
        // Beyond a Decimal's ±9.2e8, exact to the unit of the last place.
        assert_eq!(amount::<2>("3412345678.9"), Some(Fixed(341_234_567_890)));
        assert_eq!(amount::<2>("2226295750.1279"), Some(Fixed(222_629_575_013)));
        assert_eq!(amount::<2>("0.125"), Some(Fixed(13)), "half up");
        assert_eq!(amount::<2>("0.124999"), Some(Fixed(12)));
        assert_eq!(amount::<4>("34278.06"), Some(Fixed(342_780_600)));
        assert_eq!(amount::<4>("12"), Some(Fixed(120_000)));
        assert_eq!(amount::<2>("1000000."), Some(Fixed(100_000_000)));
        for bad in [
            "",
            ".",
            ".5",
            "-1",
            "+1",
            "1e9",
            "1.2.3",
            " 1",
            "NaN",
            "99999999999999999",
        ] {
            assert_eq!(amount::<2>(bad), None, "{bad:?}");
        }
        assert_eq!(
            signed_amount::<2>("-0.125"),
            Some(Fixed(-13)),
            "half away from zero"
        );
        assert_eq!(signed_amount::<2>("-20000.0"), Some(Fixed(-2_000_000)));
        assert_eq!(signed_amount::<2>("7"), Some(Fixed(700)));
        for bad in ["--1", "-", "-+1", "- 1"] {
            assert_eq!(signed_amount::<2>(bad), None, "{bad:?}");
        }
    }
}
