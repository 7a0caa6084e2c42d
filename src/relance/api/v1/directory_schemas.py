"""The /v1 wire format of the directory: the organization's users, its workspaces and
their members (Skipcall's DTOs)."""

import uuid

from pydantic import Field

from relance.api.schemas import ResponseModel, Timestamp


class UserDto(ResponseModel):
    organization_membership_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    email: str


class WorkspaceDto(ResponseModel):
    id: uuid.UUID
    name: str
    created_at: Timestamp


class WorkspaceMemberDto(ResponseModel):
    id: uuid.UUID = Field(description="The workspace membership id")
    organization_membership_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    email: str
