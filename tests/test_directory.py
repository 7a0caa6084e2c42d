"""/v1/users, /v1/workspaces and /v1/workspaces/{id}/members."""

import re
import uuid

import pytest

from tests.factory import ADMIN, Tenant

PAGE_KEYS = {"data", "total", "page", "limit", "totalPages"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def get_page(tenant: Tenant, path: str, headers: dict | None = None) -> dict:
    response = await tenant.get(path, headers=headers or {})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == PAGE_KEYS
    return body


async def all_items(tenant: Tenant, path: str, limit: int, headers: dict | None = None) -> list[dict]:
    items: list[dict] = []
    page = 1
    while True:
        body = await get_page(tenant, f"{path}?limit={limit}&page={page}", headers)
        assert len(body["data"]) <= limit
        items.extend(body["data"])
        if page >= body["totalPages"]:
            return items
        page += 1


async def add_member(tenant: Tenant, *, workspace_indexes: list[int], first_name: str | None = "Solo") -> dict:
    body = {
        "email": f"extra-{uuid.uuid4().hex[:6]}@example.com",
        "firstName": first_name,
        "lastName": None,
        "workspaceIds": [tenant.workspace_ids[i] for i in workspace_indexes],
    }
    response = await tenant.client.post(
        f"/admin/v1/organizations/{tenant.organization_id}/members", json=body, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return response.json()


def limited_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- /v1/users -------------------------------------------------------------------------


async def test_users_lists_the_organization_members(tenants) -> None:
    tenant = await tenants.create(members=3)
    other = await tenants.create(members=2)
    body = await get_page(tenant, "/v1/users")
    assert (body["total"], body["page"], body["limit"], body["totalPages"]) == (3, 1, 50, 1)
    assert all(set(u) == {"organizationMembershipId", "firstName", "lastName", "email"} for u in body["data"])
    expected = {
        (m.organization_membership_id, f"Rep{i}", "Test", m.email) for i, m in enumerate(tenant.members)
    }
    got = {(u["organizationMembershipId"], u["firstName"], u["lastName"], u["email"]) for u in body["data"]}
    assert got == expected
    foreign = {m.organization_membership_id for m in other.members}
    assert not foreign & {u["organizationMembershipId"] for u in body["data"]}


async def test_users_paginate(tenants) -> None:
    tenant = await tenants.create(members=5)
    await tenants.create(members=4)  # another organization, never counted
    first = await get_page(tenant, "/v1/users?limit=2")
    assert (first["total"], first["page"], first["limit"], first["totalPages"], len(first["data"])) == (5, 1, 2, 3, 2)
    last = await get_page(tenant, "/v1/users?limit=2&page=3")
    assert (last["total"], last["page"], last["totalPages"], len(last["data"])) == (5, 3, 3, 1)
    beyond = await get_page(tenant, "/v1/users?limit=2&page=4")
    assert (beyond["total"], beyond["data"]) == (5, [])
    ids = [u["organizationMembershipId"] for u in await all_items(tenant, "/v1/users", 2)]
    assert sorted(ids) == sorted(m.organization_membership_id for m in tenant.members)


async def test_users_include_members_of_no_workspace_with_null_names(tenants) -> None:
    tenant = await tenants.create(members=1)
    extra = await add_member(tenant, workspace_indexes=[], first_name=None)
    users = (await get_page(tenant, "/v1/users"))["data"]
    listed = next(u for u in users if u["organizationMembershipId"] == extra["organizationMembershipId"])
    assert listed == {
        "organizationMembershipId": extra["organizationMembershipId"],
        "firstName": None,
        "lastName": None,
        "email": extra["email"],
    }
    assert len(users) == 2


# --- /v1/workspaces --------------------------------------------------------------------


async def test_workspaces_lists_the_organization_workspaces(tenants) -> None:
    tenant = await tenants.create(workspaces=3)
    other = await tenants.create(workspaces=2)
    body = await get_page(tenant, "/v1/workspaces")
    assert (body["total"], body["page"], body["limit"], body["totalPages"]) == (3, 1, 50, 1)
    assert all(set(w) == {"id", "name", "createdAt"} for w in body["data"])
    assert {w["id"]: w["name"] for w in body["data"]} == dict(zip(tenant.workspace_ids, ["WS0", "WS1", "WS2"], strict=True))
    assert all(TIMESTAMP.match(w["createdAt"]) for w in body["data"])
    assert not set(other.workspace_ids) & {w["id"] for w in body["data"]}


async def test_workspaces_paginate(tenants) -> None:
    tenant = await tenants.create(workspaces=3, members=0)
    await tenants.create(workspaces=3, members=0)
    first = await get_page(tenant, "/v1/workspaces?limit=2")
    assert (first["total"], first["totalPages"], len(first["data"])) == (3, 2, 2)
    second = await get_page(tenant, "/v1/workspaces?limit=2&page=2")
    assert (second["total"], second["page"], len(second["data"])) == (3, 2, 1)
    ids = [w["id"] for w in first["data"] + second["data"]]
    assert sorted(ids) == sorted(tenant.workspace_ids)


async def test_key_limited_to_a_workspace_lists_only_it(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    headers = limited_headers(await tenant.key_for([tenant.workspace_ids[0]]))
    body = await get_page(tenant, "/v1/workspaces", headers)
    assert (body["total"], body["totalPages"]) == (1, 1)
    assert [w["id"] for w in body["data"]] == [tenant.workspace_ids[0]]
    # The organization-wide key still sees both.
    assert (await get_page(tenant, "/v1/workspaces"))["total"] == 2


# --- /v1/workspaces/{id}/members -------------------------------------------------------


async def test_workspace_members_give_workspace_membership_ids(tenants) -> None:
    tenant = await tenants.create(workspaces=2, members=3)
    only_b = await add_member(tenant, workspace_indexes=[1])
    for index, workspace_id in enumerate(tenant.workspace_ids):
        body = await get_page(tenant, f"/v1/workspaces/{workspace_id}/members")
        assert all(
            set(m) == {"id", "organizationMembershipId", "firstName", "lastName", "email"} for m in body["data"]
        )
        expected = {
            (tenant.wm(i, index), member.organization_membership_id, f"Rep{i}", "Test", member.email)
            for i, member in enumerate(tenant.members)
        }
        if index == 1:
            expected.add(
                (only_b["workspaceMemberships"][0]["id"], only_b["organizationMembershipId"], "Solo", None, only_b["email"])
            )
        got = {(m["id"], m["organizationMembershipId"], m["firstName"], m["lastName"], m["email"]) for m in body["data"]}
        assert got == expected
        assert (body["total"], body["page"], body["limit"], body["totalPages"]) == (len(expected), 1, 50, 1)


async def test_workspace_members_paginate(tenants) -> None:
    tenant = await tenants.create(workspaces=2, members=5)
    await add_member(tenant, workspace_indexes=[1])  # not a member of workspace 0
    path = f"/v1/workspaces/{tenant.workspace_id}/members"
    first = await get_page(tenant, f"{path}?limit=2")
    assert (first["total"], first["totalPages"], first["limit"], len(first["data"])) == (5, 3, 2, 2)
    ids = [m["id"] for m in await all_items(tenant, path, 2)]
    assert sorted(ids) == sorted(tenant.wm(i) for i in range(5))


async def test_workspace_members_out_of_scope_are_404(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    headers = limited_headers(await tenant.key_for([tenant.workspace_ids[0]]))
    cases = [
        (tenant.workspace_ids[1], headers),  # the organization's, outside the key's scope
        (other.workspace_id, {}),  # another organization's
        (str(uuid.uuid4()), {}),
        ("not-a-uuid", {}),
    ]
    for workspace_id, extra in cases:
        response = await tenant.get(f"/v1/workspaces/{workspace_id}/members", headers=extra)
        assert response.status_code == 404, (workspace_id, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    # The limited key still reads its own workspace.
    own = await get_page(tenant, f"/v1/workspaces/{tenant.workspace_ids[0]}/members", headers)
    assert {m["id"] for m in own["data"]} == {tenant.wm(i, 0) for i in range(3)}


@pytest.mark.parametrize("path", ["/v1/users", "/v1/workspaces", "/v1/workspaces/{ws}/members"])
@pytest.mark.parametrize("query", ["limit=0", "limit=101", "page=0", "foo=bar"])
async def test_bad_directory_queries_are_400(tenants, path, query) -> None:
    tenant = await tenants.create()
    response = await tenant.get(f"{path.format(ws=tenant.workspace_id)}?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("path", ["/v1/users", "/v1/workspaces", "/v1/workspaces/{ws}/members"])
async def test_directory_needs_a_key(tenants, path) -> None:
    tenant = await tenants.create()
    response = await tenant.client.get(path.format(ws=tenant.workspace_id))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
