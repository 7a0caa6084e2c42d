"""Errors the domain raises; the API renders each in its dialect's error body.

An error is data: a message, and for a ValidationFailed the place in the request it is
about, as a location tuple of Python names and list indexes (``("contacts", 3,
"phone_numbers", 0)``). The domain never spells a wire name: ``api/errors.py`` spells the
location for the dialect called (``contacts[3].phoneNumbers[0]`` on /v1).
"""

from collections.abc import Callable


class WireName(str):
    """A name in a location as the client sent it (an unknown key, say): every dialect
    spells it as it is."""


Location = tuple[str | int, ...]


class RelanceError(Exception):
    status = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(RelanceError):
    """A 400 about the value at ``at`` (the whole request when empty)."""

    status = 400
    code = "VALIDATION_ERROR"

    def __init__(self, message: str, *, at: Location = ()) -> None:
        super().__init__(message)
        self.location = at

    @property
    def item(self) -> tuple[str, int] | None:
        """(field, index) when the location is inside one item of a list; whether that
        list is a batch whose first invalid item is named is the route's to say
        (``api/batches.py``)."""
        match self.location:
            case (str() as batch, int() as index, *_):
                return batch, index
        return None

    def within(self, *prefix: str | int) -> "ValidationFailed":
        """The same error, located inside ``prefix`` (a check reused under an item)."""
        return ValidationFailed(self.message, at=(*prefix, *self.location))

    def describe(self, names: Callable[[str], str] = str) -> str:
        """``contacts[3].phone_numbers[0]: message``, each name spelled by ``names``."""
        return f"{spell(self.location, names)}: {self.message}" if self.location else self.message

    def __str__(self) -> str:
        return self.describe()


def spell(location: Location, names: Callable[[str], str] = str) -> str:
    """``contacts[3].phoneNumbers[0]``: a location as a path, names spelled by ``names``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = part if isinstance(part, WireName) else names(part)
            path += f".{name}" if path else name
    return path


class Unauthorized(RelanceError):
    status = 401
    code = "UNAUTHORIZED"


class SubscriptionRequired(RelanceError):
    status = 403
    code = "SUBSCRIPTION_REQUIRED"


class PlanNotEligible(RelanceError):
    status = 403
    code = "PLAN_NOT_ELIGIBLE"


class NotFound(RelanceError):
    status = 404
    code = "NOT_FOUND"


class Conflict(RelanceError):
    status = 409
    code = "CONFLICT"


class InvalidTransition(RelanceError):
    status = 409
    code = "INVALID_TRANSITION"


class PayloadTooLarge(RelanceError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class NotConfigured(RelanceError):
    """What the operator has not set up on this server (webhooks without
    RELANCE_SECRET_KEY): the client can do nothing about it but tell them."""

    status = 503
    code = "NOT_CONFIGURED"


class RateLimited(RelanceError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class DoNotCall(RelanceError):
    """A call placed to a number on the organization's do-not-call list."""

    status = 409
    code = "DO_NOT_CALL"


class OutsideCallingWindow(RelanceError):
    status = 409
    code = "OUTSIDE_CALLING_WINDOW"


class MaxAttemptsReached(RelanceError):
    status = 409
    code = "MAX_ATTEMPTS_REACHED"
