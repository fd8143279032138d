//! The bucket sizes every venue's series come in.

use std::fmt;

use super::error::ApiError;

/// One of the nine bucket sizes Binance publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H12,
    D1,
}

impl Period {
    pub const ALL: [Period; 9] = [
        Period::M5,
        Period::M15,
        Period::M30,
        Period::H1,
        Period::H2,
        Period::H4,
        Period::H6,
        Period::H12,
        Period::D1,
    ];
    pub const DEFAULT: Period = Period::M5;
    const RULE: &'static str = "period must be one of 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d";

    pub const fn as_str(self) -> &'static str {
        match self {
            Period::M5 => "5m",
            Period::M15 => "15m",
            Period::M30 => "30m",
            Period::H1 => "1h",
            Period::H2 => "2h",
            Period::H4 => "4h",
            Period::H6 => "6h",
            Period::H12 => "12h",
            Period::D1 => "1d",
        }
    }

    /// Length of one bucket in milliseconds.
    pub const fn millis(self) -> i64 {
        const MIN: i64 = 60_000;
        match self {
            Period::M5 => 5 * MIN,
            Period::M15 => 15 * MIN,
            Period::M30 => 30 * MIN,
            Period::H1 => 60 * MIN,
            Period::H2 => 120 * MIN,
            Period::H4 => 240 * MIN,
            Period::H6 => 360 * MIN,
            Period::H12 => 720 * MIN,
            Period::D1 => 1440 * MIN,
        }
    }

    /// Exact, case-sensitive match (Binance's own spelling; `1H` is not a period there either).
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        Period::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| ApiError::invalid("period", Period::RULE))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_period_is_unknown_should_list_the_allowed_values() {
        for p in ["3m", "1H", "1w", "", " 1h", "5m "] {
            let err = Period::parse(p).unwrap_err();
            assert_eq!(err.parameter(), Some("period"), "{p:?}");
            assert_eq!(
                err.to_string(),
                "period must be one of 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d"
            );
        }
        for p in Period::ALL {
            assert_eq!(Period::parse(p.as_str()).unwrap(), p);
        }
    }

    #[test]
    fn a_bucket_lasts_its_name() {
        assert_eq!(Period::M5.millis(), 300_000);
        assert_eq!(Period::H12.millis(), 43_200_000);
        assert_eq!(Period::D1.millis(), 86_400_000);
    }
}
