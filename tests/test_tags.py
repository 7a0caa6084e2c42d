"""Tags: /v1/tags, the tags of a contact in a sequence, and the list operation's ?tag= filter."""

import uuid

import pytest

from tests.factory import Tenant

TAG_FIELDS = {"id", "label", "isSuccessTag", "workspaceId", "createdAt", "updatedAt"}
CONTACT_TAG_FIELDS = {"id", "label", "isSuccessTag"}


async def make_tag(tenant: Tenant, label: str, *, success: bool | None = None, workspace_index: int | None = None) -> dict:
    body: dict = {"label": label}
    if success is not None:
        body["isSuccessTag"] = success
    if workspace_index is not None:
        body["workspaceId"] = tenant.workspace_ids[workspace_index]
    response = await tenant.post("/v1/tags", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def tags_path(sequence_id: str, contact_id: str) -> str:
    return f"/v1/sequences/{sequence_id}/contacts/{contact_id}/tags"


async def put_tags(tenant: Tenant, sequence_id: str, contact_id: str, tag_ids: list[str]):  # noqa: ANN201
    return await tenant.request("PUT", tags_path(sequence_id, contact_id), json={"tagIds": tag_ids})


async def post_tags(tenant: Tenant, sequence_id: str, contact_id: str, tag_ids: list[str]):  # noqa: ANN201
    return await tenant.post(tags_path(sequence_id, contact_id), json={"tagIds": tag_ids})


async def listing(tenant: Tenant, sequence_id: str, **params) -> dict:  # noqa: ANN003
    response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def tags_in_list(tenant: Tenant, sequence_id: str) -> dict[str, list[dict]]:
    """contact id -> its tags, as the list operation shows them."""
    return {item["contact"]["id"]: item["tags"] for item in (await listing(tenant, sequence_id))["data"]}


async def tag_ids_of(tenant: Tenant, sequence_id: str, contact_id: str) -> set[str]:
    return {t["id"] for t in (await tags_in_list(tenant, sequence_id))[contact_id]}


async def filtered(tenant: Tenant, sequence_id: str, **params) -> tuple[set[str], int]:  # noqa: ANN003
    body = await listing(tenant, sequence_id, **params)
    return {item["contact"]["id"] for item in body["data"]}, body["total"]


async def all_tags(tenant: Tenant, **params) -> tuple[list[dict], int]:  # noqa: ANN003
    response = await tenant.get("/v1/tags", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"], body["total"]


def assert_error(response, status: int, code: str) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    return error


# --- the catalogue -------------------------------------------------------------------------


async def test_create_and_get(tenants) -> None:
    tenant = await tenants.create()
    created = await make_tag(tenant, "Hot lead")
    assert set(created) == TAG_FIELDS
    assert created["label"] == "Hot lead"
    assert created["isSuccessTag"] is False
    assert created["workspaceId"] == tenant.workspace_id
    uuid.UUID(created["id"])
    success = await make_tag(tenant, "Meeting booked", success=True)
    assert success["isSuccessTag"] is True
    assert success["id"] != created["id"]
    fetched = await tenant.get(f"/v1/tags/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert (await tenant.get(f"/v1/tags/{success['id']}")).json()["isSuccessTag"] is True


async def test_workspace_is_required_when_the_key_reaches_several(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    response = await tenant.post("/v1/tags", json={"label": "Hot"})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "workspaceId" in error["message"]
    assert (await all_tags(tenant))[1] == 0
    created = await make_tag(tenant, "Hot", workspace_index=1)
    assert created["workspaceId"] == tenant.workspace_ids[1]
    # A key limited to one workspace defaults to it.
    limited = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[0]]),
                     tenant.workspace_ids, tenant.members, tenant.api_key_id)
    response = await limited.post("/v1/tags", json={"label": "Hot"})
    assert response.status_code == 201, response.text
    assert response.json()["workspaceId"] == tenant.workspace_ids[0]


async def test_label_bounds_and_bad_create_bodies(tenants) -> None:
    tenant = await tenants.create()
    accepted = ["x", "x" * 64, "é" * 64, "ß" * 64, "ΐ" * 64]  # 64 characters, however long folded
    for label in accepted:
        created = await make_tag(tenant, label)
        assert created["label"] == label
        assert (await tenant.get(f"/v1/tags/{created['id']}")).json()["label"] == label
    refused = [
        {"label": ""},
        {"label": "x" * 65},
        {"label": "é" * 65},
        {"label": "   "},
        {"label": None},
        {},
        {"label": "ok", "colour": "red"},
        {"label": "ok", "isSuccessTag": "maybe"},
        {"label": "ok", "workspaceId": "not-a-uuid"},
    ]
    for body in refused:
        response = await tenant.post("/v1/tags", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR", body
    data, total = await all_tags(tenant)
    assert total == len(accepted) and sorted(t["label"] for t in data) == sorted(accepted)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Hot lead", "HOT LEAD"),
        ("Réunion", "RÉUNION"),
        ("réunion", "Réunion"),
        ("Straße", "STRASSE"),
        ("STRASSE", "straße"),
        ("ΣΊΣΥΦΟΣ", "σίσυφος"),
        ("Hot", "Hot"),
    ],
)
async def test_labels_are_unique_ignoring_case(tenants, first, second) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    kept = await make_tag(tenant, first, workspace_index=0)
    response = await tenant.post("/v1/tags", json={"label": second, "workspaceId": tenant.workspace_ids[0]})
    assert_error(response, 409, "CONFLICT")
    data, total = await all_tags(tenant, workspaceId=tenant.workspace_ids[0])
    assert total == 1 and [t["id"] for t in data] == [kept["id"]]
    # The same label in another workspace, or another organization, is fine.
    assert (await make_tag(tenant, second, workspace_index=1))["workspaceId"] == tenant.workspace_ids[1]
    assert (await make_tag(other, second))["label"] == second


async def test_labels_that_differ_are_not_conflicts(tenants) -> None:
    tenant = await tenants.create()
    for label in ("Reunion", "Réunion", "Strasse2", "Hot lead", "Hot  lead"):
        await make_tag(tenant, label)
    assert (await all_tags(tenant))[1] == 5


async def test_patch_label_and_flag(tenants) -> None:
    tenant = await tenants.create()
    tag = await make_tag(tenant, "Alpha")
    response = await tenant.patch(f"/v1/tags/{tag['id']}", json={"isSuccessTag": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["label"], body["isSuccessTag"], body["workspaceId"]) == (tag["id"], "Alpha", True, tag["workspaceId"])
    assert body["createdAt"] == tag["createdAt"]
    response = await tenant.patch(f"/v1/tags/{tag['id']}", json={"label": "Beta"})
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["isSuccessTag"]) == ("Beta", True)
    fetched = (await tenant.get(f"/v1/tags/{tag['id']}")).json()
    assert (fetched["label"], fetched["isSuccessTag"]) == ("Beta", True)
    # An empty body changes nothing.
    response = await tenant.patch(f"/v1/tags/{tag['id']}", json={})
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["isSuccessTag"]) == ("Beta", True)
    # The old label is free again; the new one is taken.
    await make_tag(tenant, "alpha")
    assert_error(await tenant.post("/v1/tags", json={"label": "BETA"}), 409, "CONFLICT")


async def test_rename_to_another_case_of_its_own_label(tenants) -> None:
    tenant = await tenants.create()
    tag = await make_tag(tenant, "Straße")
    for label in ("STRASSE", "straße", "Straße"):
        response = await tenant.patch(f"/v1/tags/{tag['id']}", json={"label": label})
        assert response.status_code == 200, response.text
        assert response.json()["label"] == label
        assert (await tenant.get(f"/v1/tags/{tag['id']}")).json()["label"] == label


async def test_rename_onto_a_taken_label_is_409_and_changes_nothing(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    alpha = await make_tag(tenant, "Réunion", workspace_index=0)
    beta = await make_tag(tenant, "Beta", workspace_index=0)
    elsewhere = await make_tag(tenant, "Gamma", workspace_index=1)
    for label in ("Réunion", "RÉUNION", "réunion"):
        response = await tenant.patch(f"/v1/tags/{beta['id']}", json={"label": label, "isSuccessTag": True})
        assert_error(response, 409, "CONFLICT")
    fetched = (await tenant.get(f"/v1/tags/{beta['id']}")).json()
    assert (fetched["label"], fetched["isSuccessTag"]) == ("Beta", False)
    assert (await tenant.get(f"/v1/tags/{alpha['id']}")).json()["label"] == "Réunion"
    # A label used only in another workspace is free.
    response = await tenant.patch(f"/v1/tags/{beta['id']}", json={"label": "GAMMA"})
    assert response.status_code == 200 and response.json()["label"] == "GAMMA"
    assert (await tenant.get(f"/v1/tags/{elsewhere['id']}")).json()["label"] == "Gamma"


async def test_bad_patch_bodies_are_400(tenants) -> None:
    tenant = await tenants.create()
    tag = await make_tag(tenant, "Alpha")
    bodies = [{"label": ""}, {"label": "x" * 65}, {"label": "  "}, {"label": None}, {"isSuccessTag": None},
              {"name": "x"}, {"label": "ok", "extra": 1}, {"isSuccessTag": True, "workspaceId": tag["workspaceId"]}]
    for body in bodies:
        response = await tenant.patch(f"/v1/tags/{tag['id']}", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR", body
    fetched = (await tenant.get(f"/v1/tags/{tag['id']}")).json()
    assert (fetched["label"], fetched["isSuccessTag"]) == ("Alpha", False)


async def test_list_pages_and_filters_by_workspace(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    first = [(await make_tag(tenant, f"ws0-{i}", workspace_index=0))["id"] for i in range(3)]
    second = [(await make_tag(tenant, f"ws1-{i}", workspace_index=1))["id"] for i in range(2)]
    foreign = await make_tag(other, "ws0-0")
    seen: list[str] = []
    for page in (1, 2, 3):
        response = await tenant.get("/v1/tags", params={"page": page, "limit": 2})
        assert response.status_code == 200
        body = response.json()
        assert (body["total"], body["page"], body["limit"], body["totalPages"]) == (5, page, 2, 3)
        assert all(set(t) == TAG_FIELDS for t in body["data"])
        seen += [t["id"] for t in body["data"]]
    assert sorted(seen) == sorted(first + second)
    assert foreign["id"] not in seen
    data, total = await all_tags(tenant, workspaceId=tenant.workspace_ids[1])
    assert total == 2 and sorted(t["id"] for t in data) == sorted(second)
    assert {t["workspaceId"] for t in data} == {tenant.workspace_ids[1]}
    # Another organization's workspace is unknown, as the README says.
    assert_error(await tenant.get("/v1/tags", params={"workspaceId": other.workspace_id}), 400, "VALIDATION_ERROR")
    data, total = await all_tags(other)
    assert total == 1 and [t["id"] for t in data] == [foreign["id"]]


async def test_list_bad_parameters_are_400(tenants) -> None:
    tenant = await tenants.create()
    for query in ({"page": 0}, {"limit": 0}, {"limit": 101}, {"workspaceId": "nope"}, {"sort": "label"}):
        response = await tenant.get("/v1/tags", params=query)
        assert response.status_code == 400, query


async def test_tags_out_of_scope_are_404_and_never_listed(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    hidden = await make_tag(tenant, "Hidden", workspace_index=0)
    visible = await make_tag(tenant, "Visible", workspace_index=1)
    foreign = await make_tag(other, "Foreign")
    limited = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[1]]),
                     tenant.workspace_ids, tenant.members, tenant.api_key_id)
    for caller, tag in ((limited, hidden), (limited, foreign), (tenant, foreign), (other, hidden), (other, visible)):
        assert_error(await caller.get(f"/v1/tags/{tag['id']}"), 404, "NOT_FOUND")
        assert_error(await caller.patch(f"/v1/tags/{tag['id']}", json={"label": "Taken over", "isSuccessTag": True}), 404, "NOT_FOUND")
        assert_error(await caller.delete(f"/v1/tags/{tag['id']}"), 404, "NOT_FOUND")
    # Nothing changed, as their owners see it.
    assert (await tenant.get(f"/v1/tags/{hidden['id']}")).json() == hidden
    assert (await tenant.get(f"/v1/tags/{visible['id']}")).json() == visible
    assert (await other.get(f"/v1/tags/{foreign['id']}")).json() == foreign
    data, total = await all_tags(limited)
    assert total == 1 and [t["id"] for t in data] == [visible["id"]]
    assert_error(await limited.get("/v1/tags", params={"workspaceId": tenant.workspace_ids[0]}), 400, "VALIDATION_ERROR")
    data, total = await all_tags(tenant)
    assert total == 2 and sorted(t["id"] for t in data) == sorted([hidden["id"], visible["id"]])
    # The limited key reaches its own workspace's tag.
    assert (await limited.get(f"/v1/tags/{visible['id']}")).json() == visible


@pytest.mark.parametrize("tag_id", ["not-a-uuid", str(uuid.uuid4())], ids=["not-uuid", "unknown"])
async def test_unknown_tag_is_404(tenants, tag_id) -> None:
    tenant = await tenants.create()
    assert_error(await tenant.get(f"/v1/tags/{tag_id}"), 404, "NOT_FOUND")
    assert_error(await tenant.patch(f"/v1/tags/{tag_id}", json={"label": "x"}), 404, "NOT_FOUND")
    assert_error(await tenant.delete(f"/v1/tags/{tag_id}"), 404, "NOT_FOUND")


async def test_delete_takes_the_tag_off_every_contact(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    first = await tenant.sequence(contact_ids=contacts)
    second = await tenant.sequence(contact_ids=contacts[:1])
    doomed = await make_tag(tenant, "Doomed")
    kept = await make_tag(tenant, "Kept")
    for contact in contacts[:2]:
        assert (await put_tags(tenant, first, contact, [doomed["id"], kept["id"]])).status_code == 200
    assert (await put_tags(tenant, second, contacts[0], [doomed["id"]])).status_code == 200
    response = await tenant.delete(f"/v1/tags/{doomed['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(await tenant.get(f"/v1/tags/{doomed['id']}"), 404, "NOT_FOUND")
    assert_error(await tenant.delete(f"/v1/tags/{doomed['id']}"), 404, "NOT_FOUND")
    tags = await tags_in_list(tenant, first)
    assert {c: [t["id"] for t in ts] for c, ts in tags.items()} == {
        contacts[0]: [kept["id"]],
        contacts[1]: [kept["id"]],
        contacts[2]: [],
    }
    assert (await tags_in_list(tenant, second)) == {contacts[0]: []}
    assert await filtered(tenant, first, tag="Doomed") == (set(), 0)
    data, total = await all_tags(tenant)
    assert total == 1 and [t["id"] for t in data] == [kept["id"]]
    # The label is free again, and the new tag is on no one.
    reborn = await make_tag(tenant, "DOOMED")
    assert reborn["id"] != doomed["id"]
    assert await filtered(tenant, first, tag="doomed") == (set(), 0)


# --- tags of a contact in a sequence ------------------------------------------------------


async def test_put_replaces_the_set(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    a = await make_tag(tenant, "Alpha")
    b = await make_tag(tenant, "Beta", success=True)
    c = await make_tag(tenant, "Gamma")
    response = await put_tags(tenant, sequence_id, contacts[0], [a["id"], b["id"]])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data"}
    assert all(set(t) == CONTACT_TAG_FIELDS for t in body["data"])
    assert sorted(body["data"], key=lambda t: t["label"]) == [
        {"id": a["id"], "label": "Alpha", "isSuccessTag": False},
        {"id": b["id"], "label": "Beta", "isSuccessTag": True},
    ]
    listed = await tags_in_list(tenant, sequence_id)
    assert sorted(listed[contacts[0]], key=lambda t: t["label"]) == sorted(body["data"], key=lambda t: t["label"])
    assert listed[contacts[1]] == []
    response = await put_tags(tenant, sequence_id, contacts[0], [c["id"], b["id"]])
    assert response.status_code == 200
    assert {t["id"] for t in response.json()["data"]} == {b["id"], c["id"]}
    assert len(response.json()["data"]) == 2
    assert await tag_ids_of(tenant, sequence_id, contacts[0]) == {b["id"], c["id"]}
    response = await put_tags(tenant, sequence_id, contacts[0], [])
    assert response.status_code == 200 and response.json() == {"data": []}
    assert await tag_ids_of(tenant, sequence_id, contacts[0]) == set()
    # Duplicates in the request count once.
    response = await put_tags(tenant, sequence_id, contacts[1], [a["id"], a["id"]])
    assert response.status_code == 200 and [t["id"] for t in response.json()["data"]] == [a["id"]]
    assert [t["id"] for t in (await tags_in_list(tenant, sequence_id))[contacts[1]]] == [a["id"]]


async def test_post_adds_and_keeps_existing_tags_once(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    a = await make_tag(tenant, "Alpha")
    b = await make_tag(tenant, "Beta")
    c = await make_tag(tenant, "Gamma")
    assert (await put_tags(tenant, sequence_id, contact, [a["id"]])).status_code == 200
    response = await post_tags(tenant, sequence_id, contact, [a["id"], b["id"], b["id"]])
    assert response.status_code == 200, response.text
    assert sorted(t["id"] for t in response.json()["data"]) == sorted([a["id"], b["id"]])
    response = await post_tags(tenant, sequence_id, contact, [c["id"]])
    assert sorted(t["id"] for t in response.json()["data"]) == sorted([a["id"], b["id"], c["id"]])
    response = await post_tags(tenant, sequence_id, contact, [])
    assert response.status_code == 200
    assert sorted(t["id"] for t in response.json()["data"]) == sorted([a["id"], b["id"], c["id"]])
    listed = (await tags_in_list(tenant, sequence_id))[contact]
    assert sorted(t["id"] for t in listed) == sorted([a["id"], b["id"], c["id"]])


async def test_delete_one_tag_from_a_contact(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    a = await make_tag(tenant, "Alpha")
    b = await make_tag(tenant, "Beta")
    c = await make_tag(tenant, "Gamma")
    await put_tags(tenant, sequence_id, contact, [a["id"], b["id"]])
    response = await tenant.delete(f"{tags_path(sequence_id, contact)}/{a['id']}")
    assert response.status_code == 204
    assert await tag_ids_of(tenant, sequence_id, contact) == {b["id"]}
    # Not there (any more, never, unknown, not a UUID): still 204, nothing changes.
    for tag_id in (a["id"], c["id"], str(uuid.uuid4()), "not-a-uuid"):
        response = await tenant.delete(f"{tags_path(sequence_id, contact)}/{tag_id}")
        assert response.status_code == 204, (tag_id, response.text)
    assert await tag_ids_of(tenant, sequence_id, contact) == {b["id"]}
    # The tag itself stays in the catalogue.
    assert (await tenant.get(f"/v1/tags/{a['id']}")).status_code == 200


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_unknown_or_foreign_tag_ids_are_400_and_nothing_changes(tenants, method) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    a = await make_tag(tenant, "Alpha", workspace_index=0)
    b = await make_tag(tenant, "Beta", workspace_index=0)
    c = await make_tag(tenant, "Gamma", workspace_index=0)
    await put_tags(tenant, sequence_id, contact, [a["id"]])
    bad_ids = {
        "unknown": str(uuid.uuid4()),
        "other-workspace": (await make_tag(tenant, "Alpha", workspace_index=1))["id"],
        "other-organization": (await make_tag(other, "Alpha"))["id"],
    }
    answers = set()
    for kind, bad in bad_ids.items():
        for bad_index in (0, 1, 2):
            good = [b["id"], c["id"]]
            tag_ids = good[:bad_index] + [bad] + good[bad_index:]
            response = await tenant.request(method, tags_path(sequence_id, contact), json={"tagIds": tag_ids})
            assert response.status_code == 400, (kind, bad_index, response.text)
            error = response.json()["error"]
            assert error["code"] == "VALIDATION_ERROR", (kind, bad_index)
            assert f"tagIds[{bad_index}]" in error["message"], (kind, bad_index, error)
            answers.add((response.status_code, error["code"]))
            assert await tag_ids_of(tenant, sequence_id, contact) == {a["id"]}, (kind, bad_index)
        # Alone too.
        response = await tenant.request(method, tags_path(sequence_id, contact), json={"tagIds": [bad]})
        assert response.status_code == 400 and "tagIds[0]" in response.json()["error"]["message"], kind
        answers.add((response.status_code, response.json()["error"]["code"]))
    assert answers == {(400, "VALIDATION_ERROR")}
    assert await tag_ids_of(tenant, sequence_id, contact) == {a["id"]}
    # The foreign tags stayed on no one of theirs either, and the good ids still work.
    response = await tenant.request(method, tags_path(sequence_id, contact), json={"tagIds": [b["id"]]})
    assert response.status_code == 200
    expected = {b["id"]} if method == "PUT" else {a["id"], b["id"]}
    assert {t["id"] for t in response.json()["data"]} == expected


async def test_bad_tag_ids_bodies_are_400(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    a = await make_tag(tenant, "Alpha")
    await put_tags(tenant, sequence_id, contact, [a["id"]])
    for body in ({}, {"tagIds": "x"}, {"tagIds": ["not-a-uuid"]}, {"tagIds": [a["id"]], "extra": 1}, {"tagIds": None}):
        for method in ("PUT", "POST"):
            response = await tenant.request(method, tags_path(sequence_id, contact), json=body)
            assert_error(response, 400, "VALIDATION_ERROR")
    assert await tag_ids_of(tenant, sequence_id, contact) == {a["id"]}


async def test_contact_not_active_in_the_sequence_is_404(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence(contact_ids=contacts[:2])
    elsewhere = await tenant.sequence(contact_ids=[contacts[2]])
    tag = await make_tag(tenant, "Alpha")
    await put_tags(tenant, sequence_id, contacts[1], [tag["id"]])
    removed = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [contacts[1]]})
    assert removed.json() == {"removed": 1}
    for contact in (contacts[2], contacts[1], str(uuid.uuid4()), "not-a-uuid"):
        path = tags_path(sequence_id, contact)
        assert_error(await tenant.request("PUT", path, json={"tagIds": [tag["id"]]}), 404, "NOT_FOUND")
        assert_error(await tenant.post(path, json={"tagIds": [tag["id"]]}), 404, "NOT_FOUND")
        assert_error(await tenant.delete(f"{path}/{tag['id']}"), 404, "NOT_FOUND")
    # The active contact still works; the one in the other sequence got no tag.
    assert (await put_tags(tenant, sequence_id, contacts[0], [tag["id"]])).status_code == 200
    assert await tag_ids_of(tenant, elsewhere, contacts[2]) == set()
    assert await filtered(tenant, sequence_id, tag="Alpha") == ({contacts[0]}, 1)


async def test_unknown_deleted_or_foreign_sequence_is_404(tenants) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    [contact] = await tenant.contacts(1)
    deleted = await tenant.sequence(contact_ids=[contact])
    tag = await make_tag(tenant, "Alpha")
    assert (await tenant.delete(f"/v1/sequences/{deleted}")).status_code == 204
    [foreign_contact] = await other.contacts(1)
    foreign_sequence = await other.sequence(contact_ids=[foreign_contact])
    foreign_tag = await make_tag(other, "Alpha")
    await put_tags(other, foreign_sequence, foreign_contact, [foreign_tag["id"]])
    cases = [
        (deleted, contact, tag["id"]),
        (str(uuid.uuid4()), contact, tag["id"]),
        ("not-a-uuid", contact, tag["id"]),
        (foreign_sequence, foreign_contact, tag["id"]),
        (foreign_sequence, foreign_contact, foreign_tag["id"]),
    ]
    for sequence_id, contact_id, tag_id in cases:
        path = tags_path(sequence_id, contact_id)
        assert_error(await tenant.request("PUT", path, json={"tagIds": []}), 404, "NOT_FOUND")
        assert_error(await tenant.post(path, json={"tagIds": [tag_id]}), 404, "NOT_FOUND")
        assert_error(await tenant.delete(f"{path}/{tag_id}"), 404, "NOT_FOUND")
    assert await tag_ids_of(other, foreign_sequence, foreign_contact) == {foreign_tag["id"]}


async def test_key_limited_to_another_workspace_cannot_tag(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    tag = await make_tag(tenant, "Alpha", workspace_index=0)
    await put_tags(tenant, sequence_id, contact, [tag["id"]])
    limited = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[1]]),
                     tenant.workspace_ids, tenant.members, tenant.api_key_id)
    path = tags_path(sequence_id, contact)
    assert_error(await limited.request("PUT", path, json={"tagIds": []}), 404, "NOT_FOUND")
    assert_error(await limited.post(path, json={"tagIds": []}), 404, "NOT_FOUND")
    assert_error(await limited.delete(f"{path}/{tag['id']}"), 404, "NOT_FOUND")
    assert await tag_ids_of(tenant, sequence_id, contact) == {tag["id"]}


async def test_tags_belong_to_one_sequence_contact(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    first = await tenant.sequence(contact_ids=[contact])
    second = await tenant.sequence(contact_ids=[contact])
    a = await make_tag(tenant, "Alpha")
    b = await make_tag(tenant, "Beta")
    await put_tags(tenant, first, contact, [a["id"]])
    assert await tag_ids_of(tenant, first, contact) == {a["id"]}
    assert await tag_ids_of(tenant, second, contact) == set()
    assert await filtered(tenant, second, tag="Alpha") == (set(), 0)
    assert await filtered(tenant, first, tag="Alpha") == ({contact}, 1)
    response = await post_tags(tenant, second, contact, [b["id"]])
    assert [t["id"] for t in response.json()["data"]] == [b["id"]]
    # Replacing in one sequence leaves the other alone.
    await put_tags(tenant, second, contact, [])
    assert await tag_ids_of(tenant, first, contact) == {a["id"]}
    await tenant.delete(f"{tags_path(first, contact)}/{a['id']}")
    assert await tag_ids_of(tenant, first, contact) == set()


# --- the list operation's ?tag= filter ----------------------------------------------------


async def test_tag_filter_folds_case(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(5)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    reunion = await make_tag(tenant, "RÉUNION")
    strasse = await make_tag(tenant, "Straße")
    other = await make_tag(tenant, "Other")
    await put_tags(tenant, sequence_id, contacts[0], [reunion["id"]])
    await put_tags(tenant, sequence_id, contacts[2], [reunion["id"], strasse["id"]])
    await put_tags(tenant, sequence_id, contacts[3], [other["id"]])
    await put_tags(tenant, sequence_id, contacts[4], [strasse["id"]])
    for query in ("réunion", "RÉUNION", "Réunion", "rÉuNiOn"):
        assert await filtered(tenant, sequence_id, tag=query) == ({contacts[0], contacts[2]}, 2), query
    for query in ("STRASSE", "strasse", "straße", "Straße"):
        assert await filtered(tenant, sequence_id, tag=query) == ({contacts[2], contacts[4]}, 2), query
    # Not the same label: no accent folding, no prefix matching.
    for query in ("reunion", "RÉUNIO", "RÉUNIONS", "Other2", "Oth"):
        body = await listing(tenant, sequence_id, tag=query)
        assert (body["data"], body["total"], body["totalPages"]) == ([], 0, 0), query
    body = await listing(tenant, sequence_id, tag="other")
    assert [item["contact"]["id"] for item in body["data"]] == [contacts[3]]
    assert body["data"][0]["tags"] == [{"id": other["id"], "label": "Other", "isSuccessTag": False}]


async def test_tag_filter_total_and_pages(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(6)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    tag = await make_tag(tenant, "Hot")
    tagged = [contacts[1], contacts[2], contacts[4]]
    for contact in tagged:
        await put_tags(tenant, sequence_id, contact, [tag["id"]])
    seen = []
    for page in (1, 2):
        body = await listing(tenant, sequence_id, tag="hot", limit=2, page=page)
        assert (body["total"], body["totalPages"], body["page"], body["limit"]) == (3, 2, page, 2)
        seen += [item["contact"]["id"] for item in body["data"]]
    assert sorted(seen) == sorted(tagged) and len(seen) == 3
    assert all(item["tags"] == [{"id": tag["id"], "label": "Hot", "isSuccessTag": False}]
               for item in (await listing(tenant, sequence_id, tag="HOT"))["data"])
    body = await listing(tenant, sequence_id)
    assert body["total"] == 6


async def test_tag_filter_takes_wildcards_literally(tenants) -> None:
    tenant = await tenants.create()
    labels = ["50%", "500", "a_b", "axb", "a\\b", "a%b"]
    contacts = await tenant.contacts(len(labels))
    sequence_id = await tenant.sequence(contact_ids=contacts)
    by_label = {}
    for contact, label in zip(contacts, labels, strict=True):
        tag = await make_tag(tenant, label)
        assert tag["label"] == label
        response = await put_tags(tenant, sequence_id, contact, [tag["id"]])
        assert response.status_code == 200
        by_label[label] = contact
    cases = {
        "50%": ["50%"],
        "5%": [],
        "%": [],
        "%0%": [],
        "500": ["500"],
        "a_b": ["a_b"],
        "axb": ["axb"],
        "A_B": ["a_b"],
        "a_": [],
        "_": [],
        "___": [],
        "a\\b": ["a\\b"],
        "A\\B": ["a\\b"],
        "a\\\\b": [],
        "a\\_b": [],
        "a\\%b": [],
        "a%b": ["a%b"],
        "a%": [],
    }
    for query, expected in cases.items():
        found = await filtered(tenant, sequence_id, tag=query)
        assert found == ({by_label[label] for label in expected}, len(expected)), (query, expected)
    # The raw URL: %25 is the % sign, %5F the underscore.
    for raw, expected in (("5%25", []), ("50%25", ["50%"]), ("a%5Fb", ["a_b"]), ("a%5F", [])):
        response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?tag={raw}")
        assert response.status_code == 200
        body = response.json()
        found = {item["contact"]["id"] for item in body["data"]}
        assert (found, body["total"]) == ({by_label[label] for label in expected}, len(expected)), raw


async def test_tag_filter_with_status(tenants) -> None:
    tenant = await tenants.create()
    numberless = await tenant.contacts(2, numbers=False)
    with_numbers = await tenant.contacts(2)
    contacts = numberless + with_numbers
    sequence_id = await tenant.sequence(contact_ids=contacts)
    statuses = {item["contact"]["id"]: item["status"] for item in (await listing(tenant, sequence_id))["data"]}
    assert statuses == {numberless[0]: "MISSING_NUMBER", numberless[1]: "MISSING_NUMBER",
                        with_numbers[0]: None, with_numbers[1]: None}
    tag = await make_tag(tenant, "Réunion")
    for contact in (numberless[0], with_numbers[0]):
        await put_tags(tenant, sequence_id, contact, [tag["id"]])
    assert await filtered(tenant, sequence_id, tag="RÉUNION", status="MISSING_NUMBER") == ({numberless[0]}, 1)
    assert await filtered(tenant, sequence_id, status="MISSING_NUMBER") == (set(numberless), 2)
    assert await filtered(tenant, sequence_id, tag="réunion") == ({numberless[0], with_numbers[0]}, 2)
    body = await listing(tenant, sequence_id, tag="réunion", status="CONNECTED")
    assert (body["data"], body["total"], body["totalPages"]) == ([], 0, 0)


async def test_tag_filter_uses_the_sequence_workspace(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    mine = await make_tag(tenant, "Hot", workspace_index=0)
    await make_tag(tenant, "Cold", workspace_index=1)  # a label of another workspace only
    await put_tags(tenant, sequence_id, contact, [mine["id"]])
    assert await filtered(tenant, sequence_id, tag="hot") == ({contact}, 1)
    assert await filtered(tenant, sequence_id, tag="cold") == (set(), 0)


async def test_unknown_labels_give_an_empty_page(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    tag = await make_tag(tenant, "ab")
    await put_tags(tenant, sequence_id, contact, [tag["id"]])
    # Any string that is no label of the workspace, including ones no label could ever be.
    for query in ("nope", "x" * 300):
        response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"tag": query})
        assert response.status_code == 200, (query, response.text)
        body = response.json()
        assert (body["data"], body["total"], body["totalPages"]) == ([], 0, 0), query
    # NUL is refused in every string input, on every database (PostgreSQL text cannot hold it).
    for query in ("a\x00b", "\x00"):
        response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"tag": query})
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"]["message"].startswith("tag:")
    assert await filtered(tenant, sequence_id, tag="AB") == ({contact}, 1)


async def test_a_label_with_a_nul_character_is_refused(tenants) -> None:
    # The same way on every backend: PostgreSQL text cannot hold NUL.
    tenant = await tenants.create()
    response = await tenant.post("/v1/tags", json={"label": "a\x00b"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith("label:")
    data, total = await all_tags(tenant)
    assert total == 0 == len(data)


async def test_listing_tags_of_a_workspace_out_of_reach_is_400_unknown_workspace(tenants) -> None:
    import uuid

    tenant = await tenants.create(workspaces=2, key_workspaces=[0])
    other = await tenants.create()
    for workspace_id in (other.workspace_id, tenant.workspace_ids[1], str(uuid.uuid4())):
        response = await tenant.get("/v1/tags", params={"workspaceId": workspace_id})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"] == "workspaceId: unknown workspace"
    assert (await tenant.get("/v1/tags", params={"workspaceId": tenant.workspace_id})).status_code == 200
