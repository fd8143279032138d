"""The load benchmark behind `scripts/loadtest`, in production shape: the four tiers at their full
paid rates at once (2 + 6 + 18 + 45 = 71 req/s, the whole route mix of scripts/loadtest_locustfile.py)
for DURATION seconds against several Lambda instances per function (scripts/lambda_cluster.py: one
Runtime API emulator per function, k processes of its release binary, an API Gateway REST (v1)
stand-in in front), over the stand-in with L ms per upstream answer on the real clock. Loopback
only, bounded in time, figures only: it never fails on them.

k per function: `instances` of each Share in shared/src/domain/route.rs CAPACITY_MODEL (2 while
the table has none), /v1/meta 1; `--instances N` for every function. From cold: fresh processes,
nothing warmed (the run only waits until every instance polls the Runtime API, and times 50
sequential /v1/meta through the gateway, which reads no upstream).

Prints markdown tables: per route (requests, p50, p99, p99 after the first minute, max, failures,
5xx, stale, from_memo); the targets with the measured value and met yes/no; the stand-in's counts
per venue and path (rolling windows over the exact arrival times of its request log); the
gateway's own overhead. Writes every figure to target/loadtest/results.json.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import json
import math
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_lib  # noqa: E402
import lambda_cluster  # noqa: E402

ROOT = lambda_cluster.ROOT
OUT = ROOT / "target" / "loadtest"
LOCUST = ROOT / ".tools" / "loadtest" / "bin" / "locust"
USERS = 24  # Free 1, Starter 2, Pro 6, Business 15 (scripts/loadtest_locustfile.py)
RATE = 71.0
FIRST_MINUTE_S = 60

# Binance: each /futures/data/* path, requests per rolling 5 minutes per IP.
BINANCE_DATA_PATHS = [
    "/futures/data/globalLongShortAccountRatio",
    "/futures/data/topLongShortAccountRatio",
    "/futures/data/topLongShortPositionRatio",
    "/futures/data/openInterestHist",
]
BINANCE_PATH_WINDOW_MS, BINANCE_PATH_TARGET, BINANCE_PATH_LIMIT = 300_000, 900, 1_000
KLINES_PATH = "/fapi/v1/klines"
KLINES_WINDOW_MS, KLINES_TARGET, KLINES_LIMIT = 60_000, 2_160, 2_400
KLINES_DEFAULT_LIMIT = 500  # Binance's default `limit` for klines
# The other venues: (window ms, limit, what one window is counted over).
OTHER_VENUES = {
    "okx": (2_000, 5, "instrument and path"),
    "bybit": (5_000, 600, "all paths together"),
    "gate": (10_000, 200, "path"),
    "bitget": (1_000, 1, "path"),
}
# Hyperliquid (the wallet routes): weight per rolling minute per IP, 1,200 (the stand-in counts it,
# GET /__standin/hyperliquid/weight); the deployment plans 1,080 of it (domain/route.rs).
HYPERLIQUID_PLANNED = 1_080
STALE_TARGET = 0.01


def log(msg: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# figures

def pct(xs: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not xs:
        return None
    s = sorted(xs)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def rolling_max(times_ms: list[int], window_ms: int, weights: list[int] | None = None) -> tuple[int, int | None]:
    """The most (sum of weights) arriving in any window [t, t + window_ms), and where it starts."""
    pairs = sorted(zip(times_ms, weights or [1] * len(times_ms)))
    best, best_at, start, total = 0, None, 0, 0
    for end, (t, w) in enumerate(pairs):
        total += w
        while pairs[start][0] <= t - window_ms:
            total -= pairs[start][1]
            start += 1
        if total > best:
            best, best_at = total, pairs[start][0]
    return best, best_at


def klines_weight(limit: int) -> int:
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    if limit <= 1000:
        return 5
    return 10


def fmt(x: float | None, digits: int = 0) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def per_route(records: list[dict], t0: float) -> dict[str, dict]:
    by: dict[str, list[dict]] = collections.defaultdict(list)
    for r in records:
        by[r["route"]].append(r)
    by["all"] = records
    out = {}
    span = max((r["t"] for r in records), default=t0) - t0 or 1
    for route, rs in by.items():
        ms = [r["ms"] for r in rs]
        late = [r["ms"] for r in rs if r["t"] >= t0 + FIRST_MINUTE_S]
        memo = [r["memo"] for r in rs if "memo" in r]
        out[route] = {
            "requests": len(rs),
            "per_s": len(rs) / span,
            "p50_ms": pct(ms, 50),
            "p99_ms": pct(ms, 99),
            "p99_after_first_minute_ms": pct(late, 99),
            "max_ms": max(ms) if ms else None,
            "failures": sum(1 for r in rs if r["status"] != 200 or "code" in r),
            "5xx": sum(1 for r in rs if r["5xx"]),
            "stale": sum(1 for r in rs if r["stale"]),
            "from_memo": sum(memo),
            "memo_answers": len(memo),
            "statuses": dict(collections.Counter(str(r["status"]) for r in rs)),
            "codes": dict(collections.Counter(r["code"] for r in rs if "code" in r)),
        }
    return out


def standin_counts(log_rows: list[dict]) -> dict:
    """Per venue and path, from the stand-in's request log (exact arrival times)."""
    out: dict = {"total": len(log_rows), "by_venue": dict(collections.Counter(str(r.get("venue")) for r in log_rows))}
    binance = [r for r in log_rows if r.get("venue") == "binance"]
    paths = {}
    for path in BINANCE_DATA_PATHS:
        ts = [r["at_ms"] for r in binance if r["path"] == path]
        most, at = rolling_max(ts, BINANCE_PATH_WINDOW_MS)
        paths[path] = {"requests": len(ts), "most_in_rolling_5_min": most, "window_start_ms": at}
    kl = [r for r in binance if r["path"] == KLINES_PATH]
    weights = []
    for r in kl:
        q = dict(urllib.parse.parse_qsl(r.get("query") or ""))
        try:
            limit = int(q.get("limit", KLINES_DEFAULT_LIMIT))
        except ValueError:
            limit = KLINES_DEFAULT_LIMIT
        weights.append(klines_weight(limit))
    kmost, kat = rolling_max([r["at_ms"] for r in kl], KLINES_WINDOW_MS, weights)
    all_binance, _ = rolling_max([r["at_ms"] for r in binance], BINANCE_PATH_WINDOW_MS)
    out["binance"] = {
        "paths": paths,
        "klines": {"requests": len(kl), "weight": sum(weights), "most_weight_in_rolling_60_s": kmost,
                   "window_start_ms": kat},
        "other_paths": dict(collections.Counter(r["path"] for r in binance
                                                if r["path"] not in BINANCE_DATA_PATHS and r["path"] != KLINES_PATH)),
        "all_paths_most_in_rolling_5_min": all_binance,
        "requests": len(binance),
    }
    for venue, (window, limit, over) in OTHER_VENUES.items():
        rows = [r for r in log_rows if r.get("venue") == venue]
        groups: dict[str, list[int]] = collections.defaultdict(list)
        for r in rows:
            if venue == "okx":
                inst = dict(urllib.parse.parse_qsl(r.get("query") or "")).get("instId", "?")
                key = f"{r['path']} {inst}"
            elif venue == "bybit":
                key = "all"
            else:
                key = r["path"]
            groups[key].append(r["at_ms"])
        per_key = {k: rolling_max(ts, window)[0] for k, ts in groups.items()}
        worst = max(per_key.items(), key=lambda kv: kv[1], default=(None, 0))
        out[venue] = {"requests": len(rows), "window_ms": window, "limit": limit, "counted_per": over,
                      "most_in_window": worst[1], "where": worst[0],
                      "keys_over_limit": sorted(k for k, v in per_key.items() if v > limit),
                      "per_key": per_key}
    return out


def function_logs(log_dir: pathlib.Path) -> dict[str, dict]:
    """From every instance's JSON log lines: answers logged and upstream_requests summed."""
    out: dict[str, dict] = {}

    def find(doc, key):
        if isinstance(doc, dict):
            if key in doc:
                return doc[key]
            for v in doc.values():
                found = find(v, key)
                if found is not None:
                    return found
        return None

    for path in sorted(log_dir.glob("*.log")):
        fn = path.stem.rsplit("-", 1)[0]
        f = out.setdefault(fn, {"lines": 0, "answers": 0, "upstream_requests": 0, "errors": 0})
        for line in path.read_text(errors="replace").splitlines():
            f["lines"] += 1
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if str(doc.get("level", "")).upper() == "ERROR":
                f["errors"] += 1
            n = find(doc, "upstream_requests")
            if find(doc, "status") is not None and find(doc, "route") is not None:
                f["answers"] += 1
            if isinstance(n, int):
                f["upstream_requests"] += n
    return out


# ---------------------------------------------------------------------------------------------

def probe_meta(port: int, n: int = 50) -> list[float]:
    """n sequential GET /v1/meta through the gateway on one kept-alive connection (ms)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("GET", "/v1/meta", headers={"x-api-key": "probe"})
        r = c.getresponse()
        r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError(f"/v1/meta through the gateway answered {r.status}")
    c.close()
    return times


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/loadtest", description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=300, help="seconds of load (default 300)")
    ap.add_argument("--latency-ms", type=int, default=50, help="ms per upstream answer (default 50)")
    ap.add_argument("--instances", type=int, default=None,
                    help="instances of every function (default: the capacity model's, /v1/meta 1)")
    ap.add_argument("--budget", type=int, default=None,
                    help="BINANCE_REQUEST_BUDGET for every instance (default: the capacity model's)")
    ap.add_argument("--no-build", action="store_true", help="use the release binaries as they are")
    args = ap.parse_args()
    # SIGTERM unwinds like Ctrl-C: the cluster and the stand-in are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    for stale_file in ("requests.jsonl", "results.json", "standin_requests.json"):
        (OUT / stale_file).unlink(missing_ok=True)

    plan, plan_note = lambda_cluster.plan_instances(args.instances)
    fns = lambda_cluster.function_names()
    if not args.no_build:
        cmd = ["cargo", "build", "--release", "--locked", "-p", "standin"] + [a for fn in fns for a in ("-p", fn)]
        log(" ".join(cmd))
        subprocess.run(cmd, cwd=ROOT, check=True)
    log(f"instances: {', '.join(f'{fn} {k}' for fn, k in plan.items())} ({plan_note})")

    extra_env = {"BINANCE_REQUEST_BUDGET": str(args.budget)} if args.budget else {}
    standin = bench_lib.StandIn(args.latency_ms, now_ms=None)  # the real clock
    try:
        with lambda_cluster.LambdaCluster(plan, standin.base_url, OUT / "logs", extra_env) as cluster:
            started = cluster.wait_started(timeout=60)
            log(f"{sum(plan.values())} instances polling /next (slowest {max(started.values()):.2f} s); "
                f"gateway on {cluster.url}")
            meta_probe = probe_meta(cluster.port)
            log(f"/v1/meta through the gateway, 50 sequential: p50 {statistics.median(meta_probe):.2f} ms")
            standin.control("POST", "/__standin/reset")  # an empty log (nothing was asked upstream yet)
            standin.set_latency(args.latency_ms)
            cluster.gateway.records.clear()
            load_start = time.time()
            log(f"load: {RATE:.0f} req/s for {args.duration} s at L = {args.latency_ms} ms")
            locust = subprocess.Popen(
                [str(LOCUST), "-f", str(ROOT / "scripts" / "loadtest_locustfile.py"), "--headless",
                 "-u", str(USERS), "-r", str(USERS), "-t", f"{args.duration}s", "--stop-timeout", "30",
                 "--host", cluster.url, "--csv", str(OUT / "locust"), "--only-summary", "--loglevel", "WARNING"],
                cwd=ROOT, env={**os.environ, "LOADTEST_OUT": str(OUT)},
                stdout=open(OUT / "locust.log", "w"), stderr=subprocess.STDOUT,
            )
            try:
                locust.wait(args.duration + 90)
            except subprocess.TimeoutExpired:
                log("locust overran its time: stopping it")
                locust.terminate()
                locust.wait(30)
            finally:
                if locust.poll() is None:
                    locust.kill()
            load_end = time.time()
            standin_log = standin.control("GET", "/__standin/requests")["requests"]
            hl_weight = standin.control("GET", "/__standin/hyperliquid/weight")
            gateway = list(cluster.gateway.records)
            restarts = dict(cluster.restarts)
    finally:
        standin.close()

    records = [json.loads(line) for line in open(OUT / "requests.jsonl")] if (OUT / "requests.jsonl").exists() else []
    if not records:
        log("no requests were recorded; see target/loadtest/locust.log")
        return 1
    t0 = min(r["t"] for r in records)
    routes = per_route(records, t0)
    (OUT / "standin_requests.json").write_text(json.dumps(standin_log))
    counts = standin_counts([r for r in standin_log if r["at_ms"] >= load_start * 1000 - 1000])
    logs = function_logs(OUT / "logs")
    L = args.latency_ms
    allr = routes["all"]

    # The gateway's own share: request read → response written, less the queue and the function.
    own = [g.total_ms - g.queue_ms - g.function_ms for g in gateway]
    queue_by_fn: dict[str, list[float]] = collections.defaultdict(list)
    total_by_fn: dict[str, list[float]] = collections.defaultdict(list)
    function_by_fn: dict[str, list[float]] = collections.defaultdict(list)
    for g in gateway:
        queue_by_fn[g.route].append(g.queue_ms)
        total_by_fn[g.route].append(g.total_ms)
        function_by_fn[g.route].append(g.function_ms)

    print()
    print(f"## Load in production shape: {args.duration} s, L = {L} ms, {allr['requests']} answers "
          f"({allr['per_s']:.1f}/s)")
    print()
    print(f"Instances: {', '.join(f'{fn} {k}' for fn, k in plan.items())} ({plan_note}). "
          f"Restarted instances: {sum(restarts.values())}.")
    print()
    order = ["/v1/positioning", "/v1/divergence", "/v1/history", "/v1/signal", "/v1/screener", "/v1/exchanges",
             "/v1/track-record", "/v1/chart", "/v1/mcp", "/v1/wallets", "/v1/wallets/positions", "/v1/meta"]
    names = [r for r in order if r in routes] + sorted(r for r in routes if r not in order and r != "all") + ["all"]
    rows = []
    for name in names:
        s = routes[name]
        memo = f"{s['from_memo']}/{s['memo_answers']}" if s["memo_answers"] else "—"
        rows.append([name, s["requests"], f"{s['per_s']:.1f}", fmt(s["p50_ms"], 1), fmt(s["p99_ms"], 1),
                     fmt(s["p99_after_first_minute_ms"], 1), fmt(s["max_ms"]), s["failures"], s["5xx"],
                     s["stale"], memo])
    print(table(["route", "requests", "req/s", "p50 ms", "p99 ms", "p99 ms after 1st min", "max ms",
                 "failures", "5xx", "stale", "from_memo"], rows))
    scr = [r for r in records if "coins" in r]
    exhausted = sum(1 for r in records if r.get("code") == "upstream_budget_exhausted")
    print()
    print(f"- statuses: {json.dumps(allr['statuses'])}; error codes: {json.dumps(allr['codes'])}")
    print(f"- 5xx answers: {allr['5xx']} (upstream_budget_exhausted: {exhausted}; MCP tool errors with a 5xx "
          f"status count as 5xx)")
    if scr:
        print(f"- screener: memo hits {sum(r['hits'] for r in scr)}/{sum(r['coins'] for r in scr)} coins; "
              f"refresh honoured {sum(1 for r in scr if r.get('refresh') == 'honoured')}, declined "
              f"{sum(1 for r in scr if r.get('refresh') == 'declined_once_per_bucket')}")

    b = counts["binance"]
    worst_path = max(b["paths"].items(), key=lambda kv: kv[1]["most_in_rolling_5_min"])
    stale_share = allr["stale"] / allr["requests"]
    # The same latencies as the gateway saw them (request read → answer written): the difference
    # with the client's is the load generator's own time and the two cores' contention.
    gw_t0 = min((g.at for g in gateway), default=0)
    gw_p50 = pct([g.total_ms for g in gateway], 50)
    gw_p99_late = pct([g.total_ms for g in gateway if g.at >= gw_t0 + FIRST_MINUTE_S], 99)
    p99_late = allr["p99_after_first_minute_ms"]
    targets = [
        ["5xx", allr["5xx"], "0", yes(allr["5xx"] == 0)],
        ["stale answers", f"{allr['stale']} ({stale_share:.2%})", "≤ 1% of answers", yes(stale_share <= STALE_TARGET)],
        ["Binance, most in any rolling 5 min on one path",
         f"{worst_path[1]['most_in_rolling_5_min']} ({worst_path[0].rsplit('/', 1)[-1]})",
         f"≤ {BINANCE_PATH_TARGET} (limit {BINANCE_PATH_LIMIT:,})",
         yes(worst_path[1]["most_in_rolling_5_min"] <= BINANCE_PATH_TARGET)],
        ["Binance klines weight, most in any rolling 60 s", b["klines"]["most_weight_in_rolling_60_s"],
         f"≤ {KLINES_TARGET:,} (limit {KLINES_LIMIT:,})", yes(b["klines"]["most_weight_in_rolling_60_s"] <= KLINES_TARGET)],
    ]
    for venue, (window, limit, over) in OTHER_VENUES.items():
        v = counts[venue]
        targets.append([f"{venue.upper() if venue == 'okx' else venue.capitalize()}, most in any {window / 1000:g} s, "
                        f"{over if venue == 'bybit' else 'per ' + over}",
                        f"{v['most_in_window']}" + (f" ({v['where']})" if v["where"] and venue != "bybit" else ""),
                        f"≤ {limit}", yes(v["most_in_window"] <= limit)])
    targets.append(["Hyperliquid weight, most in any rolling 60 s (the wallet routes)",
                    f"{hl_weight['max_in_any_minute']} ({hl_weight['requests']} requests, weight {hl_weight['total']})",
                    f"≤ {HYPERLIQUID_PLANNED:,} planned (limit {hl_weight['limit']:,})",
                    yes(hl_weight["max_in_any_minute"] <= hl_weight["limit"])])
    targets += [
        ["p99 after the first minute (all answers)",
         f"{fmt(p99_late, 1)} ms (at the gateway {fmt(gw_p99_late, 1)} ms)" if p99_late is not None
         else "— (the run is not longer than a minute)",
         f"≤ 1.5 × L = {1.5 * L:g} ms", yes(p99_late <= 1.5 * L) if p99_late is not None else "—"],
        ["p50 (all answers)", f"{fmt(allr['p50_ms'], 1)} ms (at the gateway {fmt(gw_p50, 1)} ms)", f"≤ 0.2 × L = {0.2 * L:g} ms",
         yes(allr["p50_ms"] is not None and allr["p50_ms"] <= 0.2 * L)],
    ]
    print()
    print(table(["target", "measured", "target value", "met?"], targets))

    vrows = []
    for path, p in b["paths"].items():
        vrows.append(["Binance", path, p["requests"], "5 min", p["most_in_rolling_5_min"],
                      f"{BINANCE_PATH_TARGET} target / {BINANCE_PATH_LIMIT:,} limit"])
    vrows.append(["Binance", f"{KLINES_PATH} (weight)", f"{b['klines']['requests']} (weight {b['klines']['weight']})",
                  "60 s", b["klines"]["most_weight_in_rolling_60_s"], f"{KLINES_TARGET:,} target / {KLINES_LIMIT:,} limit"])
    for path, n in sorted(b["other_paths"].items()):
        vrows.append(["Binance", path, n, "", "", ""])
    vrows.append(["Binance", "all paths", b["requests"], "5 min", b["all_paths_most_in_rolling_5_min"], ""])
    for venue, (window, limit, over) in OTHER_VENUES.items():
        v = counts[venue]
        vrows.append([venue, over if venue == "bybit" else f"per {over} (worst: {v['where'] or '—'})", v["requests"], f"{window / 1000:g} s",
                      v["most_in_window"], f"{limit}" + (f"; over on {len(v['keys_over_limit'])} keys"
                                                       if v["keys_over_limit"] else "")])
    print()
    print(table(["venue", "path", "requests", "window", "most in any rolling window", "target / limit"], vrows))

    logged = sum(f["upstream_requests"] for f in logs.values())
    by_fn = ", ".join(f"{fn} {f['upstream_requests']}" for fn, f in sorted(logs.items()) if f["upstream_requests"])
    print()
    print(f"- stand-in log: {counts['total']} requests ({json.dumps(counts['by_venue'])}); the functions' "
          f"log lines sum upstream_requests = {logged} ({by_fn})")
    meta = routes.get("/v1/meta", {})
    qrows = []
    for route in names[:-1]:
        qs = queue_by_fn.get(route, [])
        qrows.append([route, fmt(pct(total_by_fn.get(route, []), 50), 2), fmt(pct(function_by_fn.get(route, []), 50), 2),
                      fmt(pct(qs, 50), 2), fmt(pct(qs, 99), 1), fmt(max(qs) if qs else None, 1)])
    print(f"- gateway overhead (its own time per request: event, JSON, HTTP; not the queue or the function): "
          f"p50 {fmt(pct(own, 50), 2)} ms, p99 {fmt(pct(own, 99), 2)} ms; /v1/meta p50 {fmt(meta.get('p50_ms'), 2)} ms "
          f"under load (client side), {statistics.median(meta_probe):.2f} ms idle (50 sequential before the load)")
    print()
    print(table(["route", "at the gateway p50 ms", "in the function p50 ms", "queue wait p50 ms",
                 "queue wait p99 ms", "queue wait max ms"], qrows))
    print()

    results = {
        "args": vars(args), "instances": plan, "instances_source": plan_note, "restarts": restarts,
        "load_start": load_start, "load_end": load_end, "latency_ms": L,
        "routes": routes, "standin": counts, "function_logs": logs,
        "targets": [{"target": t[0], "measured": t[1], "value": t[2], "met": {"yes": True, "—": None}.get(t[3], False)} for t in targets],
        "gateway": {"own_ms_p50": pct(own, 50), "own_ms_p99": pct(own, 99), "all_ms_p50": gw_p50,
                    "all_ms_p99_after_first_minute": gw_p99_late,
                    "total_ms_p50": {r: pct(v, 50) for r, v in total_by_fn.items()},
                    "function_ms_p50": {r: pct(v, 50) for r, v in function_by_fn.items()},
                    "queue_ms": {r: {"p50": pct(q, 50), "p99": pct(q, 99), "max": max(q)} for r, q in queue_by_fn.items() if q},
                    "meta_idle_ms": meta_probe},
        "screener": {"coins": sum(r["coins"] for r in scr), "memo_hits": sum(r["hits"] for r in scr),
                     "refresh": dict(collections.Counter(str(r.get("refresh")) for r in scr))},
        "budget_exhausted": exhausted,
        "hyperliquid_weight": hl_weight,
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=1, default=str))
    log("figures in target/loadtest/results.json; per-answer records in target/loadtest/requests.jsonl")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted: every process stopped")
        sys.exit(130)
