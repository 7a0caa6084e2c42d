"""The /opencx wire format: snake case, as the OpenCX spec has it."""

import json
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from relance.api.schemas import Timestamp, refuse_nul
from relance.opencx.items import EMAIL_PATTERN, UUID_PATTERN

MAX_ITEMS = 1000
# An item is stored as sent, and GET /opencx/runs/{id} shows it back: so it must be text
# a database stores and JSON can write, within these bounds.
MAX_ITEM_DEPTH = 8
MAX_ITEM_BYTES = 4096


def _item(title: str, key: str, schema: dict[str, Any], example: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": {key: {**schema, "example": example}},
        "required": [key],
    }


# The spec's item: an object with an id, an email or a phone number (several may be sent).
ITEM_SCHEMA: dict[str, Any] = {
    "anyOf": [
        _item(
            "ContactById",
            "id",
            {"type": "string", "format": "uuid", "pattern": UUID_PATTERN.pattern},
            "123e4567-e89b-12d3-a456-426614174000",
        ),
        _item(
            "ContactByEmail",
            "email",
            {"type": "string", "format": "email", "pattern": EMAIL_PATTERN.pattern},
            "lea@example.com",
        ),
        _item("ContactByPhoneNumber", "phone_number", {"type": "string"}, "+33612345678"),
    ]
}


def _text(value: str) -> None:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be text: it holds a lone UTF-16 surrogate") from None


def _storable(item: Any) -> Any:
    """An item that can be stored and read back: text without NUL or lone surrogates, in
    keys and values, at most ``MAX_ITEM_DEPTH`` levels deep and ``MAX_ITEM_BYTES`` long."""

    def walk(value: Any, depth: int) -> None:
        if depth > MAX_ITEM_DEPTH:
            raise ValueError(f"must not be nested more than {MAX_ITEM_DEPTH} levels deep")
        if isinstance(value, str):
            _text(value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                _text(key)
                walk(inner, depth + 1)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, depth + 1)

    walk(item, 1)
    # The standard library's encoder: orjson refuses integers past 64 bits, JSON does not.
    if len(json.dumps(item)) > MAX_ITEM_BYTES:
        raise ValueError(f"must be at most {MAX_ITEM_BYTES} bytes of JSON")
    return item


# Read item by item by relance.opencx.items, so that an unusable item is an outcome of the
# run rather than a 400 for the whole request (one that cannot be stored is a 400);
# documented as the spec's anyOf.
Item = Annotated[Any, AfterValidator(_storable), WithJsonSchema(ITEM_SCHEMA)]


class AddContactsToSequenceInput(BaseModel):
    # Unknown fields are refused, as on /v1: a misspelt one would otherwise do nothing.
    model_config = ConfigDict(extra="forbid")

    contacts: list[Item] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        examples=[
            [
                {"email": "lea@example.com", "phone_number": "06 12 34 56 78"},
                {"phone_number": "+32 470 12 34 56"},
                {"id": "123e4567-e89b-12d3-a456-426614174000"},
            ]
        ],
    )

    _no_nul = field_validator("contacts", mode="after")(refuse_nul)


class AddContactsToSequenceOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: uuid.UUID


class RunItemDto(BaseModel):
    input: Any = Field(
        description="The item as it was sent", examples=[{"email": "lea@example.com"}]
    )
    outcome: str = Field(examples=["created_and_added"])
    contact_id: uuid.UUID | None


class RunDto(BaseModel):
    run_id: uuid.UUID
    sequence_id: uuid.UUID
    created_at: Timestamp
    counts: dict[str, int] = Field(
        description="How many items had each outcome",
        examples=[{"created_and_added": 2, "already_in_sequence": 1}],
    )
    items: list[RunItemDto]


class OpenCXErrorDto(BaseModel):
    """OpenCX's ErrorDto, named apart from /v1's error body in the OpenAPI document."""

    statusCode: int  # noqa: N815 - the spec's name
    message: str
    error: str
