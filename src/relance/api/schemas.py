"""Wire types shared by every dialect: timestamps, emails, camelCase models, pages."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from relance.unset import UNSET


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds: ``2024-01-15T10:30:00.000Z``."""
    # isoformat, not strftime: the C library writes year 1 as "1", not "0001".
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "example": "2024-01-15T10:30:00.000Z"}
    ),
]


def _storable(moment: datetime) -> datetime:
    """A moment both databases store once normalized to UTC: within years 1 to 9999."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be between 0001-01-01 and 9999-12-31 in UTC") from None


# A moment the client sends: with its offset, and storable once in UTC
# (``0001-01-01T00:00:00+14:00`` is not: it is in year 0 in UTC).
StoredDatetime = Annotated[AwareDatetime, AfterValidator(_storable)]


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 320


def _email(value: str) -> str:
    if not EMAIL_PATTERN.match(value):
        raise ValueError("must be an email address, such as john.doe@example.com")
    return value


# A contact's or a member's email: the pattern is documented, and a mismatch reads as such.
EmailAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=EMAIL_MAX_LENGTH),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": EMAIL_MAX_LENGTH,
            "pattern": EMAIL_PATTERN.pattern,
            "example": "john.doe@example.com",
        }
    ),
]


# JSON can spell a lone UTF-16 surrogate ("\ud800"), which no UTF-8 text holds: stored, it
# would make its row unreadable (a 500 on every later read), so it is refused like NUL.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL, nor any text a lone surrogate; refuse both on every
    database, as a 400, not a 500."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain the NUL character")
    if isinstance(value, str) and _LONE_SURROGATE.search(value):
        raise ValueError("must be text: it holds a lone UTF-16 surrogate")
    if isinstance(value, list | tuple):
        for item in value:
            refuse_nul(item)
    if isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key)
            refuse_nul(item)
    return value


class ResponseModel(BaseModel):
    """A response body: camelCase on the wire, built from Python names."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class RequestModel(BaseModel):
    """A request body: camelCase on the wire, unknown fields refused with a 400 naming them."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=False, validate_by_alias=True, extra="forbid"
    )

    _no_nul = field_validator("*", mode="after")(refuse_nul)

    def sent(self, name: str) -> Any:
        """The field's value if the client sent it (null included), else ``UNSET``."""
        return getattr(self, name) if name in self.model_fields_set else UNSET


def digits_only(value: Any) -> Any:
    """A query number is written in digits: ``"1.0"``, ``" 1"``, ``"+1"`` and ``"1_0"``
    (which Python would read as 10) are refused like ``"abc"``."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    return value


QueryInt = Annotated[int, BeforeValidator(digits_only)]

# The last page anyone may ask for: its offset (page - 1) x 100 fits a 64-bit integer with
# room to spare, on every database.
MAX_PAGE = 1_000_000_000


class PageQuery(BaseModel):
    """``page`` 1..1,000,000,000 (default 1) and ``limit`` 1..100 (default 50), in digits;
    other parameters are refused."""

    model_config = ConfigDict(extra="forbid")

    _no_nul = field_validator("*", mode="after")(refuse_nul)

    page: QueryInt = Field(default=1, ge=1, le=MAX_PAGE, description="Page number (1-indexed)")
    limit: QueryInt = Field(default=50, ge=1, le=100, description="Number of items per page")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


ItemT = TypeVar("ItemT")


class Page(ResponseModel, Generic[ItemT]):
    data: list[ItemT]
    total: int
    page: int
    limit: int
    total_pages: int

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``Page[CallDto]`` is ``CallPageDto`` in the OpenAPI document and in clients."""
        return "".join(getattr(p, "__name__", "").removesuffix("Dto") for p in params) + "PageDto"

    @classmethod
    def of(cls, items: list[ItemT], *, total: int, query: PageQuery) -> Self:
        """The page ``query`` asked for, of ``total`` items in all."""
        return cls(
            data=items,
            total=total,
            page=query.page,
            limit=query.limit,
            total_pages=-(-total // query.limit),
        )
