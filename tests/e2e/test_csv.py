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


def test_a_bad_format_and_an_error_with_csv_stay_json(api):
    r = get(api, "/v1/history", coin="BTC", format="xlsx")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == {"code": "invalid_parameter", "parameter": "format"}
    r = get(api, "/v1/history", coin="NOPE", format="csv")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "unknown_symbol"
