"""`GET /v1/signal` through `cargo lambda watch`: every period, the documented shape, the rules."""
import re

import pytest

from .conftest import DEMO_NOW_MS, HOUR_MS
from .test_api import check_schema, get

NEWEST_1H = DEMO_NOW_MS - DEMO_NOW_MS % HOUR_MS
PERIODS = ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"]
# (section, the value that is either computed or explained by the section's `reason`)
EXPLAINED = [("smoothed", "long_pct_gap"), ("vs_history", "z_score"), ("trend", "direction"), ("volatility", "score")]


@pytest.mark.parametrize("period", PERIODS)
def test_every_period_answers_in_the_documented_shape_with_every_section_filled_or_explained(api, schemas, period):
    r = get(api, "/v1/signal", coin="ETH", period=period)
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/signal", r)
    d = r.json()["data"]
    assert d["period"] == period
    for section, field in EXPLAINED:
        assert d[section][field] is not None or d[section]["reason"], (section, d[section])
    for window, change in d["changes"].items():
        assert change["long_pct_gap"] is not None or change["reason"], (window, change)
    assert "NaN" not in r.text and "Infinity" not in r.text


def test_btc_1h_says_what_the_divergence_says_and_every_section_is_computed(api, schemas):
    r = get(api, "/v1/signal", coin="BTC", period="1h")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == "Signal retrieved successfully"
    d = body["data"]
    div = get(api, "/v1/divergence", coin="BTC", period="1h").json()["data"]
    for key in ["timestamp", "long_pct_gap", "ratio_gap", "signal", "read", "smart_money_long_pct", "retail_long_pct"]:
        assert d["now"][key] == div[key], key
    assert d["now"]["timestamp"] == NEWEST_1H
    assert round(d["now"]["top_traders_by_accounts_long_pct"] - d["now"]["retail_long_pct"], 2) == d["now"]["account_gap"]
    assert d["vs_history"]["buckets"] == 500 and d["vs_history"]["to"] == NEWEST_1H
    assert d["smoothed"]["window_buckets"] == 12
    assert all(c["long_pct_gap"] is not None for c in d["changes"].values())
    assert d["trend"]["direction"] in {"bullish", "bearish", "neutral", "reversal"}
    assert d["volatility"]["change"] in {"increasing", "decreasing", "stable"}
    assert d["confidence"]["strength"] == (
        "strong" if d["confidence"]["score"] >= 80 else "moderate" if d["confidence"]["score"] >= 60 else "weak"
    )
    assert d["data_quality"]["series_aligned"] is True
    assert "Not financial advice" in d["note"] and "not evidence of future prices" in d["note"]
    assert d["source"].startswith("local_standin")


def test_the_default_period_is_1h(api):
    d = get(api, "/v1/signal", coin="SOL").json()["data"]
    assert (d["symbol"], d["period"]) == ("SOLUSDT", "1h")


def test_1d_smoothing_and_5m_seven_day_change_are_explained_nulls(api):
    d = get(api, "/v1/signal", coin="BTC", period="1d").json()["data"]
    assert d["smoothed"]["long_pct_gap"] is None and "not meaningful" in d["smoothed"]["reason"]
    d = get(api, "/v1/signal", coin="BTC", period="5m").json()["data"]
    assert d["changes"]["7d"]["long_pct_gap"] is None and "2016 buckets" in d["changes"]["7d"]["reason"]


def test_one_call_is_one_round_trip_of_four_requests(api, standin):
    before = standin.count()
    # A market no other signal test asks about: the memo would answer a repeat.
    assert get(api, "/v1/signal", coin="XRP", period="4h").status_code == 200
    assert standin.count() - before == 4, "the three cohorts and the open interest"


def test_missing_buckets_and_a_lagging_cohort_show_in_data_quality(api, standin, schemas):
    standin.switches(
        lagging_cohort="top_traders_by_accounts",
        missing_buckets=[{"timestamp_ms": NEWEST_1H - 5 * HOUR_MS}],
    )
    try:
        r = get(api, "/v1/signal", coin="DOGE", period="1h")
    finally:
        standin.reset()
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/signal", r)
    q = r.json()["data"]["data_quality"]
    # Of the 500 buckets covered: the hidden one, and the newest (top_traders_by_accounts lags).
    assert q["series_aligned"] is False and (q["expected_buckets"], q["missing_buckets"]) == (500, 2)
    assert q["newest_by_cohort"]["top_traders_by_accounts"] == NEWEST_1H - HOUR_MS


@pytest.mark.parametrize("params,parameter", [({"period": "3m"}, "period"), ({"limit": "5"}, "limit"), ({"coin": "BTC-USD"}, "coin")])
def test_bad_input_is_a_400_with_no_upstream_call(api, standin, schemas, params, parameter):
    before = standin.count()
    r = get(api, "/v1/signal", **params)
    assert r.status_code == 400
    assert r.json()["error"] == {"code": "invalid_parameter", "parameter": parameter}
    check_schema(schemas, "/v1/signal", r)
    assert standin.count() == before


def test_numbers_never_carry_float_noise(api):
    text = get(api, "/v1/signal", coin="ETH", period="5m").text
    for number in re.findall(r'_pct(?:_gap)?":(-?[0-9.]+)', text):
        assert len(number.split(".")[-1]) <= 2, number
    for number in re.findall(r'"(?:z_score|strength)":(-?[0-9.]+)', text):
        assert len(number.split(".")[-1]) <= 2, number
    for number in re.findall(r'"(?:slope_pp_per_hour|r_squared)":(-?[0-9.]+)', text):
        assert len(number.split(".")[-1]) <= 4, number
