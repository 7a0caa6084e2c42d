"""Starts real ``relance`` commands (serve, worker) fast: a process that has imported
Relance once forks a child per command, which runs ``relance.cli.main()`` as the
``relance`` executable would. On a busy machine importing Relance takes seconds; a fork
takes milliseconds, so that a test can crash and restart a server twenty times.

Protocol, one JSON object per line on stdin: ``{"args": [...], "env": {...}, "log": path}``;
the pid of the child is answered on stdout. Nothing runs an event loop before the fork.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.realparts import REPO


def _reap(*_: object) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def serve_forever() -> None:
    import uvicorn  # noqa: F401 - imported before the fork, like the rest
    import uvloop  # noqa: F401

    import relance.api.app  # noqa: F401
    import relance.cli
    import relance.webhooks.dispatcher  # noqa: F401

    signal.signal(signal.SIGCHLD, _reap)
    for line in sys.stdin:
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(log, 1)
            os.dup2(log, 2)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.environ.update(order["env"])
            sys.argv = ["relance", *order["args"]]
            code = 0
            try:
                relance.cli.main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            finally:
                os._exit(code)
        print(pid, flush=True)


class Zygote:
    """The forking parent, for one test."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.zygote import serve_forever; serve_forever()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
            env={**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}", **env},
        )  # fmt: skip
        self.children: list[int] = []

    def start(self, args: list[str], *, env: dict[str, str], log: Path) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "env": env, "log": str(log)}) + "\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline())
        self.children.append(pid)
        return pid

    @staticmethod
    def kill(pid: int) -> None:
        """``kill -9``; returns once the process is gone."""
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                return  # reaped
            if state == "Z":
                return
            time.sleep(0.01)

    def close(self) -> None:
        for pid in self.children:
            self.kill(pid)
        self.process.kill()
        self.process.wait(10)
