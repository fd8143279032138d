//! The query string as received, checked against the parameters an endpoint accepts (unknown
//! names, repeated names and empty values are refused before anything else happens), and the
//! parameters every single-market endpoint shares ([`Market`]).

use crate::domain::error::printable;
use crate::domain::{ApiError, Period, Symbol};

/// The query string as received, checked against the parameters an endpoint accepts:
/// unknown names, repeated names and empty values are refused before anything else happens.
pub struct Query<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Query<'a> {
    pub fn new(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        accepted: &[&'static str],
    ) -> Result<Self, ApiError> {
        let mut seen: Vec<(&'a str, &'a str)> = Vec::new();
        for (name, value) in pairs {
            let Some(&known) = accepted.iter().find(|a| **a == name) else {
                return Err(ApiError::invalid(
                    printable(name, 32),
                    format!(
                        "unknown parameter '{}'; this endpoint accepts {}",
                        printable(name, 32),
                        if accepted.is_empty() {
                            "no parameters".to_string()
                        } else {
                            accepted.join(", ")
                        }
                    ),
                ));
            };
            if seen.iter().any(|(n, _)| *n == known) {
                return Err(ApiError::invalid(
                    known,
                    format!("{known} was given more than once; give it once"),
                ));
            }
            if value.is_empty() {
                return Err(ApiError::invalid(
                    known,
                    format!("{known} is empty; leave it out to use the default"),
                ));
            }
            seen.push((known, value));
        }
        Ok(Query { pairs: seen })
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// `coin` or `symbol` (they must agree when both are given); neither means BTCUSDT.
    pub fn symbol(&self) -> Result<Symbol, ApiError> {
        let from_coin = self.get("coin").map(Symbol::from_coin).transpose()?;
        let from_symbol = self.get("symbol").map(Symbol::from_symbol).transpose()?;
        match (from_coin, from_symbol) {
            (Some(a), Some(b)) if a != b => Err(ApiError::invalid(
                "symbol",
                format!("coin and symbol disagree ({a} vs {b}); give one of them"),
            )),
            (Some(s), _) | (None, Some(s)) => Ok(s),
            (None, None) => Ok(Symbol::default()),
        }
    }

    /// `period`, or `default` when it is not given.
    pub fn period_or(&self, default: Period) -> Result<Period, ApiError> {
        self.get("period").map_or(Ok(default), Period::parse)
    }
}

/// What the single-market endpoints (positioning, divergence, signal) accept.
pub const MARKET_PARAMS: &[&str] = &["coin", "symbol", "period"];

/// The validated instrument and period of a single-market call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Market {
    pub symbol: Symbol,
    pub period: Period,
}

impl Market {
    /// `coin`/`symbol` and `period` (`default_period` when not given).
    pub fn from_query(query: &Query<'_>, default_period: Period) -> Result<Self, ApiError> {
        Ok(Market {
            symbol: query.symbol()?,
            period: query.period_or(default_period)?,
        })
    }
}

/// How an answer is written: the JSON envelope (default) or, where offered, a CSV file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Json,
    Csv,
}

impl Format {
    /// `format`'s values.
    pub const NAMES: [(&'static str, Format); 2] = [("json", Format::Json), ("csv", Format::Csv)];

    /// `format`: `json` or `csv`; JSON when not given.
    pub fn from_query(query: &Query<'_>) -> Result<Self, ApiError> {
        query.get("format").map_or(Ok(Format::Json), |text| {
            crate::domain::names::one_of("format", text, &Format::NAMES)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_json_or_csv_and_anything_else_a_400_naming_it() {
        let format = |pairs: &[(&str, &str)]| {
            Format::from_query(&Query::new(pairs.iter().copied(), &["format"]).unwrap())
        };
        assert_eq!(format(&[]).unwrap(), Format::Json);
        assert_eq!(format(&[("format", "csv")]).unwrap(), Format::Csv);
        assert_eq!(format(&[("format", "json")]).unwrap(), Format::Json);
        for bad in ["CSV", "xlsx", "csv "] {
            let e = format(&[("format", bad)]).unwrap_err();
            assert_eq!(e.parameter(), Some("format"), "{bad:?}");
            assert!(e.to_string().contains("json, csv"), "{e}");
        }
    }

    fn market(pairs: &[(&str, &str)]) -> Result<Market, ApiError> {
        Market::from_query(
            &Query::new(pairs.iter().copied(), MARKET_PARAMS)?,
            Period::M5,
        )
    }

    fn parameter_of(r: Result<Market, ApiError>) -> String {
        r.unwrap_err().parameter().unwrap().to_string()
    }

    #[test]
    fn when_nothing_is_given_should_default_to_btcusdt_and_the_endpoint_period() {
        let m = market(&[]).unwrap();
        assert_eq!(m.symbol.as_str(), "BTCUSDT");
        assert_eq!(m.period, Period::M5);
        let q = Query::new([], MARKET_PARAMS).unwrap();
        assert_eq!(
            Market::from_query(&q, Period::H1).unwrap().period,
            Period::H1
        );
    }

    #[test]
    fn coin_and_symbol_are_case_insensitive() {
        assert_eq!(
            market(&[("coin", "eth")]).unwrap().symbol.as_str(),
            "ETHUSDT"
        );
        assert_eq!(
            market(&[("symbol", "solUsdt")]).unwrap().symbol.as_str(),
            "SOLUSDT"
        );
        assert_eq!(
            market(&[("coin", "1000pepe")]).unwrap().symbol.as_str(),
            "1000PEPEUSDT"
        );
    }

    #[test]
    fn when_coin_and_symbol_agree_should_accept_and_when_they_disagree_should_name_symbol() {
        assert!(market(&[("coin", "btc"), ("symbol", "BTCUSDT")]).is_ok());
        assert_eq!(
            parameter_of(market(&[("coin", "ETH"), ("symbol", "BTCUSDT")])),
            "symbol"
        );
    }

    #[test]
    fn bad_coins_and_symbols_name_their_parameter() {
        for coin in [
            "",
            "BTC-",
            "../",
            "BTC&period=1d",
            "₿",
            "A".repeat(21).as_str(),
            "BTCUSDT",
        ] {
            assert_eq!(parameter_of(market(&[("coin", coin)])), "coin", "{coin:?}");
        }
        for symbol in ["BTC", "USDT", "BTCUSDC", "BTC_USDT", "%00USDT", "btcusdt\0"] {
            assert_eq!(
                parameter_of(market(&[("symbol", symbol)])),
                "symbol",
                "{symbol:?}"
            );
        }
    }

    #[test]
    fn unknown_repeated_and_empty_parameters_are_refused() {
        let e = Query::new([("peroid", "1h")], MARKET_PARAMS).err().unwrap();
        assert_eq!(e.parameter(), Some("peroid"));
        assert!(e.to_string().contains("'peroid'"), "{e}");
        let e = Query::new([("period", "1h"), ("period", "1h")], MARKET_PARAMS)
            .err()
            .unwrap();
        assert_eq!(e.parameter(), Some("period"));
        let e = Query::new([("coin", "")], MARKET_PARAMS).err().unwrap();
        assert_eq!(e.parameter(), Some("coin"));
        let e = Query::new([("limit", "5")], MARKET_PARAMS).err().unwrap();
        assert_eq!(e.parameter(), Some("limit"));
    }

    #[test]
    fn echoed_names_are_short_and_printable() {
        let long = "x".repeat(10_000);
        let e = Query::new([(long.as_str(), "1")], MARKET_PARAMS)
            .err()
            .unwrap();
        assert!(e.to_string().len() < 200);
        assert_eq!(e.parameter().unwrap().chars().count(), 33);
        let e = Query::new([("a\u{0}\n", "1")], MARKET_PARAMS)
            .err()
            .unwrap();
        assert!(e.to_string().contains("'a??'"), "{e}");
        let e = Query::new([("", "1")], MARKET_PARAMS).err().unwrap();
        assert_eq!(e.parameter(), Some("(empty name)"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Names an endpoint accepts, with near misses (case, spacing, typos).
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec!["coin", "symbol", "period"]).prop_map(String::from),
            1 => prop::sample::select(vec!["Coin", "period ", "peroid", "limit", "", "coin[]"]).prop_map(String::from),
            1 => ".{0,12}",
        ]
    }

    /// Values mostly valid or nearly so, for any of the names.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[A-Za-z0-9]{1,20}",
            2 => "[A-Za-z0-9]{1,21}(USDT|usdt|USDC)",
            2 => prop::sample::select(vec!["5m", "15m", "1h", "1H", "3m", "1d ", "12h", "6h", "1w"]).prop_map(String::from),
            1 => "[A-Za-z0-9_.\\-/%& ]{0,24}",
            1 => ".{0,24}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn any_query_is_either_valid_or_a_named_400(pairs in prop::collection::vec((name(), value()), 0..4)) {
            let parsed = Query::new(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())), MARKET_PARAMS)
                .and_then(|q| Market::from_query(&q, Period::M5));
            match parsed {
                Ok(m) => {
                    // Valid: exactly what was asked, within the rules.
                    prop_assert!(m.symbol.as_str().ends_with("USDT"));
                    let period = pairs.iter().find(|(n, _)| n == "period").map(|(_, v)| v.as_str());
                    prop_assert_eq!(m.period.as_str(), period.unwrap_or("5m"));
                }
                Err(e) => {
                    prop_assert_eq!(e.status(), 400);
                    prop_assert!(e.parameter().is_some_and(|p| !p.is_empty()));
                }
            }
        }
    }
}
