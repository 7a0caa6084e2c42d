"""Provisions tenants through the admin API, the way an operator would."""

import uuid
from dataclasses import dataclass, field

import httpx

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Member:
    organization_membership_id: str
    email: str
    workspace_memberships: dict[str, str]  # workspace id -> workspace membership id


@dataclass
class Tenant:
    client: httpx.AsyncClient
    organization_id: str
    key: str
    workspace_ids: list[str]
    members: list[Member]
    api_key_id: str
    extra: dict = field(default_factory=dict)

    @property
    def workspace_id(self) -> str:
        return self.workspace_ids[0]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def wm(self, member_index: int, workspace_index: int = 0) -> str:
        """A member's workspace membership id."""
        return self.members[member_index].workspace_memberships[self.workspace_ids[workspace_index]]

    def om(self, member_index: int) -> str:
        return self.members[member_index].organization_membership_id

    async def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def put(self, path: str, **kwargs) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def key_for(self, workspace_ids: list[str] | None) -> str:
        """Another key of this organization, limited to some workspaces."""
        response = await self.client.post(
            f"/admin/v1/organizations/{self.organization_id}/api-keys",
            json={"name": "limited", "mode": "live", "workspaceIds": workspace_ids},
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        return response.json()["key"]

    async def contacts(self, count: int, *, workspace_index: int = 0, numbers: bool = True) -> list[str]:
        """Create ``count`` contacts in one bulk request; returns their ids in order."""
        workspace_id = self.workspace_ids[workspace_index]
        items = [
            {
                "firstName": f"First{i}",
                "lastName": f"Last{i}",
                "email": f"contact{i}-{uuid.uuid4().hex[:8]}@example.com",
                "company": "Acme",
                "phoneNumbers": [f"+3361{i % 10000000:07d}"] if numbers else [],
                "workspaceId": workspace_id,
            }
            for i in range(count)
        ]
        ids: list[str] = []
        for start in range(0, count, 1000):
            response = await self.post("/v1/contacts/bulk", json={"contacts": items[start : start + 1000]})
            assert response.status_code == 201, response.text
            ids.extend(c["id"] for c in response.json()["data"])
        return ids

    async def sequence(
        self, *, assignees: list[int] | None = None, contact_ids: list[str] | None = None, workspace_index: int = 0
    ) -> str:
        assignees = [0, 1, 2] if assignees is None else assignees
        response = await self.post(
            "/v1/sequences",
            json={
                "name": "Test sequence",
                "creatorId": self.om(0),
                "assignedToIds": [self.om(i) for i in assignees],
                "contactIds": contact_ids or [],
                "workspaceId": self.workspace_ids[workspace_index],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]


class TenantFactory:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        response = await self.client.request(method, f"/admin/v1{path}", json=body, headers=ADMIN)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def create(
        self,
        *,
        plan: str = "EXPERT",
        status: str = "ACTIVE",
        workspaces: int = 1,
        members: int = 3,
        key_workspaces: list[int] | None = None,
    ) -> Tenant:
        org = await self.admin(
            "POST",
            "/organizations",
            {"name": f"Org {uuid.uuid4().hex[:6]}", "plan": plan, "subscriptionStatus": status},
        )
        workspace_ids = [
            (await self.admin("POST", f"/organizations/{org['id']}/workspaces", {"name": f"WS{i}"}))["id"]
            for i in range(workspaces)
        ]
        created = []
        for i in range(members):
            body = {
                "email": f"rep{i}-{uuid.uuid4().hex[:6]}@example.com",
                "firstName": f"Rep{i}",
                "lastName": "Test",
                "workspaceIds": workspace_ids,
            }
            member = await self.admin("POST", f"/organizations/{org['id']}/members", body)
            created.append(
                Member(
                    member["organizationMembershipId"],
                    member["email"],
                    {w["workspaceId"]: w["id"] for w in member["workspaceMemberships"]},
                )
            )
        key = await self.admin(
            "POST",
            f"/organizations/{org['id']}/api-keys",
            {
                "name": "test",
                "mode": "live",
                "workspaceIds": None
                if key_workspaces is None
                else [workspace_ids[i] for i in key_workspaces],
            },
        )
        return Tenant(self.client, org["id"], key["key"], workspace_ids, created, key["id"])
