"""The /v1 wire form of a sequence's calling policy (a Relance extension)."""

from datetime import time
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from relance.api.schemas import RequestModel, ResponseModel
from relance.calling_windows import CallingWindow, Day

ClockTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(examples=["09:00"], description="A local time of day, HH:MM (24 hours)"),
]

WINDOW_DESCRIPTION = (
    "Relance extension: when the sequence's contacts may be called, in each contact's own "
    "time zone (the contact's timeZone, else each number's zones: a number spanning several "
    "zones is callable only when the window is open in all of them). Open on `days` from "
    "`start` included to `end` excluded; `end` is after `start`. null: any time."
)


class CallingWindowDto(RequestModel):
    start: ClockTime
    end: Annotated[ClockTime, Field(examples=["20:00"])]
    days: list[Day] = Field(min_length=1, max_length=7, examples=[["MON", "TUE", "WED"]])

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "CallingWindowDto":
        if self.end <= self.start:
            raise ValueError("end: must be after start")
        if len(set(self.days)) != len(self.days):
            raise ValueError("days: each day once")
        return self

    def window(self) -> CallingWindow:
        return CallingWindow(
            time.fromisoformat(self.start), time.fromisoformat(self.end), frozenset(self.days)
        )


class CallingWindowOutDto(ResponseModel):
    start: Annotated[str, Field(examples=["09:00"])]
    end: Annotated[str, Field(examples=["20:00"])]
    days: list[Day]


MaxAttempts = Annotated[
    int,
    Field(
        ge=1,
        le=1000,
        description="Relance extension: calls (that left NOT_INITIATED) a contact gets at most; "
        "reaching it without connecting finishes the contact (exitReason max_attempts). "
        "null: no cap.",
    ),
]
RetryAfterMinutes = Annotated[
    int,
    Field(
        ge=0,
        le=525600,
        description="Relance extension: the least time between two attempts on one contact.",
    ),
]
