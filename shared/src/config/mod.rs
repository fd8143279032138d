//! Runtime configuration: every environment variable and SSM parameter is read in this module
//! (`settings` keeps the configuration in force, `ssm` reads Parameter Store). Environment
//! variables give the defaults; a bad value is logged and its default kept.

pub mod settings;
pub mod ssm;

use crate::domain::{CoinList, Pct, Symbol, Venue};
use crate::maths::signal::{DEFAULT_SMOOTHING_HOURS, DEFAULT_SUSTAINED_PP};
use crate::upstream::hyperliquid::leaderboard::{TrackingRule, TrackingSource};
use crate::upstream::wire::amount;

pub use settings::Settings;

pub const DEFAULT_THRESHOLD_PP: Pct = Pct::from_units(800);
/// The pillar methodology's significant level for the 12-hour mean SDS: ±10 pp.
pub const DEFAULT_SDS_SUSTAINED_PP: Pct = Pct::from_units(1_000);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where each venue (or a stand-in for it) lives, `scheme://host[:port]`, for the venues
    /// configured: `BINANCE_BASE_URL`, `OKX_BASE_URL`, `BYBIT_BASE_URL`, `GATE_BASE_URL`,
    /// `BITGET_BASE_URL` (or SSM's `<venue>_base_url`). Any other venue: its adapter's default.
    pub base_urls: Vec<(Venue, String)>,
    /// The signal threshold in percentage points: `DIVERGENCE_THRESHOLD_PP`.
    pub threshold: Pct,
    /// `/v1/signal`: the smoothed gap is `sustained` at or beyond ± this: `SIGNAL_SUSTAINED_PP`.
    pub signal_sustained: Pct,
    /// `/v1/signal`: trailing window of the smoothed gap, 1–168 hours: `SIGNAL_SMOOTHING_HOURS`.
    pub signal_smoothing_hours: u32,
    /// `/v1/exchanges`: the 12-hour mean SDS is `sustained` at or beyond ± this:
    /// `SDS_SUSTAINED_PP`.
    pub sds_sustained: Pct,
    /// `/v1/screener` without `coins`: this universe, `SCREENER_DEFAULT_COINS` (comma-separated).
    pub screener_default_coins: Vec<Symbol>,
    /// Binance requests per 5 minutes for this instance, `BINANCE_REQUEST_BUDGET` (local test
    /// rigs that call far more often than a real instance ever may); `None`: the capacity
    /// model's figure for the function (`upstream::budget`).
    pub binance_request_budget: Option<u32>,
    /// Percent (1–100) of this instance's Binance budget in force: `BINANCE_BUDGET_PCT` or SSM's
    /// `binance_budget_pct`, so an operator can lower every instance's share without a deploy
    /// (it takes effect at the next settings refresh).
    pub binance_budget_pct: u32,
    /// Hyperliquid's info API and its leaderboard's host (`/v1/wallets`):
    /// `HYPERLIQUID_BASE_URL`, `HYPERLIQUID_STATS_URL` or SSM's `hyperliquid_base_url`,
    /// `hyperliquid_stats_url`; `None`: the adapter's defaults.
    pub hyperliquid_base_url: Option<String>,
    pub hyperliquid_stats_url: Option<String>,
    /// The tracked wallets (`/v1/wallets`): the rule over the leaderboard from
    /// `WALLETS_MIN_ACCOUNT_VALUE_USD`, `WALLETS_COHORT_SIZE` and `WALLETS_EXCLUDED` (comma-separated
    /// addresses), or SSM's `wallets_min_account_value_usd`, `wallets_cohort_size`,
    /// `wallets_excluded`; an operator's `tracked_wallets` (SSM or env `TRACKED_WALLETS`) replaces
    /// the rule.
    pub wallet_tracking: TrackingSource,
}

/// The settings of `/v1/wallets`, as SSM names them (the environment variables are these in
/// upper case): Hyperliquid's two URLs, the cohort rule's three settings, the operator's list.
pub const WALLET_SETTINGS: [&str; 6] = [
    "hyperliquid_base_url",
    "hyperliquid_stats_url",
    "wallets_min_account_value_usd",
    "wallets_cohort_size",
    "wallets_excluded",
    "tracked_wallets",
];

/// The environment variable naming `venue`'s base URL: `OKX_BASE_URL`.
pub fn base_url_variable(venue: Venue) -> String {
    format!("{}_BASE_URL", venue.id().to_ascii_uppercase())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_urls: Vec::new(),
            threshold: DEFAULT_THRESHOLD_PP,
            signal_sustained: DEFAULT_SUSTAINED_PP,
            signal_smoothing_hours: DEFAULT_SMOOTHING_HOURS,
            sds_sustained: DEFAULT_SDS_SUSTAINED_PP,
            screener_default_coins: default_screener_coins(),
            binance_request_budget: None,
            binance_budget_pct: 100,
            hyperliquid_base_url: None,
            hyperliquid_stats_url: None,
            wallet_tracking: TrackingSource::default(),
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
        for venue in Venue::ALL {
            config.apply_base_url(venue, lookup(&base_url_variable(venue)).as_deref());
        }
        config.apply_wallets(|name| lookup(&name.to_ascii_uppercase()));
        config.apply_threshold(lookup("DIVERGENCE_THRESHOLD_PP").as_deref());
        config.apply_signal(
            lookup("SIGNAL_SUSTAINED_PP").as_deref(),
            lookup("SIGNAL_SMOOTHING_HOURS").as_deref(),
        );
        if let Some(text) = lookup("SDS_SUSTAINED_PP") {
            match Pct::parse(&text) {
                Ok(t) if t > Pct::from_units(0) && t <= Pct::from_units(10_000) => {
                    config.sds_sustained = t
                }
                _ => tracing::warn!(
                    value = text,
                    "ignoring SDS sustained level: not in (0, 100]"
                ),
            }
        }
        if let Some(text) = lookup("SCREENER_DEFAULT_COINS") {
            config.apply_screener_coins(&text);
        }
        if let Some(text) = lookup("BINANCE_REQUEST_BUDGET") {
            match text.trim().parse::<u32>() {
                Ok(n) if n > 0 => config.binance_request_budget = Some(n),
                _ => tracing::warn!(value = text, "ignoring Binance request budget"),
            }
        }
        config.apply_budget_pct(lookup("BINANCE_BUDGET_PCT").as_deref());
        config
    }

    /// Overlays the Binance budget percentage where it is a whole number from 1 to 100.
    pub fn apply_budget_pct(&mut self, pct: Option<&str>) {
        let Some(text) = pct else {
            return;
        };
        match text.trim().parse::<u32>() {
            Ok(n @ 1..=100) => self.binance_budget_pct = n,
            _ => tracing::warn!(
                value = text,
                "ignoring Binance budget percentage: not 1 to 100"
            ),
        }
    }

    /// The configured base URL of `venue`; `None`: the adapter's own default.
    /// Overlays the Hyperliquid URLs and the wallet cohort where `value` (a name → text lookup,
    /// environment or SSM, names as in [`WALLET_SETTINGS`]) gives valid ones; a bad value is
    /// logged and the one in force kept.
    pub fn apply_wallets(&mut self, value: impl Fn(&str) -> Option<String>) {
        for (name, slot) in [
            (WALLET_SETTINGS[0], &mut self.hyperliquid_base_url),
            (WALLET_SETTINGS[1], &mut self.hyperliquid_stats_url),
        ] {
            if let Some(url) = value(name).map(|u| u.trim().trim_end_matches('/').to_string()) {
                if url.starts_with("https://") || url.starts_with("http://") {
                    *slot = Some(url);
                } else if !url.is_empty() {
                    tracing::warn!(
                        setting = name,
                        value = url,
                        "ignoring a URL that is not http(s)"
                    );
                }
            }
        }
        let addresses = |text: &str| -> Option<Vec<String>> {
            let list: Vec<String> = text
                .split(',')
                .map(|a| a.trim().to_ascii_lowercase())
                .filter(|a| !a.is_empty())
                .collect();
            let valid = |a: &String| {
                a.len() == 42
                    && a.starts_with("0x")
                    && a[2..].bytes().all(|b| b.is_ascii_hexdigit())
            };
            list.iter().all(valid).then_some(list)
        };
        let mut rule = match &self.wallet_tracking {
            TrackingSource::Rule(rule) => rule.clone(),
            TrackingSource::Explicit(_) => TrackingRule::default(),
        };
        if let Some(text) = value(WALLET_SETTINGS[2]) {
            match amount::<6>(text.trim()) {
                Some(min) => rule.min_account_value_usd = min,
                None => tracing::warn!(value = text, "ignoring the cohort's minimum account value"),
            }
        }
        if let Some(text) = value(WALLET_SETTINGS[3]) {
            match text.trim().parse::<usize>() {
                Ok(n @ 1..=200) => rule.size = n,
                _ => tracing::warn!(value = text, "ignoring the cohort size: not 1 to 200"),
            }
        }
        if let Some(text) = value(WALLET_SETTINGS[4]) {
            match addresses(&text) {
                Some(list) => rule.excluded = list,
                None => tracing::warn!(
                    value = text,
                    "ignoring the excluded wallets: not 0x addresses"
                ),
            }
        }
        self.wallet_tracking = match value(WALLET_SETTINGS[5]).as_deref().map(addresses) {
            Some(Some(list)) if !list.is_empty() => TrackingSource::Explicit(list),
            Some(_) => {
                tracing::warn!("ignoring tracked_wallets: not a list of 0x addresses");
                TrackingSource::Rule(rule)
            }
            None => match &self.wallet_tracking {
                TrackingSource::Explicit(list) => TrackingSource::Explicit(list.clone()),
                TrackingSource::Rule(_) => TrackingSource::Rule(rule),
            },
        };
    }

    pub fn base_url(&self, venue: Venue) -> Option<&str> {
        self.base_urls
            .iter()
            .find(|(v, _)| *v == venue)
            .map(|(_, url)| url.as_str())
    }

    /// Overlays the `/v1/signal` settings where they are valid (environment only).
    pub fn apply_signal(&mut self, sustained_pp: Option<&str>, smoothing_hours: Option<&str>) {
        if let Some(text) = sustained_pp {
            match Pct::parse(text) {
                Ok(t) if t > Pct::from_units(0) && t <= Pct::from_units(10_000) => {
                    self.signal_sustained = t
                }
                _ => tracing::warn!(
                    value = text,
                    "ignoring signal sustained level: not in (0, 100]"
                ),
            }
        }
        if let Some(text) = smoothing_hours {
            match text.trim().parse::<u32>() {
                Ok(h @ 1..=168) => self.signal_smoothing_hours = h,
                _ => tracing::warn!(
                    value = text,
                    "ignoring signal smoothing hours: not 1 to 168"
                ),
            }
        }
    }

    /// Overlays `venue`'s base URL where it is valid.
    pub fn apply_base_url(&mut self, venue: Venue, base_url: Option<&str>) {
        let Some(url) = base_url.map(str::trim).filter(|u| !u.is_empty()) else {
            return;
        };
        if url.starts_with("https://") || url.starts_with("http://") {
            let url = url.trim_end_matches('/').to_string();
            self.base_urls.retain(|(v, _)| *v != venue);
            self.base_urls.push((venue, url));
        } else {
            tracing::warn!(
                venue = venue.id(),
                value = url,
                "ignoring base URL: not http(s)"
            );
        }
    }

    /// Overlays the threshold where it is valid.
    pub fn apply_threshold(&mut self, threshold_pp: Option<&str>) {
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

/// About 20 liquid USDT perpetuals: the screener's universe unless configured otherwise.
pub const DEFAULT_SCREENER_COINS: &str =
    "BTC,ETH,SOL,BNB,XRP,DOGE,ADA,AVAX,LINK,TRX,DOT,TON,SUI,LTC,BCH,NEAR,APT,ARB,OP,1000PEPE";

fn default_screener_coins() -> Vec<Symbol> {
    CoinList::parse("coins", DEFAULT_SCREENER_COINS)
        .map(|c| c.symbols().to_vec())
        .unwrap_or_default()
}

impl Config {
    /// Overlays the screener's default universe when the whole list is valid (as `coins=`).
    pub fn apply_screener_coins(&mut self, text: &str) {
        match CoinList::parse("coins", text.trim()) {
            Ok(coins) => self.screener_default_coins = coins.symbols().to_vec(),
            Err(e) => tracing::warn!(error = %e, "ignoring screener default coins"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wallet_settings_overlay_the_rule_and_an_explicit_list_replaces_it() {
        use crate::domain::Fixed;
        let a = "0x162cc7c861ebd0c06b3d72319201150482518185";
        let b = "0xDFC24B077BC1425AD1DEA75BCB6F8158E10DF303";
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Config::default().wallet_tracking,
            TrackingSource::Rule(TrackingRule::default())
        );
        let c = Config::from_lookup(env(&[
            ("HYPERLIQUID_BASE_URL", "http://127.0.0.1:9100/"),
            ("WALLETS_MIN_ACCOUNT_VALUE_USD", "250000.5"),
            ("WALLETS_COHORT_SIZE", "20"),
            (
                "WALLETS_EXCLUDED",
                "0x162CC7C861EBD0C06B3D72319201150482518185",
            ),
        ]));
        assert_eq!(
            c.hyperliquid_base_url.as_deref(),
            Some("http://127.0.0.1:9100")
        );
        assert_eq!(c.hyperliquid_stats_url, None);
        assert_eq!(
            c.wallet_tracking,
            TrackingSource::Rule(TrackingRule {
                min_account_value_usd: Fixed(250_000_500_000),
                size: 20,
                excluded: vec![a.to_string()],
            })
        );
        // Bad values are logged and the defaults kept; a list replaces the rule.
        let c = Config::from_lookup(env(&[
            ("WALLETS_COHORT_SIZE", "0"),
            ("WALLETS_EXCLUDED", "nope"),
            ("HYPERLIQUID_STATS_URL", "ftp://x"),
        ]));
        assert_eq!(
            c.wallet_tracking,
            TrackingSource::Rule(TrackingRule::default())
        );
        assert_eq!(c.hyperliquid_stats_url, None);
        let c = Config::from_lookup(env(&[("TRACKED_WALLETS", "0x162cc7c861ebd0c06b3d72319201150482518185, 0xDFC24B077BC1425AD1DEA75BCB6F8158E10DF303")]));
        assert_eq!(
            c.wallet_tracking,
            TrackingSource::Explicit(vec![a.to_string(), b.to_ascii_lowercase()])
        );
    }

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
        assert_eq!(c.base_url(Venue::Binance), None);
        assert_eq!(c.threshold, Pct::from_units(800));
        assert_eq!(c.binance_request_budget, None);
    }

    #[test]
    fn environment_overrides_and_bad_values_keep_defaults() {
        let c = Config::from_lookup(lookup(&[
            ("BINANCE_BASE_URL", "http://127.0.0.1:9100/"),
            ("OKX_BASE_URL", " https://okx-proxy.example "),
            ("DIVERGENCE_THRESHOLD_PP", "7.5"),
            ("SDS_SUSTAINED_PP", "12.5"),
        ]));
        assert_eq!(c.sds_sustained, Pct::from_units(1_250));
        assert_eq!(c.base_url(Venue::Binance), Some("http://127.0.0.1:9100"));
        assert_eq!(c.base_url(Venue::Okx), Some("https://okx-proxy.example"));
        assert_eq!(c.base_url(Venue::Gate), None);
        assert_eq!(c.threshold, Pct::from_units(750));
        let c = Config::from_lookup(lookup(&[
            ("BINANCE_BASE_URL", "ftp://x"),
            ("BITGET_BASE_URL", "api.bitget.com"),
            ("DIVERGENCE_THRESHOLD_PP", "-3"),
            ("BINANCE_REQUEST_BUDGET", "0"),
        ]));
        assert_eq!(c, Config::default());
        for (text, pct) in [
            ("50", 50),
            (" 1 ", 1),
            ("100", 100),
            ("0", 100),
            ("101", 100),
            ("x", 100),
        ] {
            let c = Config::from_lookup(|n| (n == "BINANCE_BUDGET_PCT").then(|| text.to_string()));
            assert_eq!(c.binance_budget_pct, pct, "{text:?}");
        }
        let c = Config::from_lookup(lookup(&[("BINANCE_REQUEST_BUDGET", " 1000000 ")]));
        assert_eq!(c.binance_request_budget, Some(1_000_000));
    }

    #[test]
    fn signal_settings_default_to_10_points_and_12_hours_and_bad_values_keep_them() {
        let c = Config::from_lookup(lookup(&[]));
        assert_eq!(
            (c.signal_sustained, c.signal_smoothing_hours),
            (Pct::from_units(1000), 12)
        );
        let c = Config::from_lookup(lookup(&[
            ("SIGNAL_SUSTAINED_PP", "12.5"),
            ("SIGNAL_SMOOTHING_HOURS", "6"),
        ]));
        assert_eq!(
            (c.signal_sustained, c.signal_smoothing_hours),
            (Pct::from_units(1250), 6)
        );
        let c = Config::from_lookup(lookup(&[
            ("SIGNAL_SUSTAINED_PP", "0"),
            ("SIGNAL_SMOOTHING_HOURS", "169"),
        ]));
        assert_eq!(c, Config::default());
    }

    #[test]
    fn screener_default_coins_are_twenty_liquid_perpetuals_and_a_valid_list_replaces_them() {
        let c = Config::from_lookup(lookup(&[]));
        assert_eq!(c.screener_default_coins.len(), 20);
        assert_eq!(c.screener_default_coins[0].as_str(), "BTCUSDT");
        assert_eq!(c.screener_default_coins[19].as_str(), "1000PEPEUSDT");
        let c = Config::from_lookup(lookup(&[("SCREENER_DEFAULT_COINS", " btc,XRP ,eth,btc ")]));
        let got: Vec<&str> = c
            .screener_default_coins
            .iter()
            .map(Symbol::as_str)
            .collect();
        assert_eq!(got, ["BTCUSDT", "XRPUSDT", "ETHUSDT"]);
        for bad in ["", "BTC,,ETH", "BTC,ETH-", "BTCUSDT"] {
            let c = Config::from_lookup(|n: &str| {
                (n == "SCREENER_DEFAULT_COINS").then(|| bad.to_string())
            });
            assert_eq!(c, Config::default(), "{bad:?}");
        }
    }
}
