"""The life of a call: its statuses, their order, and which moves are allowed."""

import enum


class CallStatus(enum.StrEnum):
    NOT_INITIATED = "NOT_INITIATED"
    INITIATED = "INITIATED"
    QUEUED = "QUEUED"
    RINGING = "RINGING"
    IN_PROGRESS = "IN_PROGRESS"
    CONNECTED = "CONNECTED"
    COMPLETED = "COMPLETED"
    BUSY = "BUSY"
    NO_ANSWER = "NO_ANSWER"
    MISSED_CALL = "MISSED_CALL"
    VOICEMAIL = "VOICEMAIL"
    CANCELLED = "CANCELLED"
    ERROR_NUMBER = "ERROR_NUMBER"
    ERROR_COUNTRY = "ERROR_COUNTRY"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


END_STATES = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.MISSED_CALL,
        CallStatus.VOICEMAIL,
        CallStatus.CANCELLED,
        CallStatus.ERROR_NUMBER,
        CallStatus.ERROR_COUNTRY,
        CallStatus.UNKNOWN_ERROR,
    }
)
_ORDER = [
    CallStatus.NOT_INITIATED,
    CallStatus.INITIATED,
    CallStatus.QUEUED,
    CallStatus.RINGING,
    CallStatus.IN_PROGRESS,
    CallStatus.CONNECTED,
]


def rank(status: CallStatus) -> int:
    """Position in the life of a call; every end state shares the last rank."""
    return len(_ORDER) if status in END_STATES else _ORDER.index(status)


def is_allowed(current: CallStatus, target: CallStatus) -> bool:
    """Forward moves, skips included; the same status again is a no-op; nothing leaves an end."""
    if target == current:
        return True
    if current in END_STATES:
        return False
    return rank(target) > rank(current)


REACHES_A_PERSON = frozenset({CallStatus.CONNECTED, CallStatus.COMPLETED})


def reaches_a_person(status: CallStatus) -> bool:
    """A call in this status got a person on the line (its ``connected_at`` is stamped)."""
    return status in REACHES_A_PERSON


def has_started(status: CallStatus) -> bool:
    return status != CallStatus.NOT_INITIATED


def has_ended(status: CallStatus) -> bool:
    return status in END_STATES
