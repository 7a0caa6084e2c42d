"""Timing requests: one client for every server, operations, interleaved rounds, results.

Every operation is a request and a check of its answer, the check left out of the timing.
A group of operations is measured in rounds: a batch of floor requests, then a batch of
each operation of the group, so that whatever else the machine is doing weighs on both;
each ratio is against the floor of its own group.
"""

import http.client
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> dict:
        return orjson.loads(self.body)


class Client:
    """One keep-alive HTTP/1.1 connection: the same client for the floor and for Relance."""

    # uvicorn closes a connection idle for 5 s; one idle this long is opened again first.
    IDLE_SECONDS = 3.0

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = headers or {}
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self._used = 0.0

    def connect(self) -> None:
        """Make sure the next request finds its connection open, outside any timing."""
        if time.monotonic() - self._used > self.IDLE_SECONDS:
            self._connection.close()
            self._connection.connect()
            self._used = time.monotonic()

    def send(self, method: str, path: str, body: dict | None = None) -> Response:
        """One request, its whole answer read."""
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        self._connection.request(method, path, body=payload, headers=headers)
        answer = self._connection.getresponse()
        response = Response(answer.status, answer.read())
        self._used = time.monotonic()
        return response

    def close(self) -> None:
        self._connection.close()


@dataclass(frozen=True)
class Target:
    """A bound on a figure: at most ``limit``, or at least; ``unit`` says how both read."""

    limit: float
    at_least: bool = False
    unit: str = "×"  # a ratio; "%": a fraction shown in percent; "MB": an absolute size

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def show(self, value: float, digits: int = 2) -> str:
        """``value`` in this target's unit."""
        if self.unit == "%":
            return f"{value * 100:.0f} %"
        if self.unit == "MB":
            return f"{value:.0f} MB"
        return f"{value:.{digits}f}×"

    def __str__(self) -> str:
        bound = "≥" if self.at_least else "≤"
        return f"{bound} {self.show(self.limit, 0) if self.unit != '×' else f'{self.limit:g}×'}"


@dataclass
class Operation:
    """A request to time, the check of its answer, and what to undo after it, untimed."""

    name: str
    client: Client
    send: Callable[[], Response]
    check: Callable[[Response], None]
    target: Target | None = None
    cleanup: Callable[[], None] | None = None
    path: str = ""  # a GET's path, for wrk


@dataclass
class Result:
    """One row of the table; latencies in ms, ``ratio`` against the floor unless noted."""

    operation: str
    p50: float | None
    p90: float | None
    p99: float | None
    floor_p50: float | None = None
    ratio: float | None = None
    target: Target | None = None
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.target.met(self.ratio)


def percentile(samples: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def expect(response: Response, status: int, what: str) -> dict:
    """The JSON body of a response that must have ``status``."""
    if response.status != status:
        raise AssertionError(f"{what}: {response.status} {response.body[:500]!r}")
    return response.json()


def timed(operation: Operation) -> float:
    """Milliseconds for one request of ``operation``; its answer checked afterwards."""
    operation.client.connect()
    started = time.perf_counter()
    response = operation.send()
    elapsed = (time.perf_counter() - started) * 1000
    operation.check(response)
    if operation.cleanup is not None:
        operation.cleanup()
    return elapsed


@dataclass(frozen=True)
class Sampling:
    """How many timings of each operation: ``samples``, in rounds of ``batch`` requests of
    each, with two time limits so that a slow operation cannot make the run take hours:
    past ``seconds`` a group stops once it has ``least`` samples, past ten times that once
    it has one. Rounds shrink to what fits a quarter of ``seconds``."""

    samples: int
    batch: int = 10
    seconds: float = 5.0
    least: int = 3

    def enough(self, taken: int, elapsed: float) -> bool:
        """Whether a group that took ``taken`` samples in ``elapsed`` seconds stops."""
        if taken >= self.samples:
            return True
        return (taken >= self.least and elapsed > self.seconds) or (
            taken >= 1 and elapsed > 10 * self.seconds
        )


def measure(
    floor: Operation, group: list[Operation], sampling: Sampling
) -> tuple[list[float], list[Result]]:
    """Timings of each operation of the group, in rounds interleaved with the floor;
    returns the floor's timings and a result per operation."""
    started = time.monotonic()
    # A warm-up request of each, and a first check of its answer.
    slowest = max(timed(operation) for operation in [floor, *group]) / 1000
    times: dict[str, list[float]] = {op.name: [] for op in [floor, *group]}
    while not sampling.enough(taken := len(times[floor.name]), time.monotonic() - started):
        fits = int(sampling.seconds / 4 / (slowest * len(group)))
        count = max(1, min(sampling.batch, sampling.samples - taken, fits))
        for operation in [floor, *group]:
            times[operation.name].extend(timed(operation) for _ in range(count))
    floor_p50 = percentile(times[floor.name], 50)
    results = []
    for operation in group:
        p50 = percentile(times[operation.name], 50)
        results.append(
            Result(
                operation.name,
                p50,
                percentile(times[operation.name], 90),
                percentile(times[operation.name], 99),
                floor_p50,
                p50 / floor_p50,
                operation.target,
                {"samples": len(times[operation.name])},
            )
        )
    return times[floor.name], results


def summary(name: str, samples: list[float], target: Target | None = None) -> Result:
    """A row of percentiles of ``samples``, with no ratio."""
    return Result(
        name,
        *(percentile(samples, p) for p in (50, 90, 99)),
        target=target,
        extra={"samples": len(samples)},
    )
