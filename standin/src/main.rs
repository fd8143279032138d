//! `binance-standin`: serves the stand-in until killed (SIGTERM/ctrl-c end it through the
//! default signal handlers; there is no state to flush).

use standin::Switches;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

const USAGE: &str = "usage: binance-standin [--port 9100] [--host 127.0.0.1] [--latency-ms N] \
[--now-ms MS] [--timestamp-as-string] [--hyperliquid-synthetic-wallets N] \
[--hyperliquid-synthetic-fills K]\nenv: STANDIN_PORT, STANDIN_LATENCY_MS, STANDIN_NOW_MS (flags win)\n\
Every switch can also be set while it runs: PUT /__standin/switches with a JSON object.";

#[derive(Debug, PartialEq)]
struct Config {
    addr: SocketAddr,
    switches: Switches,
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name}: not a valid number: {value:?}"))
}

/// Env first, then flags (`--flag value` or `--flag=value`) override.
fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port: u16 = 9100;
    let mut switches = Switches::default();
    if let Some(v) = env("STANDIN_PORT") {
        port = number("STANDIN_PORT", &v)?;
    }
    if let Some(v) = env("STANDIN_LATENCY_MS") {
        switches.latency_ms = number("STANDIN_LATENCY_MS", &v)?;
    }
    if let Some(v) = env("STANDIN_NOW_MS") {
        switches.now_ms = Some(number("STANDIN_NOW_MS", &v)?);
    }
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if flag == "--timestamp-as-string" {
            switches.timestamp_as_string = true;
            continue;
        }
        if ![
            "--port",
            "--host",
            "--latency-ms",
            "--now-ms",
            "--hyperliquid-synthetic-wallets",
            "--hyperliquid-synthetic-fills",
        ]
        .contains(&flag)
        {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value = inline
            .or_else(|| it.next().cloned())
            .ok_or(format!("{flag} needs a value"))?;
        match flag {
            "--port" => port = number(flag, &value)?,
            "--host" => {
                host = value
                    .parse()
                    .map_err(|_| format!("--host: not an IP address: {value:?}"))?
            }
            "--latency-ms" => switches.latency_ms = number(flag, &value)?,
            "--hyperliquid-synthetic-wallets" => {
                switches.hyperliquid_synthetic_wallets = number(flag, &value)?
            }
            "--hyperliquid-synthetic-fills" => {
                switches.hyperliquid_synthetic_fills = number(flag, &value)?
            }
            _ => switches.now_ms = Some(number(flag, &value)?),
        }
    }
    Ok(Config {
        addr: SocketAddr::new(host, port),
        switches,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match parse(&args, |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("binance-standin: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let handle = match standin::spawn_on(config.addr, config.switches).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("binance-standin: cannot bind {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    // Test harnesses wait for exactly this line.
    println!("binance-standin listening on {}", handle.base_url());
    let _ = std::io::stdout().flush();
    match handle.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("binance-standin: server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_override_env_and_defaults_are_loopback() {
        let env = |k: &str| match k {
            "STANDIN_PORT" => Some("9200".to_string()),
            "STANDIN_NOW_MS" => Some("5".to_string()),
            _ => None,
        };
        let c = parse(&args("--port=0 --latency-ms 30 --timestamp-as-string"), env).unwrap();
        assert_eq!(c.addr, SocketAddr::from(([127, 0, 0, 1], 0)));
        assert_eq!((c.switches.latency_ms, c.switches.now_ms), (30, Some(5)));
        assert!(c.switches.timestamp_as_string);
        assert_eq!(parse(&[], |_| None).unwrap().addr.port(), 9100);
        assert!(parse(&args("--port"), |_| None).is_err());
        assert!(parse(&args("--bogus"), |_| None).is_err());
        assert!(parse(&args("--now-ms x"), |_| None).is_err());
        let c = parse(
            &args("--hyperliquid-synthetic-wallets 60 --hyperliquid-synthetic-fills=2500"),
            |_| None,
        )
        .unwrap();
        assert_eq!(
            (
                c.switches.hyperliquid_synthetic_wallets,
                c.switches.hyperliquid_synthetic_fills
            ),
            (60, 2_500)
        );
        let off = parse(&[], |_| None).unwrap().switches;
        assert_eq!(off.hyperliquid_synthetic_wallets, 0, "off by default");
    }
}
