"""The README's walk-through runs as written against `make demo` (scripts/demo.sh), on both
databases, so that the README cannot drift from what Relance does."""

import os
import re
import select
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import database_url
from tests.test_admin_and_cli import free_port

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
EXPORT = re.compile(r"^\s*(export [A-Z]+=\S+(?: [A-Z]+=\S+)*)\s*$")
# Every request of the walk-through must succeed: a 4xx or 5xx stops the script.
STRICT_CURL = 'curl() { command curl --fail-with-body "$@"; }\n'


def walk_through_blocks() -> list[str]:
    """The ```sh blocks of the README from "## Walk-through" to the next "## " section."""
    section = README[README.index("## Walk-through\n") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def demo_env(tmp_path: Path, backend: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    env.update(PORT=str(port), RELANCE_DATABASE_URL=database_url(backend, tmp_path), PYTHONUTF8="1")
    return env


def start_demo(env: dict[str, str]) -> tuple[subprocess.Popen, list[str]]:
    """`make demo`'s script, running: the process and the export lines it printed."""
    demo = subprocess.Popen(
        ["bash", "scripts/demo.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    exports: list[str] = []
    printed: list[str] = []
    deadline = time.monotonic() + 240
    base = f"http://127.0.0.1:{env['PORT']}"
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            pytest.fail("make demo stopped:\n" + "".join(printed) + demo.stdout.read())
        ready, _, _ = select.select([demo.stdout], [], [], 0.5)
        if ready:
            line = demo.stdout.readline()
            printed.append(line)
            if match := EXPORT.match(line):
                exports.append(match.group(1))
            if line.startswith("Interactive docs") and not exports:
                demo.kill()
                pytest.fail("make demo printed no export lines:\n" + "".join(printed))
        if exports:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return demo, exports
            except httpx.HTTPError:
                pass
    demo.kill()
    pytest.fail("make demo did not serve in time:\n" + "".join(printed))


def stop(demo: subprocess.Popen) -> None:
    demo.terminate()
    try:
        demo.wait(timeout=20)
    except subprocess.TimeoutExpired:
        demo.kill()
        demo.wait()


def test_the_walk_through_runs_as_written_against_the_demo(tmp_path, backend) -> None:
    port = free_port()
    demo, exports = start_demo(demo_env(tmp_path, backend, port))
    try:
        assert len(exports) == 2
        assert exports[0].startswith(f"export API=http://127.0.0.1:{port} KEY=sk_")
        assert re.fullmatch(r"export SEQ=\S+ ME=\S+ REP=\S+", exports[1])
        blocks = walk_through_blocks()
        assert len(blocks) == 2
        script = "set -euo pipefail\n" + STRICT_CURL + "\n".join(exports) + "\n" + "\n".join(blocks)
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        stop(demo)
    out = result.stdout
    # What the README's comments announce.
    assert out.count('{"added":2}') == 1 and '{"added":1}' in out
    assert '{"removed":1}' in out
    assert '"outcome":"created_and_added"' in out and '"outcome":"filtered"' in out
    assert '"error"' not in out


def test_a_busy_port_is_reported_before_a_second_tenant_is_created(tmp_path) -> None:
    env = demo_env(tmp_path, "sqlite", free_port())
    with socket.create_server(("127.0.0.1", int(env["PORT"]))):
        result = subprocess.run(
            ["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 1
    assert f"port {env['PORT']} is already in use" in result.stderr
    assert "PORT=" in result.stderr
    assert not (tmp_path / "relance-test.db").exists()  # nothing was created
