"""`GET /v1/track-record` through `cargo lambda watch` over the stand-in, recomputed by an
independent script from the stand-in's raw rows: the two cohorts' served shares and the served
klines, in exact fractions (Python's `fractions`), for every period and several horizons. Also the
400 with no upstream request, and `/v1/signal`'s open interest and money flow from the raw
`openInterestHist` rows.
"""
import math
from fractions import Fraction

import pytest
import requests

from .test_api import check_schema, get

Z = 1.959963984540054
THRESHOLD = Fraction(8)
PERIOD_MS = {"5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000,
             "4h": 14_400_000, "6h": 21_600_000, "12h": 43_200_000, "1d": 86_400_000}


def raw(standin, path, **params):
    r = requests.get(f"{standin.base_url}{path}", params=params, timeout=30)
    r.raise_for_status()
    return r.json()


def half_away(x: Fraction) -> int:
    """x rounded half away from zero to an integer."""
    n = math.floor(abs(x) + Fraction(1, 2))
    return n if x >= 0 else -n


def pct2(x: Fraction):
    """A fraction as the API prints it in percent (2 decimals, half away from zero)."""
    return half_away(x * 10_000) / 100


def round2(x: float):
    """As Rust's round_fixed::<2>: (x × 100).round(), half away from zero, in floats."""
    scaled = x * 100.0
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) / 100


def wilson(hits, n):
    p, z2 = hits / n, Z * Z
    d = 1 + z2 / n
    c = (p + z2 / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / d
    return [round2(max(c - h, 0) * 100), round2(min(c + h, 1) * 100)]


def stats(returns, hits):
    """returns: 10-decimal fractions (integers of 1e-10)."""
    n = len(returns)
    if n == 0:
        return {"n": 0, "hits": hits, "hit_rate_pct": None, "hit_rate_ci95_pct": None,
                "mean_return_pct": None, "median_return_pct": None}
    s = sorted(returns)
    median = Fraction(s[n // 2]) if n % 2 else Fraction(s[n // 2 - 1] + s[n // 2], 2)
    return {
        "n": n, "hits": hits,
        "hit_rate_pct": pct2(Fraction(hits, n)),
        "hit_rate_ci95_pct": wilson(hits, n),
        "mean_return_pct": pct2(Fraction(sum(returns), n) / 10**10),
        "median_return_pct": pct2(median / 10**10),
    }


def expected(standin, symbol, period, horizon):
    p = PERIOD_MS[period]
    retail = raw(standin, "/futures/data/globalLongShortAccountRatio", symbol=symbol, period=period, limit=500)
    smart = raw(standin, "/futures/data/topLongShortPositionRatio", symbol=symbol, period=period, limit=500)
    klines = raw(standin, "/fapi/v1/klines", symbol=symbol, interval=period, limit=503)
    # The newest kline is the bar still open: never a price.
    price = {int(k[0]): Fraction(k[1]) for k in klines[:-1]}
    pct = {t: {r["timestamp"]: Fraction(r["longAccount"]) * 100 for r in rows}
           for t, rows in (("retail", retail), ("smart", smart))}
    newest = max(max(pct["retail"]), max(pct["smart"]))
    stamps = sorted(t for t in pct["retail"] if t in pct["smart"] and t > newest - 500 * p)

    def signal(t):
        gap = pct["smart"][t] - pct["retail"][t]
        return "crowd_over_long" if gap <= -THRESHOLD else "crowd_over_short" if gap >= THRESHOLD else "neutral"

    sample = []
    for t in stamps:
        if t in price and t + horizon * p in price:
            r = price[t + horizon * p] / price[t] - 1
            before = t - p
            sample.append({
                "t": t, "signal": signal(t), "r": half_away(r * 10**10),
                "up": r > 0, "down": r < 0,
                "same_before": before in stamps and signal(before) == signal(t),
                "reading_before": before in stamps,
            })

    def side(rows, hit, starts):
        entries = [x for x in rows if starts(x)]
        out = stats([x["r"] for x in rows], sum(hit(x) for x in rows))
        out["episodes"] = len(entries)
        out["entries"] = stats([x["r"] for x in entries], sum(hit(x) for x in entries))
        return out

    return {
        "from": sample[0]["t"] if sample else None,
        "to": sample[-1]["t"] if sample else None,
        "buckets_examined": len(stamps),
        "crowd_over_long": side([x for x in sample if x["signal"] == "crowd_over_long"],
                                lambda x: x["down"], lambda x: not x["same_before"]),
        "crowd_over_short": side([x for x in sample if x["signal"] == "crowd_over_short"],
                                 lambda x: x["up"], lambda x: not x["same_before"]),
        "all_buckets": side(sample, lambda x: x["up"], lambda x: not x["reading_before"]),
    }


@pytest.mark.parametrize("period,horizon", [
    ("5m", 1), ("15m", 48), ("30m", 4), ("1h", 4), ("2h", 12), ("4h", 6), ("6h", 2), ("12h", 3), ("1d", 2),
])
def test_every_number_is_what_an_independent_script_computes_from_the_raw_rows(api, standin, schemas, period, horizon):
    r = get(api, "/v1/track-record", coin="SOL", period=period, horizon=horizon)
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/track-record", r)
    d = r.json()["data"]
    assert (d["symbol"], d["period"], d["horizon_buckets"], d["signal_threshold_pp"]) == ("SOLUSDT", period, horizon, 8)
    want = expected(standin, "SOLUSDT", period, horizon)
    got = {k: d[k] for k in want}
    assert got == want
    assert want["all_buckets"]["n"] > 0
    assert "not a forecast" in d["note"]


def test_the_signal_fires_on_both_sides_somewhere_in_the_demo_data(api, standin):
    d = get(api, "/v1/track-record", coin="BTC", period="1h").json()["data"]
    assert d["horizon_buckets"] == 4
    assert d["crowd_over_long"]["n"] > 0 and d["crowd_over_short"]["n"] > 0
    assert d == {**d, **expected(standin, "BTCUSDT", "1h", 4)}


@pytest.mark.parametrize("horizon", ["0", "49", "4.5", "-1", "abc"])
def test_a_bad_horizon_is_a_400_naming_it_with_no_upstream_request(api, standin, schemas, horizon):
    before = standin.count()
    r = get(api, "/v1/track-record", coin="ETH", horizon=horizon)
    assert r.status_code == 400, r.text
    check_schema(schemas, "/v1/track-record", r)
    assert r.json()["error"] == {"code": "invalid_parameter", "parameter": "horizon"}
    assert standin.count() == before


def test_signal_open_interest_and_money_flow_recompute_from_openinteresthist(api, standin, schemas):
    r = get(api, "/v1/signal", coin="XRP", period="1h")
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/signal", r)
    oi = r.json()["data"]["open_interest"]
    t = oi["timestamp"]
    rows = raw(standin, "/futures/data/openInterestHist", symbol="XRPUSDT", period="1h", limit=500)
    usd = {x["timestamp"]: Fraction(x["sumOpenInterestValue"]) for x in rows}
    smart = raw(standin, "/futures/data/topLongShortPositionRatio", symbol="XRPUSDT", period="1h", limit=500)
    share = {x["timestamp"]: Fraction(x["longAccount"]) for x in smart}
    cents = {k: Fraction(half_away(v * 100), 100) for k, v in usd.items()}  # to the cent, as parsed
    assert oi["open_interest_usd"] == float(cents[t])
    for window, ms in (("1h", 3_600_000), ("6h", 21_600_000), ("24h", 86_400_000), ("7d", 604_800_000)):
        c = oi["changes"][window]
        n = lambda at: cents[at] * (2 * share[at] - 1)  # noqa: E731
        assert c["money_flow_usd_estimate"] == half_away((n(t) - n(t - ms)) * 100) / 100, window
        assert c["open_interest_usd_change"] == float(cents[t] - cents[t - ms]), window
    assert "estimate" in oi["assumption"]
