"""`GET /v1/screener` through `cargo lambda watch`: ranking, pinning, filters, the 400 rules, coins
failing, the memo and the latency of 20 coins at 50 ms per upstream answer.

The screener process keeps its memo for the whole session, so the memo test starts with
`refresh=true` from a key no other test uses (which asks upstream and fills the memo), whatever
earlier tests asked.
"""
import time

import pytest
import requests

from .conftest import DEMO_NOW_MS, FIGURES, HOUR_MS
from .test_api import check_schema, get

NEWEST_1H = DEMO_NOW_MS - DEMO_NOW_MS % HOUR_MS
LATENCY_MS = 50


def test_20_coins_at_50_ms_take_a_few_round_trips_and_the_memo_saves_every_repeat(api, standin, schemas):
    standin.switches(latency_ms=LATENCY_MS)
    asks = [
        ("cold", {"refresh": "true"}, "key-a"),
        ("repeat", {}, "key-a"),
        ("refresh again", {"refresh": "true"}, "key-a"),
        ("refresh", {"refresh": "true"}, "key-b"),
    ]
    try:
        timings = {}
        for label, params, key in asks:
            started = time.perf_counter()
            r = requests.get(f"{api}/v1/screener", params={"period": "2h", **params},
                             headers={"x-api-key": key}, timeout=60)
            timings[label] = (time.perf_counter() - started, r)
    finally:
        standin.reset()
    for _, r in timings.values():
        assert r.status_code == 200, r.text
        check_schema(schemas, "/v1/screener", r)
    (cold_s, cold), (repeat_s, repeat), (refresh_s, refresh) = (timings[k] for k in ("cold", "repeat", "refresh"))
    c, m, f = cold.json()["data"], repeat.json()["data"], refresh.json()["data"]
    again = timings["refresh again"][1].json()["data"]
    assert c["counts"]["requested"] == 20 and c["universe"] == "default"
    assert (c["upstream_calls"], c["memo_hits"], c["refresh"]) == (60, 0, "honoured")
    assert (m["upstream_calls"], m["memo_hits"], m["refresh"]) == (0, 20, "not_asked")
    # One refresh per bucket per API key: the same key again gets the memo, another key does not.
    assert (again["upstream_calls"], again["memo_hits"], again["refresh"]) == (0, 20, "declined_once_per_bucket")
    assert (f["upstream_calls"], f["memo_hits"], f["refresh"]) == (60, 0, "honoured")
    assert m["rows"] == c["rows"] and f["rows"] == c["rows"] and again["rows"] == c["rows"]
    # ceil(20 / 8) = 3 round trips of 50 ms; one coin after another would be 20 x 50 ms = 1 s.
    assert cold_s < 8 * LATENCY_MS / 1000, cold_s
    assert refresh_s < 8 * LATENCY_MS / 1000, refresh_s
    FIGURES.append(
        f"screener, 20 coins, stand-in latency {LATENCY_MS} ms: cold {cold_s * 1000:.0f} ms / 60 upstream calls, "
        f"repeat {repeat_s * 1000:.0f} ms / 0 (memo), refresh {refresh_s * 1000:.0f} ms / 60"
    )


def test_rows_are_the_divergence_numbers_with_btc_eth_sol_first_and_unknown_coins_listed(api, schemas):
    r = get(api, "/v1/screener", coins="xrp,BTC,doge,sol,NOPE,eth,btc", period="1h")
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/screener", r)
    body = r.json()
    assert body["message"] == "Screener retrieved successfully"
    d = body["data"]
    assert d["counts"] == {"requested": 6, "succeeded": 5, "failed": 1, "matched": 5, "returned": 5}
    assert d["errors"] == [
        {"symbol": "NOPEUSDT", "error": {"code": "unknown_symbol", "message": d["errors"][0]["error"]["message"]}}
    ]
    symbols = [row["symbol"] for row in d["rows"]]
    assert symbols[:3] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    rest = [row["long_pct_gap"] for row in d["rows"][3:]]
    assert rest == sorted(rest, reverse=True)
    for row in d["rows"]:
        div = get(api, "/v1/divergence", symbol=row["symbol"], period="1h").json()["data"]
        for key in ["timestamp", "long_pct_gap", "signal", "smart_money_long_pct", "retail_long_pct"]:
            assert row[key] == div[key], (row["symbol"], key)
    assert d["rows"][0]["timestamp"] == NEWEST_1H
    assert "Not financial advice" in d["note"] and d["source"].startswith("local_standin")


def test_confidence_changes_pins_filters_and_limit(api, schemas):
    r = get(
        api,
        "/v1/screener",
        coins="BTC,ETH,XRP,DOGE,ADA,LINK,AVAX",
        period="1h",
        include_confidence="true",
        include_changes="true",
        change_window="6h",
        sort_by="confidence",
        sort_order="asc",
        pinned="link,PEPE,Doge",
        limit="5",
    )
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/screener", r)
    d = r.json()["data"]
    assert d["buckets_fetched"] == 18  # max(12h smoothing + 6, 6 + 1 + 6)
    assert d["pinned"] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "LINKUSDT", "PEPEUSDT", "DOGEUSDT"]
    assert d["unknown_pinned"] == ["PEPEUSDT"]
    symbols = [row["symbol"] for row in d["rows"]]
    assert symbols[:4] == ["BTCUSDT", "ETHUSDT", "LINKUSDT", "DOGEUSDT"] and len(symbols) == 5
    assert (d["counts"]["matched"], d["counts"]["returned"]) == (7, 5)
    for row in d["rows"]:
        if row["signal"] == "neutral":
            assert (row["confidence"], row["strength"]) == (None, None), row
            continue
        assert row["strength"] == ("strong" if row["confidence"] >= 80 else "moderate" if row["confidence"] >= 60 else "weak")
        assert row["gap_change_window"] == "6h" and isinstance(row["gap_change"], float)
    coins = "BTC,ETH,XRP,DOGE,ADA,LINK,AVAX"
    every = get(api, "/v1/screener", coins=coins, period="1h").json()["data"]["rows"]
    d = get(api, "/v1/screener", coins=coins, period="1h", signal="neutral", min_abs_gap="1").json()["data"]
    expected = {r["symbol"] for r in every if r["signal"] == "neutral" and abs(r["long_pct_gap"]) >= 1}
    assert expected and expected != {r["symbol"] for r in every}, "the filter must keep some rows and drop some"
    assert {r["symbol"] for r in d["rows"]} == expected


@pytest.mark.parametrize(
    "params,parameter",
    [
        ({"sort_by": "confidence"}, "include_confidence"),
        ({"strength": "strong", "include_confidence": "false"}, "include_confidence"),
        ({"sort_by": "gap_change"}, "include_changes"),
        ({"change_window": "6h"}, "include_changes"),
        ({"include_changes": "true", "change_window": "7d", "period": "5m"}, "change_window"),
        ({"coins": ",".join(f"C{i}" for i in range(51))}, "coins"),
        ({"coins": "BTC,,ETH"}, "coins"),
        ({"limit": "51"}, "limit"),
        ({"min_abs_gap": "1e1"}, "min_abs_gap"),
        ({"sort_by": "gap"}, "sort_by"),
        ({"coin": "BTC"}, "coin"),
    ],
)
def test_bad_or_incomplete_parameters_answer_400_naming_them_before_any_upstream_call(api, standin, schemas, params, parameter):
    before = standin.count()
    r = get(api, "/v1/screener", **params)
    assert r.status_code == 400, r.text
    check_schema(schemas, "/v1/screener", r)
    assert r.json()["error"]["parameter"] == parameter
    assert standin.count() == before


def test_a_coin_failing_upstream_is_listed_and_the_rest_are_answered(api, standin, schemas):
    standin.fault(kind="empty", cohort="top_traders_by_position", times=1)
    try:
        r = get(api, "/v1/screener", coins="BTC,ETH,SOL,XRP", period="4h", refresh="true")
    finally:
        standin.reset()
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/screener", r)
    d = r.json()["data"]
    assert (d["counts"]["succeeded"], d["counts"]["failed"]) == (3, 1)
    assert d["errors"][0]["error"]["code"] == "upstream_error"


def test_when_every_coin_is_unknown_the_answer_is_404(api, schemas):
    r = get(api, "/v1/screener", coins="NOPE,NADA", period="1h")
    assert r.status_code == 404, r.text
    check_schema(schemas, "/v1/screener", r)
    assert r.json()["error"]["code"] == "unknown_symbol"


def test_meta_lists_the_screener(api):
    paths = [e["path"] for e in get(api, "/v1/meta").json()["data"]["routes"]]
    assert "/v1/screener" in paths
