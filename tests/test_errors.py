"""Every failure is rendered as {"error": {"code", "message", "status"}}: never FastAPI's 422,
never a traceback; a failing request writes nothing."""

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from relance.api.app import create_app
from relance.api.deps import TenantSession
from relance.sequences import service
from tests.conftest import make_settings
from tests.factory import ADMIN, Tenant, TenantFactory

MAX_BODY = 1024 * 1024  # Settings.max_body_bytes default


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    """The documented error body, exactly; returns its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "status"}, error
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"].strip()
    return error["message"]


def sequence_body(tenant: Tenant, **changes: object) -> dict:
    body: dict = {
        "name": "Errors",
        "creatorId": tenant.om(0),
        "assignedToIds": [tenant.om(0), tenant.om(1)],
        "contactIds": [],
        "workspaceId": tenant.workspace_id,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


async def sequence_total(tenant: Tenant) -> int:
    response = await tenant.get("/v1/sequences")
    assert response.status_code == 200
    return response.json()["total"]


# --- request validation: 400, never 422 -------------------------------------------------


async def test_invalid_json_body_is_400(tenants) -> None:
    tenant = await tenants.create()
    for raw in (b'{"name": "x",', b"not json at all", b'{"name": "x"}}', b"\xff\xfe"):
        response = await tenant.post(
            "/v1/sequences", content=raw, headers={"Content-Type": "application/json"}
        )
        message = assert_error(response, 400, "VALIDATION_ERROR")
        assert "body" in message.lower() or "json" in message.lower(), (raw, message)
    assert await sequence_total(tenant) == 0


async def test_missing_body_is_400(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/sequences")
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "payload",
    [[{"name": "x"}], "a string", 42, None],
    ids=["list", "string", "number", "null"],
)
async def test_body_that_is_not_an_object_is_400(tenants, payload) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/sequences", content=json.dumps(payload), headers={"Content-Type": "application/json"})
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert "body" in message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": 123}, "name"),
        ({"name": ""}, "name"),
        ({"name": ...}, "name"),
        ({"creatorId": "not-a-uuid"}, "creatorId"),
        ({"creatorId": ...}, "creatorId"),
        ({"assignedToIds": "nope"}, "assignedToIds"),
        ({"assignedToIds": ...}, "assignedToIds"),
        ({"contactIds": ["nope"]}, "contactIds[0]"),
        ({"contactIds": {"a": 1}}, "contactIds"),
        ({"workspaceId": 7}, "workspaceId"),
    ],
    ids=["name-int", "name-empty", "name-missing", "creator-bad", "creator-missing", "assignees-str",
         "assignees-missing", "contact-bad", "contacts-object", "workspace-int"],
)
async def test_wrong_types_name_the_field(tenants, changes, field) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/sequences", json=sequence_body(tenant, **changes))
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}:"), message
    assert await sequence_total(tenant) == 0


async def test_unknown_body_field_is_400_naming_it(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/sequences", json=sequence_body(tenant, bogusField=1))
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert "bogusField" in message and "unknown field" in message
    # Python names are not aliases of the wire names.
    body = sequence_body(tenant)
    body["creator_id"] = body.pop("creatorId")
    response = await tenant.post("/v1/sequences", json=body)
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert "creator" in message
    assert await sequence_total(tenant) == 0


async def test_nested_item_errors_name_the_path(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    path = f"/v1/sequences/{sequence_id}/contacts"
    cases = [
        ([{"contactId": "nope"}], "contacts[0].contactId"),
        ([{"contactId": str(uuid.uuid4())}, {"contactId": 5}], "contacts[1].contactId"),
        ([{"contactId": str(uuid.uuid4()), "extra": True}], "contacts[0].extra"),
        ([{"contactId": str(uuid.uuid4()), "assignedToWorkspaceMembershipId": "x"}],
         "contacts[0].assignedToWorkspaceMembershipId"),
    ]
    for items, field in cases:
        response = await tenant.post(path, json={"contacts": items})
        message = assert_error(response, 400, "VALIDATION_ERROR")
        assert field in message, (field, message)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("foo=1", "foo"),
    ],
)
async def test_bad_list_query_is_400_naming_the_parameter(tenants, query, field) -> None:
    tenant = await tenants.create()
    response = await tenant.get(f"/v1/sequences?{query}")
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}:"), message


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=NOPE", "status"),
        ("status=running", "status"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("limit=101", "limit"),
        ("foo=1", "foo"),
        ("status=RUNNING&foo=1", "foo"),
    ],
)
async def test_bad_sequence_contacts_query_is_400_naming_the_parameter(tenants, query, field) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?{query}")
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}:"), message
    if field == "foo":
        assert "unknown" in message


async def test_good_queries_are_accepted(tenants) -> None:
    """The control of the tests above: the bounds themselves are valid."""
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    for path in (
        "/v1/sequences?page=1&limit=1",
        "/v1/sequences?limit=100",
        f"/v1/sequences/{sequence_id}/contacts?status=RUNNING&limit=100&page=2",
        f"/v1/sequences/{sequence_id}/contacts?tag=hot",
    ):
        response = await tenant.get(path)
        assert response.status_code == 200, (path, response.text)


async def test_admin_api_uses_the_same_error_body(client) -> None:
    bad_plan = await client.post(
        "/admin/v1/organizations",
        json={"name": "x", "plan": "GOLD", "subscriptionStatus": "ACTIVE"},
        headers=ADMIN,
    )
    assert "plan" in assert_error(bad_plan, 400, "VALIDATION_ERROR")
    unknown = await client.post(
        "/admin/v1/organizations",
        json={"name": "x", "plan": "EXPERT", "subscriptionStatus": "ACTIVE", "extra": 1},
        headers=ADMIN,
    )
    assert "extra" in assert_error(unknown, 400, "VALIDATION_ERROR")
    no_token = await client.post(
        "/admin/v1/organizations", json={"name": "x", "plan": "EXPERT", "subscriptionStatus": "ACTIVE"}
    )
    assert_error(no_token, 401, "UNAUTHORIZED")
    wrong_token = await client.post(
        "/admin/v1/organizations",
        json={"name": "x", "plan": "EXPERT", "subscriptionStatus": "ACTIVE"},
        headers={"Authorization": "Bearer not-the-admin-token"},
    )
    assert_error(wrong_token, 401, "UNAUTHORIZED")


# --- routing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/nope", "/v1/nope", "/v1/sequences/a/b/c", "/admin/v1/nope", "/v2/sequences"]
)
async def test_unknown_route_is_404_in_the_error_shape(client, path) -> None:
    assert_error(await client.get(path), 404, "NOT_FOUND")


async def test_unknown_route_is_404_even_with_a_valid_key(tenants) -> None:
    tenant = await tenants.create()
    assert_error(await tenant.get("/v1/sequence"), 404, "NOT_FOUND")
    assert_error(await tenant.get(f"/v1/sequences/{uuid.uuid4()}"), 404, "NOT_FOUND")
    assert_error(await tenant.get("/v1/sequences/not-a-uuid"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/sequences"),
        ("DELETE", "/v1/sequences"),
        ("PUT", f"/v1/sequences/{uuid.UUID(int=1)}"),
        ("PATCH", f"/v1/sequences/{uuid.UUID(int=1)}/contacts"),
        ("GET", "/admin/v1/organizations"),
    ],
)
async def test_wrong_method_is_405_in_the_error_shape(client, method, path) -> None:
    response = await client.request(method, path)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers.get("allow"), "405 should say which methods are allowed"


# --- body size --------------------------------------------------------------------------


def padded_sequence_body(tenant: Tenant, size: int) -> bytes:
    """A valid create-sequence body padded with JSON whitespace to exactly ``size`` bytes."""
    raw = json.dumps(sequence_body(tenant)).encode()
    assert len(raw) < size
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_declared_body_over_the_limit_is_413(tenants) -> None:
    tenant = await tenants.create()
    body = padded_sequence_body(tenant, MAX_BODY + 1)
    response = await tenant.post("/v1/sequences", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert await sequence_total(tenant) == 0


async def test_streamed_body_over_the_limit_is_413(tenants) -> None:
    tenant = await tenants.create()
    body = padded_sequence_body(tenant, MAX_BODY + 1)
    request = tenants.client.build_request(
        "POST",
        "/v1/sequences",
        content=chunks(body),
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in request.headers  # chunked: only the middleware's count can tell
    response = await tenants.client.send(request)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert await sequence_total(tenant) == 0


async def test_bodies_at_the_limit_are_accepted(tenants) -> None:
    tenant = await tenants.create()
    body = padded_sequence_body(tenant, MAX_BODY)
    declared = await tenant.post("/v1/sequences", content=body, headers={"Content-Type": "application/json"})
    assert declared.status_code == 201, declared.text[:500]
    request = tenants.client.build_request(
        "POST",
        "/v1/sequences",
        content=chunks(body),
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in request.headers
    streamed = await tenants.client.send(request)
    assert streamed.status_code == 201, streamed.text[:500]
    assert await sequence_total(tenant) == 2


# --- unexpected failures ----------------------------------------------------------------


async def test_unexpected_failure_is_500_without_details(database) -> None:
    app = create_app(make_settings(database), database=database)

    @app.get("/v1/boom")
    async def boom() -> dict:
        raise RuntimeError("secret detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        response = await client.get("/v1/boom")
        assert_error(response, 500, "INTERNAL_ERROR")
        assert "secret detail" not in response.text
        assert "Traceback" not in response.text
        assert "RuntimeError" not in response.text
        # The app keeps serving.
        assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_unexpected_failure_in_an_authenticated_request_rolls_back(database) -> None:
    """A 500 after a write inside the tenant's transaction leaves nothing behind."""
    app = create_app(make_settings(database), database=database)
    created: dict[str, object] = {}

    @app.post("/v1/boom")
    async def boom(session: TenantSession) -> dict:
        tenant = created["tenant"]
        assert isinstance(tenant, Tenant)
        view = await service.create(
            session,
            name="doomed",
            creator_id=uuid.UUID(tenant.om(0)),
            assigned_to_ids=[uuid.UUID(tenant.om(0))],
            contact_ids=[],
            workspace_id=uuid.UUID(tenant.workspace_id),
        )
        created["id"] = str(view.sequence.id)
        raise RuntimeError("secret detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        tenant = await TenantFactory(client).create()
        created["tenant"] = tenant
        response = await tenant.post("/v1/boom")
        assert_error(response, 500, "INTERNAL_ERROR")
        assert "secret detail" not in response.text
        assert "id" in created  # the write did happen inside the transaction...
        assert (await tenant.get(f"/v1/sequences/{created['id']}")).status_code == 404  # ...and was undone
        assert await sequence_total(tenant) == 0


async def test_unexpected_failure_of_an_authenticated_request_keeps_rate_limit_headers(database) -> None:
    """The middleware promises X-RateLimit-* on every response of a request that spent budget."""
    app = create_app(make_settings(database, rate_limits='{"EXPERT": 10}'), database=database)

    @app.get("/v1/boom")
    async def boom(session: TenantSession) -> dict:
        raise RuntimeError("secret detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        tenant = await TenantFactory(client).create(members=1)
        response = await tenant.get("/v1/boom")
        assert_error(response, 500, "INTERNAL_ERROR")
        assert response.headers.get("x-ratelimit-limit") == "10"
        assert response.headers.get("x-ratelimit-remaining") == "9"


# --- failing requests write nothing -----------------------------------------------------


async def test_create_with_an_invalid_assignee_writes_nothing(tenants) -> None:
    tenant = await tenants.create(members=3)
    other = await tenants.create(members=1)
    contacts = await tenant.contacts(3)
    before = await sequence_total(tenant)
    for bad in (str(uuid.uuid4()), other.om(0)):
        response = await tenant.post(
            "/v1/sequences",
            json=sequence_body(tenant, assignedToIds=[tenant.om(0), bad], contactIds=contacts),
        )
        message = assert_error(response, 400, "VALIDATION_ERROR")
        assert "assignedToIds[1]" in message
    assert await sequence_total(tenant) == before == 0
    # The contacts are still free to enrol: nothing of the failed requests remains.
    sequence_id = await tenant.sequence(contact_ids=contacts)
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 3


async def test_create_failing_after_its_first_writes_leaves_nothing(tenants) -> None:
    """No assignees but contacts: the sequence row is flushed before enrolment refuses."""
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    response = await tenant.post("/v1/sequences", json=sequence_body(tenant, assignedToIds=[], contactIds=contacts))
    message = assert_error(response, 400, "VALIDATION_ERROR")
    assert "contactIds" in message
    assert await sequence_total(tenant) == 0
    # The control: without contacts, the same body is accepted.
    ok = await tenant.post("/v1/sequences", json=sequence_body(tenant, assignedToIds=[]))
    assert ok.status_code == 201, ok.text
    assert await sequence_total(tenant) == 1


async def test_failing_update_changes_nothing(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence(assignees=[0, 1])
    response = await tenant.patch(
        f"/v1/sequences/{sequence_id}", json={"name": "renamed", "assignedToIds": [tenant.om(2), str(uuid.uuid4())]}
    )
    assert "assignedToIds[1]" in assert_error(response, 400, "VALIDATION_ERROR")
    sequence = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
    assert sequence["name"] == "Test sequence"
    assert [a["organizationMembershipId"] for a in sequence["assignedTo"]] == [tenant.om(0), tenant.om(1)]


async def test_nul_characters_are_a_400_in_bodies_lists_and_queries(tenants) -> None:
    """PostgreSQL text cannot hold NUL: refused at the boundary, alike on both databases."""
    tenant = await tenants.create()
    cases = [
        ("POST", "/v1/contacts", {"json": {"firstName": "A\x00"}}, "firstName"),
        ("POST", "/v1/contacts", {"json": {"phoneNumbers": ["+33612345678", "\x00"]}}, "phoneNumbers"),
        ("POST", "/v1/contacts/bulk", {"json": {"contacts": [{}, {"company": "\x00"}]}}, "contacts[1].company"),
        ("GET", "/v1/contacts", {"params": {"search": "a\x00"}}, "search"),
    ]
    for method, path, kwargs, field in cases:
        response = await tenant.request(method, path, **kwargs)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["message"].startswith(f"{field}:"), response.text
    assert (await tenant.get("/v1/contacts")).json()["total"] == 0
