"""Request bodies read as JSON without ambiguity: an object naming a key twice is refused.

The standard library keeps the last of duplicate keys silently, so ``{"email": "a@x.com",
"email": "b@x.com"}`` would mean whatever its last line said. Every router's routes read
their body through ``StrictJsonRequest``; a duplicate is a 400 in the dialect's error
body (``body: duplicate key "email"``), and nothing is done.
"""

import json
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from relance.api import idempotency

DUPLICATE_KEY = "duplicate key"


class DuplicateKey(json.JSONDecodeError):
    """Raised as a decoding error, so that FastAPI reports it like malformed JSON."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f'{DUPLICATE_KEY} "{key}"', "", 0)
        result[key] = value
    return result


def loads(body: bytes) -> Any:
    """``json.loads``, refusing an object with a key twice."""
    return json.loads(body, object_pairs_hook=_pairs)


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose endpoint reads its JSON body with ``loads``, and whose answer to a
    request with an ``Idempotency-Key`` is kept before its transaction commits (the
    handler returns inside the dependencies' function scope, ``api.deps``)."""

    def get_route_handler(self):  # noqa: ANN201 - FastAPI's own signature
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            strict_request = StrictJsonRequest(request.scope, request.receive)
            response = await handler(strict_request)
            await idempotency.keep(strict_request, response)
            return response

        return strict
