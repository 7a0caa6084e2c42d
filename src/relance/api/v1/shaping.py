"""Domain results to /v1 DTOs (and the list's page straight to its JSON)."""

import functools
from collections.abc import Callable
from datetime import datetime

import orjson
from sqlalchemy import Row

from relance.api.schemas import PageQuery, format_timestamp
from relance.api.v1.directory_schemas import UserDto, WorkspaceDto, WorkspaceMemberDto
from relance.api.v1.queue_schemas import (
    NextCallDto,
    QueuedContactDto,
    RepStatsDto,
    SequenceStatsDto,
)
from relance.api.v1.schemas import (
    AssignedUserDto,
    CallDto,
    ContactDto,
    PaginatedSequenceContactsDto,
    PhoneNumberDto,
    SequenceContactTagDto,
    SequenceDto,
    TagDto,
)
from relance.api.v1.webhook_schemas import (
    EventDto,
    WebhookDeliveryDto,
    WebhookDto,
    WebhookWithSecretDto,
)
from relance.calls.queue import NextCall
from relance.calls.service import duration_seconds
from relance.contacts.service import ContactView
from relance.db.models import (
    Call,
    OrganizationMembership,
    PhoneNumber,
    Tag,
    Workspace,
    WorkspaceMembership,
)
from relance.db.models_webhooks import Event, WebhookEndpoint
from relance.events.outbox import body, decode_types
from relance.sequences.listing import EnrolledContact
from relance.sequences.service import SequenceView
from relance.sequences.stats import SequenceStats


def phone_numbers(numbers: list[PhoneNumber]) -> list[PhoneNumberDto]:
    return [PhoneNumberDto(id=n.id, number=n.number) for n in numbers]


def sequence(view: SequenceView) -> SequenceDto:
    s = view.sequence
    return SequenceDto(
        id=s.id,
        name=s.name,
        organization_membership_id=s.creator_membership_id,
        workspace_id=s.workspace_id,
        is_continuous=s.is_continuous,
        filter=s.filter,
        created_at=s.created_at,
        updated_at=s.updated_at,
        contact_count=view.contact_count,
        calling_window=s.calling_window,
        max_attempts=s.max_attempts,
        retry_after_minutes=s.retry_after_minutes,
        assigned_to=[
            AssignedUserDto(
                organization_membership_id=m.id,
                first_name=m.first_name,
                last_name=m.last_name,
                email=m.email,
            )
            for m in view.assignees
        ],
    )


def contacts_page(items: list[EnrolledContact], *, total: int, query: PageQuery) -> bytes:
    """The list's page: the JSON of ``PaginatedSequenceContactsDto`` (which documents it),
    key for key and value for value (PostgreSQL puts spaces around its separators), its
    items as the database wrote them, each completed with what depends on the moment of
    the request. Nothing of them is parsed or built as objects."""
    page = PaginatedSequenceContactsDto.of([], total=total, query=query)
    tail = orjson.dumps(
        {
            "total": page.total,
            "page": page.page,
            "limit": page.limit,
            "totalPages": page.total_pages,
        }
    )
    # Most items of a page share their moments (``nextCallableAt`` is mostly now).
    written = functools.lru_cache(maxsize=None)(_moment)
    data = ",".join(_completed(item, written) for item in items)
    return b'{"data":[' + data.encode() + b"]," + tail[1:]


def _completed(item: EnrolledContact, moment: Callable[[datetime | None], str]) -> str:
    """The item's JSON object, its ``state``, ``pausedUntil`` and ``nextCallableAt`` put
    in where ``SequenceContactDto`` has them."""
    return (
        f'{item.head[:-1]},"state":"{item.state}","pausedUntil":{moment(item.paused_until)},'
        f'{item.tail[1:-1]},"nextCallableAt":{moment(item.next_callable_at)}}}'
    )


def _moment(moment: datetime | None) -> str:
    """A timestamp as the wire's JSON writes it, or null."""
    return "null" if moment is None else f'"{format_timestamp(moment)}"'


def tag_of_contact(tag: Tag) -> SequenceContactTagDto:
    return SequenceContactTagDto(id=tag.id, label=tag.label, is_success_tag=tag.is_success_tag)


def tag(tag: Tag) -> TagDto:
    return TagDto(
        id=tag.id,
        label=tag.label,
        is_success_tag=tag.is_success_tag,
        workspace_id=tag.workspace_id,
        created_at=tag.created_at,
        updated_at=tag.updated_at,
    )


def call(call: Call) -> CallDto:
    return CallDto(
        id=call.id,
        sequence_id=call.sequence_id,
        contact_id=call.contact_id,
        phone_number_id=call.phone_number_id,
        workspace_membership_id=call.workspace_membership_id,
        status=call.status,
        started_at=call.started_at,
        ended_at=call.ended_at,
        duration_seconds=duration_seconds(call),
        recording_url=call.recording_url,
        created_at=call.created_at,
    )


def contact(view: ContactView) -> ContactDto:
    c = view.contact
    return ContactDto(
        id=c.id,
        workspace_id=c.workspace_id,
        first_name=c.first_name,
        last_name=c.last_name,
        email=c.email,
        company=c.company,
        phone_numbers=phone_numbers(view.phone_numbers),
        created_at=c.created_at,
        updated_at=c.updated_at,
        time_zone=c.time_zone,
    )


def user(member: OrganizationMembership) -> UserDto:
    return UserDto(
        organization_membership_id=member.id,
        first_name=member.first_name,
        last_name=member.last_name,
        email=member.email,
    )


def workspace(workspace: Workspace) -> WorkspaceDto:
    return WorkspaceDto(id=workspace.id, name=workspace.name, created_at=workspace.created_at)


def workspace_member(
    membership: WorkspaceMembership, member: OrganizationMembership
) -> WorkspaceMemberDto:
    return WorkspaceMemberDto(
        id=membership.id,
        organization_membership_id=member.id,
        first_name=member.first_name,
        last_name=member.last_name,
        email=member.email,
    )


def next_call(result: NextCall) -> NextCallDto:
    row = result.enrolment
    return NextCallDto(
        call=call(result.call),
        sequence_contact=QueuedContactDto(
            id=row.id,
            contact_id=row.contact_id,
            status=row.status,
            state=row.state,
            attempts=row.attempts,
            last_attempt_at=row.last_attempt_at,
            created_at=row.created_at,
            assigned_to_workspace_membership_id=row.assigned_to_workspace_membership_id,
        ),
        phone_number=PhoneNumberDto(id=result.phone_number.id, number=result.phone_number.number),
    )


def sequence_stats(result: SequenceStats) -> SequenceStatsDto:
    return SequenceStatsDto(
        contact_count=result.contact_count,
        by_status=result.by_status,
        by_state=result.by_state,
        reps=[RepStatsDto(**vars(rep)) for rep in result.reps],
        attempts=result.attempts,
        connection_rate=result.connection_rate,
    )


def webhook(endpoint: WebhookEndpoint, *, secret: str | None = None) -> WebhookDto:
    values = dict(
        id=endpoint.id,
        url=endpoint.url,
        events=decode_types(endpoint.event_types),
        description=endpoint.description,
        workspace_id=endpoint.workspace_id,
        created_at=endpoint.created_at,
        disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
    )
    if secret is None:
        return WebhookDto(**values)
    return WebhookWithSecretDto(**values, secret=secret)


def delivery(row: Row) -> WebhookDeliveryDto:
    d, event_id, event_type = row
    return WebhookDeliveryDto(
        id=d.id,
        event_id=event_id,
        event_type=event_type,
        status=d.status,
        attempts=d.attempts,
        last_attempt_at=d.last_attempt_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
    )


def event(row: Event) -> EventDto:
    return EventDto.model_validate(body(row))
