"""A 2xx means committed: the change is visible to another connection before the response starts."""

import uuid

import httpx
from sqlalchemy import func, select

from relance.db.models import Contact
from tests.factory import TenantFactory


async def test_the_write_is_committed_when_the_response_starts(app, database) -> None:
    observed: list[int] = []
    workspace: dict[str, str] = {}

    async def watching_app(scope, receive, send):  # noqa: ANN001, ANN202
        async def watching_send(message):  # noqa: ANN001, ANN202
            if message["type"] == "http.response.start" and scope["path"] == "/v1/contacts":
                # A separate session, on another pooled connection, as another client would.
                async with database.unscoped_session(write=False) as session:
                    observed.append(
                        await session.scalar(
                            select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace["id"])
                        )
                    )
            await send(message)

        await app(scope, receive, watching_send)

    transport = httpx.ASGITransport(app=watching_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        tenant = await TenantFactory(client).create()
        workspace["id"] = uuid.UUID(tenant.workspace_id)
        response = await tenant.post("/v1/contacts", json={"firstName": "Ada"})
        assert response.status_code == 201
        assert observed == [1]
        # And read back at once through the API.
        assert (await tenant.get(f"/v1/contacts/{response.json()['id']}")).status_code == 200
