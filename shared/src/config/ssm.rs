//! Configuration from SSM Parameter Store: the parameters under one path per stage
//! (`/smartmoney-api/<stage>/divergence_threshold_pp`, `.../binance_base_url`).

use std::time::Duration;

use aws_sdk_ssm::Client;

use super::Config;
use crate::domain::Venue;

/// The whole SSM read, connection included: configuration must never hold a request up for long.
pub const SSM_TIMEOUT: Duration = Duration::from_millis(800);

/// Parameter names under the path, and the setting each one overrides.
pub const THRESHOLD_PARAMETER: &str = "divergence_threshold_pp";
/// Percent of every instance's Binance request budget in force (1–100).
pub const BUDGET_PCT_PARAMETER: &str = "binance_budget_pct";
/// `venue`'s base URL: `binance_base_url`, `okx_base_url`, ….
pub fn base_url_parameter(venue: Venue) -> String {
    format!("{}_base_url", venue.id())
}

pub struct SsmSource {
    client: Client,
    path: String,
}

impl SsmSource {
    /// `None` (and no AWS SDK work at all) unless `CONFIG_SSM_PATH` is set.
    pub async fn from_env() -> Option<Self> {
        let path = std::env::var("CONFIG_SSM_PATH").ok()?;
        if path.trim().is_empty() {
            return None;
        }
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_millis(300))
            .operation_timeout(SSM_TIMEOUT)
            .build();
        let sdk = aws_config::from_env()
            .timeout_config(timeouts)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        Some(SsmSource::new(Client::new(&sdk), &path))
    }

    pub fn new(client: Client, path: &str) -> Self {
        let path = format!("/{}/", path.trim_matches('/'));
        SsmSource { client, path }
    }

    /// `base` with the parameters found under the path applied; `None` (after a warning) when
    /// SSM cannot be read in time, so that the caller keeps what it has.
    pub async fn overlay(&self, base: &Config) -> Option<Config> {
        let request = self
            .client
            .get_parameters_by_path()
            .path(&self.path)
            .recursive(false)
            .with_decryption(true)
            .send();
        let output = match tokio::time::timeout(SSM_TIMEOUT, request).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => {
                tracing::warn!(path = %self.path, error = %aws_sdk_ssm::error::DisplayErrorContext(&e), "SSM unreadable; serving with the configuration in force");
                return None;
            }
            Err(_) => {
                tracing::warn!(path = %self.path, timeout_ms = SSM_TIMEOUT.as_millis() as u64, "SSM too slow; serving with the configuration in force");
                return None;
            }
        };
        let value = |name: &str| {
            output.parameters().iter().find_map(|p| {
                let leaf = p.name()?.rsplit('/').next()?;
                (leaf == name).then(|| p.value().unwrap_or_default())
            })
        };
        let mut config = base.clone();
        for venue in Venue::ALL {
            config.apply_base_url(venue, value(&base_url_parameter(venue)));
        }
        config.apply_threshold(value(THRESHOLD_PARAMETER));
        config.apply_budget_pct(value(BUDGET_PCT_PARAMETER));
        config.apply_wallets(|name| value(name).map(str::to_string));
        tracing::info!(path = %self.path, threshold_pp = %config.threshold, "configuration read from SSM");
        Some(config)
    }
}
