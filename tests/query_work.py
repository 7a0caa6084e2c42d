"""What a statement makes the database do, for the tests that check a query's work does
not grow with data it should not read. On SQLite, counted in its virtual machine's
steps: its planner picks an index by the statement's shape, whatever the data (it keeps
no statistics), so a test's few hundred rows show the plan a million would get. On
PostgreSQL, whose planner goes by statistics, the tables a plan reads and how."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from relance.tenancy.database import Database


@contextmanager
def captured(database: Database, wanted: Callable[[str], bool]) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) the engine runs meanwhile that ``wanted``."""
    seen: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if wanted(statement):
            seen.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)


def counted(raw: sqlite3.Connection, statement: str, parameters: Any) -> int:
    """The virtual machine steps of running ``statement`` on ``raw`` and reading its rows."""
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    raw.set_progress_handler(step, 1)
    try:
        raw.execute(statement, parameters).fetchall()
    finally:
        raw.set_progress_handler(None, 0)
    return steps


def assert_unmoved_by(others: int, alone: int, among_others: int) -> None:
    """The steps with ``others`` rows it should not read grew by less than a third of a
    step for each: walking past each one would add several."""
    assert among_others < alone + others // 3, (alone, among_others)


def steps(database: Database, statement: str, parameters: Any) -> int:
    """``counted`` on a connection of its own: what the committed data makes it do now."""
    raw = sqlite3.connect(make_url(database.url).database)
    try:
        return counted(raw, statement, parameters)
    finally:
        raw.close()


def scans(plan: Any) -> list[dict]:
    """The nodes of an EXPLAIN (FORMAT JSON) plan that read a table, subplans included."""
    if isinstance(plan, list):
        return [scan for node in plan for scan in scans(node)]
    node = plan.get("Plan", plan)
    own = [node] if "Relation Name" in node else []
    return own + [scan for child in node.get("Plans", []) for scan in scans(child)]
