"""`POST /v1/mcp` through `cargo lambda watch` over the stand-in, with the official MCP Python SDK
(`mcp`, pinned in requirements-dev.txt) as the client: initialize, tools/list, every tool called
and its answer compared with the JSON route's answer to the same query, bad arguments answered as
tool errors naming them with no upstream request, and the transport's own refusals.
"""
import asyncio
import json
import pathlib
import re
import time

import httpx2
import pytest
import requests
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

KEY = "e2e-example-key"
# What an MCP client sends on every POST (Streamable HTTP).
POST_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream",
                "mcp-protocol-version": "2025-06-18", "x-api-key": KEY}

# How this function instance came by the data, not the data: the route's own instance may have
# it in its memo from the warm-up calls while the MCP instance fetches it.
PROVENANCE = {"from_memo", "memo_hits", "upstream_calls"}
# When the wallets' cohort was read (epoch ms): each function instance reads the leaderboard itself
# and keeps it an hour, so two instances' answers may state different times of one cohort.
COHORT_KEPT_MS = 3_600_000
# A wallet's hold (hours, 1 decimal) is measured at each answer; one known only as a lower bound (the span of
# fills read back from when they were read) also grows with how long ago each instance read the fills, which
# it keeps an hour.
FILLS_KEPT_HOURS = 1.0

# tool, arguments (as an agent sends them), route, the same query as a REST client sends it
CASES = [
    ("positioning", {"coin": "ETH", "period": "1h"}, "/v1/positioning", {"coin": "ETH", "period": "1h"}),
    ("divergence", {"coin": "sol", "period": "15m"}, "/v1/divergence", {"coin": "sol", "period": "15m"}),
    ("history", {"symbol": "BTCUSDT", "period": "4h", "limit": 30}, "/v1/history",
     {"symbol": "BTCUSDT", "period": "4h", "limit": "30"}),
    ("signal", {"coin": "BNB", "period": "1h"}, "/v1/signal", {"coin": "BNB", "period": "1h"}),
    ("screener", {"coins": "BTC,ETH,SOL,XRP", "period": "1h", "include_confidence": True, "sort_by": "abs_gap"},
     "/v1/screener", {"coins": "BTC,ETH,SOL,XRP", "period": "1h", "include_confidence": "true",
                      "sort_by": "abs_gap"}),
    ("exchanges", {"coin": "ETH", "period": "1h", "venues": "binance,okx,gate", "limit": 12}, "/v1/exchanges",
     {"coin": "ETH", "period": "1h", "venues": "binance,okx,gate", "limit": "12"}),
    ("track_record", {"coin": "ETH", "period": "1h", "horizon": 6}, "/v1/track-record",
     {"coin": "ETH", "period": "1h", "horizon": "6"}),
    ("wallets", {"min_notional_usd": "10000"}, "/v1/wallets", {"min_notional_usd": "10000"}),
    ("wallet_positions", {"coin": "BTC"}, "/v1/wallets/positions", {"coin": "BTC"}),
]
# Each tool's route (wallet_positions is not /v1/wallet-positions).
ROUTE_OF = {tool: route for tool, _, route, _ in CASES}


@pytest.fixture(scope="module")
def mcp_url(api):
    """The endpoint, once `cargo lambda watch` has compiled the function and it answers."""
    url = f"{api}/v1/mcp"
    deadline = time.time() + 900
    while True:
        try:
            r = requests.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "ping"}, headers=POST_HEADERS,
                              timeout=600)
            if r.status_code == 200:
                return url
        except requests.RequestException:
            pass
        assert time.time() < deadline, "POST /v1/mcp never answered"
        time.sleep(1)


def with_client(url, work, mode="legacy"):
    """`work(client)` in one MCP client connection (the x-api-key header on every request)."""
    async def run():
        async with httpx2.AsyncClient(headers={"x-api-key": KEY}, timeout=120) as http:
            async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
                return await work(client)
    return asyncio.run(run())


def assert_same(mcp, route, at="data"):
    """Equal but for provenance, and for what is measured at each answer: the data's age in seconds, when the
    wallets' cohort was read, how long a wallet has held its position."""
    if isinstance(mcp, dict):
        assert isinstance(route, dict) and set(mcp) == set(route), at
        for k, v in mcp.items():
            if k in PROVENANCE:
                continue
            if k == "newest_bucket_age_seconds":
                assert abs(v - route[k]) <= 2, f"{at}.{k}"
            elif k == "as_of" and at.endswith(".cohort"):
                assert abs(v - route[k]) <= COHORT_KEPT_MS, f"{at}.{k}"
            elif k.endswith("hold_hours") and v is not None and route[k] is not None:
                slack = FILLS_KEPT_HOURS + 0.1 if mcp.get("hold_lower_bound") else 0.2
                assert abs(v - route[k]) <= slack, f"{at}.{k}: {v} vs {route[k]}"
            else:
                assert_same(v, route[k], f"{at}.{k}")
    elif isinstance(mcp, list):
        assert isinstance(route, list) and len(mcp) == len(route), at
        for i, (a, b) in enumerate(zip(mcp, route)):
            assert_same(a, b, f"{at}[{i}]")
    else:
        assert mcp == route and type(mcp) is type(route), f"{at}: {mcp!r} != {route!r}"


def test_initialize_names_the_server_and_its_tools_capability(mcp_url):
    async def work(client):
        return client.server_info, client.server_capabilities, client.protocol_version, client.instructions

    info, capabilities, version, instructions = with_client(mcp_url, work)
    assert info.name == "smartmoney-api"
    assert capabilities.tools is not None
    assert capabilities.resources is None and capabilities.prompts is None
    assert version == "2025-11-25"
    assert "Not financial advice" in instructions


def test_tools_list_gives_the_nine_tools_with_the_routes_parameters(mcp_url, api):
    async def work(client):
        return (await client.list_tools()).tools

    tools = {t.name: t for t in with_client(mcp_url, work)}
    assert list(tools) == ["positioning", "divergence", "history", "signal", "screener", "exchanges",
                           "track_record", "wallets", "wallet_positions"]
    assert set(tools) == set(ROUTE_OF)
    meta = requests.get(f"{api}/v1/meta", timeout=30).json()["data"]
    for tool in tools.values():
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False, tool.name
        # Every argument optional but what the route requires.
        assert schema.get("required", []) == (["coin"] if tool.name == "wallet_positions" else []), tool.name
        if tool.name not in ("wallets", "wallet_positions"):  # Hyperliquid's wallets have no period
            assert schema["properties"]["period"]["enum"] == meta["periods"], tool.name
        assert all(p.get("description") for p in schema["properties"].values()), tool.name
        assert tool.annotations.read_only_hint is True
    assert set(tools["history"].input_schema["properties"]) == {"coin", "symbol", "period", "limit", "format"}
    limit = tools["history"].input_schema["properties"]["limit"]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == ("integer", 1, 500, 48)
    assert tools["exchanges"].input_schema["properties"]["venues"]["pattern"].startswith("^(binance|okx|bybit")
    wallets = tools["wallets"].input_schema["properties"]
    assert (wallets["limit"]["maximum"], wallets["limit"]["default"]) == (200, 50)
    assert (wallets["min_notional_usd"]["type"], wallets["min_notional_usd"]["maximum"]) == ("number", 1_000_000_000)
    assert set(tools["wallet_positions"].input_schema["properties"]) == {"coin", "min_notional_usd", "limit"}


def openapi_parameters(route):
    """name -> schema of every query parameter the OpenAPI document gives `route`."""
    spec = yaml.safe_load((pathlib.Path(__file__).parents[2] / "openapi.yaml").read_text())
    out = {}
    for parameter in spec["paths"][route]["get"]["parameters"]:
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        out[parameter["name"]] = parameter["schema"]
    return out


def listed_names(schema):
    """The closed set a schema admits: its enum, or the names of a comma-list pattern ^(a|b)(,(a|b))…$."""
    if "enum" in schema:
        return [str(v) for v in schema["enum"]]
    if "pattern" in schema:
        first = re.match(r"\^\(([^)]*)\)", schema["pattern"])
        return first.group(1).split("|") if first else None
    items = schema.get("items") or {}
    return listed_names(items) if items else None


def test_every_tool_argument_admits_the_closed_set_the_openapi_document_gives_its_route(mcp_url):
    # The OpenAPI document is written by hand; the tools' schemas are generated from the routes' tables:
    # they must name the same values, in the same order.
    async def work(client):
        return (await client.list_tools()).tools

    compared = 0
    for tool in with_client(mcp_url, work):
        route = ROUTE_OF[tool.name]
        documented = openapi_parameters(route)
        for name, schema in tool.input_schema["properties"].items():
            ours = listed_names(schema)
            if ours is None:
                continue
            assert name in documented, f"{tool.name}.{name} is not a parameter of {route} in openapi.yaml"
            assert ours == listed_names(documented[name]), f"{tool.name}.{name}"
            compared += 1
    # period on the seven Binance tools, format, sort_by, sort_order, venues, signal, change_window, …
    assert compared >= 22, compared


@pytest.mark.parametrize("tool,arguments,route,query", CASES, ids=[c[0] for c in CASES])
def test_every_tool_answers_the_numbers_of_its_json_route(mcp_url, api, tool, arguments, route, query):
    async def work(client):
        return await client.call_tool(tool, arguments)

    result = with_client(mcp_url, work)
    assert result.is_error is False, result
    rest = requests.get(f"{api}{route}", params=query, headers={"x-api-key": KEY}, timeout=120)
    assert rest.status_code == 200, rest.text
    assert_same(result.structured_content, rest.json()["data"])
    assert result.content[0].type == "text"
    assert json.loads(result.content[0].text) == result.structured_content
    assert result.meta["request_id"]


def test_format_csv_answers_the_routes_csv_text(mcp_url, api):
    async def work(client):
        return await client.call_tool("history", {"coin": "BTC", "period": "4h", "limit": 20, "format": "csv"})

    result = with_client(mcp_url, work)
    assert result.is_error is False and result.structured_content is None
    rest = requests.get(f"{api}/v1/history", params={"coin": "BTC", "period": "4h", "limit": "20", "format": "csv"},
                        timeout=120)
    assert rest.headers["content-type"].startswith("text/csv")
    assert result.content[0].text == rest.text
    assert len(rest.text.splitlines()) == 21


@pytest.mark.parametrize("tool,arguments,route,query,parameter", [
    ("history", {"limit": "0"}, "/v1/history", {"limit": "0"}, "limit"),
    ("history", {"limit": 0}, "/v1/history", {"limit": "0"}, "limit"),
    ("divergence", {"period": "7m"}, "/v1/divergence", {"period": "7m"}, "period"),
    ("exchanges", {"venues": "binance,kraken"}, "/v1/exchanges", {"venues": "binance,kraken"}, "venues"),
    ("screener", {"sort_by": "money_flow"}, "/v1/screener", {"sort_by": "money_flow"}, "include_changes"),
    ("positioning", {"coin": "ETH", "peroid": "1h"}, "/v1/positioning", {"coin": "ETH", "peroid": "1h"}, "peroid"),
])
def test_a_bad_argument_is_a_tool_error_naming_it_and_nothing_reaches_the_upstream(
        mcp_url, api, standin, tool, arguments, route, query, parameter):
    async def work(client):
        before = standin.count()
        result = await client.call_tool(tool, arguments)
        return result, standin.count() - before

    result, upstream_requests = with_client(mcp_url, work)
    assert upstream_requests == 0
    assert result.is_error is True
    error = result.structured_content
    assert (error["code"], error["parameter"], error["status"]) == ("invalid_parameter", parameter, 400)
    assert parameter in result.content[0].text
    rest = requests.get(f"{api}{route}", params=query, timeout=60).json()
    assert error["message"] == rest["message"], "the route's own message"


def test_the_default_client_mode_falls_back_to_the_handshake_and_works(mcp_url):
    """The SDK's default ('auto') first probes the 2026 stateless `server/discover`, which this
    server does not speak (rmcp 1.x): it must still connect and call a tool."""
    async def work(client):
        return client.protocol_version, await client.call_tool("divergence", {"coin": "BTC", "period": "1h"})

    version, result = with_client(mcp_url, work, mode="auto")
    assert version == "2025-11-25"
    assert result.is_error is False and result.structured_content["symbol"] == "BTCUSDT"


def test_the_transport_refuses_what_stateless_streamable_http_does_not_serve(mcp_url):
    r = requests.get(mcp_url, headers={"accept": "text/event-stream", "x-api-key": KEY}, timeout=30)
    assert (r.status_code, r.headers.get("allow"), r.json()["error"]["code"]) == (405, "POST", -32600)
    r = requests.delete(mcp_url, headers={"x-api-key": KEY}, timeout=30)
    assert r.status_code == 405
    r = requests.post(mcp_url, data=b'{"jsonrpc": "2.0", "id": 1, "method": ', headers=POST_HEADERS, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["code"] == -32700
    r = requests.post(mcp_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=POST_HEADERS,
                      timeout=30)
    assert (r.status_code, r.content) == (202, b"")
