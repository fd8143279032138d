//! Runtime configuration, read once at cold start: environment variables with safe defaults.

use crate::binance::DEFAULT_BASE_URL;
use crate::decimal::Pct;

pub const DEFAULT_THRESHOLD_PP: Pct = Pct::from_units(800);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where Binance (or a stand-in for it) lives: `BINANCE_BASE_URL`.
    pub binance_base_url: String,
    /// The signal threshold in percentage points: `DIVERGENCE_THRESHOLD_PP`.
    pub threshold: Pct,
    /// What every answer's `source` says; follows `binance_base_url`.
    pub source: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            binance_base_url: DEFAULT_BASE_URL.to_string(),
            threshold: DEFAULT_THRESHOLD_PP,
            source: source_of(DEFAULT_BASE_URL),
        }
    }
}

impl Config {
    pub fn from_env() -> Self {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any name → value lookup; a bad value is logged and its default kept, so that
    /// configuration can never fail a request.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut config = Config::default();
        config.apply(
            lookup("BINANCE_BASE_URL").as_deref(),
            lookup("DIVERGENCE_THRESHOLD_PP").as_deref(),
        );
        config
    }

    /// Overlays the given settings where they are valid.
    pub fn apply(&mut self, base_url: Option<&str>, threshold_pp: Option<&str>) {
        if let Some(url) = base_url.map(str::trim).filter(|u| !u.is_empty()) {
            if url.starts_with("https://") || url.starts_with("http://") {
                self.binance_base_url = url.trim_end_matches('/').to_string();
                self.source = source_of(&self.binance_base_url);
            } else {
                tracing::warn!(value = url, "ignoring binance base URL: not http(s)");
            }
        }
        if let Some(text) = threshold_pp {
            match Pct::parse(text) {
                Ok(t) if t > Pct::from_units(0) && t <= Pct::from_units(10_000) => {
                    self.threshold = t
                }
                _ => tracing::warn!(
                    value = text,
                    "ignoring divergence threshold: not a number in (0, 100]"
                ),
            }
        }
    }
}

/// What every answer's `source` says. Anything but Binance itself is said loudly.
fn source_of(url: &str) -> String {
    if url == DEFAULT_BASE_URL {
        return "binance_usdm_futures".to_string();
    }
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    if matches!(host, "localhost" | "[") || host.starts_with("127.") {
        "local_standin: SIMULATED data from a local Binance stand-in, NOT live market data"
            .to_string()
    } else {
        "binance_usdm_futures via a configured upstream".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_are_binance_and_eight_points() {
        let c = Config::from_lookup(lookup(&[]));
        assert_eq!(c.binance_base_url, "https://fapi.binance.com");
        assert_eq!(c.threshold, Pct::from_units(800));
        assert_eq!(c.source, "binance_usdm_futures");
    }

    #[test]
    fn environment_overrides_and_bad_values_keep_defaults() {
        let c = Config::from_lookup(lookup(&[
            ("BINANCE_BASE_URL", "http://127.0.0.1:9100/"),
            ("DIVERGENCE_THRESHOLD_PP", "7.5"),
        ]));
        assert_eq!(c.binance_base_url, "http://127.0.0.1:9100");
        assert_eq!(c.threshold, Pct::from_units(750));
        assert!(c.source.starts_with("local_standin"));
        let c = Config::from_lookup(lookup(&[
            ("BINANCE_BASE_URL", "ftp://x"),
            ("DIVERGENCE_THRESHOLD_PP", "-3"),
        ]));
        assert_eq!(c, Config::default());
    }
}
