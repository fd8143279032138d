"""The OpenAPI document's examples say what the API says: every example `note` is the note served
for that route (notes depend only on the configuration in force, the defaults here), and every
example `read` is the sentence the API writes for that example's own numbers. Field names and
types are already checked against the schemas by the other tests; these are the texts."""
import pytest
import requests

ROUTES = ["/v1/positioning", "/v1/divergence", "/v1/history", "/v1/signal", "/v1/screener", "/v1/exchanges",
          "/v1/track-record", "/v1/meta", "/v1/wallets", "/v1/wallets/positions"]
# What each route is asked with (its note does not depend on it).
NOTE_PARAMS = {"/v1/meta": {}, "/v1/screener": {}, "/v1/wallets": {}}
THRESHOLD = 8.0


def examples(schemas, route):
    content = schemas["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]
    return [e["value"] for e in content.get("examples", {}).values()]


def fmt(x: float) -> str:
    """As the API prints a 2-decimal quantity in text (Rust's Fixed<2> Display)."""
    return f"{x:.2f}"


def expected_read(signal: str, gap: float, smart: float, retail: float) -> str:
    """The read of `maths::divergence::read`, written again here as the oracle."""
    t = fmt(THRESHOLD)
    if signal == "crowd_over_long":
        return (f"The crowd is more long than smart money by {fmt(-gap)} pp ({fmt(retail)}% vs {fmt(smart)}% long), "
                f"at least the {t} pp threshold: contrarian bearish.")
    if signal == "crowd_over_short":
        return (f"Smart money is more long than the crowd by {fmt(gap)} pp ({fmt(smart)}% vs {fmt(retail)}% long), "
                f"at least the {t} pp threshold: contrarian bullish.")
    return (f"Smart money and the crowd are within {t} pp of each other (smart money {fmt(smart)}% vs crowd "
            f"{fmt(retail)}% long, gap {fmt(gap)} pp): no contrarian signal.")


def reads(data):
    """Every object in `data` that carries a read with its numbers."""
    found = []
    if isinstance(data, dict):
        if "read" in data and "long_pct_gap" in data:
            found.append(data)
        for v in data.values():
            found += reads(v)
    elif isinstance(data, list):
        for v in data:
            found += reads(v)
    return found


@pytest.mark.parametrize("route", ROUTES)
def test_every_example_note_is_the_served_note(api, schemas, route):
    served = requests.get(f"{api}{route}", params=NOTE_PARAMS.get(route, {"coin": "BTC"}),
                          timeout=60).json()["data"]["note"]
    shown = examples(schemas, route)
    assert shown, f"{route} has no 200 example"
    for example in shown:
        assert example["data"]["note"] == served, route


def test_the_served_read_is_the_oracle_s_sentence(api):
    d = requests.get(f"{api}/v1/divergence", params={"coin": "ETH", "period": "1h"}, timeout=60).json()["data"]
    assert d["read"] == expected_read(d["signal"], d["long_pct_gap"], d["smart_money_long_pct"], d["retail_long_pct"])


@pytest.mark.parametrize("route", ["/v1/positioning", "/v1/divergence", "/v1/signal"])
def test_every_example_read_is_what_the_api_writes_for_its_numbers(schemas, route):
    found = [r for e in examples(schemas, route) for r in reads(e["data"])]
    assert found, f"{route}: no example carries a read"
    for r in found:
        assert r["read"] == expected_read(r["signal"], r["long_pct_gap"], r["smart_money_long_pct"],
                                          r["retail_long_pct"]), (route, r)
