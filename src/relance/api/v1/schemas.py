"""The /v1 wire format: the Skipcall DTOs, field for field, plus Relance's extensions."""

import uuid
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints

from relance.api.batches import Checked
from relance.api.schemas import (
    EmailAddress,
    Page,
    PageQuery,
    RequestModel,
    ResponseModel,
    StoredDatetime,
    Timestamp,
    refuse_nul,
)
from relance.call_lifecycle import CallStatus
from relance.calls.repository import LATEST_CALLS
from relance.enrolments.statuses import SequenceContactStatus
from relance.sequences.filters import Filter
from relance.tags.service import MAX_TAGS_PER_CONTACT

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Email = EmailAddress
RawPhoneNumber = Annotated[str, StringConstraints(min_length=1, max_length=64)]


CONTINUOUS_DESCRIPTION = (
    "Relance extension (OpenCX's is_continuous): only a continuous sequence takes contacts "
    "through POST /opencx/sequences/{sequence_id}/contacts."
)
FILTER_DESCRIPTION = (
    "Relance extension: which contacts POST /opencx/sequences/{sequence_id}/contacts may add "
    "(the /v1 add ignores it). Groups nest at most 5 deep. phoneCountry is the ISO regions of "
    "the contact's numbers, and a condition on it holds when it holds for any number. Text "
    "comparisons, in included, ignore case; a field with no value satisfies only neq and "
    "exists: false. "
    'Example: {"all": [{"field": "phoneCountry", "op": "in", "value": ["FR", "BE"]}, '
    '{"any": [{"field": "email", "op": "endsWith", "value": "@acme.com"}, '
    '{"field": "company", "op": "exists", "value": true}]}]}'
)

# Checked for NUL before it is read, as every other input is (RequestModel's check sees a model).
WireFilter = Annotated[Filter | None, BeforeValidator(refuse_nul)]

# --- sequences -------------------------------------------------------------------------


class CreateSequenceDto(RequestModel):
    name: Name
    assigned_to_ids: list[Checked[uuid.UUID]] = Field(
        max_length=100, description="OrganizationMembership IDs of users to assign this sequence to"
    )
    creator_id: uuid.UUID = Field(description="OrganizationMembership ID of the creator")
    contact_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=1000, description="Contact IDs to add to the sequence"
    )
    workspace_id: uuid.UUID | None = Field(
        default=None,
        description="Relance extension: the workspace of the sequence. Defaults to the only "
        "workspace the API key can reach.",
    )
    is_continuous: bool = Field(default=False, description=CONTINUOUS_DESCRIPTION)
    filter: WireFilter = Field(default=None, description=FILTER_DESCRIPTION)


class UpdateSequenceDto(RequestModel):
    name: Name | None = None
    assigned_to_ids: list[Checked[uuid.UUID]] | None = Field(default=None, max_length=100)
    is_continuous: bool = Field(default=None, description=CONTINUOUS_DESCRIPTION)  # type: ignore[assignment]
    filter: WireFilter = Field(
        default=None, description=FILTER_DESCRIPTION + " Send null to clear it."
    )


class AssignedUserDto(ResponseModel):
    organization_membership_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    email: str


class SequenceDto(ResponseModel):
    id: uuid.UUID
    name: str
    organization_membership_id: uuid.UUID
    workspace_id: uuid.UUID
    is_continuous: bool
    filter: dict[str, Any] | None
    created_at: Timestamp
    updated_at: Timestamp
    contact_count: int
    assigned_to: list[AssignedUserDto]


class ContactAssignmentDto(RequestModel):
    contact_id: uuid.UUID
    assigned_to_workspace_membership_id: uuid.UUID | None = None


class ContactAssignmentBatchDto(RequestModel):
    contacts: list[Checked[ContactAssignmentDto]] = Field(min_length=1, max_length=100)


class ContactsBatchDto(RequestModel):
    contact_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class AddedDto(ResponseModel):
    added: int


class RemovedDto(ResponseModel):
    removed: int


class ListSequenceContactsQuery(PageQuery):
    tag: str | None = Field(default=None, description="Filter contacts by tag label")
    status: SequenceContactStatus | None = Field(
        default=None, description="Filter contacts by call status"
    )


class PhoneNumberDto(ResponseModel):
    id: uuid.UUID
    number: str


class SequenceContactContactDto(ResponseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    company: str | None
    phone_numbers: list[PhoneNumberDto]


class SequenceContactTagDto(ResponseModel):
    id: uuid.UUID
    label: str
    is_success_tag: bool


class SequenceContactCallDto(ResponseModel):
    id: uuid.UUID
    status: CallStatus
    started_at: Timestamp | None
    ended_at: Timestamp | None
    duration_seconds: int | None
    created_at: Timestamp


class SequenceContactDto(ResponseModel):
    id: uuid.UUID
    status: SequenceContactStatus | None
    contact: SequenceContactContactDto
    tags: list[SequenceContactTagDto] = Field(
        max_length=MAX_TAGS_PER_CONTACT,
        description=f"Tags associated with this contact in the sequence (at most "
        f"{MAX_TAGS_PER_CONTACT})",
    )
    calls: list[SequenceContactCallDto] = Field(
        max_length=LATEST_CALLS,
        description=f"Calls made to this contact in the sequence, newest first: the latest "
        f"{LATEST_CALLS} (Relance bounds each item; callCount tells how many there are)",
    )
    call_count: int = Field(
        ge=0, description="Relance extension: how many calls this contact has in the sequence"
    )
    created_at: Timestamp
    assigned_to_workspace_membership_id: uuid.UUID


# The list operation's page, under the Skipcall spec's name for it.
class PaginatedSequenceContactsDto(Page[SequenceContactDto]):
    pass


# --- tags ------------------------------------------------------------------------------

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class CreateTagDto(RequestModel):
    label: Label
    is_success_tag: bool = False
    workspace_id: uuid.UUID | None = None


class UpdateTagDto(RequestModel):
    label: Label = None  # type: ignore[assignment]  # omitted: unchanged; null: refused
    is_success_tag: bool = None  # type: ignore[assignment]


class TagDto(ResponseModel):
    id: uuid.UUID
    label: str
    is_success_tag: bool
    workspace_id: uuid.UUID
    created_at: Timestamp
    updated_at: Timestamp


class ListTagsQuery(PageQuery):
    workspace_id: uuid.UUID | None = Field(default=None, alias="workspaceId")


class TagIdsDto(RequestModel):
    tag_ids: list[Checked[uuid.UUID]] = Field(max_length=100)


class ContactTagsDto(ResponseModel):
    data: list[SequenceContactTagDto]


# --- calls -----------------------------------------------------------------------------

RecordingUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://\S+$")]


class CreateCallDto(RequestModel):
    sequence_id: uuid.UUID
    contact_id: uuid.UUID
    phone_number_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the contact's oldest number"
    )
    workspace_membership_id: uuid.UUID | None = Field(
        default=None, description="The caller; defaults to the contact's assignee in the sequence"
    )
    status: CallStatus = CallStatus.NOT_INITIATED
    started_at: StoredDatetime | None = None
    ended_at: StoredDatetime | None = None
    recording_url: RecordingUrl | None = None


class UpdateCallDto(RequestModel):
    # Omitted: unchanged. null is refused for the status and the times.
    status: CallStatus = None  # type: ignore[assignment]
    started_at: StoredDatetime = None  # type: ignore[assignment]
    ended_at: StoredDatetime = None  # type: ignore[assignment]
    recording_url: RecordingUrl | None = None


class CallDto(ResponseModel):
    id: uuid.UUID
    sequence_id: uuid.UUID
    contact_id: uuid.UUID
    phone_number_id: uuid.UUID | None
    workspace_membership_id: uuid.UUID
    status: CallStatus
    started_at: Timestamp | None
    ended_at: Timestamp | None
    duration_seconds: int | None
    recording_url: str | None
    created_at: Timestamp


class ListCallsQuery(PageQuery):
    sequence_id: uuid.UUID | None = Field(default=None, alias="sequenceId")
    contact_id: uuid.UUID | None = Field(default=None, alias="contactId")
    workspace_membership_id: uuid.UUID | None = Field(default=None, alias="workspaceMembershipId")
    status: CallStatus | None = None
    created_at_from: StoredDatetime | None = Field(
        default=None, alias="createdAtFrom", description="Inclusive, ISO 8601 with an offset"
    )
    created_at_to: StoredDatetime | None = Field(
        default=None, alias="createdAtTo", description="Exclusive, ISO 8601 with an offset"
    )


# --- contacts --------------------------------------------------------------------------


class CreateContactDto(RequestModel):
    first_name: OptionalText = ""
    last_name: OptionalText = ""
    email: Email | None = None
    company: OptionalText | None = None
    phone_numbers: list[RawPhoneNumber] = Field(
        default_factory=list,
        max_length=20,
        description="Numbers in any usual spelling; without a country code they are read in "
        "RELANCE_DEFAULT_REGION. Returned in E.164.",
    )
    workspace_id: uuid.UUID | None = None


class BulkCreateContactsDto(RequestModel):
    contacts: list[Checked[CreateContactDto]] = Field(min_length=1, max_length=1000)


class UpdateContactDto(RequestModel):
    first_name: OptionalText | None = None
    last_name: OptionalText | None = None
    email: Email | None = None
    company: OptionalText | None = None
    phone_numbers: list[RawPhoneNumber] | None = Field(default=None, max_length=20)
    workspace_id: uuid.UUID | None = None


class ContactDto(ResponseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    company: str | None
    phone_numbers: list[PhoneNumberDto]
    created_at: Timestamp
    updated_at: Timestamp


class ContactListDto(ResponseModel):
    data: list[ContactDto]


class ListContactsQuery(PageQuery):
    search: str | None = Field(
        default=None, max_length=255, description="Matches name, email or company, ignoring case"
    )


# --- directory -------------------------------------------------------------------------


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


class ErrorBody(ResponseModel):
    code: str
    message: str
    status: int


class ErrorDto(ResponseModel):
    error: ErrorBody
