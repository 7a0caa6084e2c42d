"""Errors the domain raises; the API renders each in its dialect's error body."""


class RelanceError(Exception):
    status = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(RelanceError):
    """A 400. ``item`` is (batch field, index) when the problem is one item of a batch."""

    status = 400
    code = "VALIDATION_ERROR"

    def __init__(self, message: str, *, item: tuple[str, int] | None = None) -> None:
        super().__init__(message)
        self.item = item


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


class RateLimited(RelanceError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
