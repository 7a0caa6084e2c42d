"""A demo tenant: an EXPERT organization with a workspace, three assignees, contacts, a sequence,
and a history of calls and tags behind every kind of status."""

import asyncio
import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from relance.call_lifecycle import CallStatus, has_ended, has_started
from relance.calls import service as calls
from relance.contacts import service as contacts
from relance.contacts.service import ContactInput
from relance.db.types import utcnow
from relance.plans import Plan, SubscriptionStatus
from relance.sequences import service as sequences
from relance.tags import service as tags
from relance.tenancy import service as tenancy
from relance.tenancy.database import Database
from relance.tenancy.scope import TenantScope

ASSIGNEES = [
    ("camille.martin@demo.relance.dev", "Camille", "Martin"),
    ("hugo.bernard@demo.relance.dev", "Hugo", "Bernard"),
    ("lea.dubois@demo.relance.dev", "Léa", "Dubois"),
]
FIRST_NAMES = [
    "Alice",
    "Bruno",
    "Chloé",
    "David",
    "Emma",
    "Farid",
    "Gaëlle",
    "Hélène",
    "Ines",
    "Jules",
]
LAST_NAMES = ["Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Roux"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries"]


@dataclass(frozen=True)
class DemoMember:
    organization_membership_id: uuid.UUID
    workspace_membership_id: uuid.UUID
    email: str


@dataclass(frozen=True)
class DemoTenant:
    api_key: str
    organization_id: uuid.UUID
    workspace_id: uuid.UUID
    members: list[DemoMember]
    sequence_id: uuid.UUID
    contact_ids: list[uuid.UUID]


async def create_demo_tenant(
    database: Database, *, default_region: str, contacts_count: int = 36, seed: int | None = None
) -> DemoTenant:
    """Provision the tenant, then fill it through the same services the API uses."""
    rng = random.Random(seed)
    async with database.unscoped_session() as session:
        organization = await tenancy.create_organization(
            session, name="Demo", plan=Plan.EXPERT, subscription_status=SubscriptionStatus.ACTIVE
        )
        workspace = await tenancy.create_workspace(
            session, organization_id=organization.id, name="Sales"
        )
        members = []
        for email, first, last in ASSIGNEES:
            new = await tenancy.create_member(
                session,
                organization_id=organization.id,
                email=email,
                first_name=first,
                last_name=last,
                workspace_ids=[workspace.id],
            )
            members.append(
                DemoMember(new.membership.id, new.workspace_memberships[0].id, new.membership.email)
            )
        key = await tenancy.create_api_key(
            session, organization_id=organization.id, name="demo", mode="test"
        )
    scope = TenantScope(organization.id, organization.plan, (workspace.id,))
    async with database.scoped_session(scope) as session:
        items = [_fake_contact(rng, i) for i in range(contacts_count)]
        items[0].phone_numbers = []  # someone to find a number for: MISSING_NUMBER
        created = await contacts.create_many(
            session, items=items, default_region=default_region, batch="contacts"
        )
        contact_ids = [view.contact.id for view in created]
        enrolled = contact_ids[: contacts_count * 2 // 3]
        sequence = await sequences.create(
            session,
            name="Relance Q4",
            creator_id=members[0].organization_membership_id,
            assigned_to_ids=[m.organization_membership_id for m in members],
            contact_ids=enrolled,
            workspace_id=None,
        )
        await _history(session, rng, sequence.sequence.id, enrolled[1:])
    return DemoTenant(
        api_key=key.clear_key,
        organization_id=organization.id,
        workspace_id=workspace.id,
        members=members,
        sequence_id=sequence.sequence.id,
        contact_ids=contact_ids,
    )


# Call histories, oldest call first, and the tag an assignee would put on the outcome. Together
# they hold every call status and every sequence-contact status.
HISTORIES: list[tuple[list[CallStatus], str | None]] = [
    ([CallStatus.NO_ANSWER, CallStatus.COMPLETED], "Meeting booked"),
    ([CallStatus.VOICEMAIL], "Call back later"),
    ([CallStatus.BUSY, CallStatus.ERROR_NUMBER], "Wrong number"),
    ([CallStatus.CANCELLED], None),
    ([CallStatus.RINGING], None),
    ([CallStatus.MISSED_CALL], "Call back later"),
    ([CallStatus.ERROR_COUNTRY], None),
    ([CallStatus.IN_PROGRESS], None),
    ([CallStatus.QUEUED], None),
    ([CallStatus.INITIATED], None),
    ([CallStatus.VOICEMAIL, CallStatus.CONNECTED], "Meeting booked"),
    ([CallStatus.UNKNOWN_ERROR], None),
    ([CallStatus.NOT_INITIATED], None),
    ([], None),
]


async def _history(
    session: AsyncSession, rng: random.Random, sequence_id: uuid.UUID, contact_ids: list[uuid.UUID]
) -> None:
    """Calls made over the last days, and tags on their outcomes, through the services."""
    labels = {
        "Meeting booked": await tags.create(
            session, label="Meeting booked", is_success_tag=True, workspace_id=None
        ),
        "Call back later": await tags.create(
            session, label="Call back later", is_success_tag=False, workspace_id=None
        ),
        "Wrong number": await tags.create(
            session, label="Wrong number", is_success_tag=False, workspace_id=None
        ),
    }
    now = utcnow()
    for index, contact_id in enumerate(contact_ids):
        history, label = HISTORIES[index % len(HISTORIES)]
        for attempt, status in enumerate(history):
            started = now - timedelta(days=len(history) - attempt, minutes=rng.randrange(600))
            ended = (
                started + timedelta(seconds=rng.randrange(15, 400)) if has_ended(status) else None
            )
            await calls.create(
                session,
                sequence_id=sequence_id,
                contact_id=contact_id,
                status=status,
                started_at=started if has_started(status) else None,
                ended_at=ended,
                recording_url=f"https://recordings.example/{uuid.uuid4()}.mp3"
                if status in (CallStatus.COMPLETED, CallStatus.VOICEMAIL)
                else None,
            )
            # Calls of one contact land in distinct milliseconds, so the last one is clear.
            await asyncio.sleep(0.002)
        if label is not None:
            await tags.set_contact_tags(
                session,
                sequence_id=sequence_id,
                contact_id=contact_id,
                tag_ids=[labels[label].id],
                replace=False,
            )


def _fake_contact(rng: random.Random, index: int) -> ContactInput:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = rng.choice(COMPANIES)
    domain = company.lower().replace(" ", "") + ".example"
    local = unicodedata.normalize("NFKD", f"{first}.{last}.{index}").encode("ascii", "ignore")
    return ContactInput(
        first_name=first,
        last_name=last,
        email=f"{local.decode().lower()}@{domain}",
        company=company,
        phone_numbers=[f"+33 6 1{rng.randrange(10**7):07d}"],
    )
