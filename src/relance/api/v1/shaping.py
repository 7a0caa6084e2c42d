"""Domain results to /v1 DTOs."""

from relance.api.v1.schemas import (
    AssignedUserDto,
    ContactDto,
    PhoneNumberDto,
    SequenceContactContactDto,
    SequenceContactDto,
    SequenceDto,
)
from relance.contacts.service import ContactView
from relance.db.models import PhoneNumber
from relance.sequences.service import EnrolledContact, SequenceView


def phone_numbers(numbers: list[PhoneNumber]) -> list[PhoneNumberDto]:
    return [PhoneNumberDto(id=n.id, number=n.number) for n in numbers]


def sequence(view: SequenceView) -> SequenceDto:
    s = view.sequence
    return SequenceDto(
        id=s.id,
        name=s.name,
        organization_membership_id=s.creator_membership_id,
        workspace_id=s.workspace_id,
        created_at=s.created_at,
        updated_at=s.updated_at,
        contact_count=view.contact_count,
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


def enrolled_contact(item: EnrolledContact) -> SequenceContactDto:
    c = item.contact
    return SequenceContactDto(
        id=item.enrolment.id,
        status=item.enrolment.status,
        contact=SequenceContactContactDto(
            id=c.id,
            first_name=c.first_name,
            last_name=c.last_name,
            email=c.email,
            company=c.company,
            phone_numbers=phone_numbers(item.phone_numbers),
        ),
        tags=[],
        calls=[],
        created_at=item.enrolment.created_at,
        assigned_to_workspace_membership_id=item.enrolment.assigned_to_workspace_membership_id,
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
    )
