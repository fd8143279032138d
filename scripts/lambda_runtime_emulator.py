"""A tiny Lambda Runtime API (2018-06-01) for benchmarking a function binary outside AWS.

Serves `GET /2018-06-01/runtime/invocation/next` from a queue of events, with the headers the
Rust runtime requires, and records every `POST .../invocation/{id}/response` (or `/error`) with
the time it arrived. Standard library only.

    with RuntimeApi() as api:
        api.push(event_bytes)
        proc = subprocess.Popen([binary], env={**api.lambda_env("positioning"), ...})
        done = api.wait_responses(1, timeout=10)
"""
from __future__ import annotations

import http.server
import itertools
import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

PREFIX = "/2018-06-01/runtime"
_STOP = object()


@dataclass
class Invocation:
    request_id: str
    status: str  # "response" or "error"
    body: bytes
    received: float  # time.perf_counter() when the POST arrived


class RuntimeApi:
    """One emulated Runtime API on 127.0.0.1:<free port>; one function process at a time."""

    def __init__(self, on_response: Optional[Callable[[int, Invocation], None]] = None):
        self.events: queue.Queue = queue.Queue()
        self.done: list[Invocation] = []
        self.first_next: Optional[float] = None
        self._on_response = on_response
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A benchmark kills the function mid-conversation on purpose: that is not worth a traceback.
        self._server.handle_error = lambda request, address: None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def lambda_env(self, function: str, memory_mb: int = 128) -> dict[str, str]:
        """What Lambda sets for a custom runtime (the Rust runtime refuses to start without these)."""
        return {
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/08/02/[$LATEST]bench",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        }

    def push(self, event: bytes, count: int = 1) -> None:
        for _ in range(count):
            self.events.put(event)

    def wait_responses(self, n: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.done) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def __enter__(self) -> "RuntimeApi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # Release any long-poll still waiting for an event, then stop serving.
        for _ in range(8):
            self.events.put(_STOP)
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real Runtime API

            def log_message(self, *args):  # quiet
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
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                event = api.events.get()
                if event is _STOP:
                    self.close_connection = True
                    return self._reply(500, b'{"errorType":"EmulatorStopped"}')
                request_id = f"bench-{next(api._ids):06d}"
                deadline_ms = int(time.time() * 1000) + 10_000
                self._reply(
                    200,
                    event,
                    {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:ap-northeast-1:123456789012:function:bench",
                        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                    },
                )

            def do_POST(self):
                received = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path.split("/")
                # /2018-06-01/runtime/invocation/{id}/response|error, or /runtime/init/error
                if self.path.startswith(f"{PREFIX}/invocation/") and len(parts) == 6:
                    inv = Invocation(parts[4], parts[5], body, received)
                    with api._cond:
                        api.done.append(inv)
                        n = len(api.done)
                    # Before acknowledging: the function is waiting for this reply, so whatever
                    # the callback reads (e.g. /proc/PID/status) is exactly after invocation n.
                    if api._on_response:
                        api._on_response(n, inv)
                    with api._cond:
                        api._cond.notify_all()
                    return self._reply(202, b'{"status":"OK"}')
                if self.path == f"{PREFIX}/init/error":
                    with api._cond:
                        api.done.append(Invocation("init", "init-error", body, received))
                        api._cond.notify_all()
                    return self._reply(202, b'{"status":"OK"}')
                return self._reply(404, b'{"errorType":"NotFound"}')

        return Handler


def api_gateway_event(path: str, query: dict[str, str], template: bytes) -> bytes:
    """A REST (v1) proxy event for `path?query`, from a checked-in event as the template."""
    e = json.loads(template)
    e["path"] = e["resource"] = path
    e["requestContext"]["resourcePath"] = path
    e["requestContext"]["path"] = f"/{e['requestContext'].get('stage', 'prod')}{path}"
    e["queryStringParameters"] = dict(query) or None
    e["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    return json.dumps(e).encode()
