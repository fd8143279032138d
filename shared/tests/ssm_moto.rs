//! Configuration from SSM Parameter Store, against moto's server (`moto_server`, from PyPI, installed
//! by `scripts/tools`), and against an SSM that is down or hangs.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ssm::types::ParameterType;
use aws_sdk_ssm::Client;
use shared::config::ssm::{SsmSource, SSM_TIMEOUT};
use shared::domain::{Pct, Venue};
use shared::{Config, Settings};

const HOUR: Duration = Duration::from_secs(3600);

fn client(endpoint: &str) -> Client {
    let conf = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-northeast-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        // As `SsmSource::from_env` configures it for the functions.
        .retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A moto server on a free loopback port, stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Option<Moto> {
    let exe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/moto_server");
    if !exe.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto_server missing: run scripts/tools"
        );
        eprintln!("skipping: {} missing (run scripts/tools)", exe.display());
        return None;
    }
    let port = free_port();
    let child = Command::new(exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Moto {
        child,
        endpoint: format!("http://{addr}"),
    })
}

async fn put(client: &Client, name: &str, value: &str) {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

fn env_config() -> Config {
    Config::from_lookup(|name| (name == "DIVERGENCE_THRESHOLD_PP").then(|| "9".to_string()))
}

#[tokio::test]
async fn when_ssm_holds_settings_they_override_the_environment() {
    let Some(moto) = moto() else { return };
    let ssm = client(&moto.endpoint);
    put(&ssm, "/smartmoney-api/test/divergence_threshold_pp", "5.5").await;
    put(
        &ssm,
        "/smartmoney-api/test/binance_base_url",
        "http://127.0.0.1:9100",
    )
    .await;
    put(&ssm, "/smartmoney-api/other/divergence_threshold_pp", "1").await;
    let source = SsmSource::new(ssm, "/smartmoney-api/test/");
    let settings = Settings::with_source(env_config(), Some(source), HOUR).await;
    let config = settings.current().await;
    assert_eq!(config.threshold, Pct::from_units(550));
    assert_eq!(
        config.base_url(Venue::Binance),
        Some("http://127.0.0.1:9100")
    );
}

#[tokio::test]
async fn when_ssm_has_no_parameters_or_bad_values_the_environment_serves() {
    let Some(moto) = moto() else { return };
    let ssm = client(&moto.endpoint);
    put(&ssm, "/smartmoney-api/bad/divergence_threshold_pp", "eight").await;
    let settings = Settings::with_source(
        env_config(),
        Some(SsmSource::new(ssm.clone(), "/smartmoney-api/bad")),
        HOUR,
    )
    .await;
    assert_eq!(*settings.current().await, env_config());
    let empty = Settings::with_source(
        env_config(),
        Some(SsmSource::new(ssm, "/nothing/here")),
        HOUR,
    )
    .await;
    assert_eq!(*empty.current().await, env_config());
}

#[tokio::test]
async fn a_changed_parameter_is_seen_after_the_refresh_interval_and_not_before() {
    let Some(moto) = moto() else { return };
    let ssm = client(&moto.endpoint);
    let name = "/smartmoney-api/live/divergence_threshold_pp";
    put(&ssm, name, "6").await;
    let source = || Some(SsmSource::new(ssm.clone(), "/smartmoney-api/live"));
    let cached = Settings::with_source(env_config(), source(), HOUR).await;
    let refreshing = Settings::with_source(env_config(), source(), Duration::ZERO).await;
    assert_eq!(cached.current().await.threshold, Pct::from_units(600));
    put(&ssm, name, "7").await;
    assert_eq!(cached.current().await.threshold, Pct::from_units(600));
    assert_eq!(refreshing.current().await.threshold, Pct::from_units(700));
}

#[tokio::test]
async fn an_operator_lowers_the_binance_budget_through_ssm_without_a_deploy() {
    let Some(moto) = moto() else { return };
    let ssm = client(&moto.endpoint);
    let name = "/smartmoney-api/budget/binance_budget_pct";
    put(&ssm, name, "40").await;
    let source = Some(SsmSource::new(ssm.clone(), "/smartmoney-api/budget"));
    let refreshing = Settings::with_source(env_config(), source, Duration::ZERO).await;
    assert_eq!(refreshing.current().await.binance_budget_pct, 40);
    // Out of 1..=100: ignored, the last good value serves.
    put(&ssm, name, "0").await;
    assert_eq!(refreshing.current().await.binance_budget_pct, 40);
    put(&ssm, name, "25").await;
    assert_eq!(refreshing.current().await.binance_budget_pct, 25);
}

#[tokio::test]
async fn when_ssm_is_unreachable_the_environment_serves_at_once() {
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let settings = Settings::with_source(
        env_config(),
        Some(SsmSource::new(client(&endpoint), "/smartmoney-api/prod")),
        Duration::ZERO,
    )
    .await;
    assert_eq!(*settings.current().await, env_config());
    assert!(
        started.elapsed() < 2 * SSM_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn when_ssm_hangs_the_wait_is_bounded_by_the_timeout() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let started = Instant::now();
    let settings = Settings::with_source(
        env_config(),
        Some(SsmSource::new(client(&endpoint), "/smartmoney-api/prod")),
        HOUR,
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(*settings.current().await, env_config());
    assert!(elapsed >= SSM_TIMEOUT, "{elapsed:?}");
    assert!(
        elapsed < SSM_TIMEOUT + Duration::from_millis(700),
        "{elapsed:?}"
    );
    drop(listener);
}

#[tokio::test]
async fn secure_string_parameters_are_read_decrypted() {
    let Some(moto) = moto() else { return };
    let ssm = client(&moto.endpoint);
    ssm.put_parameter()
        .name("/smartmoney-api/secure/divergence_threshold_pp")
        .value("6.5")
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let source = SsmSource::new(ssm, "/smartmoney-api/secure");
    let settings = Settings::with_source(env_config(), Some(source), HOUR).await;
    assert_eq!(settings.current().await.threshold, Pct::from_units(650));
}

/// The functions build their SSM client from the environment (`CONFIG_SSM_PATH` and the AWS SDK's
/// own variables); without `CONFIG_SSM_PATH` there is no SSM work at all. One test, because it
/// sets this process's environment (nextest runs each test in its own process).
#[tokio::test]
async fn from_env_reads_the_path_and_the_sdk_settings_and_without_a_path_reads_nothing() {
    let Some(moto) = moto() else { return };
    put(
        &client(&moto.endpoint),
        "/smartmoney-api/envtest/divergence_threshold_pp",
        "5.25",
    )
    .await;
    std::env::remove_var("CONFIG_SSM_PATH");
    assert!(SsmSource::from_env().await.is_none());
    std::env::set_var("CONFIG_SSM_PATH", "  ");
    assert!(SsmSource::from_env().await.is_none(), "blank is unset");
    for (name, value) in [
        ("CONFIG_SSM_PATH", "/smartmoney-api/envtest/"),
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_REGION", "ap-northeast-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        std::env::set_var(name, value);
    }
    let source = SsmSource::from_env().await.expect("CONFIG_SSM_PATH is set");
    let config = source.overlay(&env_config()).await.expect("moto answers");
    assert_eq!(config.threshold, Pct::from_units(525));
}

#[tokio::test]
async fn a_failing_ssm_is_asked_once_per_interval_not_once_per_request() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // Accepts each connection and closes it at once: every SSM read fails fast.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let every = Duration::from_millis(400);
    let settings = Settings::with_source(
        env_config(),
        Some(SsmSource::new(client(&endpoint), "/smartmoney-api/prod")),
        every,
    )
    .await;
    let at_start = accepted.load(Ordering::SeqCst);
    assert!(at_start >= 1, "read once at cold start");
    for _ in 0..20 {
        assert_eq!(*settings.current().await, env_config());
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        at_start,
        "no new read within the interval"
    );
    tokio::time::sleep(every + Duration::from_millis(50)).await;
    for _ in 0..20 {
        assert_eq!(*settings.current().await, env_config());
    }
    let after = accepted.load(Ordering::SeqCst);
    assert!(
        after > at_start && after <= 2 * at_start,
        "one more read (as many connections as one read takes): {at_start} then {after}"
    );
}
