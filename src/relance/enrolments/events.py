"""The events of enrolments (``events.outbox``): a contact added to a sequence, removed
from it, its derived status moved, its state moved (paused, resumed, finished). Recorded
by ``enrolments.service``, ``enrolments.statuses`` and ``enrolments.states`` in the
transaction of the change."""

import uuid
from dataclasses import dataclass

from relance.events.outbox import EventType, NewEvent, text


@dataclass(frozen=True)
class Enrolled:
    workspace_id: uuid.UUID
    sequence_id: uuid.UUID
    enrolment_id: uuid.UUID
    contact_id: uuid.UUID
    assignee_id: uuid.UUID
    resurrected: bool


def added(row: Enrolled, status: str | None) -> NewEvent:
    return NewEvent(
        row.workspace_id,
        EventType.SEQUENCE_CONTACT_ADDED,
        {
            "sequenceId": text(row.sequence_id),
            "sequenceContactId": text(row.enrolment_id),
            "contactId": text(row.contact_id),
            "assignedToWorkspaceMembershipId": text(row.assignee_id),
            "status": status,
            "resurrected": row.resurrected,
        },
    )


def removed(
    *,
    workspace_id: uuid.UUID,
    sequence_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    contact_id: uuid.UUID,
) -> NewEvent:
    return NewEvent(
        workspace_id,
        EventType.SEQUENCE_CONTACT_REMOVED,
        {
            "sequenceId": text(sequence_id),
            "sequenceContactId": text(enrolment_id),
            "contactId": text(contact_id),
        },
    )


def status_changed(
    *,
    workspace_id: uuid.UUID,
    sequence_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    contact_id: uuid.UUID,
    previous: str | None,
    status: str | None,
) -> NewEvent:
    return NewEvent(
        workspace_id,
        EventType.SEQUENCE_CONTACT_STATUS_CHANGED,
        {
            "sequenceId": text(sequence_id),
            "sequenceContactId": text(enrolment_id),
            "contactId": text(contact_id),
            "previousStatus": previous,
            "status": status,
        },
    )


def state_moved(
    type_: EventType,
    *,
    workspace_id: uuid.UUID,
    sequence_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    contact_id: uuid.UUID,
    **more: object,
) -> NewEvent:
    """``sequence_contact.paused`` (with ``pausedUntil``), ``.resumed`` or ``.finished``
    (with ``exitReason``), in the shape of the other ``sequence_contact.*`` events."""
    return NewEvent(
        workspace_id,
        type_,
        {
            "sequenceId": text(sequence_id),
            "sequenceContactId": text(enrolment_id),
            "contactId": text(contact_id),
            **more,
        },
    )
