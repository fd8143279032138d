"""A newcomer tries the API as a new user would, with the request budgets as deployed: the
signal and the history of six coins at six periods, one call after another, within a minute.
Every answer is a fresh 200 (none stale, none refused): each function's per-instance share of
Binance's per-path limit affords a newcomer's exploration many times over."""
import time

import requests

COINS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"]
PERIODS = ["5m", "1h", "4h", "6h", "12h", "1d"]


def test_six_coins_at_six_periods_on_signal_and_history_all_answer_fresh_within_a_minute(api_as_deployed, standin):
    before = standin.count()
    started = time.monotonic()
    answers = []
    for route in ("/v1/signal", "/v1/history"):
        for coin in COINS:
            for period in PERIODS:
                r = requests.get(f"{api_as_deployed}{route}", params={"coin": coin, "period": period}, timeout=30)
                answers.append((route, coin, period, r.status_code, r.json(), r.headers.get("x-stale")))
    took = time.monotonic() - started
    assert took < 60, took
    refused = [(route, coin, period, status, body.get("error")) for route, coin, period, status, body, _ in answers
               if status != 200]
    assert refused == [], refused
    for route, coin, period, _, body, stale_header in answers:
        data = body["data"]
        assert (data["from_memo"], data["stale"], data["age"], stale_header) == (False, False, None, None), \
            (route, coin, period)
        assert data["period"] == period and data["symbol"] == f"{coin}USDT"
    # Each answer was fetched from Binance: the signal reads three cohorts and the open
    # interest, the history three cohorts.
    assert standin.count() - before == 36 * 4 + 36 * 3
