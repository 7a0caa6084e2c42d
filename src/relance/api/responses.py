"""The error responses the OpenAPI document declares, with the dialect's error model.

Some statuses can come from any operation, whatever it does: 413 from the body size limit
in front of every path, 500 from the handler of the unexpected, 503 when the database
cannot be reached or does not answer in time, or PostgreSQL keeps aborting a transaction
for a deadlock or a serialization failure. The rest an operation
declares itself.
"""

from pydantic import BaseModel

DESCRIPTIONS = {
    400: "Validation error: the message names the field",
    401: "Invalid or missing API key (on /admin/v1: the admin token)",
    403: "Subscription required or plan not eligible",
    404: "Not found or outside the API key's scope",
    409: "Conflict with the current state or a concurrent change",
    413: "Request body over the size limit",
    429: "Rate limit exceeded (see Retry-After)",
    500: "Unexpected error",
    503: "The database is unavailable or slow, or concurrent changes kept colliding; "
    "try again (see Retry-After). NOT_CONFIGURED: the operator has not set up what the "
    "operation needs",
}

ANY_OPERATION = (413, 500, 503)


def error_responses(model: type[BaseModel], *statuses: int) -> dict[int | str, dict]:
    """``responses=`` for a route: ``statuses`` and those of any operation, each with ``model``."""
    return {
        status: {"model": model, "description": DESCRIPTIONS[status]}
        for status in sorted({*statuses, *ANY_OPERATION})
    }
