//! The configuration in force for this warm instance: read at cold start, kept, and re-read from
//! SSM Parameter Store no more often than every few minutes. Configuration never fails a request:
//! when SSM is slow or down, the last good values (at first the environment's) keep serving.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use super::ssm::SsmSource;
use super::Config;

/// How long a configuration read from SSM is trusted before it is read again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(300);

pub struct Settings {
    current: RwLock<(Arc<Config>, Instant)>,
    source: Option<SsmSource>,
    refresh_every: Duration,
}

impl Settings {
    /// The environment's configuration, overlaid with SSM's when `CONFIG_SSM_PATH` is set.
    /// Without it, no AWS SDK code runs at all.
    pub async fn load() -> Self {
        let env = Config::from_env();
        let source = SsmSource::from_env().await;
        Settings::with_source(env, source, REFRESH_EVERY).await
    }

    /// Fixed settings (tests, local tools).
    pub fn fixed(config: Config) -> Self {
        Settings {
            current: RwLock::new((Arc::new(config), Instant::now())),
            source: None,
            refresh_every: REFRESH_EVERY,
        }
    }

    /// `env` overlaid with what `source` holds now, re-read every `refresh_every`.
    pub async fn with_source(
        env: Config,
        source: Option<SsmSource>,
        refresh_every: Duration,
    ) -> Self {
        let config = match &source {
            Some(s) => s.overlay(&env).await.unwrap_or(env),
            None => env,
        };
        Settings {
            current: RwLock::new((Arc::new(config), Instant::now())),
            source,
            refresh_every,
        }
    }

    /// The configuration in force; re-reads SSM when the last read is older than `REFRESH_EVERY`.
    pub async fn current(&self) -> Arc<Config> {
        let (config, read_at) = self.snapshot();
        let Some(source) = &self.source else {
            return config;
        };
        if read_at.elapsed() < self.refresh_every {
            return config;
        }
        // Mark the attempt first, so that a failing SSM is asked once per interval, not per request.
        self.store(config.clone());
        match source.overlay(&config).await {
            Some(fresh) => {
                let fresh = Arc::new(fresh);
                self.store(fresh.clone());
                fresh
            }
            None => config,
        }
    }

    fn snapshot(&self) -> (Arc<Config>, Instant) {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        (guard.0.clone(), guard.1)
    }

    fn store(&self, config: Arc<Config>) {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        *guard = (config, Instant::now());
    }
}
