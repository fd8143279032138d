"""`GET /v1/exchanges` through `cargo lambda watch` over the stand-in, as a client sees it: every
venue in the documented shape, numbers that agree with the single-venue endpoints, a failing venue
listed (and the answer not kept), a period two venues do not publish, the 400 rules with no
upstream request, and the figure of a fresh answer at 50 ms per venue.

The function keeps its memo for the whole session: each test asks a coin × period no other test
asks, so every answer it checks was fetched for it.
"""
import time

import requests

from .conftest import DEMO_NOW_MS, FIGURES, HOUR_MS
from .test_api import check_schema, get

NEWEST_1H = DEMO_NOW_MS - DEMO_NOW_MS % HOUR_MS
VENUES = ["binance", "okx", "bybit", "gate", "bitget"]


def by_venue(body):
    return {v["venue"]: v for v in body["data"]["venues"]}


def test_every_venue_side_by_side_and_binance_s_numbers_are_positioning_s(api, schemas):
    r = get(api, "/v1/exchanges", coin="eth", period="1h")
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/exchanges", r)
    assert r.headers["cache-control"].startswith("public, max-age=")
    d = r.json()["data"]
    assert [v["venue"] for v in d["venues"]] == VENUES
    assert d["source"].startswith("local_standin")
    venues = by_venue(r.json())
    assert {v: venues[v]["status"] for v in VENUES} == {v: "ok" for v in VENUES}
    assert [venues[v]["instrument"] for v in VENUES] == ["ETHUSDT", "ETH-USDT-SWAP", "ETHUSDT", "ETH_USDT", "ETHUSDT"]
    # Binance's row is exactly what /v1/positioning serves for the same market.
    pos = get(api, "/v1/positioning", coin="ETH", period="1h").json()["data"]
    cohorts = {c["cohort"]: c for c in pos["cohorts"]}
    binance = venues["binance"]
    assert binance["timestamp"] == NEWEST_1H
    assert binance["all_accounts_long_pct"] == cohorts["retail_crowd"]["long_account_pct"]
    assert binance["top_accounts_long_pct"] == cohorts["top_traders_by_accounts"]["long_account_pct"]
    assert binance["top_positions_long_pct"] == cohorts["top_traders_by_position"]["long_account_pct"]
    div = get(api, "/v1/divergence", coin="ETH", period="1h").json()["data"]
    assert binance["position_gap"] == div["long_pct_gap"]
    # Bybit publishes no top traders: never in the aggregate.
    assert venues["bybit"]["top_positions_long_pct"] is None and venues["bybit"]["weight"] is None
    # The weights sum to exactly 1 and the aggregate recomputes from the rows.
    weighted = [venues[v] for v in ("binance", "okx", "gate")]
    assert sum(round(v["weight"] * 10_000) for v in weighted) == 10_000
    oi = [round(v["open_interest_usd"] * 100) for v in weighted]
    gaps = [round(v["position_gap"] * 100) for v in weighted]
    num, den = sum(o * g for o, g in zip(oi, gaps)), sum(oi)
    sds = (2 * abs(num) + den) // (2 * den) * (1 if num >= 0 else -1)
    agg = d["aggregate"]
    assert (agg["timestamp"], agg["venues_used"]) == (NEWEST_1H, 4)
    assert round(agg["sds_pp"] * 100) == sds
    assert len(d["series"]) == 24 and d["series"][-1]["timestamp"] == NEWEST_1H
    assert d["smoothed"]["window_hours"] == 12 and d["smoothed"]["window_buckets"] == 12


def test_a_failing_venue_is_listed_not_fatal_and_the_answer_is_not_kept(api, standin, schemas):
    standin.fault(kind="server_error", venue="okx")
    try:
        r = get(api, "/v1/exchanges", coin="SOL", period="4h")
    finally:
        standin.reset()
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/exchanges", r)
    venues = by_venue(r.json())
    assert venues["okx"]["status"] == "upstream_error" and "OKX" in venues["okx"]["message"]
    assert venues["binance"]["status"] == "ok"
    assert r.json()["data"]["aggregate"]["venues_used"] == 3
    assert r.headers["cache-control"] == "no-store"


def test_a_period_two_venues_do_not_publish_lists_them_and_asks_them_nothing(api, standin, schemas):
    before = requests.get(f"{standin.base_url}/__standin/requests", timeout=5).json()["requests"]
    r = get(api, "/v1/exchanges", coin="XRP", period="6h")
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/exchanges", r)
    venues = by_venue(r.json())
    assert venues["bybit"]["status"] == venues["gate"]["status"] == "unsupported_period"
    after = requests.get(f"{standin.base_url}/__standin/requests", timeout=5).json()["requests"]
    asked = {q.get("venue") for q in after[len(before):]}
    assert "bybit" not in asked and "gate" not in asked and {"binance", "okx", "bitget"} <= asked
    # Only venues that do not publish it: a 400 naming the period.
    r = get(api, "/v1/exchanges", venues="bybit,gate", period="12h")
    assert (r.status_code, r.json()["error"]["parameter"]) == (400, "period")


def test_bad_parameters_are_400s_naming_the_parameter_with_no_upstream_request(api, standin, schemas):
    before = standin.count()
    for params, name in [
        ({"venues": "binance,kraken"}, "venues"),
        ({"venues": "okx,okx"}, "venues"),
        ({"limit": "101"}, "limit"),
        ({"period": "1w"}, "period"),
        ({"coins": "BTC"}, "coins"),
    ]:
        r = get(api, "/v1/exchanges", **params)
        assert r.status_code == 400, (params, r.text)
        check_schema(schemas, "/v1/exchanges", r)
        assert r.json()["error"]["parameter"] == name, params
    assert standin.count() == before


def test_a_fresh_answer_at_50_ms_per_venue_is_one_round_trip(api, standin):
    standin.switches(latency_ms=50)
    # Bitget allows one request per second per path, and earlier tests just asked it: the adapter
    # would wait for its slot. Let the second pass, so the figure is the round trip.
    time.sleep(1.1)
    try:
        started = time.perf_counter()
        r = get(api, "/v1/exchanges", coin="LINK", period="30m")
        fresh_s = time.perf_counter() - started
        started = time.perf_counter()
        again = get(api, "/v1/exchanges", coin="LINK", period="30m")
        memo_s = time.perf_counter() - started
    finally:
        standin.reset()
    assert r.status_code == 200 and not r.json()["data"]["from_memo"], r.text
    assert again.json()["data"]["from_memo"]
    FIGURES.append(f"exchanges, five venues, stand-in latency 50 ms: fresh {fresh_s * 1000:.0f} ms, "
                   f"repeat {memo_s * 1000:.0f} ms (memo)")
