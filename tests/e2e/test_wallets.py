"""`GET /v1/wallets` and `GET /v1/wallets/positions` through `cargo lambda watch`, every number
recomputed here from the stand-in's raw Hyperliquid answers (the leaderboard, `clearinghouseState`,
`userFillsByTime` paged, `metaAndAssetCtxs`) by the contract's rules, in exact fractions: the
cohort, each token's counts, shares, call and notionals, hold times, changes and money flow,
confidence, the filters and the order; then each position of a token with its opening and hold.

The module has its own stand-in, its clock pinned to now (the API reads fills back from its own
clock, and the session's stand-in lives in August 2026), and its own `cargo lambda watch`.
"""
import math
import subprocess
import time
from fractions import Fraction

import pytest
import requests

from .conftest import ROOT, StandIn, serve
from .test_api import check_schema

H = 3_600_000
LOOKBACK_MS = 7 * 24 * H
HLP_VAULT = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
MIN_NOTIONAL = Fraction(10_000)


@pytest.fixture(scope="module")
def hl():
    """A stand-in whose clock is now, pinned."""
    exe = ROOT / "target" / "debug" / "binance-standin"
    if not exe.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "standin"], cwd=ROOT, check=True)
    argv = [str(exe), "--port", "0", "--now-ms", str(int(time.time() * 1000))]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on" in line, line
    s = StandIn(line.strip().rsplit(" ", 1)[-1], proc, argv)
    yield s
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def wallets_api(hl):
    warm = [("/v1/meta", None)]
    server = serve(hl, ROOT / "target" / "e2e-wallets.log", [], warm)
    yield next(server)
    server.close()


def info(hl, body):
    r = requests.post(f"{hl.base_url}/info", json=body, timeout=30)
    r.raise_for_status()
    return r.json()


def dec(text) -> Fraction:
    return Fraction(str(text))


def half_away(x: Fraction) -> int:
    n = math.floor(abs(x) + Fraction(1, 2))
    return n if x >= 0 else -n


def pct2(part, whole) -> float:
    return half_away(Fraction(part) * 10_000 / whole) / 100


def cents(x: Fraction) -> float:
    return half_away(x * 100) / 100


class Raw:
    """The stand-in's raw answers, read once, and the contract's rules over them."""

    def __init__(self, hl, now_ms):
        board = requests.get(f"{hl.base_url}/Mainnet/leaderboard", timeout=60).json()["leaderboardRows"]
        self.board = board
        self.now_ms = now_ms
        meta, ctxs = info(hl, {"type": "metaAndAssetCtxs"})
        self.marks = {a["name"]: dec(c["markPx"]) for a, c in zip(meta["universe"], ctxs)}
        self.positions = {}
        self.fills = {}
        for w in self.cohort():
            state = info(hl, {"type": "clearinghouseState", "user": w})
            self.positions[w] = [p["position"] for p in state["assetPositions"]]
            self.fills[w] = self.read_fills(hl, w, now_ms - LOOKBACK_MS)

    def cohort(self):
        """The rule: account value ≥ 100,000, allTime and month pnl > 0, not the HLP vault; month
        pnl descending, ties by address; the first 60."""
        def window(row, name):
            return dec(dict(row["windowPerformances"])[name]["pnl"])
        rows = [r for r in self.board
                if dec(r["accountValue"]) >= 100_000 and window(r, "allTime") > 0 and window(r, "month") > 0
                and r["ethAddress"].lower() != HLP_VAULT]
        rows.sort(key=lambda r: (-window(r, "month"), r["ethAddress"].lower()))
        return [r["ethAddress"].lower() for r in rows[:60]]

    @staticmethod
    def read_fills(hl, wallet, since):
        """Every perpetual fill from `since`, paged forwards by time, once each (by tid)."""
        seen, out, start = set(), [], since
        while True:
            page = info(hl, {"type": "userFillsByTime", "user": wallet, "startTime": start})
            new = [f for f in page if f["tid"] not in seen]
            seen.update(f["tid"] for f in new)
            out += new
            if len(page) < 2000 or not new:
                break
            start = page[-1]["time"]
        out.sort(key=lambda f: f["time"])
        return [f for f in out if not f["coin"].startswith("@")]

    def held(self, coin, min_notional):
        """(wallet, signed size, notional) of every counted position in `coin`."""
        return [(w, dec(p["szi"]), dec(p["positionValue"])) for w, ps in self.positions.items() for p in ps
                if p["coin"] == coin and dec(p["szi"]) != 0 and dec(p["positionValue"]) >= min_notional]

    def coins(self):
        return sorted({p["coin"] for ps in self.positions.values() for p in ps})

    def size_now(self, wallet, coin):
        return next((dec(p["szi"]) for p in self.positions[wallet] if p["coin"] == coin), Fraction(0))

    def hold(self, wallet, coin, size, since_ms, now_ms):
        """(held ms, lower bound, opened at): walking the coin's fills back from now, each must
        end where the next began; the opening is the newest whose startPosition is 0 or of the
        other sign."""
        sign = (size > 0) - (size < 0)
        running, known_since = size, now_ms
        for f in reversed([f for f in self.fills[wallet] if f["coin"] == coin]):
            start = dec(f["startPosition"])
            signed = dec(f["sz"]) if f["side"] == "B" else -dec(f["sz"])
            if start + signed != running:
                return now_ms - known_since, True, None
            before = (start > 0) - (start < 0)
            if before == 0 or before == -sign:
                return now_ms - f["time"], False, f["time"]
            running, known_since = start, f["time"]
        return now_ms - since_ms, True, None

    def size_then(self, wallet, coin, t):
        after = [f for f in self.fills[wallet] if f["coin"] == coin and f["time"] > t]
        return dec(after[0]["startPosition"]) if after else self.size_now(wallet, coin)


def hours(ms) -> float:
    return half_away(Fraction(ms * 10, H)) / 10


@pytest.fixture(scope="module")
def raw(hl, wallets_api):
    return Raw(hl, int(time.time() * 1000))


def timed_get(url, **params):
    before = int(time.time() * 1000)
    r = requests.get(url, params=params, timeout=120)
    after = int(time.time() * 1000)
    return r, before, after


def test_every_number_of_wallets_is_recomputed_from_the_raw_positions_and_fills(wallets_api, raw, schemas):
    params = dict(include_hold_times="true", include_changes="true", change_window="24h",
                  include_confidence="true", min_notional_usd="10000")
    r, before, after = timed_get(f"{wallets_api}/v1/wallets", **params)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    # The whole deployment's weight covers every holder on a warm instance's first full call.
    assert d["coverage"]["wallets_known"] == d["coverage"]["wallets_holding"], d["coverage"]
    assert d["cohort"]["wallets"] == raw.cohort()
    assert d["cohort"]["rule"]
    assert d["errors"] == []
    slack = (after - before) / H + 0.1  # the API's clock is somewhere in [before, after]
    want_tokens = []
    for coin in raw.coins():
        held = raw.held(coin, MIN_NOTIONAL)
        if not held:
            continue
        want_tokens.append(coin)
        row = next(t for t in d["tokens"] if t["token"] == coin)
        longs = [h for h in held if h[1] > 0]
        shorts = [h for h in held if h[1] < 0]
        long_usd, short_usd = sum(h[2] for h in longs), sum(h[2] for h in shorts)
        position_pct = pct2(len(longs), len(held))
        money_pct = pct2(long_usd, long_usd + short_usd) if long_usd + short_usd else 50.0
        call = "LONG" if min(position_pct, money_pct) >= 55 else "SHORT" if max(position_pct, money_pct) <= 45 \
            else "NEUTRAL"
        assert (row["traders"], row["long_positions"], row["short_positions"]) == (len(held), len(longs), len(shorts))
        assert (row["position_long_pct"], row["money_long_pct"], row["position"]) == (position_pct, money_pct, call)
        assert (row["long_notional_usd"], row["short_notional_usd"], row["net_notional_usd"]) == \
            (cents(long_usd), cents(short_usd), cents(long_usd - short_usd)), coin

        # Hold times: each position's hold from its wallet's fills, as of the API's clock.
        now = (before + after) // 2
        holds = [raw.hold(w, coin, size, now - LOOKBACK_MS, now) for w, size, _ in held]
        ms = sorted(h[0] for h in holds)
        n = len(ms)
        pairs = sorted((h[0], h[1]) for h in holds)
        middle = pairs[n // 2:n // 2 + 1] if n % 2 else pairs[n // 2 - 1:n // 2 + 1]
        median = Fraction(sum(m for m, _ in middle), len(middle))
        at_least = any(lower for _, lower in middle)
        assert abs(row["avg_hold_hours"] - float(Fraction(sum(ms), n) / H)) <= slack, coin
        assert abs(row["median_hold_hours"] - float(median / H)) <= slack, coin
        assert row["hold_lower_bound"] == any(h[1] for h in holds), coin
        median_h = median / H
        # A median that is only "at least" is more than its value: exactly 168 h is long-term.
        duration = ("ultra-short-term" if median_h < 6 else "short-term" if median_h < 24
                    else "medium-term" if median_h < 168 or (median_h == 168 and not at_least)
                    else "long-term")
        assert row["signal_duration"] == duration, coin

        # Changes over 24 h: every tracked wallet's size then, valued at today's mark.
        mark = raw.marks[coin]
        t = now - 24 * H
        counted_now = counted_then = long_now = long_then = 0
        flow = Fraction(0)
        for w in raw.cohort():
            size, then = raw.size_now(w, coin), raw.size_then(w, coin, t)
            flow += (size - then) * mark
            for s, is_now in ((size, True), (then, False)):
                if s != 0 and cents(abs(s) * mark) >= MIN_NOTIONAL:
                    if is_now:
                        counted_now, long_now = counted_now + 1, long_now + (s > 0)
                    else:
                        counted_then, long_then = counted_then + 1, long_then + (s > 0)
        change = None
        if counted_now and counted_then:
            change = round(pct2(long_now, counted_now) - pct2(long_then, counted_then), 2)
        assert row["position_change_pp"] == change, coin
        assert row["money_flow_usd"] == cents(flow), coin
        assert row["changes_incomplete_wallets"] == 0, coin

        # Confidence: 40 × sample (traders / 30, at most 1) + 40 × agreement + 20 × spread.
        sample = min(len(held), 30) / 30
        agreement = (abs(position_pct - 50) / 50 + abs(money_pct - 50) / 50) / 2
        total = sum(float(h[2]) for h in held)
        spread = 1 - sum((float(h[2]) / total) ** 2 for h in held) if total else 0.0
        score = round(40 * sample + 40 * agreement + 20 * spread)
        assert row["confidence"]["score"] == score, coin
        strength = "strong" if score >= 70 else "moderate" if score >= 40 else "weak"
        assert row["confidence"]["strength"] == strength, coin

    # Order: BTC, ETH, SOL first, then money_long_pct descending (ties: token).
    got = [t["token"] for t in d["tokens"]]
    assert sorted(got) == sorted(want_tokens)
    pinned = [c for c in ("BTC", "ETH", "SOL") if c in want_tokens]
    assert got[:len(pinned)] == pinned
    rest = [t for t in d["tokens"] if t["token"] not in pinned]
    assert rest == sorted(rest, key=lambda t: (-t["money_long_pct"], t["token"]))
    check_schema(schemas, "/v1/wallets", r)


def test_the_filters_and_the_sort_are_the_contract_s(wallets_api, raw):
    r = requests.get(f"{wallets_api}/v1/wallets", params={"min_positions": "3", "sort_by": "traders",
                                                          "sort_order": "asc", "pinned": "HYPE"}, timeout=60)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    want = {c for c in raw.coins() if len(raw.held(c, 0)) >= 3}
    assert {t["token"] for t in d["tokens"]} == want and want, d["tokens"]
    assert "coverage" not in d and "avg_hold_hours" not in d["tokens"][0]
    r = requests.get(f"{wallets_api}/v1/wallets", params={"coins": "BTC,ETH"}, timeout=60)
    assert [t["token"] for t in r.json()["data"]["tokens"]] == ["BTC", "ETH"]


def test_each_position_of_a_token_is_the_raw_one_with_its_opening(wallets_api, raw, schemas):
    r, before, after = timed_get(f"{wallets_api}/v1/wallets/positions", coin="BTC")
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["token"] == "BTC" and d["cohort"]["wallets"] == raw.cohort()
    held = sorted(raw.held("BTC", 0), key=lambda h: (-h[2], h[0]))
    assert [p["wallet"] for p in d["positions"]] == [h[0] for h in held]
    now = (before + after) // 2
    slack = (after - before) / H + 0.1
    for p, (wallet, size, notional) in zip(d["positions"], held):
        position = next(x for x in raw.positions[wallet] if x["coin"] == "BTC")
        assert p["size"] == float(size) and p["notional_usd"] == cents(notional)
        assert p["side"] == ("long" if size > 0 else "short")
        assert p["entry_px"] == float(dec(position["entryPx"]))
        assert p["leverage"] == position["leverage"]["value"]
        assert p["unrealized_pnl_usd"] == cents(dec(position["unrealizedPnl"]))
        held_ms, lower, opened = raw.hold(wallet, "BTC", size, now - LOOKBACK_MS, now)
        assert (p["opened_at"], p["hold_lower_bound"]) == (opened, lower), wallet
        assert abs(p["hold_hours"] - held_ms / H) <= slack, wallet
    assert any(p["hold_lower_bound"] for p in d["positions"]), "the old holder's opening is out of reach"
    assert any(p["opened_at"] for p in d["positions"])
    check_schema(schemas, "/v1/wallets/positions", r)


@pytest.mark.parametrize("params,parameter", [
    ({"sort_by": "money_flow"}, "include_changes"),
    ({"min_notional_usd": "-1"}, "min_notional_usd"),
    ({"coins": "B$C"}, "coins"),
])
def test_a_bad_parameter_is_named_and_never_reaches_hyperliquid(wallets_api, hl, params, parameter):
    before = requests.get(f"{hl.base_url}/__standin/requests", timeout=5).json()["count"]
    r = requests.get(f"{wallets_api}/v1/wallets", params={**params, "refresh": "true"}, timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["parameter"] == parameter
    assert requests.get(f"{hl.base_url}/__standin/requests", timeout=5).json()["count"] == before
