"""OpenCX's "add contacts to a continuous sequence": by id, email or phone number.

Per item, in this order: resolve the contact (``not_found``, ``invalid``, a match, or a
creation); ``duplicate`` when an earlier item resolved the same contact; ``filtered`` when
the sequence's filter does not apply (a contact created by the item stays created); then
enrolment, shared with /v1: ``already_in_sequence``, ``resurrected``, ``added`` or
``created_and_added``. The whole request is one transaction and leaves a run.
"""

import enum
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relance.contacts import repository as contacts_repository
from relance.contacts import service as contacts_service
from relance.contacts.phones import InvalidPhoneNumber, to_e164
from relance.contacts.service import ContactInput, email_key
from relance.db.dialect import lock_workspace_contacts
from relance.db.models import Contact, ContinuousRun
from relance.db.types import utcnow
from relance.enrolments import service as enrolments
from relance.enrolments.service import EnrolmentRequest
from relance.errors import NotFound, ValidationFailed
from relance.opencx import repository
from relance.opencx.items import Item, read_items
from relance.sequences import filters
from relance.sequences.filters import ContactFacts


class Outcome(enum.StrEnum):
    ADDED = "added"
    RESURRECTED = "resurrected"
    CREATED_AND_ADDED = "created_and_added"
    ALREADY_IN_SEQUENCE = "already_in_sequence"
    FILTERED = "filtered"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    DUPLICATE = "duplicate"


@dataclass
class _Resolution:
    """Where one item stands while the request is processed."""

    outcome: Outcome | None = None
    contact_id: uuid.UUID | None = None
    creation: int | None = None  # index into the contacts this request creates


@dataclass
class _Creations:
    """Contacts this request creates, findable by the keys later items may carry."""

    inputs: list[ContactInput] = field(default_factory=list)
    by_email: dict[str, int] = field(default_factory=dict)
    by_number: dict[str, int] = field(default_factory=dict)

    def add(self, email: str | None, number: str | None, workspace_id: uuid.UUID) -> int:
        index = len(self.inputs)
        self.inputs.append(
            ContactInput(
                email=email, phone_numbers=[number] if number else [], workspace_id=workspace_id
            )
        )
        if email:
            self.by_email[email_key(email)] = index
        if number:
            self.by_number[number] = index
        return index


async def add_contacts(
    session: AsyncSession, *, sequence_id: uuid.UUID, raw_items: list[Any], default_region: str
) -> ContinuousRun:
    """Resolve, filter and enrol every item; return the run that records what happened."""
    items = read_items(raw_items)
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    if not sequence.is_continuous:
        raise ValidationFailed(
            "the sequence is not continuous (is_continuous is false)", at=("sequence_id",)
        )
    workspace_id = sequence.workspace_id
    await lock_workspace_contacts(session, workspace_id)

    numbers = [_e164(item.phone_number, default_region) for item in items]
    by_id = await repository.contacts_by_id(
        session, workspace_id=workspace_id, ids={i.id for i in items if i.id}
    )
    by_email = await repository.oldest_by_email(
        session,
        workspace_id=workspace_id,
        email_keys={email_key(i.email) for i in items if i.email},
    )
    by_number = await repository.oldest_by_number(
        session, workspace_id=workspace_id, numbers={n for n in numbers if n}
    )

    creations = _Creations()
    resolutions: list[_Resolution] = []
    for item, number in zip(items, numbers, strict=True):
        resolutions.append(
            _resolve(item, number, by_id, by_email, by_number, creations, workspace_id)
        )

    created = await contacts_service.create_many(
        session, items=creations.inputs, default_region=default_region, batch="contacts"
    )
    created_ids = [view.contact.id for view in created]
    # Only a filter reads the facts; without one, their query and number parsing are skipped.
    sequence_filter = None if sequence.filter is None else filters.parse(sequence.filter)
    facts = (
        {}
        if sequence_filter is None
        else await _facts(
            session, [*by_id.values(), *by_email.values(), *by_number.values()], created
        )
    )

    seen: set[uuid.UUID] = set()
    to_enrol: list[_Resolution] = []
    for resolution in resolutions:
        if resolution.creation is not None:
            resolution.contact_id = created_ids[resolution.creation]
        if resolution.outcome is not None:
            continue
        # Without an outcome yet, the item was matched to a contact or created one.
        assert resolution.contact_id is not None
        if resolution.contact_id in seen:
            resolution.outcome = Outcome.DUPLICATE
        elif sequence_filter is not None and not sequence_filter.matches(
            facts[resolution.contact_id]
        ):
            resolution.outcome = Outcome.FILTERED
        else:
            to_enrol.append(resolution)
        seen.add(resolution.contact_id)

    result = await enrolments.enrol(
        session,
        sequence=sequence,
        requests=[EnrolmentRequest(r.contact_id) for r in to_enrol if r.contact_id is not None],
        field="contacts",
    )
    for resolution in to_enrol:
        if resolution.contact_id in result.added:
            resolution.outcome = (
                Outcome.CREATED_AND_ADDED if resolution.creation is not None else Outcome.ADDED
            )
        elif resolution.contact_id in result.resurrected:
            resolution.outcome = Outcome.RESURRECTED
        else:
            resolution.outcome = Outcome.ALREADY_IN_SEQUENCE

    run = ContinuousRun(
        workspace_id=workspace_id,
        sequence_id=sequence.id,
        items=[_stored(raw, r) for raw, r in zip(raw_items, resolutions, strict=True)],
        created_at=utcnow(),
    )
    await repository.insert_run(session, run)
    return run


def _stored(raw: Any, resolution: _Resolution) -> dict[str, Any]:
    """One item of a run as stored; every item has its outcome by the time it is stored."""
    assert resolution.outcome is not None
    return {
        "input": raw,
        "outcome": resolution.outcome.value,
        "contact_id": None if resolution.contact_id is None else str(resolution.contact_id),
    }


async def get_run(session: AsyncSession, *, run_id: uuid.UUID) -> ContinuousRun:
    """One run; 404 when unknown, purged or out of scope."""
    run = await repository.get_run(session, run_id)
    if run is None:
        raise NotFound("Run not found")
    return run


def counts(run: ContinuousRun) -> dict[str, int]:
    """How many items had each outcome, every outcome listed."""
    totals = {outcome.value: 0 for outcome in Outcome}
    for item in run.items:
        totals[item["outcome"]] += 1
    return totals


async def purge_runs(session: AsyncSession, *, retention_days: int) -> int:
    """Delete runs older than the retention period; returns how many."""
    return await repository.delete_runs_before(session, utcnow() - timedelta(days=retention_days))


def _resolve(
    item: Item,
    number: str | None,
    by_id: dict[uuid.UUID, Contact],
    by_email: dict[str, Contact],
    by_number: dict[str, Contact],
    creations: _Creations,
    workspace_id: uuid.UUID,
) -> _Resolution:
    """Match an item to a contact, or plan its creation. Matching never changes a contact."""
    if item.id is not None:
        contact = by_id.get(item.id)
        return (
            _Resolution(Outcome.NOT_FOUND)
            if contact is None
            else _Resolution(contact_id=contact.id)
        )
    if item.email is not None:
        key = email_key(item.email)
        if key in by_email:
            return _Resolution(contact_id=by_email[key].id)
        if key in creations.by_email:
            return _Resolution(creation=creations.by_email[key])
    if number is not None:
        if number in by_number:
            return _Resolution(contact_id=by_number[number].id)
        if number in creations.by_number:
            return _Resolution(creation=creations.by_number[number])
    if item.email is None and number is None:
        return _Resolution(Outcome.INVALID)
    return _Resolution(creation=creations.add(item.email, number, workspace_id))


def _e164(raw: str | None, default_region: str) -> str | None:
    if raw is None:
        return None
    try:
        return to_e164(raw, default_region=default_region)
    except InvalidPhoneNumber:
        return None


async def _facts(
    session: AsyncSession, matched: list[Contact], created: list[contacts_service.ContactView]
) -> dict[uuid.UUID, ContactFacts]:
    """What the filter sees of every resolved contact, the numbers of matched ones in one query."""
    numbers = await contacts_repository.phone_numbers_of(session, {c.id for c in matched})
    facts = {c.id: ContactFacts.of(c, [n.number for n in numbers.get(c.id, [])]) for c in matched}
    for view in created:
        facts[view.contact.id] = ContactFacts.of(
            view.contact, [n.number for n in view.phone_numbers]
        )
    return facts
