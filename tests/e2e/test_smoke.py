"""`scripts/smoke` (the post-deploy smoke test) run as an operator runs it, against `cargo lambda
watch` over the stand-in with `--no-gateway` (no API Gateway here, so the key checks are skipped
and say so), and against things it must fail on: a URL that is not the API, and a route answering
5xx because the stand-in's Binance answers 500. Its gateway checks are run too, against a stand-in
for API Gateway's key check that answers with template.yaml's own gateway response templates.
"""
import http.server
import re
import subprocess
import threading
import time
import uuid

import pytest
import requests

from tests.consistency.conftest import load_cfn_yaml

from .conftest import FIGURES, ROOT

SMOKE = ROOT / "scripts" / "smoke"
ROUTES = ["/v1/positioning", "/v1/divergence", "/v1/history", "/v1/meta", "/v1/signal", "/v1/screener",
          "/v1/exchanges", "/v1/track-record", "/v1/chart", "/v1/mcp", "/v1/wallets", "/v1/wallets/positions"]
GATEWAY_CHECKS = ["missing key refused", "bad key refused", "unknown route 404"]
ROW = re.compile(r"^(?P<check>.+?)\s{2,}(?P<status>[-\d,]+)\s+(?P<ms>-|\d+)\s+(?P<verdict>PASS|WARN|SKIP|FAIL)\b\s*(?P<detail>.*)$")
# A market no other test module asks about: no function instance remembers it (the memo keeps
# only successes), so an upstream fault reaches the answer.
FAULT_MARKET = {"coin": "AVAX", "period": "30m"}


def smoke(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(SMOKE), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def rows(stdout: str) -> dict[str, dict]:
    """The table's rows by check name."""
    out = {}
    for line in stdout.splitlines():
        m = ROW.match(line)
        if m:
            out[m["check"].strip()] = m.groupdict()
    return out


@pytest.fixture(scope="module")
def api_warm(api):
    """The API once /v1/chart, /v1/mcp and the wallet routes have answered (the `api` fixture does
    not warm them; the first call compiles the function)."""
    deadline = time.time() + 900
    for method, path, kwargs in [
        ("GET", "/v1/chart", {"params": {"period": "1h"}}),
        ("GET", "/v1/wallets", {}),
        ("GET", "/v1/wallets/positions", {"params": {"coin": "BTC"}}),
        ("POST", "/v1/mcp", {"json": {"jsonrpc": "2.0", "id": 0, "method": "ping"},
                             "headers": {"accept": "application/json, text/event-stream"}}),
    ]:
        while True:
            try:
                if requests.request(method, f"{api}{path}", timeout=600, **kwargs).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.time() < deadline, f"{path} never answered"
            time.sleep(1)
    return api


def test_smoke_passes_against_the_local_api_and_lists_every_route(api_warm):
    p = smoke(api_warm, "anykey", "--no-gateway", "--timeout", "120")
    print(p.stdout, p.stderr)
    assert p.returncode == 0, p.stdout + p.stderr
    table = rows(p.stdout)
    for route in ROUTES:
        assert any(route in check for check in table), f"{route} not in the table:\n{p.stdout}"
    assert "400 names its parameter" in table and "POST /v1/mcp tools/list" in table
    for name, row in table.items():
        if name in GATEWAY_CHECKS:
            assert row["verdict"] == "SKIP" and "--no-gateway" in row["detail"], row
        else:
            # Over the stand-in nothing is stale and every venue answers.
            assert row["verdict"] == "PASS", row
    assert "--no-gateway" in p.stdout.splitlines()[1] and "SKIPPED" in p.stdout.splitlines()[1]
    FIGURES.append(f"smoke: {sum(r['verdict'] == 'PASS' for r in table.values())} checks passed, "
                   f"{len(GATEWAY_CHECKS)} gateway checks skipped over cargo lambda watch (test_smoke.py)")


def test_smoke_fails_against_a_url_that_is_not_the_api(standin):
    p = smoke(standin.base_url, "anykey", "--no-gateway", "--timeout", "20")
    print(p.stdout, p.stderr)
    assert p.returncode == 1, p.stdout + p.stderr
    table = rows(p.stdout)
    failed = [name for name, row in table.items() if row["verdict"] == "FAIL"]
    assert len(failed) == len(table) - len(GATEWAY_CHECKS), p.stdout
    assert p.stdout.rstrip().endswith("FAILED")


def test_smoke_fails_when_a_route_answers_5xx(api_warm, standin):
    standin.reset()
    standin.fault(kind="server_error")  # every Binance endpoint, until reset
    try:
        r = requests.get(f"{api_warm}/v1/positioning", params=FAULT_MARKET, timeout=60)
        assert r.status_code == 502, f"precondition: the market is not remembered: {r.status_code} {r.text[:200]}"
        p = smoke(api_warm, "anykey", "--no-gateway", "--coin", FAULT_MARKET["coin"],
                  "--period", FAULT_MARKET["period"], "--timeout", "60")
    finally:
        standin.reset()
    print(p.stdout, p.stderr)
    assert p.returncode == 1, p.stdout + p.stderr
    table = rows(p.stdout)
    pos = table["GET /v1/positioning"]
    assert (pos["status"], pos["verdict"]) == ("502", "FAIL") and "upstream_error" in pos["detail"], pos
    # What needs no Binance still passes: the failure is the route's, not the script's.
    assert table["GET /v1/meta"]["verdict"] == "PASS"
    assert table["400 names its parameter"]["verdict"] == "PASS"
    assert table["POST /v1/mcp tools/list"]["verdict"] == "PASS"


GOOD_KEY = "smoke-good-key-0001"


@pytest.fixture(scope="module")
def fake_gateway(api_warm):
    """A loopback front for the API doing what API Gateway does before our functions (no route:
    MISSING_AUTHENTICATION_TOKEN; a missing or unknown x-api-key: INVALID_API_KEY), answering
    with template.yaml's GatewayResponses templates, `$context` filled in; anything else is
    passed to `cargo lambda watch`. It tests the smoke script's gateway checks against the
    template's bodies, not API Gateway itself."""
    template = load_cfn_yaml(ROOT / "template.yaml")
    [api_resource] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    responses = api_resource["Properties"]["GatewayResponses"]

    class Front(http.server.BaseHTTPRequestHandler):
        def gateway(self, kind: str) -> None:
            r = responses[kind]
            body = (r["ResponseTemplates"]["application/json"]
                    .replace("$context.requestTime", time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()))
                    .replace("$context.requestId", str(uuid.uuid4()))).encode()
            self.send_response(r["StatusCode"])
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in ROUTES:
                return self.gateway("MISSING_AUTHENTICATION_TOKEN")
            if self.headers.get("x-api-key") != GOOD_KEY:
                return self.gateway("INVALID_API_KEY")
            length = int(self.headers.get("content-length") or 0)
            r = requests.request(self.command, api_warm + self.path, data=self.rfile.read(length) or None,
                                 headers={k: v for k, v in self.headers.items() if k.lower() != "host"}, timeout=120)
            self.send_response(r.status_code)
            for k in ("content-type", "x-stale", "retry-after"):
                if k in r.headers:
                    self.send_header(k, r.headers[k])
            self.send_header("content-length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        do_GET = do_POST = handle_any

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_smoke_checks_the_gateway_refusals_against_the_templates(fake_gateway):
    p = smoke(fake_gateway, GOOD_KEY, "--timeout", "120")
    print(p.stdout, p.stderr)
    assert p.returncode == 0, p.stdout + p.stderr
    table = rows(p.stdout)
    assert all(row["verdict"] == "PASS" for row in table.values()), p.stdout
    assert (table["missing key refused"]["status"], table["bad key refused"]["status"]) == ("403", "403")
    assert table["unknown route 404"]["status"] == "404"


def test_smoke_fails_when_keys_are_not_refused(api_warm):
    """Without --no-gateway against `cargo lambda watch`, which lets any key (and none) through."""
    p = smoke(api_warm, "anykey", "--timeout", "120")
    print(p.stdout, p.stderr)
    assert p.returncode == 1, p.stdout + p.stderr
    table = rows(p.stdout)
    for check in ("missing key refused", "bad key refused"):
        assert table[check]["verdict"] == "FAIL" and table[check]["status"] == "200", table[check]
