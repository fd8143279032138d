"""The load benchmark behind `scripts/loadtest`: the four tiers at their full paid rates at once
(2 + 6 + 18 + 45 = 71 req/s) against the local API (`cargo lambda watch --release`) over the
stand-in with L ms injected per upstream answer, for DURATION seconds. Loopback only, bounded in
time, figures only (it never fails on them).

Prints: per endpoint and in all, requests, p50, p99, failures (5xx apart); the memo hit rate;
Binance requests per rolling 5 minutes (from the stand-in's own request log) against the plan.
The stand-in runs on the real clock, so buckets appear and the memo expires as they would live.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_lib  # noqa: E402

ROOT = bench_lib.ROOT
OUT = ROOT / "target" / "loadtest"
PLANNED_PER_5_MIN = 900  # shared::upstream::budget::BINANCE_PLANNED_REQUESTS
BINANCE_LIMIT_PER_5_MIN = 1000
WINDOW_MS = 300_000


def rolling_max(times_ms: list[int], window_ms: int) -> int:
    times_ms = sorted(times_ms)
    best, start = 0, 0
    for end, t in enumerate(times_ms):
        while times_ms[start] <= t - window_ms:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=300, help="seconds of load (default 300)")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--budget", type=int, default=None,
                    help="BINANCE_REQUEST_BUDGET for every function (default: the capacity model's)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    bench_lib.OUT.mkdir(parents=True, exist_ok=True)
    bench_lib.log("building the stand-in and the functions (release)")
    bench_lib.run(["cargo", "build", "--release", "--locked", "-p", "standin"])
    standin = bench_lib.StandIn(args.latency_ms, now_ms=None)  # the real clock
    api = bench_lib.LocalApi(standin, {"BINANCE_REQUEST_BUDGET": str(args.budget)} if args.budget else None)
    try:
        bench_lib.log(f"warming every function (the first call of each compiles it) at {args.latency_ms} ms")
        for route in ["/v1/positioning?coin=BTC", "/v1/divergence?coin=BTC", "/v1/history?coin=BTC",
                      "/v1/signal?coin=BTC", "/v1/screener?coins=BTC", "/v1/meta"]:
            api.warm(route, deadline_s=3600)
        standin.control("POST", "/__standin/reset")  # clears the request log; latency stays
        started_ms = int(time.time() * 1000)
        bench_lib.log(f"load: 71 req/s for {args.duration} s")
        locust = ROOT / ".tools" / "loadtest" / "bin" / "locust"
        subprocess.run(
            [str(locust), "-f", str(ROOT / "scripts" / "loadtest_locustfile.py"), "--headless",
             "-u", "24", "-r", "24", "-t", f"{args.duration}s", "--host", f"http://127.0.0.1:{api.port}",
             "--csv", str(OUT / "locust"), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "LOADTEST_OUT": str(OUT)}, check=False,
        )
        log = standin.control("GET", "/__standin/requests")["requests"]
    finally:
        api.close()
        standin.close()

    upstream = [r["at_ms"] for r in log if r["at_ms"] >= started_ms and r["path"].startswith("/futures/data/")]
    per_5_min = rolling_max(upstream, WINDOW_MS)
    memo = json.loads((OUT / "memo.json").read_text())
    rows = list(csv.DictReader(open(OUT / "locust_stats.csv")))
    failures = list(csv.DictReader(open(OUT / "locust_failures.csv"))) if (OUT / "locust_failures.csv").exists() else []
    five_xx = sum(int(f["Occurrences"]) for f in failures if f["Error"].strip("'\"").startswith(("5", "CatchResponseError('5")))
    print()
    print(f"| endpoint | requests | req/s | p50 ms | p99 ms | max ms | failures |")
    print(f"|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['Name']} | {r['Request Count']} | {float(r['Requests/s']):.1f} | {r['50%']} | {r['99%']} "
              f"| {float(r['Max Response Time']):.0f} | {r['Failure Count']} |")
    answers = memo["answers"] or 1
    coins = memo["screener_coins"] or 1
    print()
    print(f"- 5xx answers: {five_xx} (of them upstream_budget_exhausted: {memo['budget_exhausted']})")
    print(f"- memo hit rate: single-coin answers {memo['from_memo'] / answers:.1%} ({memo['from_memo']}/{memo['answers']}); "
          f"screener coins {memo['screener_memo_hits'] / coins:.1%} ({memo['screener_memo_hits']}/{memo['screener_coins']})")
    print(f"- screener refresh=true: honoured {memo['refresh_honoured']}, declined (once per bucket per key) {memo['refresh_declined']}")
    print(f"- Binance requests: {len(upstream)} in {args.duration} s; most in any rolling 5 minutes: {per_5_min} "
          f"(plan {PLANNED_PER_5_MIN}, Binance's limit ~{BINANCE_LIMIT_PER_5_MIN})")
    print(f"- upstream round trip L = {args.latency_ms} ms; p99 target 1.5 x L = {1.5 * args.latency_ms:.0f} ms")
    # Minute by minute (locust's history: cumulative counts each second, for all endpoints).
    history = [h for h in csv.DictReader(open(OUT / "locust_stats_history.csv")) if h["Name"] == "Aggregated"]
    if history:
        t0 = int(history[0]["Timestamp"])
        print()
        print("| minute | requests | failures | p99 ms (last 10 s at the minute's end) |")
        print("|---|---|---|---|")
        last_req, last_fail = 0, 0
        for minute in range(1, args.duration // 60 + 1):
            at = [h for h in history if int(h["Timestamp"]) - t0 < minute * 60]
            if not at:
                break
            h = at[-1]
            req, fail = int(h["Total Request Count"]), int(h["Total Failure Count"])
            print(f"| {minute} | {req - last_req} | {fail - last_fail} | {h['99%']} |")
            last_req, last_fail = req, fail
    (OUT / "results.json").write_text(json.dumps({"stats": rows, "memo": memo, "binance_requests": len(upstream),
                                                  "binance_per_rolling_5_min": per_5_min, "five_xx": five_xx}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
