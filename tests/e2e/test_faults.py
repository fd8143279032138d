"""Every upstream fault of the policy (shared/src/upstream/policy.rs and shared/src/upstream/binance/mod.rs), injected into the stand-in and
answered by the real functions through `cargo lambda watch`: status, `error.code`, headers, time.

Time bounds are upper bounds, and only where they prove the policy (no retry, the budget holds).
Each function is its own process with its own memory: the rate-limit tests use /v1/history and
wait out their (short) Retry-After, so no later test inherits a quiet instance. Each test asks
about a market (coin, period) no earlier test asked about, so that the functions' memo of
upstream answers (which only keeps successes) never answers instead of the injected fault.
"""
import itertools
import re
import time

import pytest
import requests

from .conftest import DEMO_NOW_MS, FIGURES, HOUR_MS
from .test_api import check_schema

BUDGET_S = 6.0  # shared::binance::policy::BUDGET
MAX_ATTEMPTS = 3  # 1 + policy::MAX_RETRIES
COHORT_PATHS = {
    "retail_crowd": "/futures/data/globalLongShortAccountRatio",
    "top_traders_by_accounts": "/futures/data/topLongShortAccountRatio",
    "top_traders_by_position": "/futures/data/topLongShortPositionRatio",
}
HANDLED: list[str] = []
PERIOD_MS = {"5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": HOUR_MS, "2h": 2 * HOUR_MS,
             "4h": 4 * HOUR_MS, "6h": 6 * HOUR_MS, "12h": 12 * HOUR_MS, "1d": 24 * HOUR_MS}
# The coins the stand-in knows, at every period, the ones other test modules use least first: a
# market no function has remembered, per test.
MARKETS = itertools.product(
    ["6h", "12h", "2h", "15m", "30m", "4h", "1d", "1h", "5m"],
    ["BNB", "DOGE", "ADA", "AVAX", "LINK", "1000PEPE", "XRP", "SOL", "ETH", "BTC"],
)
MARKET = {}


@pytest.fixture(autouse=True)
def fresh_market():
    period, coin = next(MARKETS)
    MARKET.update(coin=coin, period=period)
    yield


def newest_bucket() -> int:
    p = PERIOD_MS[MARKET["period"]]
    return DEMO_NOW_MS - DEMO_NOW_MS % p


@pytest.fixture(autouse=True)
def clean_standin(standin):
    standin.reset()
    yield
    standin.reset()


@pytest.fixture(scope="module", autouse=True)
def figures():
    yield
    FIGURES.append(f"upstream faults: {len(HANDLED)} injected, {len(HANDLED)} handled as documented (test_faults.py)")


def call(api, route="/v1/positioning", **params):
    params.setdefault("coin", MARKET["coin"])
    params.setdefault("period", MARKET["period"])
    started = time.monotonic()
    r = requests.get(f"{api}{route}", params=params, timeout=60)
    return r, time.monotonic() - started


def per_cohort(standin) -> list[int]:
    log = requests.get(f"{standin.base_url}/__standin/requests", timeout=5).json()["requests"]
    return [sum(1 for q in log if q["path"] == path) for path in COHORT_PATHS.values()]


def expect_error(r, schemas, route, status, code):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"]["code"] == code, body
    assert body["success"] is False and body["data"] is None
    assert ("retry-after" in r.headers) == (status == 503), "Retry-After on every 503, only there"
    assert "127.0.0.1" not in body["message"] and "::" not in body["message"], body["message"]
    check_schema(schemas, route, r)
    return body


def wait_quiet_over(api, route, seconds):
    """Waits out an instance's quiet period, then proves it calls the upstream again."""
    time.sleep(seconds + 0.2)
    r, _ = call(api, route)
    assert r.status_code == 200, r.text


# ---------- 429 / 418 ----------

def test_429_answers_503_with_retry_after_at_once_without_retry_then_stays_quiet(api, standin, schemas):
    standin.fault(kind="rate_limited", retry_after_s=2)
    r, took = call(api, "/v1/history")
    expect_error(r, schemas, "/v1/history", 503, "upstream_rate_limited")
    assert r.headers["retry-after"] == "2"
    assert r.json()["error"]["retry_after_seconds"] == 2
    assert took < 2.0, took
    assert all(n <= 1 for n in per_cohort(standin)), f"never retried: {per_cohort(standin)}"
    before = standin.count()
    r, took = call(api, "/v1/history")
    expect_error(r, schemas, "/v1/history", 503, "upstream_rate_limited")
    assert int(r.headers["retry-after"]) in (1, 2)
    assert standin.count() == before, "quiet after a 429: no upstream request"
    standin.reset()
    wait_quiet_over(api, "/v1/history", 2)
    HANDLED.append("429")


def test_one_rate_limited_cohort_fails_the_request_with_503(api, standin, schemas):
    standin.fault(kind="rate_limited", cohort="top_traders_by_accounts", retry_after_s=1)
    r, took = call(api, "/v1/history")
    expect_error(r, schemas, "/v1/history", 503, "upstream_rate_limited")
    assert r.headers["retry-after"] == "1"
    standin.reset()
    wait_quiet_over(api, "/v1/history", 1)
    HANDLED.append("429 on one cohort")


def test_418_answers_503_then_an_immediate_second_call_sends_nothing(api, standin, schemas):
    standin.fault(kind="banned", retry_after_s=2, times=1)
    r, took = call(api, "/v1/history")
    expect_error(r, schemas, "/v1/history", 503, "upstream_rate_limited")
    assert r.headers["retry-after"] == "2"
    assert took < 2.0
    before = standin.count()
    r, took = call(api, "/v1/history")
    expect_error(r, schemas, "/v1/history", 503, "upstream_rate_limited")
    assert int(r.headers["retry-after"]) in (1, 2)
    assert standin.count() == before, "ban memory: no new upstream request"
    assert took < 1.0, took
    wait_quiet_over(api, "/v1/history", 2)
    HANDLED.append("418")


# ---------- 451 / 403 ----------

def test_451_answers_502_as_a_refusal_with_the_operator_hint_in_the_log_only(api, standin, schemas):
    standin.fault(kind="restricted")
    r, took = call(api)
    body = expect_error(r, schemas, "/v1/positioning", 502, "upstream_error")
    assert "refused" in body["message"] and "451" in body["message"], body["message"]
    assert "region" not in body["message"] and "operator" not in body["message"], body["message"]
    assert all(n <= 1 for n in per_cohort(standin)), "not retried"
    assert took < 2.0
    from .conftest import read_log_until
    operator_hint = r"ERROR.*refuses this deployment.s location.*deploy in a region.*status=451"
    log = read_log_until(lambda log: re.search(operator_hint, log))
    assert re.search(operator_hint, log), "operator error log"
    HANDLED.append("451")


def test_403_with_an_html_body_answers_502_without_the_html(api, standin, schemas):
    standin.fault(kind="forbidden_html")
    r, took = call(api)
    body = expect_error(r, schemas, "/v1/positioning", 502, "upstream_error")
    assert "403" in body["message"] and "<" not in body["message"]
    assert "location" not in body["message"], "a 403 is not necessarily a geo-block"
    assert all(n <= 1 for n in per_cohort(standin)), "not retried"
    assert took < 2.0
    HANDLED.append("403 html")


# ---------- 5xx ----------

@pytest.mark.parametrize("kind", ["server_error", "unavailable"])
def test_5xx_is_retried_then_answers_502_quickly(api, standin, schemas, kind):
    standin.fault(kind=kind)
    r, took = call(api)
    expect_error(r, schemas, "/v1/positioning", 502, "upstream_error")
    counts = per_cohort(standin)
    assert max(counts) == MAX_ATTEMPTS and all(n <= MAX_ATTEMPTS for n in counts), counts
    assert took < 2.5, took
    HANDLED.append(kind)


def test_a_flaky_upstream_failing_once_answers_200(api, standin, schemas):
    standin.fault(kind="server_error", times=1)
    r, took = call(api)
    assert r.status_code == 200, r.text
    assert standin.count() == 4, "three cohorts, one retry"
    check_schema(schemas, "/v1/positioning", r)
    HANDLED.append("flaky 500 once")


# ---------- bodies ----------

@pytest.mark.parametrize(
    "kind", ["truncated", "object", "html", "missing_keys", "garbage_numbers", "non_finite"]
)
def test_an_unreadable_body_answers_502_without_retry(api, standin, schemas, kind):
    standin.fault(kind=kind)
    r, took = call(api, "/v1/divergence" if kind == "html" else "/v1/positioning")
    expect_error(r, schemas, "/v1/positioning", 502, "upstream_error")
    assert all(n <= 1 for n in per_cohort(standin)), "an unreadable 200 is not retried"
    assert took < 2.0
    HANDLED.append(kind)


def test_an_empty_array_from_every_cohort_is_404_unknown_symbol(api, standin, schemas):
    standin.fault(kind="empty")
    r, _ = call(api)
    expect_error(r, schemas, "/v1/positioning", 404, "unknown_symbol")
    HANDLED.append("empty")


def test_an_empty_array_from_one_cohort_is_502_never_a_half_answer(api, standin, schemas):
    standin.fault(kind="empty", cohort="top_traders_by_position")
    r, _ = call(api, "/v1/history")
    expect_error(r, schemas, "/v1/history", 502, "upstream_error")
    HANDLED.append("empty on one cohort")


def test_a_zero_short_share_is_served_with_null_ratios(api, standin, schemas):
    standin.fault(kind="zero_short")
    r, _ = call(api)
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/positioning", r)
    d = r.json()["data"]
    assert [c["long_short_ratio"] for c in d["cohorts"]] == [None, None, None]
    assert [c["long_account_pct"] for c in d["cohorts"]] == [100, 100, 100]
    assert d["divergence"]["ratio_gap"] is None
    assert d["divergence"]["long_pct_gap"] == 0
    r, _ = call(api, "/v1/history", limit="5")
    assert r.status_code == 200, r.text
    check_schema(schemas, "/v1/history", r)
    newest = r.json()["data"]["points"][-1]
    assert newest["retail_crowd_ls_ratio"] is None and newest["top_traders_by_position_ls_ratio"] is None
    HANDLED.append("zero short")


def test_duplicate_and_unsorted_timestamps_are_sorted_and_deduplicated(api, standin, schemas):
    healthy = call(api, "/v1/history", limit="24")[0].json()["data"]["points"]
    standin.fault(kind="duplicate_unsorted")
    # One row more than the memo holds: asked of the (faulty) upstream again.
    r, _ = call(api, "/v1/history", limit="25")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["from_memo"] is False
    points = r.json()["data"]["points"]
    ts = [p["timestamp"] for p in points]
    assert ts == sorted(set(ts)) and len(ts) == 25
    assert points[1:] == healthy
    HANDLED.append("duplicate unsorted")


def test_cohorts_with_different_newest_buckets_use_the_common_bucket(api, standin, schemas):
    standin.switches(lagging_cohort="top_traders_by_position")
    r, _ = call(api)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    newest, period_ms = newest_bucket(), PERIOD_MS[MARKET["period"]]
    assert d["cohorts"][0]["timestamp"] == newest
    assert d["cohorts"][2]["timestamp"] == newest - period_ms
    assert d["divergence"]["timestamp"] == newest - period_ms
    HANDLED.append("different newest buckets")


# ---------- time ----------

def test_a_hang_longer_than_the_budget_answers_504_within_the_budget(api, standin, schemas):
    standin.fault(kind="hang", cohort="retail_crowd", hang_ms=30_000)
    r, took = call(api)
    expect_error(r, schemas, "/v1/positioning", 504, "upstream_timeout")
    assert took < BUDGET_S + 2, took
    HANDLED.append("hang")


def test_a_slow_answer_inside_the_budget_is_served(api, standin, schemas):
    standin.fault(kind="slow", delay_ms=1500)
    r, took = call(api)
    assert r.status_code == 200, r.text
    assert standin.count() == 3, "slow is not retried"
    assert took < BUDGET_S, took
    HANDLED.append("slow")


def test_a_dropped_connection_is_retried_then_answers_502(api, standin, schemas):
    standin.fault(kind="close")
    r, took = call(api)
    expect_error(r, schemas, "/v1/positioning", 502, "upstream_error")
    assert max(per_cohort(standin)) == MAX_ATTEMPTS
    assert took < 2.5, took
    HANDLED.append("connection dropped")


def test_connection_refused_answers_502_quickly(api, standin, schemas):
    standin.stop()
    try:
        r, took = call(api)
    finally:
        standin.start()
    body = expect_error(r, schemas, "/v1/positioning", 502, "upstream_error")
    assert "connect" in body["message"], body["message"]
    assert took < 2.0, took
    r, _ = call(api)
    assert r.status_code == 200, "serves again once the upstream is back"
    HANDLED.append("connection refused")
