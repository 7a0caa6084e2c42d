"""The documented error responses, for the OpenAPI of every /v1 operation."""

from relance.api.v1.schemas import ErrorDto

_DESCRIPTIONS = {
    400: "Validation error",
    401: "Invalid or missing API key",
    403: "Subscription required or plan not eligible",
    404: "Not found or outside API key scope",
    409: "Conflict",
    429: "Too many requests",
}


def errors(*statuses: int) -> dict[int | str, dict]:
    return {
        s: {"model": ErrorDto, "description": _DESCRIPTIONS[s]} for s in (401, 403, 429, *statuses)
    }
