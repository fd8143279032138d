//! smartmoney-api's core, in the order a request travels through it:
//! `http` (the Lambda event) → `params` (validated newtypes) → `binance` (the upstream adapter)
//! → `divergence` (pure maths on exact `decimal`s) → `envelope` (the answer, or an `error`).

pub mod binance;
pub mod cache;
pub mod cohort;
pub mod config;
pub mod decimal;
pub mod divergence;
pub mod envelope;
pub mod error;
pub mod http;
pub mod memo;
pub mod params;
pub mod screener;
pub mod settings;
pub mod signal;
pub mod ssm;
#[cfg(feature = "testing")]
pub mod testing;

pub use binance::BinanceClient;
pub use cohort::Cohort;
pub use config::Config;
pub use error::ApiError;
pub use settings::Settings;

/// Said in every answer's `note`.
pub const NOT_ADVICE: &str = "Not financial advice.";

/// The `note` of every answer that carries a divergence.
pub fn divergence_note(threshold: decimal::Pct) -> String {
    format!(
        "long_pct_gap = smart money (top_traders_by_position) long % minus retail_crowd long %, in \
         percentage points, at the newest bucket both have; signal at ±{threshold} pp. Shares are \
         Binance's published values × 100 rounded half away from zero to 2 decimals, ratios to 4. \
         {NOT_ADVICE}"
    )
}

/// The routes, one per function; kept in step with template.yaml, the router config and openapi.yaml
/// by the consistency test.
pub mod routes {
    pub const POSITIONING: &str = "/v1/positioning";
    pub const DIVERGENCE: &str = "/v1/divergence";
    pub const HISTORY: &str = "/v1/history";
    pub const META: &str = "/v1/meta";
    pub const SIGNAL: &str = "/v1/signal";
    pub const SCREENER: &str = "/v1/screener";
}

/// What the data endpoints need: the configuration in force and the one upstream client of this
/// warm instance (its pooled connections are reused by every request).
pub struct Deps {
    pub settings: Settings,
    pub upstream: BinanceClient,
}

impl Deps {
    /// Built once at cold start: environment, then SSM when `CONFIG_SSM_PATH` is set.
    pub async fn load() -> Result<Self, reqwest::Error> {
        Ok(Deps {
            settings: Settings::load().await,
            upstream: BinanceClient::new()?,
        })
    }

    /// The configuration in force and the newest `limit` buckets of the three cohorts of `market`:
    /// what every single-market endpoint starts from.
    pub async fn market_series(
        &self,
        market: &params::Market,
        limit: u16,
    ) -> Result<(std::sync::Arc<Config>, binance::CohortSeries), ApiError> {
        let config = self.settings.current().await;
        let series = self
            .upstream
            .fetch_cohorts(
                &config.binance_base_url,
                &market.symbol,
                market.period,
                limit,
            )
            .await?;
        Ok((config, series))
    }

    /// With a fixed configuration (tests, local tools).
    pub fn fixed(config: Config) -> Result<Self, reqwest::Error> {
        Ok(Deps {
            settings: Settings::fixed(config),
            upstream: BinanceClient::new()?,
        })
    }
}
