"""Drop-in compatibility with the original marketplace service: a client written against its
examples must work unchanged. Every field the original shows is checked here for its name, JSON
type, shape and (where the original fixes it) value, against what we serve through
`cargo lambda watch`. Extra fields are allowed; changed ones are not.

The original's fields, as `api-contract.md` ("Drop-in compatibility" and the per-route data)
records them."""
import requests

NUMBER = (int, float)

ORIGINAL_COHORTS = [
    ("retail_crowd", "Global crowd (by accounts)", False),
    ("top_traders_by_accounts", "Top traders (by accounts)", True),
    ("top_traders_by_position", "Top traders (by position size)", True),
]
COHORT_FIELDS = {
    "label": str,
    "cohort": str,
    "timestamp": int,
    "is_smart_money": bool,
    "long_account_pct": NUMBER,
    "long_short_ratio": NUMBER,
    "short_account_pct": NUMBER,
}
DIVERGENCE_FIELDS = {
    "timestamp": int,
    "long_pct_gap": NUMBER,
    "ratio_gap": NUMBER,
    "signal": str,
    "read": str,
    "smart_money_long_pct": NUMBER,
    "retail_long_pct": NUMBER,
}
HISTORY_POINT_FIELDS = {
    "timestamp": int,
    "long_pct_gap": NUMBER,
    "retail_crowd_long_pct": NUMBER,
    "retail_crowd_ls_ratio": NUMBER,
    "top_traders_by_accounts_long_pct": NUMBER,
    "top_traders_by_accounts_ls_ratio": NUMBER,
    "top_traders_by_position_long_pct": NUMBER,
    "top_traders_by_position_ls_ratio": NUMBER,
}
ENVELOPE_FIELDS = {"data": dict, "meta": dict, "status": str, "message": str, "success": bool}


def data(api, route, **params):
    r = requests.get(f"{api}{route}", params=params, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    has_fields(body, ENVELOPE_FIELDS, "envelope")
    assert (body["status"], body["success"]) == ("ok", True)
    return body["data"]


def has_fields(obj, fields, where):
    for name, kind in fields.items():
        assert name in obj, f"{where}: the original's field {name!r} is missing"
        value = obj[name]
        # bool is an int in Python: a number field must not be a bool, an int field must not be.
        assert isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)), (
            f"{where}.{name}: {value!r} is not {kind}"
        )


def test_positioning_serves_the_original_cohort_labels_flags_and_fields(api):
    d = data(api, "/v1/positioning", coin="BTC", period="1h")
    has_fields(d, {"symbol": str, "period": str, "source": str, "note": str, "cohorts": list,
                   "divergence": dict}, "positioning")
    assert [(c["cohort"], c["label"], c["is_smart_money"]) for c in d["cohorts"]] == ORIGINAL_COHORTS
    for c in d["cohorts"]:
        has_fields(c, COHORT_FIELDS, f"cohorts[{c['cohort']}]")
    has_fields(d["divergence"], DIVERGENCE_FIELDS, "divergence")


def test_divergence_serves_the_original_fields(api):
    d = data(api, "/v1/divergence", coin="ETH", period="1h")
    has_fields(d, {"symbol": str, "period": str, "source": str, "note": str, **DIVERGENCE_FIELDS},
               "divergence")
    assert d["signal"] in ("crowd_over_long", "crowd_over_short", "neutral")


def test_history_serves_the_original_fields(api):
    d = data(api, "/v1/history", coin="BTC", period="1h", limit="5")
    has_fields(d, {"symbol": str, "period": str, "source": str, "note": str, "count": int,
                   "points": list}, "history")
    assert d["count"] == len(d["points"]) == 5
    for p in d["points"]:
        has_fields(p, HISTORY_POINT_FIELDS, "points[]")


def test_meta_endpoints_is_an_object_keyed_by_method_and_route(api):
    d = data(api, "/v1/meta")
    has_fields(d, {"service": str, "description": str, "source": str, "note": str, "periods": list,
                   "endpoints": dict}, "meta")
    assert d["service"] == "smartmoney-api"
    assert d["periods"] == ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"]
    assert d["endpoints"]["GET /v1/meta"] == "This document."
    for route in ("positioning", "divergence", "history", "meta", "signal", "screener"):
        line = d["endpoints"][f"GET /v1/{route}"]
        assert isinstance(line, str) and line and "\n" not in line, route
    assert [(c["cohort"], c["label"], c["is_smart_money"]) for c in d["cohorts"]] == ORIGINAL_COHORTS
