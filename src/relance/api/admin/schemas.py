"""The /admin/v1 wire format."""

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from relance.api.batches import Checked
from relance.api.schemas import EmailAddress, RequestModel, ResponseModel, Timestamp
from relance.plans import Plan, SubscriptionStatus, parse_plan

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


def _plan(value: object) -> object:
    return parse_plan(value) or value


class CreateOrganizationDto(RequestModel):
    name: Name
    plan: Plan = Field(description="FREE, STARTER, INTERMEDIAIRE (or INTERMÉDIAIRE) or EXPERT")
    subscription_status: SubscriptionStatus

    _accept_accented_plan = field_validator("plan", mode="before")(_plan)


class UpdateOrganizationDto(RequestModel):
    plan: Plan | None = None
    subscription_status: SubscriptionStatus | None = None

    _accept_accented_plan = field_validator("plan", mode="before")(_plan)


class OrganizationDto(ResponseModel):
    id: uuid.UUID
    name: str
    plan: Plan
    subscription_status: SubscriptionStatus
    created_at: Timestamp


class CreateWorkspaceDto(RequestModel):
    name: Name


class AdminWorkspaceDto(ResponseModel):
    id: uuid.UUID
    name: str
    organization_id: uuid.UUID
    created_at: Timestamp


class CreateMemberDto(RequestModel):
    email: EmailAddress
    first_name: Annotated[str, StringConstraints(max_length=255)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=255)] | None = None
    workspace_ids: list[Checked[uuid.UUID]] | None = None


class WorkspaceMembershipRefDto(ResponseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID


class MemberDto(ResponseModel):
    organization_membership_id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None
    workspace_memberships: list[WorkspaceMembershipRefDto]


class AddWorkspaceMemberDto(RequestModel):
    organization_membership_id: uuid.UUID


class WorkspaceMembershipDto(ResponseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    organization_membership_id: uuid.UUID


class CreateApiKeyDto(RequestModel):
    name: Name
    mode: Literal["live", "test"]
    workspace_ids: list[Checked[uuid.UUID]] | None = Field(
        default=None, description="null: every workspace of the organization, later ones included"
    )


class ApiKeyDto(ResponseModel):
    id: uuid.UUID
    name: str
    key: str = Field(description="The clear key, shown only in this response")
    mode: str
    workspace_ids: list[uuid.UUID] | None
    created_at: Timestamp


# Results the command line prints that no admin path answers: the same camelCase models.


class ApiKeySummaryDto(ResponseModel):
    """An API key as listed: never the clear key, which is not stored."""

    id: uuid.UUID
    name: str
    mode: str
    workspace_ids: list[uuid.UUID] | None
    created_at: Timestamp
    revoked_at: Timestamp | None


class RevokedApiKeyDto(ResponseModel):
    id: uuid.UUID
    revoked_at: Timestamp | None


class PurgedRunsDto(ResponseModel):
    deleted: int
    retention_days: int


class PurgedIdempotencyKeysDto(ResponseModel):
    deleted: int


class ReencryptedDto(ResponseModel):
    """What ``relance webhooks reencrypt`` did: the endpoints whose secrets it sealed again
    under the first key, and those no key opens (left as they were)."""

    resealed: int
    unreadable: list[uuid.UUID]


class DemoMemberDto(ResponseModel):
    organization_membership_id: uuid.UUID
    workspace_membership_id: uuid.UUID
    email: str


class DemoTenantDto(ResponseModel):
    api_key: str
    organization_id: uuid.UUID
    workspace_id: uuid.UUID
    members: list[DemoMemberDto]
    sequence_id: uuid.UUID
    contact_ids: list[uuid.UUID]
