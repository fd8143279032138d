//! Exact decimal arithmetic for the numbers we serve.
//!
//! Binance sends every share and ratio as a decimal string ("0.6575"). Parsing those into `f64`
//! and rounding there gives answers like `65.75000000000001` or rounds 65.755 the wrong way, so we
//! parse into integers of a fixed scale, round in integers, and only turn the final rounded value
//! into an `f64` for JSON (`units / 10^places`, which serde_json prints as the short decimal).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Digits kept after the decimal point when parsing upstream values.
const SCALE_DIGITS: u32 = 10;
const SCALE: i64 = 10_i64.pow(SCALE_DIGITS);

/// A decimal number held exactly as an integer count of 10^-10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a plain decimal number: {0:?}")]
pub struct DecimalError(pub String);

impl Decimal {
    pub const ZERO: Decimal = Decimal(0);
    pub const ONE: Decimal = Decimal(SCALE);

    /// Whole units of 10^-10.
    pub const fn from_units(units: i64) -> Self {
        Decimal(units)
    }

    pub const fn units(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self × 100`, rounded half away from zero to 2 decimals: a share 0.65755 → 65.76 %.
    pub fn to_percent(self) -> Fixed<2> {
        // share × 100 in hundredths = units × 10^4 / 10^10 = units / 10^6
        Fixed(div_round(self.0, 1_000_000))
    }

    /// Rounded half away from zero to 4 decimals (ratios).
    pub fn to_ratio(self) -> Fixed<4> {
        Fixed(div_round(self.0, 1_000_000))
    }

    /// `self / other` to 10 decimals, rounded half away from zero; `None` when `other` is zero or
    /// the quotient does not fit.
    pub fn checked_div(self, other: Decimal) -> Option<Decimal> {
        if other.0 == 0 {
            return None;
        }
        let (n, d) = (i128::from(self.0) * i128::from(SCALE), i128::from(other.0));
        let (q, r) = (n / d, n % d);
        let q = if 2 * r.abs() >= d.abs() {
            q + (n.signum() * d.signum())
        } else {
            q
        };
        i64::try_from(q).ok().map(Decimal)
    }

    /// The long share of a venue that publishes only the long/short ratio r: r / (1 + r).
    /// `None` for a negative ratio.
    pub fn share_of_ratio(ratio: Decimal) -> Option<Decimal> {
        if ratio.0 < 0 {
            return None;
        }
        ratio.checked_div(Decimal(ratio.0.checked_add(SCALE)?))
    }

    /// `1 - self`: the other side of a share.
    pub fn complement(self) -> Decimal {
        Decimal(SCALE - self.0)
    }

    /// Parses a decimal string (`"0.6575"`, `"-1.5"`, `"12"`); digits beyond the 10th decimal are
    /// rounded half away from zero. Rejects exponents, `NaN`, `Infinity`, empty strings, signs
    /// without digits and numbers beyond ±9.2e8.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let err = || DecimalError(text.chars().take(32).collect());
        let bytes = text.as_bytes();
        let (negative, digits) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let (int_part, frac_part) = match digits.iter().position(|&b| b == b'.') {
            Some(dot) => (&digits[..dot], &digits[dot + 1..]),
            None => (digits, &digits[digits.len()..]),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err());
        }
        if !int_part.iter().chain(frac_part).all(u8::is_ascii_digit) {
            return Err(err());
        }
        let mut units: i64 = 0;
        for &d in int_part {
            units = units
                .checked_mul(10)
                .and_then(|u| u.checked_add(i64::from(d - b'0')))
                .ok_or_else(err)?;
        }
        units = units.checked_mul(SCALE).ok_or_else(err)?;
        let mut place = SCALE / 10;
        for (i, &d) in frac_part.iter().enumerate() {
            let digit = i64::from(d - b'0');
            if i < SCALE_DIGITS as usize {
                units += digit * place;
                place /= 10;
            } else {
                // First dropped digit decides the rounding (half away from zero).
                if digit >= 5 {
                    units = units.checked_add(1).ok_or_else(err)?;
                }
                break;
            }
        }
        Ok(Decimal(if negative { -units } else { units }))
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse(s)
    }
}

/// Integer division rounding half away from zero.
fn div_round(n: i64, d: i64) -> i64 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

/// A number rounded to `P` decimals, held as an integer count of 10^-P.
/// Serialises as the JSON number with at most `P` decimals (never float noise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed<const P: u32>(pub i64);

impl<const P: u32> Fixed<P> {
    pub const fn from_units(units: i64) -> Self {
        Fixed(units)
    }

    pub const fn units(self) -> i64 {
        self.0
    }

    /// The nearest `f64`; dividing two exactly representable integers is correctly rounded, so
    /// the shortest round-trip form (what serde_json prints) is the decimal itself.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 10_i64.pow(P) as f64
    }

    /// Parses a human-written number such as "8" or "7.5" (configuration), rounding to `P` places.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let d = Decimal::parse(text.trim())?;
        Ok(Fixed(div_round(d.units(), 10_i64.pow(SCALE_DIGITS - P))))
    }
}

impl<const P: u32> std::ops::Sub for Fixed<P> {
    type Output = Fixed<P>;
    fn sub(self, rhs: Self) -> Self {
        Fixed(self.0 - rhs.0)
    }
}

impl<const P: u32> std::ops::Neg for Fixed<P> {
    type Output = Fixed<P>;
    fn neg(self) -> Self {
        Fixed(-self.0)
    }
}

impl<const P: u32> Serialize for Fixed<P> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

impl<const P: u32> fmt::Display for Fixed<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = 10_i64.pow(P);
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = P as usize
        )
    }
}

/// Percentage points / percentages with 2 decimals.
pub type Pct = Fixed<2>;
/// Ratios with 4 decimals.
pub type Ratio = Fixed<4>;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn parses_binance_decimal_strings_exactly() {
        assert_eq!(d("0.6575").units(), 6_575_000_000);
        assert_eq!(d("1.9197").units(), 19_197_000_000);
        assert_eq!(d("12").units(), 120_000_000_000);
        assert_eq!(d(".5").units(), 5_000_000_000);
        assert_eq!(d("5.").units(), 50_000_000_000);
        assert_eq!(d("-0.25").units(), -2_500_000_000);
        assert_eq!(d("0.00000000005").units(), 1, "11th digit rounds half up");
        assert_eq!(d("0.00000000004").units(), 0);
    }

    #[test]
    fn rejects_anything_that_is_not_a_plain_decimal() {
        for bad in [
            "",
            "-",
            ".",
            "abc",
            "1e3",
            "NaN",
            "Infinity",
            "inf",
            "0x10",
            " 1",
            "1 ",
            "1.2.3",
            "--1",
            "99999999999",
        ] {
            assert!(Decimal::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn division_rounds_to_ten_decimals_and_a_ratio_gives_its_long_share() {
        // 2 / 3 = 0.6666666666|6… → 0.6666666667.
        assert_eq!(d("2").checked_div(d("3")), Some(Decimal(6_666_666_667)));
        assert_eq!(d("-2").checked_div(d("3")), Some(Decimal(-6_666_666_667)));
        assert_eq!(d("1").checked_div(Decimal::ZERO), None);
        // OKX's 1.3402061855670102 → 1.3402061856 → / 2.3402061856 = 0.5726872246…
        let r = d("1.3402061855670102");
        assert_eq!(Decimal::share_of_ratio(r), Some(Decimal(5_726_872_247)));
        assert_eq!(
            Decimal::share_of_ratio(r).unwrap().to_percent(),
            Fixed(5727)
        );
        assert_eq!(Decimal::share_of_ratio(d("1")), Some(d("0.5")));
        assert_eq!(Decimal::share_of_ratio(Decimal::ZERO), Some(Decimal::ZERO));
        assert_eq!(Decimal::share_of_ratio(d("-1")), None);
        assert_eq!(d("0.6784").complement(), d("0.3216"));
    }

    #[test]
    fn percent_rounds_half_away_from_zero_in_exact_decimal() {
        assert_eq!(d("0.6575").to_percent(), Fixed(6575));
        assert_eq!(d("0.65755").to_percent(), Fixed(6576));
        assert_eq!(d("0.65754999").to_percent(), Fixed(6575));
        assert_eq!(d("0.5554").to_percent(), Fixed(5554));
        assert_eq!(d("1").to_percent(), Fixed(10000));
    }

    #[test]
    fn ratio_rounds_to_four_places() {
        assert_eq!(d("1.9197").to_ratio(), Fixed(19197));
        assert_eq!(d("1.91975").to_ratio(), Fixed(19198));
        assert_eq!(d("-1.91975").to_ratio(), Fixed(-19198));
    }

    #[test]
    fn serialises_without_float_noise() {
        let json = serde_json::to_string(&[
            Pct::from(Fixed(6575)),
            Fixed(-1021),
            Fixed(1),
            Fixed(10000),
            Fixed(-800),
        ])
        .unwrap();
        assert_eq!(json, "[65.75,-10.21,0.01,100.0,-8.0]");
        let json = serde_json::to_string(&[Ratio::from(Fixed(-6705)), Fixed(12492)]).unwrap();
        assert_eq!(json, "[-0.6705,1.2492]");
    }

    #[test]
    fn every_two_decimal_value_serialises_as_itself() {
        for units in -10_000..=10_000 {
            let text = serde_json::to_string(&Pct::from(Fixed(units))).unwrap();
            let shown = Pct::parse(&text).unwrap();
            assert_eq!(shown, Fixed(units), "{text}");
            assert!(text.len() <= 7, "{text} has float noise");
        }
    }

    #[test]
    fn fixed_parses_configuration_numbers() {
        assert_eq!(Pct::parse("8").unwrap(), Fixed(800));
        assert_eq!(Pct::parse(" 7.5 ").unwrap(), Fixed(750));
        assert!(Pct::parse("eight").is_err());
    }

    #[test]
    fn display_is_plain_decimal() {
        assert_eq!(Pct::from(Fixed(-1021)).to_string(), "-10.21");
        assert_eq!(Pct::from(Fixed(5)).to_string(), "0.05");
        assert_eq!(Ratio::from(Fixed(-6705)).to_string(), "-0.6705");
    }
}
