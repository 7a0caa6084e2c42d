"""SQLite has no statistics: its planner picks an index by shape. The queries that run for
every enrolment must use an index that narrows to the contact's own rows, whatever the
tenant filter adds (a plan that walked a workspace's calls made an add of 100 contacts
take seconds on a sequence with a history)."""

import asyncio
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import event

from relance.db.migrate import upgrade_to_head
from relance.enrolments import status_repository as repository
from relance.plans import Plan
from relance.sequences import repository as sequences_repository
from relance.tenancy.database import Database
from relance.tenancy.scope import TenantScope


async def _plans_of_calls_queries() -> list[tuple[str, list[str]]]:
    """Each SELECT touching calls of a status refresh and a list page, with its plan."""
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'plans.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    database = Database(url)
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if " calls" in statement and statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    scope = TenantScope(organization_id=uuid.uuid4(), plan=Plan.EXPERT, workspace_ids=(uuid.uuid4(),))
    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with database.scoped_session(scope) as session:
            await repository.status_facts(session, enrolment_ids=[uuid.uuid4()], under_way=["RINGING"])
            await sequences_repository.contacts_page(
                session, sequence_id=uuid.uuid4(), status=None, tag_id=None, offset=0, limit=50, total=50
            )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    plans = []
    async with database.engine.connect() as conn:
        for statement, parameters in captured:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append((statement, [row[-1] for row in rows]))
    await database.dispose()
    return plans


async def test_the_calls_of_one_contact_are_found_by_its_own_index() -> None:
    plans = await _plans_of_calls_queries()
    assert len(plans) == 2
    for statement, plan in plans:
        searches = [step for step in plan if "calls" in step and ("SEARCH" in step or "SCAN" in step)]
        assert searches, plan
        for step in searches:
            assert "sequence_id=? AND contact_id=?" in step, (statement[:120], plan)


async def _plans_of_a_tag_page() -> list[tuple[str, list[str]]]:
    """The plan of every SELECT of a ``?tag=`` page: its total, and the page read from the
    front and from the end (a page past the middle)."""
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'plans.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    database = Database(url)
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    scope = TenantScope(organization_id=uuid.uuid4(), plan=Plan.EXPERT, workspace_ids=(uuid.uuid4(),))
    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with database.scoped_session(scope) as session:
            await sequences_repository.list_header(session, sequence_id=uuid.uuid4(), status=None, tag_key="hot")
            for offset in (0, 900):
                await sequences_repository.contacts_page(
                    session, sequence_id=uuid.uuid4(), status=None, tag_id=uuid.uuid4(), offset=offset,
                    limit=50, total=1000,
                )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    plans = []
    async with database.engine.connect() as conn:
        for statement, parameters in captured:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append((statement, [row[-1] for row in rows]))
    await database.dispose()
    return plans


async def test_a_tag_page_is_a_range_of_the_tag_rows_index_in_the_list_order() -> None:
    """``?tag=`` reads its page from the tag rows' index on (tag, sequence, the enrolment's
    createdAt and id) alone, already in order, and its total is one row of the counts."""
    [(_, total), *pages] = await _plans_of_a_tag_page()
    assert len(pages) == 2
    assert not any("sequence_contact_tags" in step for step in total), total
    for statement, plan in pages:
        # The page's window, before it is joined to its contacts and what they show.
        [materialize] = [step for step in plan if step.startswith("MATERIALIZE ")]
        name = materialize.removeprefix("MATERIALIZE ")
        window = plan[plan.index(materialize) : plan.index(f"SCAN {name}")]
        tag_rows = [step for step in window if "sequence_contact_tags" in step]
        assert tag_rows == [
            "SEARCH sequence_contact_tags USING COVERING INDEX ix_sequence_contact_tags_active_order "
            "(tag_id=? AND sequence_id=?)"
        ], (statement[:200], plan)
        # The page's rows come in the index's order: only the page itself (at most a
        # limit's worth of rows, once joined to its contacts) is sorted.
        assert not any("TEMP B-TREE" in step for step in window), plan
