"""The served OpenAPI document is one a client generator reads without guessing: names that
mean something, the vendor's operationIds, every error an operation answers with its model,
an example on every body, and nothing Relance never sends."""

import json
import re

import jsonschema

from tests.spec import load

VENDOR_SPECS = ("skipcall-sequences.yaml", "opencx-sequences.yaml")


async def served(client) -> dict:  # noqa: ANN001
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]


def ref_name(schema: dict) -> str:
    return schema["$ref"].rsplit("/", 1)[1]


async def test_component_names_are_unique_and_meaningful(client) -> None:
    document = await served(client)
    names = set(document["components"]["schemas"])
    assert {n for n in names if "__" in n or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n)} == set()
    for name, schema in document["components"]["schemas"].items():
        assert schema.get("title", name) == name
    # Each dialect's error body is its own model.
    assert {"ErrorDto", "OpenCXErrorDto", "WorkspaceDto", "AdminWorkspaceDto"} <= names
    assert {"CallPageDto", "SequencePageDto", "PaginatedSequenceContactsDto"} <= names
    for path, _, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                model = ref_name(response["content"]["application/json"]["schema"])
                if (path, status) == ("/readyz", "503"):  # what failed, not an error body
                    assert model == "ReadinessDto"
                    continue
                assert model == ("OpenCXErrorDto" if path.startswith("/opencx") else "ErrorDto"), (path, status)


async def test_operation_ids_are_the_vendors_or_readable_camel_case(client) -> None:
    document = await served(client)
    vendor = {
        (path, method): op["operationId"]
        for spec in VENDOR_SPECS
        for path, item in load(spec)["paths"].items()
        for method, op in item.items()
    }
    assert len(vendor) == 5
    ids = []
    for path, method, operation in operations(document):
        ids.append(operation["operationId"])
        if (path, method) in vendor:
            assert operation["operationId"] == vendor[path, method]
        else:
            assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", operation["operationId"]), operation["operationId"]
    assert len(ids) == len(set(ids))
    assert {"listSequences", "createContacts", "listWorkspaces", "getRun", "createApiKey"} <= set(ids)


async def test_no_422_anywhere(client) -> None:
    document = await served(client)
    text = json.dumps(document)
    assert '"422"' not in text
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in document["components"]["schemas"]


async def test_every_operation_documents_the_statuses_it_can_answer(client) -> None:
    document = await served(client)
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        where = (method, path)
        if path == "/healthz":
            continue
        # The body size limit, the unexpected, and transactions that keep colliding.
        assert {"413", "500", "503"} <= statuses, where
        if path.startswith(("/v1", "/opencx")):
            assert {"401", "403", "429"} <= statuses, where
        if path.startswith("/admin"):
            assert {"401", "404"} <= statuses, where
        if "{" in path or path.startswith("/admin"):
            assert "404" in statuses, where
        if "requestBody" in operation:
            assert "400" in statuses, where
    create_member = document["paths"]["/admin/v1/organizations/{id}/members"]["post"]["responses"]
    assert {"201", "400", "401", "404", "409"} <= set(create_member)
    assert "409" in document["paths"]["/v1/calls/{id}"]["patch"]["responses"]


async def test_every_body_has_an_example_that_fits_its_schema(client) -> None:
    document = await served(client)
    checked = 0
    for path, method, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))] + [
            (status, response) for status, response in operation["responses"].items() if status[0] == "2"
        ]
        for what, body in bodies:
            media = body.get("content", {}).get("application/json")
            if media is None:
                assert what in ("request", "204"), (method, path, what)
                continue
            assert "example" in media, (method, path, what)
            jsonschema.validate(media["example"], {**media["schema"], "components": document["components"]})
            assert '"string"' not in json.dumps(media["example"]), (method, path, what)
            checked += 1
    assert checked > 50


async def test_the_opencx_item_is_the_specs_any_of(client) -> None:
    document = await served(client)
    body = document["paths"]["/opencx/sequences/{sequence_id}/contacts"]["post"]["requestBody"]
    schema = document["components"]["schemas"][ref_name(body["content"]["application/json"]["schema"])]
    assert "description" not in schema
    items = schema["properties"]["contacts"]["items"]
    assert [option["required"] for option in items["anyOf"]] == [["id"], ["email"], ["phone_number"]]
    vendor = load("opencx-sequences.yaml")["components"]["schemas"]["AddContactsToSequenceInput"]
    for ours, theirs in zip(items["anyOf"], vendor["properties"]["contacts"]["items"]["anyOf"], strict=True):
        assert {k: {f: v for f, v in p.items() if f != "example"} for k, p in ours["properties"].items()} == theirs["properties"]


async def test_what_operations_answer_to_bad_requests_is_documented(client, tenants) -> None:
    """Each operation, asked without a key, with an unknown parameter, with an unknown or
    unreadable body, and about ids that name nothing, answers a status it documents."""
    from tests.factory import ADMIN

    document = await served(client)
    tenant = await tenants.create()
    seen = set()
    for path, method, operation in operations(document):
        if path == "/healthz":
            continue
        url = re.sub(r"\{[^}]+\}", "123e4567-e89b-12d3-a456-426614174000", path)
        auth = ADMIN if path.startswith("/admin") else tenant.headers
        attempts = [
            {"headers": {"Authorization": "Bearer nope"}},
            {"headers": auth, "params": {"unknownParameter": "1"}},
            {"headers": auth},
        ]
        if "requestBody" in operation:
            attempts += [
                {"headers": auth, "json": {"unknownField": 1}},
                {"headers": {**auth, "content-type": "application/json"}, "content": b"{not json"},
            ]
        for attempt in attempts:
            response = await client.request(method.upper(), url, **attempt)
            assert str(response.status_code) in operation["responses"], (method, path, attempt, response.text)
            seen.add(response.status_code)
    assert {400, 401, 404} <= seen
