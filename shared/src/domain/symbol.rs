//! Instruments: a USDT perpetual [`Symbol`] and a list of them ([`CoinList`]). Parse, don't
//! validate: both can only hold valid values, so nothing from a query string reaches an upstream
//! URL unchecked.

use std::fmt;

use super::error::{printable, ApiError};

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
        if let Some(base) = coin.strip_suffix(QUOTE).filter(|b| !b.is_empty()) {
            return Err(ApiError::invalid(
                "coin",
                format!(
                    "coin is the base asset ({base}), not the symbol; for {coin} pass coin={base} or symbol={coin}"
                ),
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

    /// The base asset: `BTC` for `BTCUSDT`.
    pub fn coin(&self) -> &str {
        &self.0[..self.0.len() - QUOTE.len()]
    }

    /// The coin without Binance's scale prefix: `PEPE` for 1000PEPEUSDT (Binance quotes cheap
    /// coins per 1,000 or 1,000,000; OKX, Gate and Bitget list them unscaled, and long/short
    /// shares and USD amounts do not depend on the scale).
    pub fn unscaled_coin(&self) -> &str {
        let coin = self.coin();
        ["1000000", "1000"]
            .iter()
            .find_map(|prefix| {
                coin.strip_prefix(prefix)
                    .filter(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
            })
            .unwrap_or(coin)
    }
}

/// BTCUSDT, what every endpoint answers for when neither `coin` nor `symbol` is given.
impl Default for Symbol {
    fn default() -> Self {
        Symbol(DEFAULT_SYMBOL.to_string())
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

/// Most coins one list holds (after de-duplication): the screener's `coins` and `pinned`.
pub const MAX_COINS: usize = 50;

/// A comma-separated list of base assets (`BTC,eth, sol`): case-insensitive, spaces around an
/// item ignored, 1 to [`MAX_COINS`] distinct coins (duplicates dropped, first order kept).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoinList(Vec<Symbol>);

impl CoinList {
    /// `parameter` is the name a refusal names (`coins`, `pinned`).
    pub fn parse(parameter: &'static str, text: &str) -> Result<Self, ApiError> {
        let mut out: Vec<Symbol> = Vec::new();
        for item in text.split(',') {
            let item = item.trim_matches(' ');
            let symbol = Symbol::from_coin(item).map_err(|_| {
                ApiError::invalid(
                    parameter,
                    format!(
                        "{parameter}: '{}' is not a base asset; give comma-separated coins of 1 to 20 \
                         letters or digits, such as BTC,ETH,SOL",
                        printable(item, 24)
                    ),
                )
            })?;
            if !out.contains(&symbol) {
                out.push(symbol);
            }
            if out.len() > MAX_COINS {
                return Err(ApiError::invalid(
                    parameter,
                    format!("{parameter}: at most {MAX_COINS} distinct coins per call"),
                ));
            }
        }
        Ok(CoinList(out))
    }

    pub fn symbols(&self) -> &[Symbol] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unscaled_coin_drops_only_a_scale_prefix() {
        let coin = |s: &str| Symbol::from_coin(s).unwrap();
        assert_eq!(coin("1000PEPE").unscaled_coin(), "PEPE");
        assert_eq!(coin("1000000MOG").unscaled_coin(), "MOG");
        assert_eq!(coin("BTC").unscaled_coin(), "BTC");
        // Digits that are part of the name stay.
        assert_eq!(coin("1INCH").unscaled_coin(), "1INCH");
        assert_eq!(coin("10000").unscaled_coin(), "10000");
    }

    #[test]
    fn coin_and_symbol_are_case_insensitive() {
        assert_eq!(Symbol::from_coin("eth").unwrap().as_str(), "ETHUSDT");
        assert_eq!(Symbol::from_symbol("solUsdt").unwrap().as_str(), "SOLUSDT");
        assert_eq!(
            Symbol::from_coin("1000pepe").unwrap().as_str(),
            "1000PEPEUSDT"
        );
        assert_eq!(Symbol::from_coin("1000pepe").unwrap().coin(), "1000PEPE");
        assert_eq!(Symbol::default().as_str(), "BTCUSDT");
    }

    #[test]
    fn a_symbol_given_as_coin_is_refused_naming_what_was_sent() {
        let e = Symbol::from_coin("ethusdt").unwrap_err();
        assert_eq!(e.parameter(), Some("coin"));
        assert_eq!(
            e.to_string(),
            "coin is the base asset (ETH), not the symbol; for ETHUSDT pass coin=ETH or symbol=ETHUSDT"
        );
        assert!(
            Symbol::from_coin("USDT").is_ok(),
            "USDT alone is a base asset name"
        );
    }

    #[test]
    fn twenty_characters_are_a_coin_and_twenty_one_are_not() {
        assert!(Symbol::from_coin(&"A".repeat(20)).is_ok());
        assert!(Symbol::from_coin(&"A".repeat(21)).is_err());
    }

    #[test]
    fn coin_lists_are_case_insensitive_trimmed_and_deduplicated_in_first_order() {
        let l = CoinList::parse("coins", "eth, BTC,eth,1000pepe,Btc").unwrap();
        let got: Vec<&str> = l.symbols().iter().map(Symbol::as_str).collect();
        assert_eq!(got, ["ETHUSDT", "BTCUSDT", "1000PEPEUSDT"]);
        let e = CoinList::parse("pinned", "BTC,ETH-").unwrap_err();
        assert_eq!(e.parameter(), Some("pinned"));
        assert!(e.to_string().contains("'ETH-'"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn any_valid_symbol_is_ascii_upper_and_ends_in_usdt(s in "[a-zA-Z0-9]{0,22}(USDT|usdt|USDC|)|\\PC{0,30}") {
            if let Ok(sym) = Symbol::from_symbol(&s) {
                proptest::prop_assert!(sym.as_str().ends_with("USDT"));
                proptest::prop_assert!(sym.as_str().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
                proptest::prop_assert_eq!(sym.as_str(), s.to_ascii_uppercase());
            }
            if let Ok(sym) = Symbol::from_coin(&s) {
                proptest::prop_assert!(sym.as_str().len() <= 24);
                proptest::prop_assert_eq!(sym.coin(), s.to_ascii_uppercase());
            }
        }
    }
}
