"""The API in production shape on loopback: several Lambda instances per function behind one
API Gateway stand-in. Standard library only.

    with LambdaCluster({"positioning": 2, "meta": 1, ...}, env={...}) as cluster:
        cluster.wait_started(timeout=60)
        # http://127.0.0.1:<cluster.port>/v1/positioning?coin=BTC  (x-api-key required)

- one Lambda Runtime API emulator (2018-06-01) per function on 127.0.0.1, holding that function's
  queue of invocations;
- k processes of the function's release binary (target/release/<name>), each a Lambda instance:
  it long-polls `/next`, so it takes one invocation at a time, as Lambda runs a function's
  concurrency (an invocation waits in the queue while all k are busy);
- one HTTP/1.1 server (the "gateway", keep-alive) that turns each request into an API Gateway REST
  (v1) proxy event as `events/*.json` (stage `prod`), routes it by path to its function's queue, and
  turns the answer (statusCode, headers, multiValueHeaders, body, isBase64Encoded) back into the
  HTTP response: 403 without `x-api-key` or on an unknown path, 502 on a function error, 504 after
  API Gateway's 29 s.

A process that exits is started again (as Lambda would start a new instance) and counted. Leaving
the `with` block (normally, on an exception or on Ctrl-C) kills every process it started; each
process also dies with this one (PR_SET_PDEATHSIG). Every process's output (its JSON log lines)
goes to `<log_dir>/<function>-<i>.log`.
"""
from __future__ import annotations

import base64
import ctypes
import http.server
import json
import os
import pathlib
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Optional

ROOT = pathlib.Path(__file__).resolve().parents[1]
PREFIX = "/2018-06-01/runtime"
STAGE = "prod"
GATEWAY_TIMEOUT_S = 29.0  # API Gateway REST's integration timeout
FUNCTION_TIMEOUT_MS = 10_000  # template.yaml Globals.Function.Timeout
MEMORY_MB = 128  # template.yaml Globals.Function.MemorySize
VENUES = ("BINANCE", "OKX", "BYBIT", "GATE", "BITGET")
# k per function comes from the capacity model: `Share { route: "...", instances: N, ... }`.
CAPACITY_RE = re.compile(r'route:\s*"([^"]+)",\s*instances:\s*(\d+)')
FALLBACK_INSTANCES = 2
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "date", "server"}


def function_names() -> list[str]:
    """The function folder names under functions/ (each a release binary of the same name)."""
    return sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").exists())


def routes() -> dict[str, str]:
    """route → function, from the router config of `cargo lambda watch` in Cargo.toml; a function
    missing there is routed at /v1/<name>."""
    import tomllib
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    router = cargo.get("workspace", {}).get("metadata", {}).get("lambda", {}).get("watch", {}).get("router", {})
    out = dict(router)
    for fn in function_names():
        if fn not in out.values():
            out[f"/v1/{fn}"] = fn
    return out


def capacity_instances() -> tuple[dict[str, int], str]:
    """route → instances from the shares in shared/src/domain/route.rs (the table of routes, whose
    `CAPACITY_MODEL` lists them), and a note on where the figures come from."""
    text = (ROOT / "shared" / "src" / "domain" / "route.rs").read_text()
    found = {r: int(n) for r, n in CAPACITY_RE.findall(text)}
    if found:
        return found, "shared/src/domain/route.rs CAPACITY_MODEL (instances)"
    return {}, f"CAPACITY_MODEL has no `instances` yet: {FALLBACK_INSTANCES} per data function (fallback)"


def plan_instances(override: Optional[int] = None) -> tuple[dict[str, int], str]:
    """function → k: the capacity model's `instances` (fallback 2), /v1/meta 1; `override` for all."""
    by_route, note = capacity_instances()
    plan = {}
    missing = []
    for route, fn in routes().items():
        if override is not None:
            plan[fn] = override
        elif route == "/v1/meta":
            plan[fn] = 1
        elif route in by_route:
            plan[fn] = by_route[route]
        else:
            plan[fn] = FALLBACK_INSTANCES
            if by_route:
                missing.append(route)
    if override is not None:
        note = f"--instances {override} for every function"
    elif missing:
        note += f"; not in the model, {FALLBACK_INSTANCES} each: {', '.join(missing)}"
    return plan, note


def _nodelay(sock: socket.socket) -> None:
    # Headers and body are separate writes: without this, Nagle + delayed ACK can stall 40 ms.
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when this Python process dies, however it dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# the Runtime API, one per function

@dataclass
class Invocation:
    event: bytes
    enqueued: float = field(default_factory=time.perf_counter)
    picked: float = 0.0
    answered: float = 0.0
    kind: str = ""  # "response" | "error"
    body: bytes = b""
    done: threading.Event = field(default_factory=threading.Event)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):  # a killed instance mid-request: no traceback
        pass


class RuntimeApi:
    """The Lambda Runtime API of one function: its queue of invocations, served to k instances."""

    def __init__(self, function: str):
        self.function = function
        self.queue: queue.Queue[Invocation] = queue.Queue()
        self.pending: dict[str, Invocation] = {}
        self.lock = threading.Lock()
        self.waiting = 0  # /next long-polls open now (instances ready for an invocation)
        self.nexts = 0  # /next calls so far
        self.init_errors: list[bytes] = []
        self.stopping = threading.Event()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name=f"rapi-{function}")

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def invoke(self, event: bytes, timeout: float) -> Invocation:
        """Queues the event; returns the invocation once an instance answered or `timeout` passed
        (then `kind` is empty)."""
        inv = Invocation(event)
        self.queue.put(inv)
        inv.done.wait(timeout)
        return inv

    def _handler(self):
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                _nodelay(self.connection)

            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: bytes = b"", headers: Optional[dict] = None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404, b'{"errorType":"NotFound"}')
                with api.lock:
                    api.waiting += 1
                    api.nexts += 1
                try:
                    inv = None
                    while inv is None and not api.stopping.is_set():
                        try:
                            inv = api.queue.get(timeout=0.5)
                        except queue.Empty:
                            pass
                finally:
                    with api.lock:
                        api.waiting -= 1
                if inv is None:
                    self.close_connection = True
                    return self._reply(500, b'{"errorType":"EmulatorStopped"}')
                request_id = str(uuid.uuid4())
                inv.picked = time.perf_counter()
                with api.lock:
                    api.pending[request_id] = inv
                self._reply(200, inv.event, {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + FUNCTION_TIMEOUT_MS),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        f"arn:aws:lambda:ap-northeast-1:123456789012:function:{api.function}",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path.split("/")
                # /2018-06-01/runtime/invocation/{id}/response|error
                if self.path.startswith(f"{PREFIX}/invocation/") and len(parts) == 6:
                    with api.lock:
                        inv = api.pending.pop(parts[4], None)
                    if inv is None:
                        return self._reply(400, b'{"errorType":"InvalidRequestID"}')
                    inv.answered = time.perf_counter()
                    inv.kind, inv.body = parts[5], body
                    inv.done.set()
                    return self._reply(202, b'{"status":"OK"}')
                if self.path == f"{PREFIX}/init/error":
                    api.init_errors.append(body)
                    return self._reply(202, b'{"status":"OK"}')
                return self._reply(404, b'{"errorType":"NotFound"}')

        return Handler


# ---------------------------------------------------------------------------------------------
# the gateway

@dataclass
class GatewayRecord:
    """One request through the gateway (times in ms)."""
    at: float  # time.time() when it arrived
    route: str
    status: int
    total_ms: float  # request read → response written
    queue_ms: float  # waiting for a free instance
    function_ms: float  # an instance's /next → its response POST


def api_gateway_event(method: str, path: str, route: str, query: str, headers: list[tuple[str, str]],
                      body: Optional[bytes], source_ip: str, request_id: Optional[str] = None) -> bytes:
    """A REST (v1) proxy event, as API Gateway sends one for stage `prod` (see events/*.json)."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in headers:
        single[k] = v
        multi.setdefault(k, []).append(v)
    for k, v in (("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"), ("X-Forwarded-Proto", "https")):
        if k not in single:
            single[k] = v
            multi[k] = [v]
    qs_single: dict[str, str] = {}
    qs_multi: dict[str, list[str]] = {}
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        qs_single[k] = v  # the last value, as API Gateway does
        qs_multi.setdefault(k, []).append(v)
    api_key = next((v for k, v in headers if k.lower() == "x-api-key"), None)
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    now_ms = int(time.time() * 1000)
    is_b64 = False
    text = None
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, is_b64 = base64.b64encode(body).decode(), True
    event = {
        "resource": route,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": qs_single or None,
        "multiValueQueryStringParameters": qs_multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local1",
            "resourcePath": route,
            "httpMethod": method,
            "extendedRequestId": base64.b64encode(os.urandom(12)).decode(),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "path": f"/{STAGE}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "local",
            "requestTimeEpoch": now_ms,
            "requestId": request_id or str(uuid.uuid4()),
            "identity": {
                "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
                "caller": None, "sourceIp": source_ip, "principalOrgId": None, "accessKey": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                "userArn": None, "userAgent": user_agent, "user": None,
                "apiKey": api_key, "apiKeyId": "local" if api_key else None,
            },
            "domainName": "127.0.0.1",
            "apiId": "local",
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }
    return json.dumps(event, separators=(",", ":")).encode()


class Gateway:
    """One loopback HTTP/1.1 server (keep-alive) in front of every function's Runtime API."""

    def __init__(self, apis_by_route: dict[str, RuntimeApi], require_api_key: bool = True):
        self.apis = apis_by_route
        self.require_api_key = require_api_key
        self.records: list[GatewayRecord] = []
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="gateway")

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        gw = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                _nodelay(self.connection)

            def log_message(self, *args):
                pass

            def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, request_id: str) -> None:
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("x-amzn-RequestId", request_id)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self):
                t0 = time.perf_counter()
                at = time.time()
                split = urllib.parse.urlsplit(self.path)
                path = split.path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                api = gw.apis.get(path)
                headers = list(self.headers.items())
                request_id = str(uuid.uuid4())
                queue_ms = function_ms = 0.0
                if api is None:
                    status, out_headers, out = 403, [("Content-Type", "application/json")], \
                        b'{"message":"Missing Authentication Token"}'
                elif gw.require_api_key and not self.headers.get("x-api-key"):
                    status, out_headers, out = 403, [("Content-Type", "application/json")], b'{"message":"Forbidden"}'
                else:
                    event = api_gateway_event(self.command, path, path, split.query, headers, body,
                                              self.client_address[0], request_id)
                    inv = api.invoke(event, GATEWAY_TIMEOUT_S)
                    if inv.kind == "response":
                        status, out_headers, out = self._from_lambda(inv.body)
                        queue_ms = (inv.picked - inv.enqueued) * 1000
                        function_ms = (inv.answered - inv.picked) * 1000
                    elif inv.kind == "error":
                        status, out_headers, out = 502, [("Content-Type", "application/json")], \
                            b'{"message":"Internal server error"}'
                    else:
                        status, out_headers, out = 504, [("Content-Type", "application/json")], \
                            b'{"message":"Endpoint request timed out"}'
                self._send(status, out_headers, out, request_id)
                gw.records.append(GatewayRecord(at, path, status, (time.perf_counter() - t0) * 1000,
                                                queue_ms, function_ms))

            @staticmethod
            def _from_lambda(raw: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                try:
                    r = json.loads(raw)
                    status = int(r.get("statusCode") or 200)
                except (ValueError, TypeError, AttributeError):
                    return 502, [("Content-Type", "application/json")], b'{"message":"Internal server error"}'
                merged: dict[str, list[str]] = {}
                for k, v in (r.get("headers") or {}).items():
                    merged[k.lower()] = [str(v)]
                for k, vs in (r.get("multiValueHeaders") or {}).items():
                    merged[k.lower()] = [str(v) for v in vs]
                headers = [(k, v) for k, vs in merged.items() if k not in HOP_BY_HOP for v in vs]
                text = r.get("body") or ""
                body = base64.b64decode(text) if r.get("isBase64Encoded") else text.encode()
                return status, headers, body

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

        return Handler


# ---------------------------------------------------------------------------------------------
# the cluster

class LambdaCluster:
    """Emulators, k processes per function and the gateway; a context manager."""

    def __init__(self, instances: dict[str, int], base_url: str, log_dir: pathlib.Path,
                 extra_env: Optional[dict[str, str]] = None, binaries: Optional[pathlib.Path] = None):
        self.instances = instances
        self.base_url = base_url
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.binaries = binaries or ROOT / "target" / "release"
        self.route_of = {fn: route for route, fn in routes().items()}
        self.apis: dict[str, RuntimeApi] = {}
        self.procs: dict[tuple[str, int], subprocess.Popen] = {}
        self.logs: list = []
        self.restarts: dict[str, int] = {}
        self.gateway: Optional[Gateway] = None
        self._stop = threading.Event()
        self._watchdog: Optional[threading.Thread] = None
        self.started_at = time.monotonic()

    @property
    def port(self) -> int:
        assert self.gateway is not None
        return self.gateway.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LambdaCluster":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _env(self, fn: str, i: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
        return {
            **keep,
            "AWS_LAMBDA_RUNTIME_API": self.apis[fn].address,
            "AWS_LAMBDA_FUNCTION_NAME": fn,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_LAMBDA_LOG_LEVEL": "INFO",
            "AWS_REGION": "ap-northeast-1",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            **{f"{v}_BASE_URL": self.base_url for v in VENUES},
            # Hyperliquid's info API and leaderboard (the wallet routes) are the stand-in's too.
            "HYPERLIQUID_BASE_URL": self.base_url,
            "HYPERLIQUID_STATS_URL": self.base_url,
            **self.extra_env,
        }

    def _spawn(self, fn: str, i: int) -> None:
        log = open(self.log_dir / f"{fn}-{i}.log", "ab")
        self.logs.append(log)
        self.procs[(fn, i)] = subprocess.Popen(
            [str(self.binaries / fn)], env=self._env(fn, i), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=_die_with_parent,
        )

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for fn in self.instances:
            for old in self.log_dir.glob(f"{fn}-*.log"):
                old.unlink()
        missing = [fn for fn in self.instances if not (self.binaries / fn).exists()]
        if missing:
            raise RuntimeError(f"no release binary for {', '.join(missing)} in {self.binaries}")
        self.started_at = time.monotonic()
        for fn in self.instances:
            self.apis[fn] = RuntimeApi(fn)
            self.apis[fn].start()
        self.gateway = Gateway({self.route_of[fn]: api for fn, api in self.apis.items()})
        self.gateway.start()
        for fn, k in self.instances.items():
            for i in range(k):
                self._spawn(fn, i)
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="watchdog")
        self._watchdog.start()

    def _watch(self) -> None:
        """Starts a new instance for any that exited (as Lambda would), while the cluster runs."""
        while not self._stop.wait(1.0):
            for (fn, i), p in list(self.procs.items()):
                if p.poll() is not None and not self._stop.is_set():
                    self.restarts[fn] = self.restarts.get(fn, 0) + 1
                    self._spawn(fn, i)

    def wait_started(self, timeout: float) -> dict[str, float]:
        """Until every process has started and polls /next (no invocation sent); seconds from
        spawning to all k of a function polling, per function. Raises after `timeout`."""
        t0 = self.started_at
        ready: dict[str, float] = {}
        while len(ready) < len(self.apis):
            for fn, api in self.apis.items():
                if fn not in ready and api.waiting >= self.instances[fn]:
                    ready[fn] = time.monotonic() - t0
                if api.init_errors:
                    raise RuntimeError(f"{fn}: init error {api.init_errors[0][:300]!r}")
            dead = [f"{fn}-{i}" for (fn, i), p in self.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"exited before their first /next: {', '.join(dead)} "
                                   f"(see {self.log_dir})")
            if time.monotonic() - t0 > timeout:
                late = [fn for fn in self.apis if fn not in ready]
                raise RuntimeError(f"not all instances polled /next within {timeout:.0f} s: {', '.join(late)}")
            time.sleep(0.05)
        return ready

    def close(self) -> None:
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(5)
        for p in self.procs.values():
            if p.poll() is None:
                try:
                    p.kill()
                except ProcessLookupError:
                    pass
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.gateway:
            self.gateway.stop()
        for api in self.apis.values():
            api.stop()
        for log in self.logs:
            log.close()
