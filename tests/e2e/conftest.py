"""The whole API as a client sees it: the stand-in and `cargo lambda watch` started as processes.

Both are started once per session on free loopback ports; nothing here touches a remote host.
"""
import json
import os
import pathlib
import socket
import subprocess
import time

import pytest
import requests
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO_NOW_MS = 1_785_675_650_000  # standin::DEMO_NOW_MS
HOUR_MS = 3_600_000
ROUTES = ["/v1/positioning", "/v1/divergence", "/v1/history", "/v1/meta", "/v1/signal", "/v1/screener",
          "/v1/exchanges", "/v1/track-record"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cargo_lambda() -> list[str]:
    venv = ROOT / ".tools" / "venv" / "bin" / "cargo-lambda"
    return [str(venv), "lambda"] if venv.exists() else ["cargo", "lambda"]


# One-line figures (faults handled, hostile inputs refused, fuzzing cases) printed at the end of
# the run whatever the capture mode; test modules append to it.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    for line in FIGURES:
        terminalreporter.write_line(line)


LOG = ROOT / "target" / "e2e-cargo-lambda-watch.log"


def read_log_until(done, timeout_s: float = 10.0) -> str:
    """The functions' log (through cargo lambda watch) once `done(log)` holds, polled until
    `timeout_s`: a log line reaches the file some time after the answer reaches the client."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = LOG.read_text(errors="replace") if LOG.exists() else ""
        if done(log) or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


class StandIn:
    def __init__(self, base_url: str, proc=None, argv=None):
        self.base_url = base_url
        self.proc = proc
        self.argv = argv

    def stop(self) -> None:
        """Ends the stand-in process: its port now refuses connections."""
        self.proc.terminate()
        self.proc.wait(10)

    def start(self) -> None:
        """Starts it again on the same port, with the same clock (after `stop`)."""
        port = self.base_url.rsplit(":", 1)[-1]
        argv = [a if a != "0" else port for a in self.argv]
        for _ in range(50):
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
            if "listening on" in self.proc.stdout.readline():
                return
            self.proc.wait(10)
            time.sleep(0.1)
        raise RuntimeError("the stand-in did not come back on its port")

    def count(self) -> int:
        return requests.get(f"{self.base_url}/__standin/requests", timeout=5).json()["count"]

    def reset(self) -> None:
        requests.post(f"{self.base_url}/__standin/reset", timeout=5).raise_for_status()

    def switches(self, **changes) -> None:
        requests.put(f"{self.base_url}/__standin/switches", json=changes, timeout=5).raise_for_status()

    def fault(self, **fault) -> None:
        requests.post(f"{self.base_url}/__standin/faults", json=fault, timeout=5).raise_for_status()


@pytest.fixture(scope="session")
def standin():
    exe = ROOT / "target" / "debug" / "binance-standin"
    if not exe.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "standin"], cwd=ROOT, check=True)
    argv = [str(exe), "--port", "0", "--now-ms", str(DEMO_NOW_MS)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on" in line, line
    s = StandIn(line.strip().rsplit(" ", 1)[-1], proc, argv)
    yield s
    s.proc.terminate()
    s.proc.wait(10)


def serve(standin, log_path: pathlib.Path, extra_env: list[str], warm: list[tuple[str, dict | None]]):
    """`cargo lambda watch` serving every function over the stand-in on a free port, with
    `extra_env`; yields its base URL once every `(route, params)` of `warm` has answered once
    (the first call to each function compiles it)."""
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen(
        cargo_lambda()
        + [
            "watch", "--ignore-changes", "-A", "127.0.0.1", "-P", str(port),
            # The stand-in serves every venue on its own paths.
            *[a for v in ("BINANCE", "OKX", "BYBIT", "GATE", "BITGET")
              for a in ("--env-var", f"{v}_BASE_URL={standin.base_url}")],
            # and Hyperliquid's info API and leaderboard (/v1/wallets).
            "--env-var", f"HYPERLIQUID_BASE_URL={standin.base_url}",
            "--env-var", f"HYPERLIQUID_STATS_URL={standin.base_url}",
            "--env-var", "RUST_LOG=info",
            *extra_env,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + float(os.environ.get("E2E_WARMUP_SECONDS", "900"))
    try:
        for route, params in warm:
            while True:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                try:
                    r = requests.get(f"{base}{route}", params=params, timeout=600)
                    if r.headers.get("content-type", "").startswith("application/json") and r.status_code in (200, 404, 502):
                        break
                except requests.RequestException:
                    pass
                assert time.time() < deadline, f"{route} never answered"
                time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(20)
        log.close()


@pytest.fixture(scope="session")
def api(standin):
    """Base URL of `cargo lambda watch` serving every function over the stand-in."""
    warm = [(route, {"period": "1h"} if route != "/v1/meta" else None) for route in ROUTES]
    # The suite calls the screener far more often than one real instance may: lift its
    # per-instance upstream budget here (the budget itself is tested in the handler tests and
    # by `api_as_deployed`).
    server = serve(standin, LOG, ["--env-var", "BINANCE_REQUEST_BUDGET=1000000"], warm)
    base = next(server)
    standin.reset()
    yield base
    server.close()


@pytest.fixture(scope="session")
def api_as_deployed(standin):
    """`cargo lambda watch` with each function's request budget as deployed (the capacity
    model's share per instance), warmed on a coin the tests using it do not ask about."""
    warm = [(route, {"coin": "LINK", "period": "1h"}) for route in ("/v1/signal", "/v1/history")]
    server = serve(standin, ROOT / "target" / "e2e-as-deployed.log", [], warm)
    yield next(server)
    server.close()


@pytest.fixture(scope="session")
def schemas():
    """The OpenAPI document's component schemas, as a resolver-ready JSON Schema registry."""
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())
