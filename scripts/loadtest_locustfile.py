"""The four paid tiers at their full rates at once, as locust users (see scripts/loadtest).

Free 1 user × 2 req/s, Starter 2 × 3, Pro 6 × 3, Business 15 × 3: 71 req/s in all, 24 users, each
with its own `x-api-key`. Each request picks a route by weight (per 105 requests):

    /v1/positioning   25   coin of the 20, period 5m/1h/4h
    /v1/divergence    20   coin, period
    /v1/history       14   coin, period, limit 48 or 96
    /v1/signal        13   coin, period
    /v1/screener      13   period; 10% include_confidence=true, 2% refresh=true
    /v1/exchanges      3   coin, period 1h or 4h, venues=binance,okx,bybit,gate,bitget
    /v1/track-record   3   coin, period, horizon=4
    /v1/chart          3   coin, period (the SVG)
    /v1/mcp            5   POST JSON-RPC tools/call (stateless Streamable HTTP), a tool of
                           positioning, divergence, signal, history with {coin, period}
    /v1/wallets        3   Hyperliquid's tracked wallets; a third include_hold_times=true, a third
                           include_changes=true, 5% refresh=true
    /v1/wallets/positions 2  coin of BTC, ETH, SOL, HYPE, kPEPE
    /v1/meta           1   no upstream: the gateway's own latency under load

One record per answer goes to $LOADTEST_OUT/requests.jsonl when locust quits: start time, route,
status, latency (ms, body read), whether it counts as a 5xx (any status >= 500; for MCP also a
tool error whose status is >= 500, as `upstream_budget_exhausted` inside a 200 JSON-RPC answer),
stale (`data.stale`, MCP `structuredContent.stale`, or the header `x-stale: true`), from_memo
(`data.from_memo`; the screener's `memo_hits` of `counts.requested` coins) and the screener's
`refresh`. scripts/loadtest.py computes every figure from these records. FastHttpUser
(geventhttpclient, keep-alive): a few times less client CPU than requests, so the latencies are
less the load generator's own.
"""
import itertools
import json
import os
import pathlib
import random
import time

import urllib.parse

from locust import FastHttpUser, constant_throughput, events, task

COINS = "BTC,ETH,SOL,BNB,XRP,DOGE,ADA,AVAX,LINK,TRX,DOT,TON,SUI,LTC,BCH,NEAR,APT,ARB,OP,1000PEPE".split(",")
PERIODS = ["5m", "1h", "4h"]
VENUES = "binance,okx,bybit,gate,bitget"
MCP_TOOLS = ["positioning", "divergence", "signal", "history"]
WALLET_COINS = ["BTC", "ETH", "SOL", "HYPE", "kPEPE"]
OUT = pathlib.Path(os.environ.get("LOADTEST_OUT", "target/loadtest"))
RECORDS: list = []
RPC_IDS = itertools.count(1)


@events.quitting.add_listener
def write_records(environment, **_):
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "requests.jsonl", "w") as f:
        for r in RECORDS:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def judge(name, response):
    """(status, 5xx, stale, from_memo, screener (coins, hits, refresh) or None, error code)."""
    status = response.status_code
    five_xx = status >= 500
    headers = response.headers or {}
    stale = (headers.get("x-stale") or "").lower() == "true"
    from_memo = None
    screener = None
    code = None
    if not (headers.get("content-type") or "").startswith("application/json"):
        return status, five_xx, stale, from_memo, screener, code
    try:
        doc = response.json()
    except ValueError:
        return status, five_xx, stale, from_memo, screener, "not_json"
    if not isinstance(doc, dict):
        return status, five_xx, stale, from_memo, screener, code
    if name == "/v1/mcp":
        result = doc.get("result")
        if isinstance(result, dict):
            content = result.get("structuredContent")
            content = content if isinstance(content, dict) else {}
            if result.get("isError"):
                tool_status = content.get("status")
                code = content.get("code") or "tool_error"
                if isinstance(tool_status, int) and tool_status >= 500:
                    five_xx = True
            stale = stale or content.get("stale") is True
            if isinstance(content.get("from_memo"), bool):
                from_memo = content["from_memo"]
        elif "error" in doc:
            code = "jsonrpc_error"
        return status, five_xx, stale, from_memo, screener, code
    error = doc.get("error")
    if isinstance(error, dict):
        code = error.get("code")
    data = doc.get("data")
    if isinstance(data, dict):
        stale = stale or data.get("stale") is True
        if "memo_hits" in data:
            counts = data.get("counts") or {}
            screener = (counts.get("requested", 0), data["memo_hits"], data.get("refresh"))
        elif isinstance(data.get("from_memo"), bool):
            from_memo = data["from_memo"]
    return status, five_xx, stale, from_memo, screener, code


class Tier(FastHttpUser):
    abstract = True

    def on_start(self):
        # One API key per user (the refresh ledger counts per key).
        self.key = f"{type(self).__name__.lower()}-{id(self):x}"

    def ask(self, name, method="GET", params=None, body=None, headers=None):
        started = time.time()
        t0 = time.perf_counter()
        url = f"{name}?{urllib.parse.urlencode(params)}" if params else name
        with self.client.request(method, url, data=body, name=name,
                                 headers={"x-api-key": self.key, **(headers or {})},
                                 catch_response=True) as r:
            ms = (time.perf_counter() - t0) * 1000
            status, five_xx, stale, from_memo, screener, code = judge(name, r)
            rec = {"t": round(started, 3), "route": name, "status": status, "ms": round(ms, 2),
                   "5xx": five_xx, "stale": stale}
            if from_memo is not None:
                rec["memo"] = from_memo
            if screener is not None:
                rec["coins"], rec["hits"], rec["refresh"] = screener
            if code:
                rec["code"] = code
            RECORDS.append(rec)
            if status != 200 or code:
                r.failure(f"{status} {code or ''}".strip())
            else:
                r.success()

    def market(self):
        return {"coin": random.choice(COINS), "period": random.choice(PERIODS)}

    @task(25)
    def positioning(self):
        self.ask("/v1/positioning", params=self.market())

    @task(20)
    def divergence(self):
        self.ask("/v1/divergence", params=self.market())

    @task(14)
    def history(self):
        self.ask("/v1/history", params={**self.market(), "limit": random.choice(["48", "96"])})

    @task(13)
    def signal(self):
        self.ask("/v1/signal", params=self.market())

    @task(13)
    def screener(self):
        params = {"period": random.choice(PERIODS)}
        if random.random() < 0.10:
            params["include_confidence"] = "true"
        if random.random() < 0.02:
            params["refresh"] = "true"
        self.ask("/v1/screener", params=params)

    @task(3)
    def exchanges(self):
        self.ask("/v1/exchanges", params={"coin": random.choice(COINS), "period": random.choice(["1h", "4h"]),
                                          "venues": VENUES})

    @task(3)
    def track_record(self):
        self.ask("/v1/track-record", params={**self.market(), "horizon": "4"})

    @task(3)
    def chart(self):
        self.ask("/v1/chart", params=self.market())

    @task(5)
    def mcp(self):
        rpc = {"jsonrpc": "2.0", "id": next(RPC_IDS), "method": "tools/call",
               "params": {"name": random.choice(MCP_TOOLS), "arguments": self.market()}}
        self.ask("/v1/mcp", method="POST", body=json.dumps(rpc),
                 headers={"content-type": "application/json", "accept": "application/json, text/event-stream"})

    @task(3)
    def wallets(self):
        params = random.choice([{}, {"include_hold_times": "true"}, {"include_changes": "true"}])
        if random.random() < 0.05:
            params["refresh"] = "true"
        self.ask("/v1/wallets", params=params)

    @task(2)
    def wallet_positions(self):
        self.ask("/v1/wallets/positions", params={"coin": random.choice(WALLET_COINS)})

    @task(1)
    def meta(self):
        self.ask("/v1/meta")


# Users × requests per second each = the tier's paid rate.
class Free(Tier):
    fixed_count = 1
    wait_time = constant_throughput(2.0)


class Starter(Tier):
    fixed_count = 2
    wait_time = constant_throughput(3.0)


class Pro(Tier):
    fixed_count = 6
    wait_time = constant_throughput(3.0)


class Business(Tier):
    fixed_count = 15
    wait_time = constant_throughput(3.0)
