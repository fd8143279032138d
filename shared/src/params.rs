//! Request parameters: parse, don't validate. `Symbol`, `Period` and `Limit` can only hold valid
//! values, so nothing from the query string reaches an upstream URL unchecked.

use std::fmt;

use crate::error::ApiError;

/// A USDT perpetual symbol: `[A-Z0-9]{1,20}` followed by `USDT`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Symbol(String);

pub const DEFAULT_SYMBOL: &str = "BTCUSDT";
pub const MAX_COIN_LEN: usize = 20;
const QUOTE: &str = "USDT";

impl Symbol {
    /// From a base asset (`coin`), case-insensitive.
    pub fn from_coin(coin: &str) -> Result<Self, ApiError> {
        let coin = coin.to_ascii_uppercase();
        if !is_base_asset(&coin) {
            return Err(ApiError::invalid(
                "coin",
                "coin must be the base asset: 1 to 20 letters or digits, such as BTC",
            ));
        }
        if coin.len() > QUOTE.len() && coin.ends_with(QUOTE) {
            return Err(ApiError::invalid(
                "coin",
                "coin is the base asset (BTC), not the symbol; for BTCUSDT pass coin=BTC or symbol=BTCUSDT",
            ));
        }
        Ok(Symbol(coin + QUOTE))
    }

    /// From a full symbol, case-insensitive; it must end in `USDT`.
    pub fn from_symbol(symbol: &str) -> Result<Self, ApiError> {
        let symbol = symbol.to_ascii_uppercase();
        match symbol.strip_suffix(QUOTE) {
            Some(base) if is_base_asset(base) => Ok(Symbol(symbol)),
            _ => Err(ApiError::invalid(
                "symbol",
                "symbol must be a USDT perpetual such as BTCUSDT: 1 to 20 letters or digits followed by USDT",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_base_asset(s: &str) -> bool {
    (1..=MAX_COIN_LEN).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

/// Number of history buckets: 1 to 500 (Binance's own maximum per call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 500;
    pub const DEFAULT: Limit = Limit(48);

    /// Plain decimal digits only: `1e3`, `-1`, `48.5`, `+5` and `0x10` are all refused.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let err = || ApiError::invalid("limit", "limit must be a whole number from 1 to 500");
        if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let n: u16 = text.parse().map_err(|_| err())?;
        if (Limit::MIN..=Limit::MAX).contains(&n) {
            Ok(Limit(n))
        } else {
            Err(err())
        }
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

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
                    printable(name),
                    format!(
                        "unknown parameter '{}'; this endpoint accepts {}",
                        printable(name),
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
            (None, None) => Ok(Symbol(DEFAULT_SYMBOL.to_string())),
        }
    }

    pub fn period(&self) -> Result<Period, ApiError> {
        self.get("period")
            .map_or(Ok(Period::DEFAULT), Period::parse)
    }

    pub fn limit(&self) -> Result<Limit, ApiError> {
        self.get("limit").map_or(Ok(Limit::DEFAULT), Limit::parse)
    }
}

/// A caller-supplied name cut short and made printable, safe to echo in a message and a log line;
/// never empty (`?=1` and `=1` both name something), as the contract's `error.parameter` requires.
fn printable(name: &str) -> String {
    if name.is_empty() {
        return "(empty name)".to_string();
    }
    let mut shown: String = name
        .chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_graphic() && c != '\'' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if name.chars().count() > 32 {
        shown.push('…');
    }
    shown
}

/// What the market endpoints (positioning, divergence) accept.
pub const MARKET_PARAMS: &[&str] = &["coin", "symbol", "period"];
/// What history accepts.
pub const HISTORY_PARAMS: &[&str] = &["coin", "symbol", "period", "limit"];

/// The validated parameters of a market call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Market {
    pub symbol: Symbol,
    pub period: Period,
}

impl Market {
    pub fn from_query(query: &Query<'_>) -> Result<Self, ApiError> {
        Ok(Market {
            symbol: query.symbol()?,
            period: query.period()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(pairs: &[(&str, &str)]) -> Result<Market, ApiError> {
        Market::from_query(&Query::new(pairs.iter().copied(), MARKET_PARAMS)?)
    }

    fn parameter_of(r: Result<Market, ApiError>) -> String {
        r.unwrap_err().parameter().unwrap().to_string()
    }

    #[test]
    fn when_nothing_is_given_should_default_to_btcusdt_5m() {
        let m = market(&[]).unwrap();
        assert_eq!(m.symbol.as_str(), "BTCUSDT");
        assert_eq!(m.period, Period::M5);
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
        assert!(Symbol::from_coin(&"A".repeat(20)).is_ok());
    }

    #[test]
    fn when_period_is_unknown_should_list_the_allowed_values() {
        for p in ["3m", "1H", "1w", "", " 1h", "5m "] {
            let err = market(&[("period", p)]).unwrap_err();
            assert_eq!(err.parameter(), Some("period"), "{p:?}");
        }
        let err = Period::parse("3m").unwrap_err();
        assert_eq!(
            err.to_string(),
            "period must be one of 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d"
        );
        for p in Period::ALL {
            assert_eq!(Period::parse(p.as_str()).unwrap(), p);
        }
    }

    #[test]
    fn limit_accepts_only_plain_whole_numbers_from_1_to_500() {
        assert_eq!(Limit::parse("1").unwrap().get(), 1);
        assert_eq!(Limit::parse("500").unwrap().get(), 500);
        assert_eq!(Limit::parse("048").unwrap().get(), 48);
        for bad in [
            "0", "501", "1e3", "-1", "48.5", "+5", "", "0x10", "5000", " 5",
        ] {
            assert!(Limit::parse(bad).is_err(), "{bad:?}");
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

    proptest::proptest! {
        #[test]
        fn any_query_is_either_valid_or_a_named_400(name in ".{0,24}", value in ".{0,64}") {
            match Query::new([(name.as_str(), value.as_str())], HISTORY_PARAMS)
                .and_then(|q| { Market::from_query(&q)?; q.limit() }) {
                Ok(_) => {}
                Err(e) => {
                    proptest::prop_assert_eq!(e.status().as_u16(), 400);
                    proptest::prop_assert!(e.parameter().is_some_and(|p| !p.is_empty()));
                }
            }
        }

        #[test]
        fn any_valid_symbol_is_ascii_upper_and_ends_in_usdt(s in "\\PC{0,30}") {
            if let Ok(sym) = Symbol::from_symbol(&s) {
                proptest::prop_assert!(sym.as_str().ends_with("USDT"));
                proptest::prop_assert!(sym.as_str().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
            }
            if let Ok(sym) = Symbol::from_coin(&s) {
                proptest::prop_assert!(sym.as_str().len() <= 24);
            }
        }
    }
}
