"""Smoke test of a deployed stage: every route answers in the envelope with sane values, a missing
and a bad key are refused in the envelope, a 400 names its parameter, the MCP endpoint initialises
and lists its tools. Prints one table row per check; exits 1 on any failure (2 on bad usage).

    scripts/smoke URL KEY [--no-gateway] [--coin BTC] [--period 1h] [--timeout 30] [--interval 0]

URL is the stage base URL (the stack output `ApiUrl`, e.g.
https://abc.execute-api.ap-northeast-1.amazonaws.com/prod); KEY is sent as `x-api-key`.
`--no-gateway` skips the checks only API Gateway answers (missing key, bad key, unknown route):
for `cargo lambda watch` (scripts/serve), which has no gateway in front. A run sends 15 requests
with the key (they count against its plan): use an operator key on Pro or Business, or
`--interval 0.5` with a Free key (2 req/s).

Verdicts: PASS; WARN (answered correctly but degraded: served stale, a venue of /v1/exchanges not
ok; does not fail the run); SKIP (not run, says why); FAIL (exit 1).
Only `requests` and the standard library.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import requests

PERIODS = ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"]
COHORTS = ["retail_crowd", "top_traders_by_accounts", "top_traders_by_position"]
VENUES = ["binance", "okx", "bybit", "gate", "bitget"]
VENUE_STATUSES = {"ok", "unknown_symbol", "upstream_error", "upstream_rate_limited",
                  "upstream_budget_exhausted", "upstream_timeout", "unsupported_period"}
ROUTES = ["/v1/positioning", "/v1/divergence", "/v1/history", "/v1/meta", "/v1/signal", "/v1/screener",
          "/v1/exchanges", "/v1/track-record", "/v1/chart", "/v1/mcp", "/v1/wallets", "/v1/wallets/positions"]
MCP_TOOLS = ["positioning", "divergence", "history", "signal", "screener", "exchanges", "track_record",
             "wallets", "wallet_positions"]
MCP_WALLET_TOOLS = {"wallets", "wallet_positions"}  # Hyperliquid's wallets: no period
MCP_VERSION = "2025-11-25"
SIGNALS = {"crowd_over_long", "crowd_over_short", "neutral"}
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CLF = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")  # $context.requestTime
SUCCESS_KEYS = {"data", "meta", "status", "message", "success"}
ERROR_KEYS = {"data", "meta", "status", "success", "message", "error"}
PCT_TOL = 0.02   # two 2-decimal shares of one split sum to 100 within rounding
GAP_TOL = 0.011  # a difference of two 2-decimal numbers, with float representation slack


class Fail(Exception):
    """The check failed; the message says why."""


class Warn(Exception):
    """The route answered correctly but degraded; the message says how."""


@dataclass
class Row:
    check: str
    status: str
    ms: str
    verdict: str
    detail: str


def show(body: bytes | str, n: int = 120) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text[:n] + ("…" if len(text) > n else "")


def reason(e: Exception) -> str:
    """The innermost reason of a requests exception (`[Errno 111] Connection refused`)."""
    return str(e).rsplit(": ", 1)[-1].rstrip("')\"")


def close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def expect(cond: bool, why: str) -> None:
    if not cond:
        raise Fail(why)


class Smoke:
    def __init__(self, base: str, key: str, timeout: float, coin: str, period: str, interval: float = 0.0):
        self.base = base.rstrip("/")
        self.interval = interval  # seconds between requests (a low tier's rate limit)
        self.sent = 0
        self.key = key
        self.timeout = timeout
        self.coin = coin
        self.period = period
        self.http = requests.Session()
        self.threshold: float | None = None  # from /v1/meta, for the signal checks
        self.mcp_version: str | None = None  # negotiated by initialize
        self.status = "-"
        self.ms = 0.0

    # ---------- HTTP ----------
    def request(self, method: str, path: str, params: dict | None = None, key: str | None = "",
                headers: dict | None = None, body: Any = None) -> requests.Response:
        """One request; `key=""` sends the configured key, `None` none, anything else that value."""
        h = dict(headers or {})
        if key == "":
            h["x-api-key"] = self.key
        elif key is not None:
            h["x-api-key"] = key
        if self.sent and self.interval:
            time.sleep(self.interval)
        self.sent += 1
        started = time.monotonic()
        try:
            r = self.http.request(method, self.base + path, params=params, headers=h,
                                  data=None if body is None else json.dumps(body), timeout=self.timeout)
        finally:
            self.ms += (time.monotonic() - started) * 1000
        self.status = str(r.status_code) if self.status == "-" else f"{self.status},{r.status_code}"
        return r

    def get(self, path: str, **params) -> requests.Response:
        return self.request("GET", path, params=params or None)

    def mcp(self, message: dict) -> requests.Response:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
                   "mcp-protocol-version": self.mcp_version or MCP_VERSION}
        return self.request("POST", "/v1/mcp", headers=headers, body=message)

    # ---------- envelopes ----------
    @staticmethod
    def body(r: requests.Response) -> dict:
        ctype = r.headers.get("content-type", "")
        expect(ctype.startswith("application/json"),
               f"HTTP {r.status_code}, content-type {ctype or 'none'}, not the JSON envelope: {show(r.content)}")
        try:
            body = r.json()
        except ValueError:
            raise Fail(f"HTTP {r.status_code}, body is not JSON: {show(r.content)}") from None
        expect(isinstance(body, dict), f"HTTP {r.status_code}, body is not a JSON object: {show(r.content)}")
        return body

    def ok(self, r: requests.Response) -> dict:
        """The `data` of a 200 in the success envelope."""
        if r.status_code != 200:
            raise Fail(self.refusal(r))
        body = self.body(r)
        expect(set(body) == SUCCESS_KEYS, f"envelope keys {sorted(body)}, expected {sorted(SUCCESS_KEYS)}")
        expect(body["status"] == "ok" and body["success"] is True,
               f"status={body['status']!r} success={body['success']!r} on a 200")
        expect(isinstance(body["message"], str) and body["message"], "empty message")
        self.meta(body, gateway=False)
        expect(isinstance(body["data"], dict), "data is not an object")
        return body["data"]

    def refusal(self, r: requests.Response) -> str:
        """Why a non-200 failed, as the envelope says (or what came instead)."""
        try:
            body = self.body(r)
            err = body.get("error") or {}
            what = f"HTTP {r.status_code} {err.get('code', '?')}: {show(str(body.get('message', '')), 90)}"
        except Fail as e:
            return str(e)
        if r.headers.get("retry-after"):
            what += f" (Retry-After {r.headers['retry-after']})"
        return what

    @staticmethod
    def meta(body: dict, gateway: bool) -> None:
        meta = body.get("meta")
        expect(isinstance(meta, dict) and set(meta) == {"timestamp", "request_id"},
               f"meta is {show(json.dumps(meta), 80)}, expected {{timestamp, request_id}}")
        expect(isinstance(meta["request_id"], str) and meta["request_id"], "meta.request_id is empty")
        ts = meta["timestamp"]
        ok = isinstance(ts, str) and (ISO_MS.match(ts) or (gateway and CLF.match(ts)))
        expect(bool(ok), f"meta.timestamp {ts!r} is not ISO-8601 with milliseconds"
               + (" or API Gateway's requestTime" if gateway else ""))

    def error(self, r: requests.Response, status: int, code: str, gateway: bool = False) -> dict:
        """The `error` of an error envelope with this status and code."""
        if r.status_code != status:
            got = "HTTP 200 (answered, not refused)" if r.status_code == 200 else self.refusal(r)
            raise Fail(f"{got}; expected {status} {code}")
        body = self.body(r)
        expect(set(body) == ERROR_KEYS, f"HTTP {r.status_code}: envelope keys {sorted(body)}, "
                                        f"expected {sorted(ERROR_KEYS)}: {show(r.content)}")
        err = body["error"]
        expect(isinstance(err, dict), "error is not an object")
        expect((r.status_code, err.get("code")) == (status, code),
               f"HTTP {r.status_code} {err.get('code')!r}, expected {status} {code!r}: {show(str(body['message']), 80)}")
        expect(body["data"] is None and body["status"] == "error" and body["success"] is False,
               f"data={show(json.dumps(body['data']), 40)} status={body['status']!r} success={body['success']!r}")
        expect(isinstance(body["message"], str) and body["message"], "empty message")
        self.meta(body, gateway=gateway)
        return err

    @staticmethod
    def stale(r: requests.Response, data: dict) -> str | None:
        if r.headers.get("x-stale") == "true" or data.get("stale") is True:
            return f"served stale (x-stale: true, age {json.dumps(data.get('age'))})"
        return None

    # ---------- the checks: each returns its detail, raises Fail or Warn ----------
    def check_meta(self) -> str:
        r = self.get("/v1/meta")
        d = self.ok(r)
        expect(d.get("service") == "smartmoney-api", f"service {d.get('service')!r}")
        expect(d.get("periods") == PERIODS, f"periods {d.get('periods')}, expected {PERIODS}")
        paths = [e.get("path") for e in d.get("routes", [])]
        expect(sorted(paths) == sorted(ROUTES), f"routes {paths}")
        t = d.get("signal_threshold_pp")
        expect(isinstance(t, (int, float)) and t > 0, f"signal_threshold_pp {t!r}")
        self.threshold = float(t)
        return f"{len(d['periods'])} periods, {len(paths)} routes, threshold {t} pp"

    def expected_signal(self, gap: float) -> str | None:
        if self.threshold is None:
            return None
        return ("crowd_over_long" if gap <= -self.threshold
                else "crowd_over_short" if gap >= self.threshold else "neutral")

    def gap_sane(self, where: str, gap: Any, smart: Any, retail: Any, signal: Any = None) -> None:
        for name, v in (("long_pct_gap", gap), ("smart_money_long_pct", smart), ("retail_long_pct", retail)):
            expect(isinstance(v, (int, float)), f"{where}.{name} is {v!r}")
        expect(0 <= smart <= 100 and 0 <= retail <= 100, f"{where}: a long % outside 0–100")
        expect(close(gap, smart - retail, GAP_TOL),
               f"{where}: long_pct_gap {gap} != smart {smart} − retail {retail}")
        if signal is not None:
            expect(signal in SIGNALS, f"{where}.signal {signal!r}")
            want = self.expected_signal(gap)
            expect(want is None or signal == want,
                   f"{where}: signal {signal} at gap {gap} with threshold {self.threshold}, expected {want}")

    def check_positioning(self) -> str:
        r = self.get("/v1/positioning", coin=self.coin, period=self.period)
        d = self.ok(r)
        cohorts = d.get("cohorts", [])
        expect([c.get("cohort") for c in cohorts] == COHORTS,
               f"cohorts {[c.get('cohort') for c in cohorts]}, expected {COHORTS}")
        for c in cohorts:
            long_, short = c.get("long_account_pct"), c.get("short_account_pct")
            expect(isinstance(long_, (int, float)) and isinstance(short, (int, float)),
                   f"{c['cohort']}: long {long_!r} short {short!r}")
            expect(close(long_ + short, 100, PCT_TOL), f"{c['cohort']}: long {long_} + short {short} != 100")
        div = d.get("divergence") or {}
        self.gap_sane("divergence", div.get("long_pct_gap"), div.get("smart_money_long_pct"),
                      div.get("retail_long_pct"), div.get("signal"))
        expect(div["retail_long_pct"] == cohorts[0]["long_account_pct"]
               and div["smart_money_long_pct"] == cohorts[2]["long_account_pct"],
               "divergence's shares are not the cohorts' newest")
        if (w := self.stale(r, d)):
            raise Warn(w)
        return f"{d.get('symbol')} {d.get('period')}: 3 cohorts, long+short=100, gap {div['long_pct_gap']}"

    def check_divergence(self) -> str:
        r = self.get("/v1/divergence", coin=self.coin, period=self.period)
        d = self.ok(r)
        self.gap_sane("data", d.get("long_pct_gap"), d.get("smart_money_long_pct"), d.get("retail_long_pct"),
                      d.get("signal"))
        expect(isinstance(d.get("read"), str) and d["read"], "empty read")
        if (w := self.stale(r, d)):
            raise Warn(w)
        return (f"gap {d['long_pct_gap']} = {d['smart_money_long_pct']} − {d['retail_long_pct']}, "
                f"{d['signal']}")

    def check_history(self) -> str:
        r = self.get("/v1/history", coin=self.coin, period=self.period, limit="24")
        d = self.ok(r)
        points = d.get("points")
        expect(isinstance(points, list) and d.get("count") == len(points),
               f"count {d.get('count')!r} != len(points) {len(points) if isinstance(points, list) else points!r}")
        expect(0 < len(points) <= 24, f"{len(points)} points for limit=24")
        ts = [p.get("timestamp") for p in points]
        expect(all(a < b for a, b in zip(ts, ts[1:])), "timestamps not strictly increasing")
        for p in points:
            self.gap_sane(f"point {p['timestamp']}", p.get("long_pct_gap"),
                          p.get("top_traders_by_position_long_pct"), p.get("retail_crowd_long_pct"))
        if (w := self.stale(r, d)):
            raise Warn(w)
        return f"count {d['count']} = len(points), increasing, every gap = smart − retail"

    def check_history_csv(self) -> str:
        r = self.get("/v1/history", coin=self.coin, period=self.period, limit="24", format="csv")
        if r.status_code != 200:
            raise Fail(self.refusal(r))
        ctype = r.headers.get("content-type", "")
        expect(ctype.startswith("text/csv"), f"content-type {ctype!r}, expected text/csv")
        rows = list(csv.reader(io.StringIO(r.text)))
        expect(len(rows) >= 2, f"{len(rows)} lines: {show(r.text)}")
        header = rows[0]
        expect("timestamp" in header and "long_pct_gap" in header, f"header {header}")
        expect(all(len(row) == len(header) for row in rows[1:]), "a row's width differs from the header's")
        return f"header of {len(header)} columns ({header[0]}, …), {len(rows) - 1} rows"

    def check_signal(self) -> str:
        r = self.get("/v1/signal", coin=self.coin, period=self.period)
        d = self.ok(r)
        for section in ("now", "smoothed", "vs_history", "persistence", "trend", "confidence", "open_interest"):
            expect(isinstance(d.get(section), dict), f"no {section} section")
        now = d["now"]
        self.gap_sane("now", now.get("long_pct_gap"), now.get("smart_money_long_pct"), now.get("retail_long_pct"),
                      now.get("signal"))
        if (w := self.stale(r, d)):
            raise Warn(w)
        score = d["confidence"].get("score")
        return f"now gap {now['long_pct_gap']} {now['signal']}, confidence {score}"

    def check_screener(self) -> str:
        coins = sorted({self.coin.upper(), "BTC", "ETH"})
        r = self.get("/v1/screener", coins=",".join(coins), period=self.period)
        d = self.ok(r)
        counts, rows, errors = d.get("counts") or {}, d.get("rows"), d.get("errors")
        expect(isinstance(rows, list) and isinstance(errors, list), "rows/errors not lists")
        expect(counts.get("requested") == len(coins), f"counts.requested {counts.get('requested')} for {coins}")
        expect(counts.get("succeeded", 0) + counts.get("failed", 0) == len(coins),
               f"succeeded {counts.get('succeeded')} + failed {counts.get('failed')} != {len(coins)}")
        expect(counts.get("returned") == len(rows), f"counts.returned {counts.get('returned')} != {len(rows)} rows")
        expect(counts.get("failed") == len(errors), f"counts.failed {counts.get('failed')} != {len(errors)} errors")
        for row in rows:
            self.gap_sane(row.get("symbol", "row"), row.get("long_pct_gap"), row.get("smart_money_long_pct"),
                          row.get("retail_long_pct"), row.get("signal"))
        if errors:
            raise Warn(f"{len(errors)} coin(s) failed: "
                       + ", ".join(f"{e.get('symbol')} {e.get('error', {}).get('code')}" for e in errors))
        if (w := self.stale(r, d)):
            raise Warn(w)
        return f"{len(rows)} of {len(coins)} coins ranked by {d.get('sort_by')}, every gap = smart − retail"

    def check_exchanges(self) -> str:
        r = self.get("/v1/exchanges", coin=self.coin, period=self.period)
        d = self.ok(r)
        venues = d.get("venues") or []
        ids = [v.get("venue") for v in venues]
        expect(ids == VENUES, f"venues {ids}, expected {VENUES}")
        statuses = {v["venue"]: v.get("status") for v in venues}
        bad = {k: s for k, s in statuses.items() if s not in VENUE_STATUSES}
        expect(not bad, f"statuses outside the contract: {bad}")
        for v in venues:
            if v["status"] == "ok":
                expect(isinstance(v.get("all_accounts_long_pct"), (int, float)),
                       f"{v['venue']} ok without all_accounts_long_pct")
            else:
                expect(isinstance(v.get("message"), str) and v["message"], f"{v['venue']} {v['status']} with no message")
        expect(any(s == "ok" for s in statuses.values()), f"no venue ok: {statuses}")
        agg = d.get("aggregate")
        series = d.get("series")
        expect(isinstance(series, list) and len(series) <= 24, f"series {show(json.dumps(series), 60)}")
        summary = ", ".join(f"{k} {s}" for k, s in statuses.items())
        not_ok = {k: s for k, s in statuses.items() if s != "ok"}
        if not_ok:
            raise Warn(f"{summary}; aggregate {'null' if agg is None else agg.get('sds_pp')}")
        if (w := self.stale(r, d)):
            raise Warn(w)
        return f"{summary}; SDS {agg.get('sds_pp') if agg else None} pp over {agg.get('venues_used') if agg else 0} venues"

    def check_track_record(self) -> str:
        r = self.get("/v1/track-record", coin=self.coin, period=self.period)
        d = self.ok(r)
        expect(d.get("horizon_buckets") == 4, f"horizon_buckets {d.get('horizon_buckets')!r}, default is 4")
        examined = d.get("buckets_examined")
        expect(isinstance(examined, int) and 0 <= examined <= 500, f"buckets_examined {examined!r}")
        for side in ("crowd_over_long", "crowd_over_short", "all_buckets"):
            s = d.get(side) or {}
            n, hits = s.get("n"), s.get("hits")
            expect(isinstance(n, int) and isinstance(hits, int) and 0 <= hits <= n <= examined,
                   f"{side}: hits {hits!r} n {n!r} of {examined} examined")
        if (w := self.stale(r, d)):
            raise Warn(w)
        a = d["all_buckets"]
        return f"{examined} buckets examined; all: {a['hits']}/{a['n']} hits"

    def check_chart(self) -> str:
        r = self.get("/v1/chart", coin=self.coin, period=self.period)
        if r.status_code != 200:
            raise Fail(self.refusal(r))
        ctype = r.headers.get("content-type", "")
        expect(ctype.startswith("image/svg+xml"), f"content-type {ctype!r}, expected image/svg+xml")
        text = r.text
        expect(text.startswith("<svg"), f"body starts {show(text, 40)!r}, expected <svg")
        expect(text.rstrip().endswith("</svg>"), "body does not end with </svg>")
        m = re.search(r'data-count="(\d+)"', text)
        expect(m is not None and int(m.group(1)) > 0, "no data-count, or 0 points drawn")
        if r.headers.get("x-stale") == "true":
            raise Warn("served stale (x-stale: true)")
        return f"image/svg+xml, {len(r.content)} bytes, {m.group(1)} points"

    def check_wallets(self) -> str:
        r = self.get("/v1/wallets", include_hold_times="true")
        d = self.ok(r)
        cohort = d.get("cohort") or {}
        wallets = cohort.get("wallets")
        expect(isinstance(wallets, list) and wallets and all(
            isinstance(w, str) and re.fullmatch(r"0x[0-9a-f]{40}", w) for w in wallets),
            f"cohort.wallets {show(json.dumps(wallets), 80)}")
        expect(isinstance(cohort.get("rule"), str) and cohort["rule"], "cohort.rule is empty")
        tokens = d.get("tokens")
        expect(isinstance(tokens, list) and len(tokens) == d.get("count"), "count is not len(tokens)")
        for t in tokens:
            longs, shorts, traders = t.get("long_positions"), t.get("short_positions"), t.get("traders")
            expect(isinstance(traders, int) and longs + shorts == traders,
                   f"{t.get('token')}: {longs} long + {shorts} short != {traders} traders")
            for name in ("position_long_pct", "money_long_pct"):
                expect(isinstance(t.get(name), (int, float)) and 0 <= t[name] <= 100, f"{t.get('token')}.{name}")
            expect(t.get("position") in ("LONG", "SHORT", "NEUTRAL"), f"{t.get('token')}.position")
        cov = d.get("coverage") or {}
        known, holding = cov.get("wallets_known"), cov.get("wallets_holding")
        expect(isinstance(known, int) and isinstance(holding, int) and 0 <= known <= holding,
               f"coverage {cov}")
        if (w := self.stale(r, d)):
            raise Warn(w)
        if d.get("errors"):
            raise Warn(f"{len(d['errors'])} wallets not read: {d['errors'][0]['error']['code']}")
        return f"{len(wallets)} wallets, {len(tokens)} tokens, fills known for {known} of {holding} holders"

    def check_wallet_positions(self) -> str:
        r = self.get("/v1/wallets/positions", coin=self.coin)
        d = self.ok(r)
        positions = d.get("positions")
        expect(isinstance(positions, list) and len(positions) == d.get("count"), "count is not len(positions)")
        notionals = [p.get("notional_usd") for p in positions]
        expect(all(isinstance(n, (int, float)) and n >= 0 for n in notionals), f"notional_usd {notionals}")
        expect(notionals == sorted(notionals, reverse=True), "positions are not largest notional first")
        for p in positions:
            expect(p.get("side") == ("long" if p.get("size", 0) > 0 else "short"), f"{p.get('wallet')}: side vs size")
        if (w := self.stale(r, d)):
            raise Warn(w)
        return f"{len(positions)} {d.get('token')} positions"

    def check_bad_parameter(self) -> str:
        r = self.get("/v1/positioning", coin=self.coin, period="3m")
        err = self.error(r, 400, "invalid_parameter")
        expect(err.get("parameter") == "period", f"error.parameter {err.get('parameter')!r}, expected 'period'")
        return "400 invalid_parameter, error.parameter = period"

    def check_mcp_initialize(self) -> str:
        r = self.mcp({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"protocolVersion": MCP_VERSION, "capabilities": {},
                                 "clientInfo": {"name": "smartmoney-smoke", "version": "1"}}})
        body = self.jsonrpc(r, 1)
        res = body["result"]
        version = res.get("protocolVersion")
        expect(isinstance(version, str) and version, f"protocolVersion {version!r}")
        self.mcp_version = version
        name = (res.get("serverInfo") or {}).get("name")
        expect(name == "smartmoney-api", f"serverInfo.name {name!r}")
        expect(isinstance((res.get("capabilities") or {}).get("tools"), dict), "no tools capability")
        n = self.mcp({"jsonrpc": "2.0", "method": "notifications/initialized"})
        expect(n.status_code == 202, f"notifications/initialized answered HTTP {n.status_code}: {show(n.content)}")
        return f"protocol {version}, server {name}, tools capability; initialized 202"

    def check_mcp_tools(self) -> str:
        r = self.mcp({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = self.jsonrpc(r, 2)["result"].get("tools") or []
        names = [t.get("name") for t in tools]
        expect(names == MCP_TOOLS, f"tools {names}, expected {MCP_TOOLS}")
        for t in tools:
            schema = t.get("inputSchema") or {}
            has_period = "period" in (schema.get("properties") or {})
            expect(schema.get("type") == "object" and (has_period or t["name"] in MCP_WALLET_TOOLS),
                   f"{t['name']}: input schema without period")
        return f"{len(names)} tools: {', '.join(names)}"

    def jsonrpc(self, r: requests.Response, id_: int) -> dict:
        if r.status_code != 200:
            raise Fail(self.refusal(r))
        body = self.body(r)
        expect(body.get("jsonrpc") == "2.0" and body.get("id") == id_, f"not a JSON-RPC answer to id {id_}: {show(r.content)}")
        expect("error" not in body and isinstance(body.get("result"), dict), f"JSON-RPC error: {show(json.dumps(body.get('error')))}")
        return body

    def check_missing_key(self) -> str:
        r = self.request("GET", "/v1/meta", key=None)
        self.error(r, 403, "invalid_api_key", gateway=True)
        return "403 invalid_api_key in the envelope"

    def check_bad_key(self) -> str:
        r = self.request("GET", "/v1/meta", key=f"smoke-not-a-key-{uuid.uuid4().hex}")
        self.error(r, 403, "invalid_api_key", gateway=True)
        return "403 invalid_api_key in the envelope"

    def check_unknown_route(self) -> str:
        r = self.get("/v1/no-such-route")
        self.error(r, 404, "not_found", gateway=True)
        return "404 not_found in the envelope"


# (name, method, needs API Gateway)
CHECKS: list[tuple[str, Callable[[Smoke], str], bool]] = [
    ("GET /v1/meta", Smoke.check_meta, False),
    ("GET /v1/positioning", Smoke.check_positioning, False),
    ("GET /v1/divergence", Smoke.check_divergence, False),
    ("GET /v1/history", Smoke.check_history, False),
    ("GET /v1/history format=csv", Smoke.check_history_csv, False),
    ("GET /v1/signal", Smoke.check_signal, False),
    ("GET /v1/screener", Smoke.check_screener, False),
    ("GET /v1/exchanges", Smoke.check_exchanges, False),
    ("GET /v1/track-record", Smoke.check_track_record, False),
    ("GET /v1/chart", Smoke.check_chart, False),
    ("GET /v1/wallets", Smoke.check_wallets, False),
    ("GET /v1/wallets/positions", Smoke.check_wallet_positions, False),
    ("400 names its parameter", Smoke.check_bad_parameter, False),
    ("POST /v1/mcp initialize", Smoke.check_mcp_initialize, False),
    ("POST /v1/mcp tools/list", Smoke.check_mcp_tools, False),
    ("missing key refused", Smoke.check_missing_key, True),
    ("bad key refused", Smoke.check_bad_key, True),
    ("unknown route 404", Smoke.check_unknown_route, True),
]


def run(smoke: Smoke, gateway: bool) -> list[Row]:
    rows = []
    for name, fn, needs_gateway in CHECKS:
        if needs_gateway and not gateway:
            rows.append(Row(name, "-", "-", "SKIP", "--no-gateway: no API Gateway in front, not checked"))
            continue
        smoke.status, smoke.ms = "-", 0.0
        try:
            verdict, detail = "PASS", fn(smoke)
        except Warn as e:
            verdict, detail = "WARN", str(e)
        except Fail as e:
            verdict, detail = "FAIL", str(e)
        except requests.Timeout:
            verdict, detail = "FAIL", f"no answer within {smoke.timeout:g} s"
        except requests.ConnectionError as e:
            verdict, detail = "FAIL", f"no answer: could not connect ({show(reason(e), 60)})"
        except requests.RequestException as e:
            verdict, detail = "FAIL", f"no answer: {type(e).__name__}: {show(str(e), 100)}"
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
            verdict, detail = "FAIL", f"unexpected shape: {type(e).__name__}: {show(str(e), 100)}"
        rows.append(Row(name, smoke.status, f"{smoke.ms:.0f}", verdict, detail))
    return rows


def table(rows: list[Row]) -> str:
    head = Row("check", "status", "ms", "verdict", "detail")
    cols = ["check", "status", "ms", "verdict"]
    width = {c: max(len(getattr(r, c)) for r in [head, *rows]) for c in cols}

    def line(r: Row) -> str:
        return "  ".join([r.check.ljust(width["check"]), r.status.rjust(width["status"]),
                          r.ms.rjust(width["ms"]), r.verdict.ljust(width["verdict"]), r.detail]).rstrip()

    rule = "  ".join("-" * width[c] for c in cols) + "  " + "-" * 6
    return "\n".join([line(head), rule, *map(line, rows)])


def mask(key: str) -> str:
    return f"…{key[-4:]}" if len(key) > 8 else "(short key)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/smoke", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url", help="stage base URL, e.g. https://abc.execute-api.ap-northeast-1.amazonaws.com/prod")
    p.add_argument("key", help="an API key (sent as x-api-key)")
    p.add_argument("--no-gateway", action="store_true",
                   help="skip the checks only API Gateway answers (for cargo lambda watch / scripts/serve)")
    p.add_argument("--coin", default="BTC", help="coin every data route is asked about (default BTC)")
    p.add_argument("--period", default="1h", choices=PERIODS, help="period asked (default 1h)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p.add_argument("--interval", type=float, default=0.0,
                   help="seconds between requests, for a key on a low tier (Free: 0.5); default 0")
    args = p.parse_args(argv)
    if not re.match(r"^https?://", args.url):
        p.error("URL must start with http:// or https://")

    smoke = Smoke(args.url, args.key, args.timeout, args.coin, args.period, args.interval)
    print(f"smoke: {smoke.base} with key {mask(args.key)}, coin {args.coin}, period {args.period}")
    if args.no_gateway:
        print("smoke: --no-gateway: the missing-key, bad-key and unknown-route checks are SKIPPED "
              "(they test API Gateway, which is not in front of this URL)")
    rows = run(smoke, gateway=not args.no_gateway)
    print(table(rows))
    counts = {v: sum(r.verdict == v for r in rows) for v in ("PASS", "WARN", "SKIP", "FAIL")}
    print("smoke: " + ", ".join(f"{n} {v.lower()}" for v, n in counts.items())
          + (": FAILED" if counts["FAIL"] else ": ok"))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
