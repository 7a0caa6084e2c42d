"""Contacts deleted while they are being added to, resurrected in or removed from a sequence.

On PostgreSQL these are real races between two transactions on two connections; on SQLite
the writes are serialized, and the same assertions hold. After every round, each rep's
maintained load equals a recount of its active rows, and no request answered 5xx.
"""

import asyncio
import logging
import random
import uuid

from sqlalchemy import func, select

from relance.db.models import SequenceAssignee, SequenceContact
from tests.factory import Tenant

PAIRS = 120
AT_ONCE = 10


async def drift(database, sequence_ids: list[str]) -> dict:  # noqa: ANN001
    """(sequence, rep) -> (maintained load, recount), wherever the two differ."""
    ids = [uuid.UUID(s) for s in sequence_ids]
    async with database.unscoped_session(write=False) as session:
        loads = {
            (row.sequence_id, row.workspace_membership_id): row.active_load
            for row in await session.scalars(
                select(SequenceAssignee).where(SequenceAssignee.sequence_id.in_(ids))
            )
        }
        recount = select(
            SequenceContact.sequence_id, SequenceContact.assigned_to_workspace_membership_id, func.count()
        ).where(SequenceContact.deleted_at.is_(None), SequenceContact.sequence_id.in_(ids)).group_by(
            SequenceContact.sequence_id, SequenceContact.assigned_to_workspace_membership_id
        )
        counted = {(s, r): n for s, r, n in (await session.execute(recount)).all()}
    return {
        pair: (loads.get(pair, 0), counted.get(pair, 0))
        for pair in set(loads) | set(counted)
        if loads.get(pair, 0) != counted.get(pair, 0)
    }


def deadlocks(caplog) -> list[str]:  # noqa: ANN001
    """Transactions PostgreSQL aborted and the server ran again: the lock order should leave none."""
    return [r.getMessage() for r in caplog.records if "transient conflict" in r.getMessage()]


async def test_contact_deletes_racing_adds_resurrections_and_removes(tenants, database, caplog) -> None:
    caplog.set_level(logging.INFO, logger="relance")
    rng = random.Random(8)
    tenant: Tenant = await tenants.create()
    contacts = await tenant.contacts(PAIRS)
    kinds = ["fresh add", "resurrection", "remove"]
    plan = {contact: kinds[i % 3] for i, contact in enumerate(contacts)}
    # Every contact is in ``other``; all but the fresh adds were in ``target``, and the
    # resurrections were removed from it again.
    other = await tenant.sequence(contact_ids=contacts)
    target = await tenant.sequence(contact_ids=[c for c in contacts if plan[c] != "fresh add"])
    removed = [c for c in contacts if plan[c] == "resurrection"]
    response = await tenant.delete(f"/v1/sequences/{target}/contacts", json={"contactIds": removed})
    assert response.json() == {"removed": len(removed)}

    def change(contact: str):  # noqa: ANN202
        if plan[contact] == "remove":
            return tenant.delete(f"/v1/sequences/{target}/contacts", json={"contactIds": [contact]})
        return tenant.post(f"/v1/sequences/{target}/contacts", json={"contacts": [{"contactId": contact}]})

    async def race(contact: str) -> list:
        operations = [change(contact), tenant.delete(f"/v1/contacts/{contact}")]
        rng.shuffle(operations)
        return await asyncio.gather(*operations)

    answers = []
    order = list(contacts)
    rng.shuffle(order)
    for start in range(0, len(order), AT_ONCE):
        rounds = await asyncio.gather(*(race(c) for c in order[start : start + AT_ONCE]))
        answers += [response for pair in rounds for response in pair]
        assert await drift(database, [target, other]) == {}
    server_errors = [
        (r.request.method, r.request.url.path, r.status_code, r.text) for r in answers if r.status_code >= 500
    ]
    assert server_errors == []
    assert len(answers) == 2 * PAIRS
    assert {r.status_code for r in answers} <= {200, 201, 204, 404}
    for sequence_id in (target, other):
        body = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
        assert body["contactCount"] == 0, body
    assert deadlocks(caplog) == []


async def test_contact_deletes_racing_calls_tags_and_updates(tenants, database, caplog) -> None:
    """Everything that writes under a contact waits for its delete, or the delete for it."""
    caplog.set_level(logging.INFO, logger="relance")
    rng = random.Random(15)
    tenant: Tenant = await tenants.create()
    contacts = await tenant.contacts(PAIRS)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    tag = (await tenant.post("/v1/tags", json={"label": "Hot"})).json()["id"]
    calls = {}
    for contact in contacts:
        response = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": "RINGING"})
        calls[contact] = response.json()["id"]
    writers = {
        "move a call": (lambda c: tenant.patch(f"/v1/calls/{calls[c]}", json={"status": "COMPLETED"}), {200, 404}),
        "place a call": (
            lambda c: tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": c, "status": "BUSY"}),
            {201, 400},  # 400: no longer a contact of the sequence
        ),
        "replace its tags": (
            lambda c: tenant.put(f"/v1/sequences/{sequence_id}/contacts/{c}/tags", json={"tagIds": [tag]}),
            {200, 404},
        ),
        "change its numbers": (
            lambda c: tenant.patch(f"/v1/contacts/{c}", json={"lastName": "New", "phoneNumbers": []}),
            {200, 404},
        ),
    }
    kinds = sorted(writers)

    async def race(index: int, contact: str) -> list:
        write, allowed = writers[kinds[index % len(kinds)]]
        operations = [write(contact), tenant.delete(f"/v1/contacts/{contact}")]
        rng.shuffle(operations)
        answers = await asyncio.gather(*operations)
        return [(r, allowed | {204}) for r in answers]

    answers = []
    for start in range(0, PAIRS, AT_ONCE):
        rounds = await asyncio.gather(*(race(i, c) for i, c in enumerate(contacts[start : start + AT_ONCE], start)))
        answers += [answer for pair in rounds for answer in pair]
        assert await drift(database, [sequence_id]) == {}
    unexpected = [
        (r.request.method, r.request.url.path, r.status_code, r.text) for r, allowed in answers if r.status_code not in allowed
    ]
    assert unexpected == []
    assert deadlocks(caplog) == []
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 0
    assert (await tenant.get(f"/v1/calls?sequenceId={sequence_id}")).json()["total"] == 0
