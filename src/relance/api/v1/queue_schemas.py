"""The /v1 wire form of the queue's operations (Relance extensions): enrolment states,
the do-not-call list, the next call and a sequence's stats."""

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from relance.api.schemas import RequestModel, ResponseModel, StoredDatetime

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
