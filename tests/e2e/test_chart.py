"""`GET /v1/chart` through `cargo lambda watch` over the stand-in: the SVG is `/v1/history`'s points
(same coin, period and limit), vertex for vertex, read back through the scales the SVG itself
declares (`data-*` on the root and on each panel); it is self-contained (no script, no external
reference); and a real headless Chromium renders it, inside an `<img>` tag, to a PNG of the
expected size that is not blank and shows each line's colour, at 800 px and at a phone's 390 px.
Errors stay JSON. The PNGs are left in target/e2e-chart/ (docs/chart.png is one of them).
"""
import os
import pathlib
import struct
import subprocess
import time
import xml.etree.ElementTree as ET
import zlib

import pytest
import requests

from .conftest import ROOT
from .test_api import get

SVG = "{http://www.w3.org/2000/svg}"
COHORTS = ["retail_crowd", "top_traders_by_accounts", "top_traders_by_position"]
OUT = ROOT / "target" / "e2e-chart"
# Each cohort's line colour in the SVG's style, as RGB (the gap's is the text's).
COLOURS = {"retail_crowd": (0xD5, 0x5E, 0x00), "top_traders_by_accounts": (0x3F, 0xA7, 0xE0),
           "top_traders_by_position": (0x00, 0x60, 0xA0)}


@pytest.fixture(scope="module")
def chart_api(api):
    """The API once /v1/chart answers: the session fixture warms the other routes only, and the
    first call to a function makes `cargo lambda watch` compile it."""
    deadline = time.time() + float(os.environ.get("E2E_WARMUP_SECONDS", "900"))
    while True:
        try:
            r = requests.get(f"{api}/v1/chart", params={"period": "1h", "limit": "2"}, timeout=600)
            if r.status_code == 200:
                return api
        except requests.RequestException:
            pass
        assert time.time() < deadline, "/v1/chart never answered"
        time.sleep(1)


def series_vertices(panel):
    """Per series id (`series-<field>`), the (x, y) of every vertex of its polylines, in order."""
    out = {}
    for g in panel.iter(f"{SVG}g"):
        if g.get("id", "").startswith("series-"):
            out[g.get("data-series")] = [
                tuple(float(c) for c in xy.split(","))
                for line in g.iter(f"{SVG}polyline")
                for xy in line.get("points").split()
            ]
    return out


def value_at(panel, y):
    """The value a y in `panel` stands for, by the panel's declared linear scale."""
    v0, v1, y0, y1 = (float(panel.get(k)) for k in ("data-v0", "data-v1", "data-y0", "data-y1"))
    return v0 + (y - y0) / (y1 - y0) * (v1 - v0)


def pixels_per_unit(panel):
    v0, v1, y0, y1 = (float(panel.get(k)) for k in ("data-v0", "data-v1", "data-y0", "data-y1"))
    return abs((y1 - y0) / (v1 - v0))


@pytest.mark.parametrize("coin,period,limit", [("BTC", "1h", None), ("ETH", "5m", "500"), ("SOL", "4h", "30")])
def test_the_chart_is_the_history_vertex_for_vertex(chart_api, coin, period, limit):
    params = {"coin": coin, "period": period, **({"limit": limit} if limit else {})}
    # The chart's default limit is 96 (history's is 48).
    history = get(chart_api, "/v1/history", **{**params, "limit": limit or "96"}).json()["data"]
    r = get(chart_api, "/v1/chart", **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert r.headers["cache-control"].startswith("public, max-age=")
    root = ET.fromstring(r.content)
    assert root.tag == f"{SVG}svg"
    assert (root.get("data-symbol"), root.get("data-period")) == (history["symbol"], period)
    assert int(root.get("data-count")) == history["count"]
    assert root.get("data-source") == history["source"]
    title = root.find(f"{SVG}text[@id='title']").text
    assert history["symbol"] in title and period in title
    points = history["points"]
    assert [int(root.get("data-t0")), int(root.get("data-t1"))] == [points[0]["timestamp"], points[-1]["timestamp"]]
    t0, t1, x0, x1 = (float(root.get(k)) for k in ("data-t0", "data-t1", "data-x0", "data-x1"))
    panels = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"}
    long_panel, gap_panel = panels["panel-long"], panels["panel-gap"]
    drawn = series_vertices(long_panel)
    assert sorted(drawn) == sorted(COHORTS)
    drawn |= series_vertices(gap_panel)
    for field, panel in [*((c, long_panel) for c in COHORTS), ("long_pct_gap", gap_panel)]:
        vertices = drawn[field]
        assert len(vertices) == history["count"], field
        key = field if field == "long_pct_gap" else f"{field}_long_pct"
        # Within half a pixel, both ways: y back to the value, and time to x.
        half_pixel = 0.5 / pixels_per_unit(panel)
        for (x, y), p in zip(vertices, points):
            assert abs(value_at(panel, y) - p[key]) <= half_pixel, (field, p["timestamp"], y, p[key])
            assert abs(x0 + (p["timestamp"] - t0) / (t1 - t0) * (x1 - x0) - x) <= 0.5, (field, p["timestamp"])
    # The neutral band is the threshold in force, around the gap's zero line.
    threshold = float(gap_panel.get("data-threshold"))
    band = gap_panel.find(f"{SVG}rect[@class='band']")
    top, bottom = float(band.get("y")), float(band.get("y")) + float(band.get("height"))
    assert abs(value_at(gap_panel, top) - threshold) <= 0.5 / pixels_per_unit(gap_panel)
    assert abs(value_at(gap_panel, bottom) + threshold) <= 0.5 / pixels_per_unit(gap_panel)


def test_the_svg_stands_alone_in_an_img_tag(chart_api):
    r = get(chart_api, "/v1/chart", coin="BTC", period="1h")
    root = ET.fromstring(r.content)
    assert root.get("viewBox") == "0 0 800 630" and root.get("width") == "100%"
    assert "sans-serif" in root.get("font-family")
    for element in root.iter():
        assert element.tag.rsplit("}", 1)[-1] not in ("script", "foreignObject", "image", "use", "a"), element.tag
        for name, value in element.attrib.items():
            assert "href" not in name and not name.startswith("on"), (element.tag, name)
            assert "url(" not in value, (element.tag, name)
    style = root.find(f"{SVG}style").text
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    # UTC time labels under the bottom panel, a legend with the three cohorts.
    axis = root.find(f".//{SVG}g[@id='axis-time']")
    assert [t.text for t in axis.findall(f"{SVG}text")][0] == "UTC"
    assert len(axis.findall(f"{SVG}g[@class='tick']")) >= 2
    legend = root.find(f".//{SVG}g[@id='legend']")
    assert [g.get("data-series") for g in legend.findall(f"{SVG}g")] == [*COHORTS, "long_pct_gap"]


def test_errors_stay_json(chart_api, standin):
    before = standin.count()
    r = get(chart_api, "/v1/chart", coin="BTC", limit="501")
    assert (r.status_code, r.headers["content-type"]) == (400, "application/json")
    assert r.json()["error"] == {"code": "invalid_parameter", "parameter": "limit"}
    r = get(chart_api, "/v1/chart", period="3m")
    assert (r.status_code, r.json()["error"]["parameter"]) == (400, "period")
    assert standin.count() == before, "a 400 reached the upstream"
    r = get(chart_api, "/v1/chart", coin="NOPE")
    assert (r.status_code, r.headers["content-type"]) == (404, "application/json")
    assert r.json()["error"]["code"] == "unknown_symbol"


def png_pixels(data: bytes):
    """(width, height, set of RGB colours) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert (depth, interlace) == (8, 0) and colour_type in (2, 6), header
    bpp = 4 if colour_type == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    previous = bytearray(stride)
    colours = set()
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        previous = line
    return width, height, {tuple(c) for c in colours}


@pytest.mark.parametrize("width", [800, 390])
def test_chromium_renders_it_in_an_img_tag(chart_api, width):
    r = get(chart_api, "/v1/chart", coin="BTC", period="1h")
    assert r.status_code == 200
    OUT.mkdir(parents=True, exist_ok=True)
    svg, png = OUT / "BTCUSDT-1h.svg", OUT / f"BTCUSDT-1h-{width}.png"
    svg.write_bytes(r.content)
    png.unlink(missing_ok=True)
    # Fails (does not skip) without Chromium: scripts/tools installs it.
    subprocess.run([str(ROOT / "scripts" / "chart_png"), str(svg), str(png), str(width)], check=True, timeout=120)
    w, h, colours = png_pixels(png.read_bytes())
    assert (w, h) == (width, round(width * 630 / 800))
    assert len(colours) > 50, f"{len(colours)} colours: blank?"
    for field, rgb in COLOURS.items():
        # Anti-aliasing blends a thin line's edges into the background: its core keeps the colour.
        near = [c for c in colours if max(abs(a - b) for a, b in zip(c, rgb)) <= 8]
        assert near, f"no {field} line in the picture"
