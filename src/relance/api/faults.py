"""What goes wrong below the routes, turned into answers: one pure ASGI middleware.

- A transaction aborted by a concurrent one (deadlock, serialization failure) runs again.
- A database that cannot be reached or does not answer in time (``db.dialect.
  is_unavailable``) is a 503 ``UNAVAILABLE`` with ``Retry-After``.
- Anything else unexpected is a 500 ``INTERNAL_ERROR``, logged with the request id, the
  error's type and traceback, never its message (see ``_describe``).

Each is rendered here and never re-raised, so the server keeps the client's keep-alive
connection open for its next request. Only an error after the response has started (which
nothing here can still answer) goes up to the server.
"""

import asyncio
import random
import traceback

import structlog
from sqlalchemy.exc import StatementError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relance import metrics
from relance.api.errors import error_response
from relance.db.dialect import is_transient_conflict, is_unavailable

log = structlog.stdlib.get_logger("relance")

# Seconds a client is told to wait before retrying a request the database could not serve.
UNAVAILABLE_RETRY_AFTER_S = 2


class Faults:
    """Runs a request again when its transaction was aborted by a concurrent one.

    A deadlock or serialization failure (PostgreSQL) rolls the request's whole transaction
    back, and the session commits at the request boundary, before any byte of the response
    is sent: so the request can be run again as if it had just arrived, its body replayed
    from what the first attempt read. The rate-limit budget is spent once (see
    ``api.deps.tenant_session``). After ``attempts`` tries, 503 ``UNAVAILABLE``.
    """

    def __init__(self, app: ASGIApp, *, attempts: int = 4, first_pause_s: float = 0.01) -> None:
        self.app = app
        self.attempts = attempts
        self.first_pause_s = first_pause_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received: list[Message] = []  # what the app has read of the body, for the next try

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message

        for attempt in range(self.attempts):
            run = _Attempt(list(received), recording_receive, send)
            try:
                await self.app(scope, run.receive, run.send)
                return
            except Exception as error:
                if run.started:
                    raise
                if not is_transient_conflict(error):
                    await self._answer(scope, receive, send, error)
                    return
                log.info(
                    "transient conflict",
                    method=scope["method"],
                    path=scope["path"],
                    attempt=attempt + 1,
                    attempts=self.attempts,
                    sqlstate=getattr(getattr(error, "orig", None), "sqlstate", None),
                )
            if attempt + 1 < self.attempts:
                # Jittered exponential pause, so that the transactions that collided part ways.
                await asyncio.sleep(self.first_pause_s * 2**attempt * random.uniform(0.5, 1.5))
        await error_response(
            scope["path"],
            503,
            "UNAVAILABLE",
            "The request kept colliding with concurrent changes; retry it",
            {"Retry-After": "1"},
        )(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
        if is_unavailable(error):
            metrics.DATABASE_UNAVAILABLE.inc()
            log.warning(
                "database unavailable",
                method=scope["method"],
                path=scope["path"],
                error=type(error).__name__,
            )
            response = error_response(
                scope["path"],
                503,
                "UNAVAILABLE",
                "The database is unavailable or did not answer in time; retry shortly",
                {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
            )
        else:
            log.error(
                "unexpected error",
                method=scope["method"],
                path=scope["path"],
                **_describe(error),
            )
            response = error_response(
                scope["path"], 500, "INTERNAL_ERROR", "An unexpected error occurred"
            )
        await response(scope, receive, send)


# A statement is logged up to this many characters: a batch's expanded IN list or its
# multi-row INSERT runs to hundreds of kilobytes, which would make one line of the log.
SQL_LOGGED_CHARS = 2000


def _describe(error: Exception) -> dict[str, str | None]:
    """What the log says of an unexpected error: its type, where it was raised, and for a
    database error its SQL (cut at ``SQL_LOGGED_CHARS``, saying how long it was) and
    SQLSTATE. Never its message: a driver quotes the values it could not bind there
    (tenants' names and emails), and other messages may hold a body.
    """
    described: dict[str, str | None] = {
        "error": type(error).__qualname__,
        "traceback": "".join(traceback.format_tb(error.__traceback__)),
    }
    if isinstance(error, StatementError):
        sql = error.statement or ""
        if len(sql) > SQL_LOGGED_CHARS:
            sql = f"{sql[:SQL_LOGGED_CHARS]}… ({len(sql)} characters)"
        described["sql"] = sql
        described["sqlstate"] = getattr(error.orig, "sqlstate", None)
    return described


class _Attempt:
    """One run of the app: it first reads what earlier runs read, and notes whether it has
    started a response (after which nothing may run again)."""

    def __init__(self, replay: list[Message], receive: Receive, send: Send) -> None:
        self._replay = replay
        self._receive = receive
        self._send = send
        self.started = False

    async def receive(self) -> Message:
        return self._replay.pop(0) if self._replay else await self._receive()

    async def send(self, message: Message) -> None:
        self.started = True
        await self._send(message)
