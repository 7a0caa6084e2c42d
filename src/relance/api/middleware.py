"""Pure ASGI middleware: body size limit, rate-limit headers, transient conflict retries."""

import asyncio
import logging
import random

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relance.api.errors import error_response
from relance.api.state import spent_budget
from relance.db.dialect import is_transient_conflict

log = logging.getLogger("relance")


class RateLimitHeaders:
    """Adds X-RateLimit-* to every response of a request that consumed a budget.

    Set here rather than in the endpoint so that error responses (404, 400, 429) carry
    them too. Starlette renders the catch-all 500 handler outside every middleware, so
    that handler adds them itself (relance.api.errors).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                budget = spent_budget(scope)
                if budget is not None:
                    message["headers"] = [
                        *message.get("headers", []),
                        *((k.lower().encode(), v.encode()) for k, v in budget.headers().items()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Refuses bodies larger than ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body reading; the error handler
                    # renders it like any other error.
                    raise HTTPException(413, f"The request body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            scope["path"],
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body exceeds {self.max_bytes} bytes",
        )
        await response(scope, receive, send)


class RetryTransientConflicts:
    """Runs a request again when its transaction was aborted by a concurrent one.

    A deadlock or serialization failure (PostgreSQL) rolls the request's whole transaction
    back, and the session commits at the request boundary, before any byte of the response
    is sent: so the request can be run again as if it had just arrived, its body replayed
    from what the first attempt read. The rate-limit budget is spent once (see
    ``api.deps.tenant_session``). After ``attempts`` tries, 503 ``UNAVAILABLE`` with a
    ``Retry-After``: never a 500.
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
                if run.started or not is_transient_conflict(error):
                    raise
                log.info(
                    "transient conflict on %s %s (attempt %d of %d): sqlstate %s",
                    scope["method"],
                    scope["path"],
                    attempt + 1,
                    self.attempts,
                    getattr(getattr(error, "orig", None), "sqlstate", None),
                )
            if attempt + 1 < self.attempts:
                # Jittered exponential pause, so that the transactions that collided part ways.
                await asyncio.sleep(self.first_pause_s * 2**attempt * random.uniform(0.5, 1.5))
        response = error_response(
            scope["path"],
            503,
            "UNAVAILABLE",
            "The request kept colliding with concurrent changes; retry it",
            {"Retry-After": "1"},
        )
        await response(scope, receive, send)


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
