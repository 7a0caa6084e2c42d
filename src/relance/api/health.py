"""What a process manager, a load balancer and Prometheus ask a process.

- ``/healthz``: the process is alive and serving; it touches no dependency, so a slow
  database never gets a healthy process restarted.
- ``/readyz``: it can serve now: the database answers within RELANCE_DB_TIMEOUT_S, its
  schema is at the code's migration head (or at a newer release's, during a rolling
  upgrade), and Redis answers when one is configured. 200 or 503, with each check's
  outcome.
- ``/metrics``: the Prometheus exposition (``relance.metrics``), only when
  RELANCE_METRICS_TOKEN is set and given as a bearer token; otherwise it does not exist.
"""

import hmac

from fastapi import APIRouter, Header, Request, Response
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from relance import metrics
from relance.api.deps import bearer_token
from relance.api.responses import error_responses
from relance.api.v1.schemas import ErrorDto
from relance.db.dialect import is_unavailable
from relance.db.migrate import head_revision, is_behind

router = APIRouter(tags=["Health"])

_HEAD = head_revision()


class HealthDto(BaseModel):
    status: str = Field(examples=["ok"])


class ReadinessDto(BaseModel):
    status: str = Field(description='"ready" or "unavailable"', examples=["ready"])
    checks: dict[str, str] = Field(
        description='Each check: "ok", or what failed',
        examples=[{"database": "ok", "migrations": "ok", "redis": "ok"}],
    )


@router.get("/healthz", summary="The process is alive")
async def healthz() -> HealthDto:
    return HealthDto(status="ok")


@router.get(
    "/readyz",
    summary="The process can serve: database, schema and Redis",
    responses={
        **error_responses(ErrorDto),
        503: {"model": ReadinessDto, "description": "A dependency is not ready"},
    },
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        revision = await request.app.state.database.schema_revision()
    except Exception as error:
        if not is_unavailable(error):
            raise
        checks["database"] = f"unavailable ({type(error).__name__})"
        checks["migrations"] = "unknown"
    else:
        checks["database"] = "ok"
        checks["migrations"] = (
            f"schema at {revision}, the code expects {_HEAD}" if is_behind(revision) else "ok"
        )
    redis = await request.app.state.rate_limiter.redis_reachable()
    if redis is not None:
        checks["redis"] = "ok" if redis else "unavailable"
    ready = all(outcome == "ok" for outcome in checks.values())
    body = ReadinessDto(status="ready" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics_exposition(
    request: Request, authorization: str | None = Header(default=None)
) -> Response:
    expected = request.app.state.settings.metrics_token
    if not expected:
        raise HTTPException(404, "Not Found")
    given = bearer_token(authorization) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "Missing or invalid metrics token")
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
