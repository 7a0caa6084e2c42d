"""The ``Idempotency-Key`` header on POST requests (``relance.idempotency.service``).

``claim`` runs in the tenant's write transaction before the endpoint: a key already
answered raises ``Replayed``, rendered as the original status and body with
``Idempotent-Replayed: true``. ``keep`` runs after the endpoint returned its response,
still inside that transaction (``json_body.StrictJsonRoute``), and keeps the answer.
A request that raised kept nothing: its error is not replayed, and a retry runs it again.
"""

import hashlib
import re
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from relance.errors import ValidationFailed
from relance.idempotency import service
from relance.idempotency.service import Answer

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no space: Stripe's bound


class Replayed(Exception):  # noqa: N818 - not an error: the answer to send
    def __init__(self, answer: Answer) -> None:
        self.answer = answer


@dataclass(frozen=True)
class _Claim:
    session: AsyncSession
    key: str
    fingerprint: str


async def claim(request: Request, session: AsyncSession) -> None:
    """Replay the answer to the request's key, or note the key for ``keep``."""
    request.state.idempotency = None
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return
    if not _KEY.fullmatch(key):
        raise ValidationFailed(f"{HEADER}: 1 to 255 printable ASCII characters, no spaces")
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(await request.body())
    fingerprint = digest.hexdigest()
    answer = await service.answer_for(session, key=key, fingerprint=fingerprint)
    if answer is not None:
        raise Replayed(answer)
    request.state.idempotency = _Claim(session, key, fingerprint)


async def keep(request: Request, response: Response) -> None:
    """Keep ``response`` as the answer to the request's key, if it came with one."""
    claimed: _Claim | None = getattr(request.state, "idempotency", None)
    body = getattr(response, "body", None)  # a streamed answer has none: nothing to replay
    if claimed is None or body is None:
        return
    request.state.idempotency = None
    answer = Answer(response.status_code, response.media_type, bytes(body))
    await service.remember(
        claimed.session, key=claimed.key, fingerprint=claimed.fingerprint, answer=answer
    )


def replayed_response(answer: Answer) -> Response:
    return Response(
        answer.body,
        status_code=answer.status_code,
        media_type=answer.media_type,
        headers={"Idempotent-Replayed": "true"},
    )
