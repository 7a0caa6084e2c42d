"""`page` and `limit` on every paginated route: digits only, bounded, a 400 otherwise."""

import pytest

from relance.api.schemas import MAX_PAGE

REFUSED = ["1.0", " 1", "1 ", "+1", "1_0", "-1", "0", "１", "1e3", str(MAX_PAGE + 1),
           "4611686018427387904", str(2**63), str(10**30)]  # fmt: skip


async def paginated_paths(tenant) -> list[str]:  # noqa: ANN001
    sequence_id = await tenant.sequence()
    return [
        "/v1/sequences",
        f"/v1/sequences/{sequence_id}/contacts",
        "/v1/contacts",
        "/v1/tags",
        "/v1/calls",
        "/v1/users",
        "/v1/workspaces",
        f"/v1/workspaces/{tenant.workspace_id}/members",
    ]


@pytest.mark.parametrize("value", REFUSED)
async def test_a_page_not_in_digits_or_out_of_bounds_is_400(tenants, value) -> None:
    tenant = await tenants.create()
    for path in await paginated_paths(tenant):
        response = await tenant.get(path, params={"page": value})
        assert response.status_code == 400, (path, value, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
        assert "page" in response.json()["error"]["message"]


@pytest.mark.parametrize("value", ["1.0", " 1", "+1", "1_0", "5e1"])
async def test_a_limit_not_in_digits_is_400(tenants, value) -> None:
    tenant = await tenants.create()
    for path in await paginated_paths(tenant):
        response = await tenant.get(path, params={"limit": value})
        assert response.status_code == 400, (path, value, response.text)
        assert "limit" in response.json()["error"]["message"]


async def test_the_last_page_allowed_answers_empty(tenants) -> None:
    tenant = await tenants.create()
    for path in await paginated_paths(tenant):
        response = await tenant.get(path, params={"page": str(MAX_PAGE), "limit": "100"})
        assert response.status_code == 200, (path, response.text)
        assert response.json()["data"] == [] and response.json()["page"] == MAX_PAGE
    assert (await tenant.get("/v1/users", params={"page": "01"})).json()["page"] == 1
