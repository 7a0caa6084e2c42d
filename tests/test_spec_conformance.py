"""What each seed operation returns validates against its documented response schema."""

import jsonschema
import pytest

from tests.spec import load, response_schema

SKIPCALL = "skipcall-sequences.yaml"


def validate(body: dict, path: str, method: str, status: int) -> None:
    jsonschema.validate(body, response_schema(SKIPCALL, path, method, status))


def test_the_spec_is_the_vendors() -> None:
    operations = {
        op["operationId"] for item in load(SKIPCALL)["paths"].values() for op in item.values()
    }
    assert operations == {
        "SequenceController_create",
        "SequenceController_addContacts",
        "SequenceController_listContacts",
        "SequenceController_removeContacts",
    }


async def test_seed_operations_match_their_schemas(tenants, app) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    created = await tenant.post(
        "/v1/sequences",
        json={"name": "Spec", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0), tenant.om(1)], "contactIds": contacts[:1]},
    )
    assert created.status_code == 201
    validate(created.json(), "/v1/sequences", "post", 201)
    sequence_id = created.json()["id"]

    added = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": c} for c in contacts]})
    assert added.status_code == 201
    assert added.json() == {"added": 2}  # the documented example's shape: {"added": n}

    # Give the first contact outcomes: tags, a finished call and one under way.
    tag = (await tenant.post("/v1/tags", json={"label": "meeting booked", "isSuccessTag": True})).json()
    await tenant.put(f"/v1/sequences/{sequence_id}/contacts/{contacts[0]}/tags", json={"tagIds": [tag["id"]]})
    for status in ("COMPLETED", "RINGING"):
        await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contacts[0], "status": status})

    listed = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?page=1&limit=2")
    assert listed.status_code == 200
    validate(listed.json(), "/v1/sequences/{id}/contacts", "get", 200)
    assert listed.json()["totalPages"] == 2 and len(listed.json()["data"]) == 2
    first = listed.json()["data"][0]
    assert first["status"] == "CONNECTED"
    assert first["tags"] == [{"id": tag["id"], "label": "meeting booked", "isSuccessTag": True}]
    assert [c["status"] for c in first["calls"]] == ["RINGING", "COMPLETED"]
    assert first["calls"][1]["durationSeconds"] == 0

    removed = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": contacts[:2]})
    assert removed.status_code == 200
    assert removed.json() == {"removed": 2}


@pytest.mark.parametrize("status", [401, 403])
async def test_error_bodies_match_the_documented_errors(tenants, client, status) -> None:
    if status == 401:
        response = await client.get("/v1/sequences/x/contacts", headers={"Authorization": "Bearer nope"})
    else:
        tenant = await tenants.create(plan="FREE")
        response = await tenant.get("/v1/sequences/x/contacts")
    assert response.status_code == status
    validate(response.json(), "/v1/sequences/{id}/contacts", "get", status)
    assert response.json()["error"]["status"] == status


def test_the_schema_check_can_fail() -> None:
    """The validator is strict about what matters: a wrong type is refused."""
    bad = {"data": [{"id": "x", "contact": {"id": "y", "firstName": 3, "lastName": "b"}, "tags": [], "calls": [], "createdAt": "t"}],
           "total": 1, "page": 1, "limit": 1, "totalPages": 1}
    with pytest.raises(jsonschema.ValidationError):
        validate(bad, "/v1/sequences/{id}/contacts", "get", 200)


async def test_openapi_carries_the_seed_operation_ids(client) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path, method, operation_id in [
        ("/v1/sequences", "post", "SequenceController_create"),
        ("/v1/sequences/{id}/contacts", "post", "SequenceController_addContacts"),
        ("/v1/sequences/{id}/contacts", "get", "SequenceController_listContacts"),
        ("/v1/sequences/{id}/contacts", "delete", "SequenceController_removeContacts"),
    ]:
        assert schema["paths"][path][method]["operationId"] == operation_id
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/healthz")).json() == {"status": "ok"}
