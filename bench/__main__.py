"""``python -m bench``: load each database, serve it, time the operations against the floor.

For each database: a fresh schema, the data of ``bench.load`` checked against a recount,
then ``relance serve`` (one worker) on it, and every operation of ``bench.driver`` timed
over HTTP, interleaved with the floor app (``bench.floor``), which runs once for the whole
run. Prints one markdown table; writes ``bench/results/<database>-<N>.json``.
"""

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This checkout's code, even where the environment has another checkout installed.
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import driver, load, measure, report, servers  # noqa: E402
from relance.db.migrate import upgrade_to_head  # noqa: E402
from relance.tenancy.database import Database  # noqa: E402

RSS_LIMIT_MB = 300


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line; each option defaults to an environment variable."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0].split(": ", 1)[1]
    )
    parser.add_argument(
        "--contacts",
        type=int,
        default=int(env("BENCH_CONTACTS", "1000000")),
        help="enrolments in the big sequence (BENCH_CONTACTS)",
    )
    parser.add_argument(
        "--databases",
        default=env("BENCH_DATABASES", "sqlite,postgresql"),
        help="comma-separated: sqlite, postgresql (BENCH_DATABASES)",
    )
    parser.add_argument(
        "--postgres-url",
        default=env("RELANCE_BENCH_POSTGRES_URL"),
        help="a database whose name contains bench, emptied first (RELANCE_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=int(env("BENCH_SAMPLES", "60")),
        help="timed requests per operation (BENCH_SAMPLES)",
    )
    parser.add_argument(
        "--batch", type=int, default=10, help="requests per batch when interleaving with the floor"
    )
    parser.add_argument(
        "--operation-seconds",
        type=float,
        default=float(env("BENCH_OPERATION_SECONDS", "5")),
        help="time after which an operation stops at 3 samples (BENCH_OPERATION_SECONDS)",
    )
    parser.add_argument(
        "--wrk-seconds",
        type=int,
        default=int(env("BENCH_WRK_SECONDS", "10")),
        help="duration of each wrk run (BENCH_WRK_SECONDS)",
    )
    parser.add_argument(
        "--results", type=Path, default=ROOT / "bench" / "results", help="where the JSON results go"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown databases: {', '.join(sorted(unknown))}")
    if "postgresql" in args.databases and not args.postgres_url:
        parser.error("postgresql needs --postgres-url or RELANCE_BENCH_POSTGRES_URL")
    return args


async def reset_postgres(url: str) -> str:
    """Empty the benchmark's database (its name must say bench); returns the server version."""
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to empty {name!r}: the benchmark's database must say bench")
    database = Database(url, timeout_s=3600)  # bulk loading and recounts: long on purpose
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            return str(await connection.scalar(text("SHOW server_version")))
    finally:
        await database.dispose()


async def load_and_check(url: str, contacts: int) -> load.Dataset:
    """The benchmark's data, loaded and recounted."""
    database = Database(url, timeout_s=3600)  # bulk loading and recounts: long on purpose
    try:
        dataset = await load.load(database, contacts=contacts)
        await load.check(database, dataset)
        return dataset
    finally:
        await database.dispose()


def bench(
    database: str, url: str, args: argparse.Namespace, floor: servers.Server, log_dir: Path
) -> tuple[list[measure.Result], load.Dataset, str | None]:
    """Load, serve and measure one database."""
    version = asyncio.run(reset_postgres(url)) if database == "postgresql" else None
    upgrade_to_head(url)
    print(f"{database}: loading {args.contacts:,} contacts", file=sys.stderr, flush=True)
    dataset = asyncio.run(load_and_check(url, args.contacts))
    print(f"{database}: loaded and checked in {dataset.seconds:.0f} s", file=sys.stderr, flush=True)
    server = servers.start_relance(log_dir, url, f"relance-{database}")
    try:
        results = driver.run(
            floor.port,
            server.port,
            dataset,
            database,
            sampling=measure.Sampling(args.samples, args.batch, args.operation_seconds),
            wrk_seconds=args.wrk_seconds,
        )
        rss = server.peak_rss_mb()
    except Exception:
        print(server.tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
    results.append(
        measure.Result(
            "peak RSS of the server (VmHWM)",
            None,
            None,
            None,
            None,
            rss,
            measure.Target(RSS_LIMIT_MB, unit="MB"),
        )
    )
    return results, dataset, version


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 if ``--strict`` and a target was missed."""
    args = arguments(argv)
    all_results: dict[str, list[measure.Result]] = {}
    with tempfile.TemporaryDirectory(prefix="relance-bench-") as tmp:
        log_dir = Path(tmp)
        floor = servers.start_floor(log_dir)
        try:
            for database in args.databases:
                url = (
                    f"sqlite+aiosqlite:///{log_dir / 'bench.db'}"
                    if database == "sqlite"
                    else args.postgres_url
                )
                results, dataset, version = bench(database, url, args, floor, log_dir)
                all_results[database] = results
                report.write_json(
                    args.results / f"{database}-{args.contacts}.json",
                    database=database,
                    contacts=args.contacts,
                    results=results,
                    dataset=dataset,
                    settings={
                        "samples": args.samples,
                        "batch": args.batch,
                        "operation_seconds": args.operation_seconds,
                        "wrk_seconds": args.wrk_seconds,
                    },
                    postgresql_version=version,
                )
        finally:
            floor.stop()
    print(
        f"\n{args.contacts:,} contacts in the big sequence; over HTTP, one worker; "
        f"ratios against the floor measured in the same run\n"
    )
    print(report.table(all_results))
    missed = any(r.passed is False for rs in all_results.values() for r in rs)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
