"""Contacts of a workspace: create (one or in bulk), read, search, update, delete."""

import uuid
from dataclasses import dataclass, field
from typing import overload

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import is_known_zone, key_of_number
from relance.contacts import repository
from relance.contacts.phones import InvalidPhoneNumber, to_e164
from relance.db.models import Contact, PhoneNumber
from relance.db.types import new_id, utcnow
from relance.enrolments import repository as enrolments_repository
from relance.enrolments import service as enrolments
from relance.enrolments import statuses
from relance.errors import NotFound, ValidationFailed
from relance.tenancy.scope import scope_of
from relance.tenancy.workspaces import resolve_workspace
from relance.unset import UNSET, Maybe


@dataclass
class ContactInput:
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    company: str | None = None
    phone_numbers: list[str] = field(default_factory=list)
    workspace_id: uuid.UUID | None = None
    time_zone: str | None = None  # an IANA name; the numbers' zones are derived otherwise


@dataclass(frozen=True)
class ContactView:
    contact: Contact
    phone_numbers: list[PhoneNumber]


async def create_many(
    session: AsyncSession, *, items: list[ContactInput], default_region: str, batch: str | None
) -> list[ContactView]:
    """Create contacts in one transaction, in the order given; the first bad item fails all.

    ``batch`` names the items in errors (``contacts`` locates one at ``("contacts", 3,
    "phone_numbers", 0)``); None for a single create, whose errors name the field alone.
    """
    scope = scope_of(session)
    now = utcnow()
    contact_rows: list[dict] = []
    number_rows: list[dict] = []
    views: list[ContactView] = []
    for index, item in enumerate(items):
        try:
            workspace_id = resolve_workspace(scope, item.workspace_id)
            numbers = _normalize_all(item.phone_numbers, default_region)
            _check_zone(item.time_zone)
        except ValidationFailed as error:
            raise (error if batch is None else error.within(batch, index)) from None
        contact = Contact(
            id=new_id(),
            workspace_id=workspace_id,
            first_name=item.first_name,
            last_name=item.last_name,
            email=item.email,
            email_key=email_key(item.email),
            company=item.company,
            time_zone=item.time_zone,
            created_at=now,
            updated_at=now,
        )
        phone_numbers = [
            PhoneNumber(
                id=new_id(),
                contact_id=contact.id,
                workspace_id=workspace_id,
                number=number,
                position=position,
                time_zones=item.time_zone or key_of_number(number),
                created_at=now,
            )
            for position, number in enumerate(numbers)
        ]
        contact_rows.append(_row(contact))
        number_rows.extend(_row(number) for number in phone_numbers)
        views.append(ContactView(contact=contact, phone_numbers=phone_numbers))
    await repository.insert_contacts(session, contact_rows)
    await repository.insert_phone_numbers(session, number_rows)
    return views


async def get(session: AsyncSession, *, contact_id: uuid.UUID) -> ContactView:
    """One contact with its numbers; 404 when unknown or out of scope."""
    contact = await _contact(session, contact_id)
    numbers = await repository.phone_numbers_of(session, [contact.id])
    return ContactView(contact=contact, phone_numbers=numbers.get(contact.id, []))


async def page(
    session: AsyncSession, *, search: str | None, offset: int, limit: int
) -> tuple[int, list[ContactView]]:
    """A page of contacts, optionally matching ``search`` in name, email or company."""
    total, contacts = await repository.page(session, search=search, offset=offset, limit=limit)
    numbers = await repository.phone_numbers_of(session, [c.id for c in contacts])
    return total, [ContactView(contact=c, phone_numbers=numbers.get(c.id, [])) for c in contacts]


async def update(
    session: AsyncSession,
    *,
    contact_id: uuid.UUID,
    default_region: str,
    first_name: Maybe[str | None] = UNSET,
    last_name: Maybe[str | None] = UNSET,
    email: Maybe[str | None] = UNSET,
    company: Maybe[str | None] = UNSET,
    phone_numbers: Maybe[list[str] | None] = UNSET,
    workspace_id: Maybe[uuid.UUID | None] = UNSET,
    time_zone: Maybe[str | None] = UNSET,
) -> ContactView:
    """Apply the fields sent: a null name becomes empty, a null email, company or time zone
    is cleared, null numbers leave them as they are; a number that stays keeps its id. The
    numbers' stored zones follow the contact's zone, or their own when it has none."""
    contact = await _contact(session, contact_id, lock=repository.Lock.UPDATE)
    if workspace_id is not UNSET:
        resolved = resolve_workspace(scope_of(session), workspace_id)
        if resolved != contact.workspace_id:
            raise ValidationFailed(
                "a contact cannot move to another workspace", at=("workspace_id",)
            )
    if first_name is not UNSET:
        contact.first_name = first_name or ""
    if last_name is not UNSET:
        contact.last_name = last_name or ""
    if email is not UNSET:
        contact.email, contact.email_key = email, email_key(email)
    if company is not UNSET:
        contact.company = company
    if time_zone is not UNSET:
        _check_zone(time_zone)
        contact.time_zone = time_zone
    contact.updated_at = utcnow()
    current = (await repository.phone_numbers_of(session, [contact.id])).get(contact.id, [])
    renumbered = False
    if phone_numbers is not UNSET and phone_numbers is not None:
        wanted = _normalize_all(phone_numbers, default_region)
        current = await _replace_numbers(session, contact, current, wanted)
        renumbered = True
    if time_zone is not UNSET:
        await repository.set_number_zones(
            session, {n.id: time_zone or key_of_number(n.number) for n in current}
        )
    if renumbered or time_zone is not UNSET:
        # Having a number or not moves the contact's status in every sequence
        # (MISSING_NUMBER), and the numbers' zones its enrolments' queue key.
        await statuses.refresh(
            session,
            enrolment_ids=await enrolments_repository.enrolments_of_contact(session, contact.id),
        )
    await session.flush()
    return ContactView(contact=contact, phone_numbers=current)


async def delete(session: AsyncSession, *, contact_id: uuid.UUID) -> None:
    """Delete a contact, its numbers and its place in every sequence."""
    contact = await _contact(session, contact_id, lock=repository.Lock.DELETE)
    await enrolments.withdraw_contact_everywhere(session, contact_id=contact.id)
    await repository.delete_contact(session, contact.id)


async def _replace_numbers(
    session: AsyncSession, contact: Contact, current: list[PhoneNumber], wanted: list[str]
) -> list[PhoneNumber]:
    by_number = {n.number: n for n in current}
    kept: dict[uuid.UUID, int] = {}
    created: list[PhoneNumber] = []
    result: list[PhoneNumber] = []
    now = utcnow()
    for position, number in enumerate(wanted):
        existing = by_number.pop(number, None)
        if existing is None:
            existing = PhoneNumber(
                id=new_id(),
                contact_id=contact.id,
                workspace_id=contact.workspace_id,
                number=number,
                position=position,
                time_zones=contact.time_zone or key_of_number(number),
                created_at=now,
            )
            created.append(existing)
        else:
            kept[existing.id] = position
            existing.position = position
        result.append(existing)
    await repository.delete_phone_numbers(session, [n.id for n in by_number.values()])
    await repository.set_phone_positions(session, kept)
    await repository.insert_phone_numbers(session, [_row(n) for n in created])
    return result


async def _contact(
    session: AsyncSession, contact_id: uuid.UUID, *, lock: repository.Lock | None = None
) -> Contact:
    contact = await repository.get(session, contact_id, lock=lock)
    if contact is None:
        raise NotFound("Contact not found")
    return contact


def _normalize_all(raw_numbers: list[str], default_region: str) -> list[str]:
    """E.164 forms in the order sent, duplicates dropped; the first invalid one is a 400."""
    normalized: list[str] = []
    for index, raw in enumerate(raw_numbers):
        try:
            number = to_e164(raw, default_region=default_region)
        except InvalidPhoneNumber as error:
            raise ValidationFailed(str(error), at=("phone_numbers", index)) from None
        if number not in normalized:
            normalized.append(number)
    return normalized


def _check_zone(time_zone: str | None) -> None:
    if time_zone is not None and not is_known_zone(time_zone):
        raise ValidationFailed("not an IANA time zone, such as Europe/Paris", at=("time_zone",))


@overload
def email_key(email: str) -> str: ...
@overload
def email_key(email: str | None) -> str | None: ...
def email_key(email: str | None) -> str | None:
    """The form emails are matched in: lower-cased, since addresses are used case-blind."""
    return None if email is None else email.lower()


def _row(instance: Contact | PhoneNumber) -> dict:
    return {column.key: getattr(instance, column.key) for column in instance.__table__.columns}
