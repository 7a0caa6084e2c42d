"""Bodies an attacker with a valid key would send: each a 400 in the dialect's error body,
nothing written, the server healthy after it; on both databases."""

import re
import uuid

import pytest

from tests.factory import ADMIN
from tests.test_opencx import continuous, push, run_of

ANY_ID = "123e4567-e89b-12d3-a456-426614174000"


def json_routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """Every (method, path) the app documents with a JSON body: routes added later included."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", ANY_ID, path)))
    return found


def assert_dialect_400(path: str, response, fragment: str) -> None:  # noqa: ANN001
    assert response.status_code == 400, (path, response.text)
    body = response.json()
    if path.startswith("/opencx"):
        assert set(body) == {"statusCode", "message", "error"}, body
        message = body["message"]
    else:
        assert body["error"]["code"] == "VALIDATION_ERROR", body
        message = body["error"]["message"]
    assert fragment in message, (path, message)


async def test_every_json_route_refuses_a_key_sent_twice(app, client, tenants) -> None:
    tenant = await tenants.create()
    routes = json_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        headers = {**(ADMIN if path.startswith("/admin") else tenant.headers), "content-type": "application/json"}
        response = await client.request(method, path, content=b'{"name": "a", "name": "b"}', headers=headers)
        assert_dialect_400(path, response, 'duplicate key "name"')
    assert (await client.get("/healthz")).status_code == 200


async def test_a_contact_with_its_email_twice_is_not_created(tenants) -> None:
    tenant = await tenants.create()
    body = b'{"firstName": "Twice", "email": "a@example.com", "email": "b@example.com"}'
    response = await tenant.post("/v1/contacts", content=body, headers={"content-type": "application/json"})
    assert_dialect_400("/v1/contacts", response, 'body: duplicate key "email"')
    assert (await tenant.get("/v1/contacts")).json()["total"] == 0


async def test_every_json_route_refuses_json_nested_ten_thousand_deep(app, client, tenants) -> None:
    tenant = await tenants.create()
    deep = b'{"name": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    for method, path in json_routes(app):
        headers = {**(ADMIN if path.startswith("/admin") else tenant.headers), "content-type": "application/json"}
        response = await client.request(method, path, content=deep, headers=headers)
        assert response.status_code == 400, (path, response.text)
    assert (await client.get("/healthz")).status_code == 200


UNSTORABLE = [
    ('[{"email": "\\ud800@example.com"}]', "lone UTF-16 surrogate"),
    ('[{"\\udfff": "x"}]', "lone UTF-16 surrogate"),
    ('[{"email": "a@example.com", "note": ' + "[" * 255 + "]" * 255 + "}]", "levels deep"),
    ('[{"email": "a@example.com", "note": "' + "x" * 5000 + '"}]', "bytes of JSON"),
    ('[{"email": "a\\u0000@example.com"}]', "NUL"),
]


@pytest.mark.parametrize(("items", "fragment"), UNSTORABLE)
async def test_an_opencx_item_that_could_not_be_read_back_is_refused(tenants, items, fragment) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    path = f"/opencx/sequences/{sequence_id}/contacts"
    body = ('{"contacts": [{"email": "ok@example.com"}, ' + items[1:] + "}").encode()
    response = await tenant.post(path, content=body, headers={"content-type": "application/json"})
    assert_dialect_400(path, response, fragment)
    assert "contacts[1]" in response.json()["message"]
    # Nothing was written, and the runs that exist stay readable.
    run = await run_of(tenant, sequence_id, [{"email": "after@example.com"}])
    assert run["counts"]["created_and_added"] == 1


async def test_opencx_refuses_unknown_top_level_fields(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    path = f"/opencx/sequences/{sequence_id}/contacts"
    response = await tenant.post(path, json={"contacts": [{"email": "a@example.com"}], "contact": []})
    assert_dialect_400(path, response, "contact: unknown field")
    assert (await push(tenant, sequence_id, [{"email": "a@example.com"}])).status_code == 200
    assert uuid.UUID(ANY_ID)


async def test_an_opencx_item_with_a_number_past_64_bits_is_stored_and_read_back(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    items = [{"email": "big@example.com", "n": -572858294697325887488, "f": 1.7976931348623155e308}]
    run = await run_of(tenant, sequence_id, items)
    assert run["items"][0]["input"] == items[0]
