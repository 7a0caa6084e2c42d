"""Real PostgreSQL, Redis and `relance serve` processes of a test's own, on loopback.

The suite's shared servers (started by `make test`) must never be stopped or paused, so
the tests that take a dependency down start a throwaway one here: a PostgreSQL cluster
(initdb takes about a second), a Redis, and Relance servers against them. Every wait is
bounded; every process is stopped by the fixture that started it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REPO = Path(__file__).resolve().parents[1]


def counter(exposition: str, name: str, **labels: str) -> float:
    """The value of one series of a Prometheus exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in exposition.splitlines():
        series, _, value = line.rpartition(" ")
        if series.startswith(name + "{"):
            found = ",".join(sorted(series[len(name) + 1 : -1].split(",")))
            if found == wanted:
                return float(value)
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: run its commands as the postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _signal_tree(pid: int, sig: signal.Signals) -> None:
    """``sig`` to a process and every descendant (a paused server must not answer at all)."""
    for child in _children(pid):
        _signal_tree(child, sig)
    os.kill(pid, sig)


class Postgres:
    """A PostgreSQL cluster of one test: start, stop, pause, resume."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        self.directory = directory = Path(tempfile.mkdtemp(prefix="relance-pg-"))
        directory.chmod(0o755)
        self.data = directory / "pg"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://relance@127.0.0.1:{self.port}/relance"
        self.data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
            shutil.chown(self.data, "postgres")
        subprocess.run(
            [*_as_postgres(), PG_BIN / "initdb", "-D", self.data, "-U", "relance",
             "--auth=trust", "-E", "UTF8"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.start()
        subprocess.run(
            [PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "relance",
             "relance"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*_as_postgres(), PG_BIN / "pg_ctl", "-D", self.data, *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c max_connections=100"
        self._ctl("-l", str(self.directory / "pg.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        """Stopped at once, as by a crash: connections are cut, nothing is flushed politely."""
        self._ctl("-m", "immediate", "-w", "stop")

    @property
    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def pause(self) -> None:
        """Hung: every PostgreSQL process stopped, sockets open, nothing answers."""
        _signal_tree(self.postmaster_pid, signal.SIGSTOP)

    def resume(self) -> None:
        _signal_tree(self.postmaster_pid, signal.SIGCONT)

    def close(self) -> None:
        try:
            self.resume()
        except (OSError, ValueError):
            pass
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


class Redis:
    """A Redis of one test: start, stop, pause, resume."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None:
            self.resume()
            self.stop()


class RelanceServer:
    """`relance serve` in a process of its own, its log in a file."""

    def __init__(self, directory: Path, env: dict[str, str], *, workers: int = 1) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / f"relance-{self.port}.log"
        self.env = {**os.environ, "PYTHONPATH": str(REPO / "src"), **env}
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True) -> "RelanceServer":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "relance.cli", "serve", "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
            )  # fmt: skip
        if wait:
            self.wait_until_serving()
        return self

    def wait_until_serving(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"relance serve exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"relance serve did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def accepted_connections(self) -> int:
        """How many TCP connections to its port the server's processes have accepted (held
        open as file descriptors; a connection still in the listen backlog is not one)."""
        assert self.process is not None
        inodes: set[str] = set()
        pending = [self.process.pid]
        while pending:
            pid = pending.pop()
            pending += _children(pid)
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
        port = f"{self.port:04X}"
        established = 0
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if local.endswith(f":{port}") and state == "01" and inode in inodes:
                established += 1
        return established

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout_s)

    def close(self) -> None:
        """Killed with its worker processes: with ``--workers`` they are children of their
        own, which outlive a killed parent."""
        if self.process is not None and self.process.poll() is None:
            tree, pending = [], [self.process.pid]
            while pending:
                tree.append(pid := pending.pop())
                pending += _children(pid)
            for pid in tree:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(10)
