"""Contacts deleted while they are being added to, resurrected in or removed from a sequence.

On PostgreSQL these are real races between two transactions on two connections; on SQLite
the writes are serialized, and the same assertions hold. After every round, each rep's
maintained load equals a recount of its active rows, and no request answered 5xx.
"""

import asyncio
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


async def test_contact_deletes_racing_adds_resurrections_and_removes(tenants, database) -> None:
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
