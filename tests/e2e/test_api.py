"""Every endpoint and every parameter rule of the contract, through `cargo lambda watch`."""
import time

import jsonschema
import pytest
import requests

from .conftest import DEMO_NOW_MS, HOUR_MS

NEWEST_1H = DEMO_NOW_MS - DEMO_NOW_MS % HOUR_MS


def get(api, route, **params):
    return requests.get(f"{api}{route}", params=params, timeout=60)


def check_schema(schemas, route, response):
    """The body must validate against the OpenAPI response schema for its status."""
    op = schemas["paths"][route]["get"]["responses"][str(response.status_code)]
    content = op.get("content") or schemas["components"]["responses"][op["$ref"].rsplit("/", 1)[-1]]["content"]
    if "$ref" in op:
        content = schemas["components"]["responses"][op["$ref"].rsplit("/", 1)[-1]]["content"]
    schema = dict(content["application/json"]["schema"])
    schema["components"] = schemas["components"]
    jsonschema.validate(response.json(), schema)


@pytest.mark.parametrize("route", ["/v1/positioning", "/v1/divergence", "/v1/history", "/v1/meta"])
def test_every_endpoint_answers_200_in_the_documented_shape(api, schemas, route):
    r = get(api, route) if route == "/v1/meta" else get(api, route, coin="BTC", period="1h")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == "ok" and body["success"] is True
    assert body["meta"]["timestamp"].endswith("Z") and len(body["meta"]["timestamp"]) == 24
    assert body["meta"]["request_id"]
    check_schema(schemas, route, r)


@pytest.mark.parametrize(
    "coin,signal",
    [("BTC", "crowd_over_long"), ("ETH", "crowd_over_short"), ("SOL", "neutral")],
)
def test_divergence_gives_each_signal_on_the_demo_clock(api, coin, signal):
    d = get(api, "/v1/divergence", coin=coin, period="1h").json()["data"]
    assert d["signal"] == signal, d
    assert d["timestamp"] == NEWEST_1H
    assert round(d["smart_money_long_pct"] - d["retail_long_pct"], 2) == d["long_pct_gap"]
    assert "Not financial advice" in d["note"]
    assert d["source"].startswith("local_standin")


def test_positioning_and_divergence_agree(api):
    p = get(api, "/v1/positioning", symbol="ethusdt", period="1h").json()["data"]
    d = get(api, "/v1/divergence", coin="eth", period="1h").json()["data"]
    for key in ["timestamp", "long_pct_gap", "ratio_gap", "signal", "read", "smart_money_long_pct", "retail_long_pct"]:
        assert p["divergence"][key] == d[key], key
    assert [c["cohort"] for c in p["cohorts"]] == ["retail_crowd", "top_traders_by_accounts", "top_traders_by_position"]


def test_defaults_are_btcusdt_5m_and_48_points(api):
    d = get(api, "/v1/history").json()["data"]
    assert (d["symbol"], d["period"], d["count"]) == ("BTCUSDT", "5m", 48)
    ts = [p["timestamp"] for p in d["points"]]
    assert ts == sorted(ts) and len(set(ts)) == 48


def test_history_limit_500_is_served(api):
    d = get(api, "/v1/history", coin="SOL", period="1h", limit="500").json()["data"]
    assert d["count"] == 500


BAD = [
    ("/v1/divergence", {"period": "3m"}, "period"),
    ("/v1/divergence", {"period": "1H"}, "period"),
    ("/v1/divergence", {"period": ""}, "period"),
    ("/v1/positioning", {"coin": "BTC-USD"}, "coin"),
    ("/v1/positioning", {"coin": "A" * 21}, "coin"),
    ("/v1/positioning", {"coin": "BTC&period=1d"}, "coin"),
    ("/v1/positioning", {"coin": "../"}, "coin"),
    ("/v1/positioning", {"symbol": "BTCUSDC"}, "symbol"),
    ("/v1/positioning", {"coin": "ETH", "symbol": "BTCUSDT"}, "symbol"),
    ("/v1/history", {"limit": "0"}, "limit"),
    ("/v1/history", {"limit": "501"}, "limit"),
    ("/v1/history", {"limit": "1e3"}, "limit"),
    ("/v1/history", {"limit": "-1"}, "limit"),
    ("/v1/history", {"limit": "48.5"}, "limit"),
    ("/v1/divergence", {"limit": "5"}, "limit"),
    ("/v1/divergence", {"peroid": "1h"}, "peroid"),
    ("/v1/meta", {"verbose": "1"}, "verbose"),
]


@pytest.mark.parametrize("route,params,parameter", BAD)
def test_bad_input_is_a_400_naming_the_parameter_with_no_upstream_call(api, standin, schemas, route, params, parameter):
    before = standin.count()
    r = get(api, route, **params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == {"code": "invalid_parameter", "parameter": parameter}
    assert body["success"] is False and body["data"] is None
    check_schema(schemas, route, r)
    assert standin.count() == before, "a 400 must never reach the upstream"


def test_a_repeated_parameter_is_a_400(api, standin):
    before = standin.count()
    r = requests.get(f"{api}/v1/divergence?period=1h&period=4h", timeout=60)
    assert r.status_code == 400
    assert r.json()["error"]["parameter"] == "period"
    assert standin.count() == before


def test_an_unknown_symbol_is_a_404(api, schemas):
    r = get(api, "/v1/divergence", coin="NOPE", period="1h")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_symbol"
    check_schema(schemas, "/v1/divergence", r)


# The functions remember successful upstream answers (the memo): tests that change what the
# stand-in answers ask about a market (coin, period) no other test of the same function asks about.

def test_cohorts_publishing_different_newest_buckets_give_the_divergence_at_the_common_bucket(api, standin):
    standin.switches(lagging_cohort="top_traders_by_position")
    try:
        p = get(api, "/v1/positioning", coin="AVAX", period="1h").json()["data"]
    finally:
        standin.reset()
    assert p["cohorts"][0]["timestamp"] == NEWEST_1H
    assert p["cohorts"][2]["timestamp"] == NEWEST_1H - HOUR_MS
    assert p["divergence"]["timestamp"] == NEWEST_1H - HOUR_MS


def test_upstream_rate_limit_is_a_503_with_retry_after(api, standin, schemas):
    standin.fault(kind="rate_limited", retry_after_s=1)
    try:
        r = get(api, "/v1/divergence", coin="LINK", period="2h")
    finally:
        standin.reset()
        # After a 429 the instance stays quiet until Retry-After has passed: let it pass, so
        # that later tests of this warm instance are not answered 503.
        time.sleep(1.2)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.json()["error"]["code"] == "upstream_rate_limited"
    check_schema(schemas, "/v1/divergence", r)


def test_upstream_html_is_a_502(api, standin, schemas):
    standin.fault(kind="html")
    try:
        r = get(api, "/v1/history", coin="ADA", period="30m")
    finally:
        standin.reset()
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "upstream_error"
    check_schema(schemas, "/v1/history", r)


def test_numbers_never_carry_float_noise(api):
    text = get(api, "/v1/history", coin="ETH", period="5m", limit="500").text
    import re
    for number in re.findall(r'_pct(?:_gap)?":(-?[0-9.]+)', text):
        assert len(number.split(".")[-1]) <= 2, number
    for number in re.findall(r'ratio":(-?[0-9.]+)', text):
        assert len(number.split(".")[-1]) <= 4, number


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_method_other_than_get_answers_405_in_the_envelope(api, method):
    r = requests.request(method, f"{api}/v1/divergence", params={"coin": "BTC"}, timeout=60)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == "GET"
    body = r.json()
    assert (body["success"], body["error"]["code"]) == (False, "method_not_allowed")
    assert method in body["message"]


def test_a_symbol_given_as_coin_names_what_was_sent(api, schemas):
    r = get(api, "/v1/divergence", coin="ETHUSDT")
    assert r.status_code == 400
    check_schema(schemas, "/v1/divergence", r)
    assert r.json()["error"]["parameter"] == "coin"
    assert r.json()["message"] == (
        "coin is the base asset (ETH), not the symbol; for ETHUSDT pass coin=ETH or symbol=ETHUSDT"
    )
