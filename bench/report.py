"""The benchmark's output: a markdown table, and the same figures as JSON with the machine."""

import json
import os
import platform
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.dataset import Tally
from bench.load import Dataset
from bench.measure import Result, Target

HEADER = [
    "operation",
    "database",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "n",
    "floor p50 ms",
    "ratio",
    "target",
    "result",
]


def machine(postgresql_version: str | None) -> dict:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgresql_version,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _cells(result: Result, database: str) -> list[str]:
    """One row of the table."""
    shown = result.target or Target(0)
    ratio = "" if result.ratio is None else shown.show(result.ratio)
    verdict = {True: "PASS", False: "**FAIL**", None: ""}[result.passed]
    return [
        result.operation,
        database,
        _ms(result.p50),
        _ms(result.p90),
        _ms(result.p99),
        str(result.extra.get("samples", "")),
        _ms(result.floor_p50),
        ratio,
        "" if result.target is None else str(result.target),
        verdict,
    ]


def table(results: dict[str, list[Result]]) -> str:
    """Every database's results as one markdown table."""
    rows = [HEADER, ["---", "---"] + ["---:"] * 6 + ["---", "---"]]
    rows += [_cells(r, database) for database, rs in results.items() for r in rs]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _tally(tally: Tally) -> dict:
    return {
        "rows": tally.rows,
        "active": tally.active,
        "by_status": {k or "null": v for k, v in sorted(tally.by_status.items(), key=str)},
        "by_tag": dict(sorted(tally.by_tag.items())),
    }


def write_json(
    path: Path,
    *,
    database: str,
    contacts: int,
    results: list[Result],
    dataset: Dataset,
    settings: dict,
    postgresql_version: str | None,
) -> None:
    """The run's figures for one database, with the machine and the data loaded."""
    document = {
        "database": database,
        "contacts": contacts,
        "machine": machine(postgresql_version),
        "settings": settings,
        "load": {
            "seconds": round(dataset.seconds, 1),
            "big": _tally(dataset.big),
            "small": _tally(dataset.small),
            "spare": len(dataset.spare),
        },
        "results": [
            {
                "operation": r.operation,
                "p50_ms": r.p50,
                "p90_ms": r.p90,
                "p99_ms": r.p99,
                "floor_p50_ms": r.floor_p50,
                "ratio": r.ratio,
                "target": None if r.target is None else {**asdict(r.target), "text": str(r.target)},
                "passed": r.passed,
                **r.extra,
            }
            for r in results
        ],
        "passed": all(r.passed is not False for r in results),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
