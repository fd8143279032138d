//! Reads a generated ~40 MB Hyperliquid leaderboard from a running stand-in through the
//! adapter's streaming reader (`Hyperliquid::leaderboard`) and prints this process's peak RSS
//! and the CPU time the read took. Run by `scripts/bench_leaderboard` (figures only; not a test).
//!
//! `bench_leaderboard BASE_URL [ROWS]`: sets the stand-in's `hyperliquid_leaderboard_rows` to
//! ROWS (default `standin::hyperliquid::BENCH_LEADERBOARD_ROWS`) first.

use std::time::Instant;

use shared::upstream::hyperliquid::leaderboard::TrackingRule;
use shared::upstream::hyperliquid::{weight_budget, Hyperliquid};
use shared::upstream::policy;

/// A `/proc/self/status` figure in kB (`VmHWM`: peak RSS; `VmRSS`: now).
fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// This process's user and system CPU time in seconds (`/proc/self/stat`, clock ticks of 1/100 s).
fn cpu_secs() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: state is field 3; utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .expect("usage: bench_leaderboard BASE_URL [ROWS]");
    let rows: u32 = args
        .next()
        .map_or(standin::hyperliquid::BENCH_LEADERBOARD_ROWS, |r| {
            r.parse().expect("ROWS")
        });
    let http = policy::http_client().expect("client");
    http.put(format!("{base}/__standin/switches"))
        .body(format!(r#"{{"hyperliquid_leaderboard_rows":{rows}}}"#))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("set the stand-in's leaderboard size");
    let client = Hyperliquid::new(http, Some(&base), Some(&base), weight_budget(540));
    let rss_before = status_kb("VmRSS:");
    let (user0, sys0) = cpu_secs();
    let wall = Instant::now();
    let fetched = client
        .leaderboard(
            &TrackingRule::default(),
            shared::upstream::hyperliquid::deadline(),
        )
        .await;
    let elapsed = wall.elapsed().as_secs_f64();
    let (user1, sys1) = cpu_secs();
    let board = fetched.result.expect("the leaderboard");
    println!(
        "leaderboard: {} bytes ({:.1} MB), {} rows read, {} wallets selected",
        board.bytes_read,
        board.bytes_read as f64 / 1e6,
        board.rows_read,
        board.wallets.len()
    );
    println!(
        "cpu: {:.2} s (user {:.2} s, system {:.2} s); wall {:.2} s",
        (user1 - user0) + (sys1 - sys0),
        user1 - user0,
        sys1 - sys0,
        elapsed
    );
    println!(
        "rss: peak {:.1} MB (before the read {:.1} MB)",
        status_kb("VmHWM:") as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
}
