"""The /v1 wire form of the queue's operations (Relance extensions): enrolment states,
the do-not-call list, the next call and a sequence's stats."""

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from relance.api.schemas import PageQuery, RequestModel, ResponseModel, StoredDatetime, Timestamp
from relance.api.v1.schemas import CallDto, PhoneNumberDto

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(examples=["not interested"]),
]


class PauseContactsDto(RequestModel):
    contact_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    until: StoredDatetime | None = Field(
        default=None, description="When they count as active again; omitted: until resumed"
    )


class FinishContactsDto(RequestModel):
    contact_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    reason: Reason = "manual"


class PausedDto(ResponseModel):
    paused: int


class ResumedDto(ResponseModel):
    resumed: int


class FinishedDto(ResponseModel):
    finished: int


# --- the do-not-call list --------------------------------------------------------------

ListedNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=64), Field(examples=["06 12 34 56 78"])
]


class AddDoNotCallDto(RequestModel):
    numbers: list[ListedNumber] = Field(
        min_length=1,
        max_length=1000,
        description="Numbers in any usual spelling, normalized like a contact's (E.164)",
    )
    reason: Reason | None = None


class DoNotCallDto(ResponseModel):
    number: Annotated[str, Field(examples=["+33612345678"])]
    reason: str | None = Field(examples=["asked not to be called"])
    created_at: Timestamp


class ListDoNotCallQuery(PageQuery):
    number: str | None = Field(
        default=None, max_length=64, description="Only this number (any usual spelling)"
    )


# --- the queue -------------------------------------------------------------------------


class NextCallRequestDto(RequestModel):
    workspace_membership_id: uuid.UUID | None = Field(
        default=None,
        description="The rep asking (a workspace membership id); optional when the sequence "
        "has exactly one assignee",
    )


class QueuedContactDto(ResponseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    status: str | None = Field(examples=["RUNNING"])
    state: str = Field(examples=["active"])
    attempts: int
    last_attempt_at: Timestamp | None
    created_at: Timestamp
    assigned_to_workspace_membership_id: uuid.UUID


class NextCallDto(ResponseModel):
    call: CallDto
    sequence_contact: QueuedContactDto
    phone_number: PhoneNumberDto


# --- stats -----------------------------------------------------------------------------


class RepStatsDto(ResponseModel):
    workspace_membership_id: uuid.UUID
    is_assignee: bool = Field(description="false: a former assignee, who keeps their contacts")
    active_load: int = Field(description="Their contacts in the sequence, whatever the state")
    active: int
    paused: int
    finished: int
    attempts: int
    attempts_today: int = Field(description="Attempts started since midnight UTC")
    connected: int


class SequenceStatsDto(ResponseModel):
    contact_count: int
    by_status: dict[str, int] = Field(examples=[{"RUNNING": 12, "CONNECTED": 3}])
    by_state: dict[str, int] = Field(examples=[{"active": 40, "paused": 2, "finished": 8}])
    reps: list[RepStatsDto]
    attempts: int
    connection_rate: float | None = Field(
        description="Connected contacts over contacts attempted at least once", examples=[0.25]
    )
