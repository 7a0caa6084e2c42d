"""A demo tenant: an EXPERT organization with a workspace, three reps, contacts and a sequence."""

import random
import unicodedata
import uuid
from dataclasses import dataclass

from relance.contacts import service as contacts
from relance.contacts.service import ContactInput
from relance.db.engine import Database
from relance.sequences import service as sequences
from relance.tenancy import service as tenancy
from relance.tenancy.plans import Plan, SubscriptionStatus
from relance.tenancy.scope import TenantScope

REPS = [
    ("camille.martin@demo.relance.dev", "Camille", "Martin"),
    ("hugo.bernard@demo.relance.dev", "Hugo", "Bernard"),
    ("lea.dubois@demo.relance.dev", "Léa", "Dubois"),
]
FIRST_NAMES = ["Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hélène", "Ines", "Jules"]
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
        for email, first, last in REPS:
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
        created = await contacts.create_many(
            session,
            items=[_fake_contact(rng, i) for i in range(contacts_count)],
            default_region=default_region,
            field_prefix="contacts[{index}].",
        )
        contact_ids = [view.contact.id for view in created]
        sequence = await sequences.create(
            session,
            name="Relance Q4",
            creator_id=members[0].organization_membership_id,
            assigned_to_ids=[m.organization_membership_id for m in members],
            contact_ids=contact_ids[: contacts_count * 2 // 3],
            workspace_id=None,
        )
    return DemoTenant(
        api_key=key.clear_key,
        organization_id=organization.id,
        workspace_id=workspace.id,
        members=members,
        sequence_id=sequence.sequence.id,
        contact_ids=contact_ids,
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
