"""One handler renders every error in the documented body of the dialect being called.

``/v1`` and ``/admin/v1``: ``{"error": {"code", "message", "status"}}``; ``/opencx``: the
OpenCX spec's ErrorDto ``{"statusCode", "message", "error"}``. Never FastAPI's 422 body,
never a traceback.
"""

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from relance.api.idempotency import Replayed, replayed_response
from relance.api.opencx.schemas import OpenCXErrorDto
from relance.api.state import spent_budget
from relance.api.v1.schemas import ErrorBody, ErrorDto
from relance.api.validation import describe_validation_errors
from relance.errors import RateLimited, RelanceError, ValidationFailed

log = logging.getLogger("relance")

_HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
}


OPENCX_PREFIX = "/opencx"
# OpenCX's ErrorDto names; Python's own differ for 413 ("Request Entity Too Large").
_OPENCX_PHRASES = {413: "Payload Too Large"}


def _is_opencx(path: str) -> bool:
    return path == OPENCX_PREFIX or path.startswith(OPENCX_PREFIX + "/")


def error_response(
    path: str, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error body of the dialect ``path`` belongs to, built from that dialect's DTO."""
    body: BaseModel
    if _is_opencx(path):
        phrase = _OPENCX_PHRASES.get(status) or HTTPStatus(status).phrase
        body = OpenCXErrorDto(statusCode=status, message=message, error=phrase)
    else:
        body = ErrorDto(error=ErrorBody(code=code, message=message, status=status))
    return JSONResponse(body.model_dump(by_alias=True), status_code=status, headers=headers)


def message_for(error: RelanceError, *, opencx: bool = False) -> str:
    """The error's message, its location spelled in the names of the dialect: /opencx's
    are snake case like Relance's own; /v1's, /admin's and the CLI's camelCase."""
    if not isinstance(error, ValidationFailed):
        return error.message
    return error.describe(str if opencx else to_camel)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RelanceError)
    async def _relance(request: Request, error: RelanceError) -> JSONResponse:
        headers = None
        if isinstance(error, RateLimited):
            headers = {"Retry-After": str(error.retry_after_seconds)}
        path = request.url.path
        message = message_for(error, opencx=_is_opencx(path))
        return error_response(path, error.status, error.code, message, headers)

    @app.exception_handler(Replayed)
    async def _replayed(request: Request, replayed: Replayed) -> Response:
        return replayed_response(replayed.answer)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(
            request.url.path, 400, "VALIDATION_ERROR", describe_validation_errors(error.errors())
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, "ERROR")
        message = error.detail if isinstance(error.detail, str) else code
        return error_response(
            request.url.path, error.status_code, code, message, getattr(error, "headers", None)
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, error: IntegrityError) -> JSONResponse:
        # Reached only when a concurrent request wrote the same unique value first.
        log.info("integrity conflict on %s %s: %s", request.method, request.url.path, error.orig)
        return error_response(
            request.url.path, 409, "CONFLICT", "The request conflicts with a concurrent change"
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # Rendered outside the middleware stack, so the rate-limit headers are added here.
        budget = spent_budget(request.scope)
        return error_response(
            request.url.path,
            500,
            "INTERNAL_ERROR",
            "An unexpected error occurred",
            None if budget is None else budget.headers(),
        )
