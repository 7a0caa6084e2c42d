"""/v1/contacts: the contacts that sequences enrol."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from relance.api import batches
from relance.api.deps import TenantSession, get_settings, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page
from relance.api.v1 import shaping
from relance.api.v1.responses import errors
from relance.api.v1.schemas import (
    BulkCreateContactsDto,
    ContactDto,
    ContactListDto,
    CreateContactDto,
    ListContactsQuery,
    UpdateContactDto,
)
from relance.contacts import service
from relance.contacts.service import ContactInput
from relance.settings import Settings

router = APIRouter(prefix="/v1/contacts", tags=["Contacts"], route_class=StrictJsonRoute)

SettingsDep = Annotated[Settings, Depends(get_settings)]


def _input(body: CreateContactDto) -> ContactInput:
    return ContactInput(
        first_name=body.first_name,
        last_name=body.last_name,
        email=body.email,
        company=body.company,
        phone_numbers=body.phone_numbers,
        workspace_id=body.workspace_id,
        time_zone=body.time_zone,
    )


@router.post("", status_code=201, summary="Create a contact", responses=errors(400))
async def create_contact(
    body: CreateContactDto, session: TenantSession, settings: SettingsDep
) -> ContactDto:
    [view] = await service.create_many(
        session, items=[_input(body)], default_region=settings.default_region, batch=None
    )
    return shaping.contact(view)


@router.post("/bulk", status_code=201, summary="Create up to 1000 contacts", responses=errors(400))
async def create_contacts(
    body: BulkCreateContactsDto, session: TenantSession, settings: SettingsDep
) -> ContactListDto:
    """All or nothing, in one transaction; answered in the order sent. An invalid item is a
    400 naming the first one as ``contacts[i]``, whatever is wrong with it."""
    batch = batches.read(body.contacts, field="contacts")
    with batches.first_invalid_item_wins(batch):
        views = await service.create_many(
            session,
            items=[_input(item) for item in batch.valid],
            default_region=settings.default_region,
            batch="contacts",
        )
    return ContactListDto(data=[shaping.contact(v) for v in views])


@router.get("", summary="List contacts", responses=errors(400))
async def list_contacts(
    query: Annotated[ListContactsQuery, Query()], session: TenantSession
) -> Page[ContactDto]:
    total, views = await service.page(
        session, search=query.search, offset=query.offset, limit=query.limit
    )
    return Page[ContactDto].of([shaping.contact(v) for v in views], total=total, query=query)


@router.get("/{id}", summary="Get a contact", responses=errors(404))
async def get_contact(id: str, session: TenantSession) -> ContactDto:
    return shaping.contact(await service.get(session, contact_id=path_id(id, "Contact")))


@router.patch("/{id}", summary="Update a contact", responses=errors(400, 404))
async def update_contact(
    id: str, body: UpdateContactDto, session: TenantSession, settings: SettingsDep
) -> ContactDto:
    """Sends only what changes. ``phoneNumbers`` replaces the list; a number that stays keeps
    its id. ``email`` or ``company`` set to null clears it."""
    view = await service.update(
        session,
        contact_id=path_id(id, "Contact"),
        default_region=settings.default_region,
        first_name=body.sent("first_name"),
        last_name=body.sent("last_name"),
        email=body.sent("email"),
        company=body.sent("company"),
        phone_numbers=body.sent("phone_numbers"),
        workspace_id=body.sent("workspace_id"),
        time_zone=body.sent("time_zone"),
    )
    return shaping.contact(view)


@router.delete("/{id}", status_code=204, summary="Delete a contact", responses=errors(404))
async def delete_contact(id: str, session: TenantSession) -> Response:
    """Deletes the contact and its numbers, and removes it from every sequence."""
    await service.delete(session, contact_id=path_id(id, "Contact"))
    return Response(status_code=204)
