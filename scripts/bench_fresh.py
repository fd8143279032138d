"""A fresh answer of one route over the stand-in with L ms injected on every upstream answer: is
it one round trip plus overhead? Figures only (docs/PERFORMANCE.md); loopback only.

Each fresh call asks a coin × period this instance has not fetched yet (a memo miss everywhere);
the repeat of each call is a memo hit. For /v1/exchanges (all five venues side by side) calls are
spaced 1.1 s apart because Bitget allows one request per second per path (the adapter would
otherwise wait for its slot, which is the venue's limit, not our latency).
/v1/chart is timed as an image (its SVG is not JSON: a fresh call is one that sent upstream
requests); /v1/mcp as one `tools/call` of the `positioning` tool (a JSON-RPC POST), to compare
with /v1/positioning.
Run: scripts/bench_fresh --route /v1/track-record [--latency-ms 50] [--period 1h]
     scripts/bench_exchanges   (the same with --route /v1/exchanges)
"""
import argparse
import json
import statistics
import sys
import time

from bench_lib import LocalApi, StandIn, direct_round_trip, log, p95, run

MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream",
               "mcp-protocol-version": "2025-06-18"}
COINS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "ADA", "AVAX", "LINK", "TRX",
         "DOT", "TON", "SUI", "LTC", "BCH", "NEAR", "APT", "ARB", "OP", "1000PEPE"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--period", default="1h")
    ap.add_argument("--route", default="/v1/exchanges",
                    choices=["/v1/exchanges", "/v1/track-record", "/v1/signal", "/v1/positioning", "/v1/history",
                             "/v1/chart", "/v1/mcp"])
    args = ap.parse_args()
    route = args.route
    paced = route == "/v1/exchanges"
    run(["cargo", "build", "--release", "--locked", "-q", "-p", "standin"])
    standin = StandIn(args.latency_ms, now_ms=None)
    api = None
    try:
        floor = statistics.median(direct_round_trip(standin, 30, 20))
        # 20 fresh coins in 30 s is more than the capacity model gives one instance (30 Binance
        # fetches per 5 minutes): lift the budget, this measures latency.
        api = LocalApi(standin, {"BINANCE_REQUEST_BUDGET": "1000000"})
        log(f"starting cargo lambda watch --release (the first call compiles the {route} function)")

        def call(coin, period):
            """(status, data, seconds): the route's `data` (None for the chart's SVG)."""
            if route == "/v1/mcp":
                rpc = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "positioning", "arguments": {"coin": coin, "period": period}}}
                status, body, dt = api.request("POST", route, json.dumps(rpc).encode(), MCP_HEADERS)
                return status, json.loads(body)["result"]["structuredContent"], dt
            status, body, dt = api.get(f"{route}?coin={coin}&period={period}")
            return status, (None if route == "/v1/chart" else json.loads(body)["data"]), dt

        if route == "/v1/mcp":
            rpc = {"jsonrpc": "2.0", "id": 0, "method": "tools/list"}
            api.warm(route, deadline_s=1800, method="POST", body=json.dumps(rpc).encode(), headers=MCP_HEADERS)
        else:
            api.warm(f"{route}?coin=BTC&period=2h", deadline_s=1800)
        time.sleep(1.1 if paced else 0)
        fresh, memo, requests = [], [], []
        for coin in COINS:
            before = standin.control("GET", "/__standin/requests")["count"]
            status, data, dt = call(coin, args.period)
            after = standin.control("GET", "/__standin/requests")["count"]
            data = data or {"from_memo": after == before}
            bad = [v["venue"] + ":" + v["status"] for v in data.get("venues", []) if v["status"] != "ok"]
            if status != 200 or data["from_memo"] or bad:
                log(f"warning: {coin}: {status} from_memo={data['from_memo']} {bad}")
            fresh.append(dt * 1000)
            requests.append(after - before)
            status, _, dt = call(coin, args.period)
            memo.append(dt * 1000)
            time.sleep(1.1 if paced else 0.05)
        L = args.latency_ms
        what = "all five venues" if paced else "Binance"
        print(f"{route}, {what}, period {args.period}, L = {L} ms per upstream answer, {len(COINS)} coins")
        print(f"  floor: one series straight from the stand-in: {floor:.1f} ms")
        print(f"  fresh (memo miss): p50 {statistics.median(fresh):.1f} ms, "
              f"p95 {p95(fresh):.1f} ms, max {max(fresh):.1f} ms = {statistics.median(fresh) / L:.2f} × L (p50); "
              f"upstream requests per call {min(requests)}–{max(requests)}")
        print(f"  repeat (memo hit): p50 {statistics.median(memo):.1f} ms, p95 {p95(memo):.1f} ms")
        return 0
    finally:
        if api:
            api.close()
        standin.close()


if __name__ == "__main__":
    sys.exit(main())
