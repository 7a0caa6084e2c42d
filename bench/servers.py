"""The processes the benchmark starts and measures: the floor, ``relance serve``, and wrk."""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# High enough that no benchmark request is ever refused: the limiter still runs.
RATE_LIMITS = '{"STARTER": 1000000000, "INTERMEDIAIRE": 1000000000, "EXPERT": 1000000000}'


def free_port() -> int:
    """A TCP port nothing listens on, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on a port of loopback, its output in a log file."""

    def __init__(self, name: str, argv: list[str], *, log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.log = log_dir / f"{name}.log"
        # This checkout's code, whatever the environment has installed.
        pythonpath = os.pathsep.join(
            [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
        )
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*argv, "--port", str(self.port)],
                cwd=ROOT,
                env={**clean, **env, "PYTHONPATH": pythonpath.rstrip(os.pathsep)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, path: str, *, timeout: float = 120.0) -> None:
        """Block until ``GET path`` answers 200; raise with the log's end if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}):\n{self.tail()}"
                )
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s:\n{self.tail()}")

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kilobytes = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))
        return kilobytes / 1024

    def tail(self, lines: int = 30) -> str:
        """The end of the server's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_floor(log_dir: Path) -> Server:
    """The floor app (``bench.floor``), ready."""
    server = Server("floor", [sys.executable, "-m", "bench.floor"], log_dir=log_dir, env={})
    server.wait_ready("/floor")
    return server


def start_relance(log_dir: Path, database_url: str, name: str) -> Server:
    """``relance serve`` on ``database_url``, one worker, ready."""
    server = Server(
        name,
        [sys.executable, "-m", "relance.cli", "serve"],
        log_dir=log_dir,
        env={"RELANCE_DATABASE_URL": database_url, "RELANCE_RATE_LIMITS": RATE_LIMITS},
    )
    server.wait_ready("/healthz")
    return server


@dataclass(frozen=True)
class Throughput:
    """One wrk run: requests per second and latency percentiles under load, in ms."""

    requests_per_second: float
    p50: float
    p90: float
    p99: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(
    port: int, path: str, headers: dict[str, str], *, seconds: int, connections: int
) -> Throughput:
    """Load ``path`` with wrk, one thread; raise if any response was not 2xx or 3xx."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (scripts/bench.sh installs it with apt)")
    # A request slower than wrk's default 2 s timeout is slow, not an error: count it.
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*argv, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    problems = re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", output)
    if problems:
        raise RuntimeError(f"wrk on {path}: {'; '.join(problems)}\n{output}")
    latency = {
        int(p): float(v) * _UNITS[unit]
        for p, v, unit in re.findall(
            r"^\s+(50|90|99)(?:\.\d+)?%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M
        )
    }
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rate is None or len(latency) != 3:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return Throughput(float(rate.group(1)), latency[50], latency[90], latency[99])
