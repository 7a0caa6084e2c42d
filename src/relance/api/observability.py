"""Every request's id, log line and metrics: the outermost pure ASGI middleware.

``X-Request-Id`` is taken from the request when it is well formed (1 to 128 letters,
digits, ``-``, ``_``, ``.`` or ``:``), generated otherwise, bound to every log line the
request writes, and returned on every response. When the response is done, one log line
(``event: "request"``: request id, method, route template, status, duration, the key's
organization) and the request metrics (``relance.metrics``), labelled by route template
so that ids in paths never multiply the series, and the pool's connections in use.
"""

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relance import metrics
from relance.api.state import organization_of, record_request_id
from relance.db.engine import connections_in_use

log = structlog.stdlib.get_logger("relance.access")

_WELL_FORMED_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
UNMATCHED_ROUTE = "unmatched"


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _WELL_FORMED_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """``/v1/sequences/{id}``: the path of the route that served the request."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED_ROUTE


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        record_request_id(scope, request_id)
        header = (b"x-request-id", request_id.encode())
        status = 500  # what the log says when the app ends without a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                duration = time.perf_counter() - started
                method = scope["method"]
                route = route_template(scope)
                metrics.REQUESTS.labels(route, method, str(status)).inc()
                metrics.LATENCY.labels(route, method).observe(duration)
                metrics.DATABASE_CONNECTIONS.set(
                    connections_in_use(scope["app"].state.database.engine)
                )
                organization_id = organization_of(scope)
                log.info(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(duration * 1000, 2),
                    organization_id=organization_id and str(organization_id),
                )
