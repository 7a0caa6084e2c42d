"""Hostile input by family, on every route the OpenAPI document lists, on both databases:
each answered with a 4xx in the dialect's error body, never a 5xx, quickly, and the server
answering a plain request after it. ``tests/test_hostile_bodies.py`` has the duplicate keys
and arrays nested 10,000 deep; here are huge strings, objects nested 10,000 deep, lone
surrogates and NUL in every string of every body, wrong content types, huge headers and
huge path ids. Bodies are the document's own examples, so a field added later is covered.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factory import ADMIN, Tenant
from tests.realparts import RelanceServer

ANY_ID = "123e4567-e89b-12d3-a456-426614174000"
MiB = 1024 * 1024
JSON = {"content-type": "application/json"}


def operations(app, *, with_body: bool) -> list[tuple[str, str, Any]]:  # noqa: ANN001
    """(method, path with ids filled in, example body or None) of every documented operation."""
    found = []
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if with_body and media is None:
                continue
            example = media["example"] if media else None
            found.append((method.upper(), re.sub(r"\{[^}]+\}", ANY_ID, path), example))
    return found


def headers_for(path: str, tenant: Tenant) -> dict[str, str]:
    return dict(ADMIN if path.startswith("/admin") else tenant.headers)


def assert_dialect_error(path: str, response, statuses: tuple[int, ...]) -> str:  # noqa: ANN001
    """The response is one of ``statuses`` in the dialect's error body; returns its message."""
    assert response.status_code in statuses, (path, response.status_code, response.text[:300])
    body = response.json()
    if path.startswith("/opencx"):
        assert set(body) == {"statusCode", "message", "error"}, body
        assert body["statusCode"] == response.status_code
        return body["message"]
    assert set(body) == {"error"} and body["error"]["status"] == response.status_code, body
    return body["error"]["message"]


async def still_healthy(tenant: Tenant) -> None:
    assert (await tenant.client.get("/healthz")).status_code == 200
    assert (await tenant.get("/v1/sequences")).status_code == 200


def string_leaves(value: Any, at: tuple = ()) -> Iterator[tuple]:
    """The place of every string in a JSON value (dict keys by name, list items by index)."""
    if isinstance(value, str):
        yield at
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from string_leaves(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from string_leaves(child, (*at, index))


def replaced(value: Any, at: tuple, new: Any) -> Any:
    if not at:
        return new
    if isinstance(value, dict):
        return {k: replaced(v, at[1:], new) if k == at[0] else v for k, v in value.items()}
    return [replaced(v, at[1:], new) if i == at[0] else v for i, v in enumerate(value)]


def leaf(value: Any, at: tuple) -> Any:
    for step in at:
        value = value[step]
    return value


CHUNK = 64 * 1024


async def test_a_five_mebibyte_string_is_413_at_once_declared_or_streamed(app, tenants) -> None:  # noqa: ANN001
    """Declared, refused before any of it is read; streamed, refused once past the limit
    (1 MiB), not after reading the 5 MiB."""
    tenant = await tenants.create()
    for method, path, example in operations(app, with_body=True):
        [first, *_] = string_leaves(example)
        body = json.dumps(replaced(example, first, "x" * (5 * MiB))).encode()
        headers = {**headers_for(path, tenant), "content-type": "application/json"}
        read = []

        async def streamed(body: bytes = body, read: list = read) -> Any:
            for start in range(0, len(body), CHUNK):
                read.append(start)
                yield body[start : start + CHUNK]

        for content in (body, streamed()):
            response = await tenant.client.request(method, path, content=content, headers=headers)
            assert_dialect_error(path, response, (413,))
        assert 0 < len(read) * CHUNK <= MiB + 2 * CHUNK, (method, path, len(read))
    await still_healthy(tenant)


async def test_objects_nested_ten_thousand_deep_are_400(app, tenants) -> None:  # noqa: ANN001
    tenant = await tenants.create()
    deep = '{"a": ' * 10_000 + "1" + "}" * 10_000
    for method, path, example in operations(app, with_body=True):
        [first, *_] = string_leaves(example)
        body = json.dumps(replaced(example, first, "DEEP")).replace('"DEEP"', deep).encode()
        headers = {**headers_for(path, tenant), "content-type": "application/json"}
        response = await tenant.client.request(method, path, content=body, headers=headers)
        assert_dialect_error(path, response, (400,))
    await still_healthy(tenant)


def string_fields(schemas: dict, schema: dict, seen: tuple = ()) -> Iterator[str]:
    """The name of every string field (strings, enums, lists of them) a request schema
    declares, through references, alternatives, lists and nested objects."""

    def resolve(schema: dict) -> tuple[dict, tuple]:
        if "$ref" not in schema:
            return schema, seen
        name = schema["$ref"].rsplit("/", 1)[1]
        return ({} if name in seen else schemas[name]), (*seen, name)

    def is_string(schema: dict, depth: int = 0) -> bool:
        schema, _ = resolve(schema)
        if depth > 8 or schema.get("type") == "string":
            return schema.get("type") == "string"
        if schema.get("type") == "array":
            return is_string(schema.get("items", {}), depth + 1)
        return any(
            is_string(a, depth + 1) for a in schema.get("anyOf", []) + schema.get("oneOf", [])
        )

    schema, seen = resolve(schema)
    items = [schema["items"]] if "items" in schema else []
    for child in schema.get("anyOf", []) + schema.get("oneOf", []) + items:
        yield from string_fields(schemas, child, seen)
    for name, child in schema.get("properties", {}).items():
        if is_string(child):
            yield name
        yield from string_fields(schemas, child, seen)


def test_every_string_field_of_every_body_is_in_its_example(app) -> None:  # noqa: ANN001
    """The test below tries each string of the examples: this one makes sure that is every
    string field the document declares, so that a field added later is tried too."""
    document = app.openapi()
    missing = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None:
                continue
            declared = set(string_fields(document["components"]["schemas"], media["schema"]))
            tried = {
                step
                for at in string_leaves(media["example"])
                for step in at
                if isinstance(step, str)
            }
            missing += [f"{method.upper()} {path}: {name}" for name in sorted(declared - tried)]
    assert not missing, (
        f"string fields no example holds (give them one in api/openapi.py): {missing}"
    )


HOSTILE = {"lone high surrogate": "\ud800", "lone low surrogate": "\udfff", "NUL": "\x00"}


@pytest.mark.parametrize("what", sorted(HOSTILE))
async def test_every_string_of_every_body_refuses_lone_surrogates_and_nul(
    app, tenants, what
) -> None:  # noqa: ANN001
    """Each string of each example body in turn gets the character inside it: a 400 naming
    that field, whichever field it is (ids, enums, dates, free text, a filter's values)."""
    tenant = await tenants.create()
    tried = 0
    for method, path, example in operations(app, with_body=True):
        headers = {**headers_for(path, tenant), "content-type": "application/json"}
        for at in string_leaves(example):
            value = leaf(example, at)
            hostile = value[:1] + HOSTILE[what] + value[1:]
            # ensure_ascii writes the character as a \u escape, as a client's encoder would.
            body = json.dumps(replaced(example, at, hostile)).encode()
            response = await tenant.client.request(method, path, content=body, headers=headers)
            message = assert_dialect_error(path, response, (400,))
            # Named by its own key, or by the field holding it (a filter is checked whole).
            names = [step for step in at if isinstance(step, str)]
            assert any(message.startswith(n) or f".{n}" in message for n in names), (
                path,
                at,
                message,
            )
            tried += 1
    assert tried >= 40
    await still_healthy(tenant)


async def test_a_lone_surrogate_in_stored_text_is_400_and_writes_nothing(tenants) -> None:
    """The requests above stop at ids that name nothing; these would be stored. A filter's
    values were once stored with the surrogate, and the sequence then answered 500."""
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    text = {"field": "email", "op": "eq", "value": "a\ud800"}
    countries = {"all": [{"field": "phoneCountry", "op": "in", "value": ["F\udfff"]}]}
    for method, path, body, field in [
        ("POST", "/v1/contacts", {"firstName": "A\ud800"}, "firstName"),
        ("POST", "/v1/contacts/bulk", {"contacts": [{"company": "\udfff"}]}, "contacts[0].company"),
        ("POST", "/v1/tags", {"label": "x\ud800"}, "label"),
        ("PATCH", f"/v1/sequences/{sequence_id}", {"name": "\ud800"}, "name"),
        ("PATCH", f"/v1/sequences/{sequence_id}", {"isContinuous": True, "filter": text}, "filter"),
        ("PATCH", f"/v1/sequences/{sequence_id}", {"filter": countries}, "filter"),
        ("POST", "/v1/sequences", {"name": "S", "creatorId": tenant.om(0), "assignedToIds": [],
                                   "filter": text}, "filter"),
    ]:  # fmt: skip
        content = json.dumps(body).encode()
        response = await tenant.request(method, path, content=content, headers=JSON)
        message = assert_dialect_error(path, response, (400,))
        assert message.startswith(f"{field}: "), message
    assert (await tenant.get("/v1/contacts")).json()["total"] == 0
    assert (await tenant.get("/v1/tags")).json()["total"] == 0
    assert (await tenant.get("/v1/sequences")).json()["total"] == 1
    sequence = await tenant.get(f"/v1/sequences/{sequence_id}")
    assert sequence.status_code == 200 and sequence.json()["filter"] is None, sequence.text
    await still_healthy(tenant)


WRONG_CONTENT = [
    ("text/plain", b'{"name": "x"}'),
    ("application/x-www-form-urlencoded", b"name=x"),
    (
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n',
    ),
    (None, b'{"name": "x"}'),
    (None, b""),
]


@pytest.mark.parametrize(("content_type", "content"), WRONG_CONTENT)
async def test_a_body_that_is_not_json_is_4xx_in_the_dialect(
    app, tenants, content_type, content
) -> None:  # noqa: ANN001
    tenant = await tenants.create()
    for method, path, _ in operations(app, with_body=True):
        headers = headers_for(path, tenant)
        if content_type:
            headers["content-type"] = content_type
        response = await tenant.client.request(method, path, content=content, headers=headers)
        assert_dialect_error(path, response, (400, 415))
    await still_healthy(tenant)


async def test_an_authorization_header_of_100_kb_is_401(app, tenants) -> None:  # noqa: ANN001
    tenant = await tenants.create()
    for value in ("Bearer " + "k" * 100_000, "Bearer " + tenant.key + "k" * 100_000, "x" * 100_000):
        for method, path, example in operations(app, with_body=False):
            if path in ("/healthz", "/readyz"):
                continue
            response = await tenant.client.request(
                method, path, json=example, headers={"Authorization": value}
            )
            assert_dialect_error(path, response, (401,))
    await still_healthy(tenant)


async def raw(app, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict]:  # noqa: ANN001
    """One request straight to the ASGI app: HTTP clients refuse a URL this long themselves,
    and a server in front may or may not."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("relance.test", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, **JSON}.items()],
    }  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


async def test_a_path_id_of_100_kb_is_404(app, tenants) -> None:  # noqa: ANN001
    tenant = await tenants.create()
    tried = 0
    for method, path, example in operations(app, with_body=False):
        if ANY_ID not in path:
            continue
        long_path = path.replace(ANY_ID, "1" * 100_000, 1)
        status, body = await raw(app, method, long_path, headers_for(path, tenant), example)
        if path.startswith("/v1/do-not-call/"):
            # Not an id but a phone number: 100 KB of digits is no number, a 400.
            assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), (path, body)
            tried += 1
            continue
        assert status == 404, (method, path, status, body)
        if path.startswith("/opencx"):
            assert body["statusCode"] == 404, body
        else:
            assert body["error"]["code"] == "NOT_FOUND", body
        tried += 1
    assert tried >= 15
    await still_healthy(tenant)


async def status_of(port: int, head: bytes) -> int:
    """Send one raw request head to a real server; the status it answers (0: it closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    return int(line.split()[1]) if line else 0


async def test_a_real_server_answers_huge_heads_with_a_4xx_and_goes_on(tmp_path, database) -> None:  # noqa: ANN001
    """What the ASGI tests above cannot see: the HTTP server in front of the app, with its
    own limits on a request line and a header."""
    server = RelanceServer(
        tmp_path, {"RELANCE_DATABASE_URL": database.url, "RELANCE_LOG_FORMAT": "json"}
    )
    try:
        await asyncio.to_thread(server.start)
        huge = "1" * 100_000
        heads = [
            f"GET /v1/sequences/{huge} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n",
            f"GET /v1/sequences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {huge}\r\n\r\n",
            f"GET /opencx/runs/{huge} HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        for head in heads:
            status = await status_of(server.port, head.encode())
            assert 400 <= status < 500, (head[:40], status, server.log()[-2000:])
        plain = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        assert await status_of(server.port, plain) == 200
    finally:
        server.close()
