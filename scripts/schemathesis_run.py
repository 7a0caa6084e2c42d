"""Runs schemathesis against the vendor specs and Relance's own OpenAPI document (every
route but the operator's /admin), on a live Relance, once per database.

For each database it creates a demo tenant (EXPERT), serves Relance on a free loopback
port, points every ``{id}`` (Skipcall) and ``{sequence_id}`` (OpenCX, under /opencx) at the
demo sequence, made continuous, so that generated requests reach real data, and checks
that no response is a server error or breaks its documented schema.
On PostgreSQL it uses a database of its own beside the suite's, ``relance_schemathesis``,
made anew for each run: `make test` runs it while pytest runs, and the tests that purge,
count or migrate a whole database must not meet its tenant.
The spec is read through ``tests.spec.normalized`` (see that module for the one reading
it applies to the vendor's nullable fields).
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relance.secretbox import new_key  # noqa: E402
from tests.spec import normalized  # noqa: E402

BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,response_schema_conformance"
MAX_EXAMPLES = os.environ.get("RELANCE_SCHEMATHESIS_EXAMPLES", "60")
# Relance's own document has about three times the operations: fewer examples each.
OWN_MAX_EXAMPLES = os.environ.get("RELANCE_SCHEMATHESIS_OWN_EXAMPLES", "15")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _junit_report(filename: str) -> list[str]:
    """Where the test command collects JUnit reports to count what ran (scripts/test.sh)."""
    folder = os.environ.get("RELANCE_SCHEMATHESIS_REPORTS")
    if not folder:
        return []
    return ["--report", "junit", "--report-junit-path", str(Path(folder) / filename)]


def run_against(name: str, database_url: str, workdir: Path) -> int:
    env = {
        **os.environ,
        "RELANCE_DATABASE_URL": database_url,
        "RELANCE_RATE_LIMITS": '{"EXPERT": 1000000}',
        # Configured as an operator would: without a key, creating a webhook is a 503.
        "RELANCE_SECRET_KEY": os.environ.get("RELANCE_SECRET_KEY") or new_key(),
    }
    tenant = json.loads(
        subprocess.run(
            [BIN / "relance", "demo", "--json"], env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    port = free_port()
    server = subprocess.Popen(
        [BIN / "relance", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / f"{name}-server.log", "w"),  # noqa: SIM115
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {tenant['apiKey']}"}
        made_continuous = httpx.patch(
            f"{base}/v1/sequences/{tenant['sequenceId']}", json={"isContinuous": True}, headers=headers
        )
        made_continuous.raise_for_status()
        # Relance's own document: every route it serves, the extensions included. Its
        # admin routes need the operator's token, which this run does not have.
        own = httpx.get(f"{base}/openapi.json").json()
        own["paths"] = {p: o for p, o in own["paths"].items() if not p.startswith("/admin")}
        (workdir / "relance.json").write_text(json.dumps(own))
        failures = 0
        for spec, url, examples in (
            ("skipcall", base, MAX_EXAMPLES),
            ("opencx", f"{base}/opencx", MAX_EXAMPLES),
            ("relance", base, OWN_MAX_EXAMPLES),
        ):
            config = workdir / f"{name}-{spec}.toml"
            config.write_text(
                "[parameters]\n"
                f'"path.id" = "{tenant["sequenceId"]}"\n'
                f'"path.sequence_id" = "{tenant["sequenceId"]}"\n'
            )
            print(f"-- {name}: {spec}", flush=True)
            failures += subprocess.run(
                [
                    BIN / "schemathesis",
                    "--config-file",
                    config,
                    "run",
                    workdir / f"{spec}.json",
                    "--url",
                    url,
                    "-H",
                    f"Authorization: Bearer {tenant['apiKey']}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    examples,
                    "--seed",
                    "20261123",
                    "--no-color",
                    # One worker: parallel workers have crashed inside the tool itself
                    # (CPython's ast in threads), never on a response.
                    "--workers",
                    "1",
                    *_junit_report(f"schemathesis-{name}-{spec}.xml"),
                ],
                check=False,
                cwd=workdir,  # schemathesis writes its cache in the working directory
            ).returncode != 0
        return failures
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.returncode not in (0, -15):
            print((workdir / f"{name}-server.log").read_text()[-4000:])


def own_postgres_database(url: str, name: str = "relance_schemathesis") -> str:
    """A new, empty database ``name`` on the server of ``url`` (dropped first if there)."""

    async def create() -> None:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return f"{url.rpartition('/')[0]}/{name}"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "skipcall.json").write_text(json.dumps(normalized("skipcall-sequences.yaml")))
        (workdir / "opencx.json").write_text(json.dumps(normalized("opencx-sequences.yaml")))
        targets = {"sqlite": f"sqlite+aiosqlite:///{workdir / 'schemathesis.db'}"}
        if os.environ.get("RELANCE_TEST_POSTGRES_URL"):
            targets["postgresql"] = own_postgres_database(os.environ["RELANCE_TEST_POSTGRES_URL"])
        failures = [name for name, url in targets.items() if run_against(name, url, workdir) != 0]
    if failures:
        print(f"schemathesis found problems on: {', '.join(failures)}")
        return 1
    print(f"schemathesis: no server error and no schema violation on {', '.join(targets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
