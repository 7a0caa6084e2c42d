"""The documented error responses, for the OpenAPI of every /v1 operation."""

from relance.api.responses import error_responses
from relance.api.v1.schemas import ErrorDto

# Every /v1 operation authenticates (401), checks the plan (403) and spends the rate limit (429).
AUTHENTICATED = (401, 403, 429)


def errors(*statuses: int) -> dict[int | str, dict]:
    return error_responses(ErrorDto, *AUTHENTICATED, *statuses)
