"""The /opencx wire format: snake case, as the OpenCX spec has it."""

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relance.api.schemas import Timestamp, refuse_nul
from relance.opencx.items import EMAIL_PATTERN, UUID_PATTERN

MAX_ITEMS = 1000

# The spec's AddContactsToSequenceInput, with Relance's bounds on the list.
ADD_CONTACTS_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "contacts": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ITEMS,
            "items": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {
                            "id": {
                                "type": "string",
                                "format": "uuid",
                                "pattern": UUID_PATTERN.pattern,
                            }
                        },
                        "required": ["id"],
                    },
                    {
                        "type": "object",
                        "properties": {
                            "email": {
                                "type": "string",
                                "format": "email",
                                "pattern": EMAIL_PATTERN.pattern,
                            }
                        },
                        "required": ["email"],
                    },
                    {
                        "type": "object",
                        "properties": {"phone_number": {"type": "string"}},
                        "required": ["phone_number"],
                    },
                ]
            },
        }
    },
    "required": ["contacts"],
}


class AddContactsToSequenceInput(BaseModel):
    """Items are read by relance.opencx.items, which applies the spec's anyOf."""

    contacts: list[Any] = Field(min_length=1, max_length=MAX_ITEMS)

    _no_nul = field_validator("contacts", mode="after")(refuse_nul)


class AddContactsToSequenceOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: uuid.UUID


class RunItemDto(BaseModel):
    input: Any
    outcome: str
    contact_id: uuid.UUID | None


class RunDto(BaseModel):
    run_id: uuid.UUID
    sequence_id: uuid.UUID
    created_at: Timestamp
    counts: dict[str, int]
    items: list[RunItemDto]


class ErrorDto(BaseModel):
    statusCode: int  # noqa: N815 - the spec's name
    message: str
    error: str
