"""`format=csv` through `cargo lambda watch`, opened with Python's `csv` module: every cell equals
the JSON answer's value for the same request (a `null` is an empty cell), the header is the JSON
field names, the file has a sensible name, and errors stay JSON."""
import csv
import io

from .test_api import get


def test_history_csv_is_the_json_answer_cell_for_cell(api):
    params = {"coin": "LINK", "period": "1h", "limit": "30"}
    points = get(api, "/v1/history", **params).json()["data"]["points"]
    r = get(api, "/v1/history", **params, format="csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="LINKUSDT-1h-history.csv"'
    assert r.headers["cache-control"].startswith("public, max-age=")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(points) == 30
    assert list(rows[0].keys()) == list(points[0].keys())
    for row, point in zip(rows, points):
        for name, value in point.items():
            cell = row[name]
            if value is None:
                assert cell == "", name
            else:
                assert float(cell) == value, (name, cell, value)


def cell_is(cell, value):
    """A CSV cell holds the JSON value: a number equal as a number, null empty, text as is."""
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, (int, float)):
        return float(cell) == value
    return cell == value


def read_csv(r, filename):
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{filename}"'
    return list(csv.DictReader(io.StringIO(r.text)))


def test_screener_csv_is_the_json_rows_and_names_a_failed_coin(api):
    params = {"coins": "BTC,ETH,SOL,LINK,NOPE", "period": "4h", "include_confidence": "true",
              "include_changes": "true"}
    data = get(api, "/v1/screener", **params).json()["data"]
    rows = read_csv(get(api, "/v1/screener", **params, format="csv"), "screener-4h.csv")
    assert [e["symbol"] for e in data["errors"]] == ["NOPEUSDT"]
    assert len(rows) == len(data["rows"]) + 1 == 5
    assert list(rows[0].keys()) == list(data["rows"][0].keys()) + ["error"]
    for row, want in zip(rows, data["rows"]):
        assert row["error"] == ""
        for name, value in want.items():
            assert cell_is(row[name], value), (want["symbol"], name, row[name], value)
    failed = rows[-1]
    assert (failed["symbol"], failed["error"]) == ("NOPEUSDT", "unknown_symbol")
    assert all(v == "" for k, v in failed.items() if k not in ("symbol", "error"))


def test_exchanges_csv_is_the_json_series(api):
    params = {"coin": "SOL", "period": "1h", "venues": "binance,okx,bitget", "limit": "48"}
    series = get(api, "/v1/exchanges", **params).json()["data"]["series"]
    rows = read_csv(get(api, "/v1/exchanges", **params, format="csv"), "SOLUSDT-1h-exchanges.csv")
    assert len(rows) == len(series) == 48
    assert list(rows[0].keys()) == list(series[0].keys())
    for row, point in zip(rows, series):
        for name, value in point.items():
            assert cell_is(row[name], value), (name, row[name], value)


def test_track_record_csv_rows_reproduce_every_count_of_the_json(api):
    params = {"coin": "ETH", "period": "1h", "horizon": "2"}
    data = get(api, "/v1/track-record", **params).json()["data"]
    rows = read_csv(get(api, "/v1/track-record", **params, format="csv"),
                    "ETHUSDT-1h-h2-track-record.csv")
    assert len(rows) == data["all_buckets"]["n"]
    assert (int(rows[0]["timestamp"]), int(rows[-1]["timestamp"])) == (data["from"], data["to"])
    for side in ("crowd_over_long", "crowd_over_short"):
        mine = [r for r in rows if r["signal"] == side]
        assert len(mine) == data[side]["n"], side
        assert sum(r["hit"] == "true" for r in mine) == data[side]["hits"], side
        assert sum(r["episode_start"] == "true" for r in mine) == data[side]["episodes"], side
    assert sum(float(r["forward_return_pct"]) > 0 for r in rows) == data["all_buckets"]["hits"]
    for r in rows:
        assert int(r["forward_timestamp"]) == int(r["timestamp"]) + 2 * 3_600_000
        ret = float(r["forward_price"]) / float(r["price"]) - 1
        assert abs(float(r["forward_return_pct"]) - 100 * ret) < 1e-7


def test_a_bad_format_and_an_error_with_csv_stay_json(api):
    r = get(api, "/v1/history", coin="BTC", format="xlsx")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == {"code": "invalid_parameter", "parameter": "format"}
    r = get(api, "/v1/history", coin="NOPE", format="csv")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "unknown_symbol"
