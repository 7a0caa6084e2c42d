"""A webhook receiver on loopback for the tests: a real HTTP server in a thread that
answers what the test scripts and keeps every request it got."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """``answers``: status codes for the first requests, in order (per path when a dict
    is given by ``script``); every later request gets ``default``."""

    def __init__(self, *, default: int = 204, delay_s: float = 0.0) -> None:
        self.default = default
        self.delay_s = delay_s
        self.received: list[Received] = []
        self.arrived = 0  # requests begun, answered or not
        self._scripts: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.arrived += 1  # before the delay: a request under way
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                status = receiver._record(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, answers: list[int]) -> None:
        with self._lock:
            self._scripts[path] = list(answers)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.received.append(Received(path, {k.lower(): v for k, v in headers.items()}, body))
            answers = self._scripts.get(path)
            return answers.pop(0) if answers else self.default

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, *, timeout_s: float = 20.0, step_s: float = 0.05) -> None:  # noqa: ANN001
    """Poll ``condition`` (a callable) until true; AssertionError after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step_s)
    raise AssertionError("condition not met in time")


def wait_while_received(
    receiver: Receiver,
    condition,  # noqa: ANN001
    *,
    idle_s: float = 20.0,
    limit_s: float = 300.0,
    step_s: float = 0.05,
) -> None:
    """Poll ``condition`` until true, for as long as ``receiver`` keeps getting requests:
    AssertionError once it has had none for ``idle_s``, or after ``limit_s`` in all. A
    backlog that drains slowly on a busy machine is waited for; one that stopped with
    messages missing is not."""
    seen = len(receiver.received)
    limit = time.monotonic() + limit_s
    deadline = time.monotonic() + idle_s
    while time.monotonic() < min(deadline, limit):
        if condition():
            return
        time.sleep(step_s)
        now_seen = len(receiver.received)
        if now_seen != seen:
            seen, deadline = now_seen, time.monotonic() + idle_s
    raise AssertionError(
        f"condition not met; nothing received for {idle_s:g} s, or {limit_s:g} s passed"
    )
