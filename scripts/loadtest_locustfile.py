"""The four paid tiers at their full rates at once, as locust users (see scripts/loadtest).

Free 2 req/s, Starter 6, Pro 18, Business 45: 71 req/s in all. Each request picks an endpoint
(positioning, divergence, history, signal, screener), one of the 20 coins of the default universe
and one of three periods; a few screener calls ask `refresh=true`. Every answer's `from_memo`
(or the screener's `memo_hits` of its coins) is tallied into target/loadtest/memo.json.
"""
import json
import os
import pathlib
import random

from locust import HttpUser, constant_throughput, events, task

COINS = "BTC,ETH,SOL,BNB,XRP,DOGE,ADA,AVAX,LINK,TRX,DOT,TON,SUI,LTC,BCH,NEAR,APT,ARB,OP,1000PEPE".split(",")
PERIODS = ["5m", "1h", "4h"]
OUT = pathlib.Path(os.environ.get("LOADTEST_OUT", "target/loadtest"))
TALLY = {"answers": 0, "from_memo": 0, "screener_coins": 0, "screener_memo_hits": 0,
         "refresh_honoured": 0, "refresh_declined": 0, "budget_exhausted": 0}


def tally(response):
    if response.status_code == 503 and b"upstream_budget_exhausted" in response.content:
        TALLY["budget_exhausted"] += 1
    if response.status_code != 200:
        return
    data = response.json()["data"]
    if "memo_hits" in data:
        TALLY["screener_coins"] += data["counts"]["requested"]
        TALLY["screener_memo_hits"] += data["memo_hits"]
        TALLY["refresh_honoured"] += data["refresh"] == "honoured"
        TALLY["refresh_declined"] += data["refresh"] == "declined_once_per_bucket"
    else:
        TALLY["answers"] += 1
        TALLY["from_memo"] += bool(data["from_memo"])


@events.quitting.add_listener
def write_tally(environment, **_):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "memo.json").write_text(json.dumps(TALLY))


class Tier(HttpUser):
    abstract = True

    def on_start(self):
        # One API key per user (the refresh ledger counts per key).
        self.key = f"{type(self).__name__.lower()}-{id(self):x}"

    def ask(self, route, name, **params):
        with self.client.get(route, params=params, headers={"x-api-key": self.key}, name=name,
                             catch_response=True) as r:
            tally(r)
            if r.status_code >= 500:
                r.failure(f"{r.status_code}: {r.text[:120]}")
            elif r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:120]}")
            else:
                r.success()

    def market(self):
        return {"coin": random.choice(COINS), "period": random.choice(PERIODS)}

    @task(30)
    def positioning(self):
        self.ask("/v1/positioning", "/v1/positioning", **self.market())

    @task(25)
    def divergence(self):
        self.ask("/v1/divergence", "/v1/divergence", **self.market())

    @task(15)
    def history(self):
        self.ask("/v1/history", "/v1/history", limit=random.choice(["48", "96"]), **self.market())

    @task(15)
    def signal(self):
        self.ask("/v1/signal", "/v1/signal", **self.market())

    @task(15)
    def screener(self):
        params = {"period": random.choice(PERIODS)}
        if random.random() < 0.1:
            params["include_confidence"] = "true"
        if random.random() < 0.05:
            params["refresh"] = "true"
        self.ask("/v1/screener", "/v1/screener", **params)


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
