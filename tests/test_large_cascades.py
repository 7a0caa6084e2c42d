"""A change that cascades over a whole sequence writes as many rows as it must, on both
databases: deleting a sequence records one ``removed`` event per active contact, more
rows than one statement's parameters can hold (PostgreSQL's protocol takes 32,767)."""

import uuid
from datetime import timedelta

from sqlalchemy import func, insert, select

from relance.db.models import Contact, SequenceContact
from relance.db.models_webhooks import Event

# Events have five columns: past 32,767 / 5 rows, one multi-row INSERT cannot hold them.
ACTIVE = 7_000


def _copy(row: object, **changes: object) -> dict:
    table = type(row).__table__  # type: ignore[attr-defined]
    return {**{c.key: getattr(row, c.key) for c in table.columns}, **changes}


async def test_deleting_a_sequence_of_thousands_records_an_event_for_each_contact(
    tenants, database
) -> None:
    tenant = await tenants.create()
    [contact_id] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact_id])
    async with database.unscoped_session() as session:
        contact = await session.scalar(select(Contact).where(Contact.id == uuid.UUID(contact_id)))
        enrolment = await session.scalar(
            select(SequenceContact).where(SequenceContact.contact_id == uuid.UUID(contact_id))
        )
        contacts, enrolments = [], []
        for n in range(1, ACTIVE):
            copy_id = uuid.uuid4()
            contacts.append(_copy(contact, id=copy_id, email=None, email_key=None))
            enrolments.append(
                _copy(
                    enrolment,
                    id=uuid.uuid4(),
                    contact_id=copy_id,
                    created_at=enrolment.created_at + timedelta(microseconds=n * 1000),
                )
            )
        await session.execute(insert(Contact), contacts)
        await session.execute(insert(SequenceContact), enrolments)
    response = await tenant.delete(f"/v1/sequences/{sequence_id}")
    assert response.status_code == 204, response.text
    async with database.unscoped_session(write=False) as session:
        removed = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.workspace_id == uuid.UUID(tenant.workspace_id),
                Event.type == "sequence_contact.removed",
            )
        )
    assert removed == ACTIVE
