"""A continuous sequence's filter: which contacts /opencx may add to it.

A filter is a small JSON document, validated when it is set:

- a condition ``{"field": F, "op": O, "value": V}``, where F is one of ``firstName``,
  ``lastName``, ``email``, ``company``, ``phoneCountry`` (the ISO regions of the contact's
  numbers, e.g. ``FR``) and O is ``eq``, ``neq``, ``contains``, ``startsWith``, ``endsWith``
  (V a string), ``in`` (V a non-empty list of strings) or ``exists`` (V true or false:
  whether the field has a non-empty value);
- or a group ``{"all": [...]}`` / ``{"any": [...]}`` of one or more filters, at most five
  groups deep.

Text comparisons, ``in`` included, ignore case. A field with no value satisfies only
``neq`` and ``exists: false``; ``neq`` is always the negation of ``eq``. On
``phoneCountry`` a condition holds when it holds for any of the contact's numbers.

``Filter`` is that grammar as a type: one model per kind of condition and per group, so
that the OpenAPI document shows it. A malformed filter fails validation at the place of
the first thing wrong, located as the document is (``filter.all[1].any[1].all[0].value``,
the sixth group for one too deep), never by a model's name: each node's model is chosen
from its keys rather than by trying a union's members. ``dump`` gives the JSON that is
stored and returned, ``parse`` reads it back, and ``ContactFacts.of`` is what a filter
sees of a contact.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from relance.contacts.phones import region_of
from relance.db.models import Contact

FieldName = Literal["firstName", "lastName", "email", "company", "phoneCountry"]
TextOp = Literal["eq", "neq", "contains", "startsWith", "endsWith"]
Op = Literal[TextOp, "in", "exists"]
FIELDS: tuple[str, ...] = get_args(FieldName)
TEXT_OPS: tuple[str, ...] = get_args(TextOp)
OPS: tuple[str, ...] = get_args(Op)
MAX_GROUP_DEPTH = 5


@dataclass(frozen=True)
class ContactFacts:
    """What a filter can see of a contact."""

    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    phone_countries: tuple[str, ...]

    @classmethod
    def of(cls, contact: Contact, numbers: Iterable[str]) -> "ContactFacts":
        """The facts of ``contact``, whose numbers (E.164) are ``numbers``."""
        return cls(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            company=contact.company,
            phone_countries=tuple(region_of(number) for number in numbers),
        )

    def values(self, field: str) -> tuple[str, ...]:
        """The field's non-empty values: one for text fields, one per number for phoneCountry."""
        if field == "phoneCountry":
            return tuple(c for c in self.phone_countries if c)
        value = {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "company": self.company,
        }[field]
        return (value,) if value else ()


def _says(message: str | Callable[[ValidationInfo], str]) -> WrapValidator:
    """Refuse the value with ``message`` (or one built from the fields validated before it)
    whatever Pydantic found wrong with it, located at the value itself."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError:
            text = message if isinstance(message, str) else message(info)
            raise PydanticCustomError("filter", text) from None

    return WrapValidator(check)


def _for_op(kind: str) -> Callable[[ValidationInfo], str]:
    """``must be a string for 'eq'``: the value's kind, named with the condition's op."""
    return lambda info: f"must be {kind} for '{info.data.get('op')}'"


def _members(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A group's members: a non-empty list, each member's own errors kept in its place."""
    if not isinstance(value, list) or not value:
        raise PydanticCustomError("filter", "must be a non-empty list of filters")
    return handler(value)


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Condition(_Node):
    """What conditions share; validated as such only when the op is unknown, to name it."""

    field: Annotated[FieldName, _says(f"must be one of {', '.join(get_args(FieldName))}")]
    op: Annotated[Op, _says(f"must be one of {', '.join(get_args(Op))}")]
    value: object

    def _values(self, facts: ContactFacts) -> list[str]:
        """The field's non-empty values, case-folded."""
        return [value.casefold() for value in facts.values(self.field)]


class TextCondition(_Condition):
    """The field compared with a string."""

    op: TextOp
    value: Annotated[StrictStr, _says(_for_op("a string"))]

    def matches(self, facts: ContactFacts) -> bool:
        """Whether the contact's field compares with the value as the op says."""
        wanted, values = self.value.casefold(), self._values(facts)
        if self.op == "neq":
            return wanted not in values
        test = _TESTS[self.op]
        return any(test(value, wanted) for value in values)


class InCondition(_Condition):
    """The field equal to one of the strings."""

    op: Literal["in"]
    value: Annotated[
        list[StrictStr], Field(min_length=1), _says(_for_op("a non-empty list of strings"))
    ]

    def matches(self, facts: ContactFacts) -> bool:
        """Whether one of the contact's values is in the list."""
        wanted = {value.casefold() for value in self.value}
        return any(value in wanted for value in self._values(facts))


class ExistsCondition(_Condition):
    """Whether the field has a non-empty value (true) or none (false)."""

    op: Literal["exists"]
    value: Annotated[StrictBool, _says(_for_op("true or false"))]

    def matches(self, facts: ContactFacts) -> bool:
        """Whether the field has a value exactly when the condition wants one."""
        return bool(facts.values(self.field)) is self.value


class AllGroup(_Node):
    """Holds when every one of its filters holds."""

    all: Annotated[list["Filter"], Field(min_length=1), WrapValidator(_members)]

    def matches(self, facts: ContactFacts) -> bool:
        """Whether every member matches."""
        return all(member.matches(facts) for member in self.all)


class AnyGroup(_Node):
    """Holds when one of its filters holds."""

    any: Annotated[list["Filter"], Field(min_length=1), WrapValidator(_members)]

    def matches(self, facts: ContactFacts) -> bool:
        """Whether some member matches."""
        return any(member.matches(facts) for member in self.any)


_CONDITIONS: dict[str, type[_Condition]] = {
    **dict.fromkeys(TEXT_OPS, TextCondition),
    "in": InCondition,
    "exists": ExistsCondition,
}
_DEPTH = "relance.filter_depth"  # the validation context's count of groups above a node


def _refused(message: str) -> PydanticCustomError:
    """An error located at the node being validated."""
    return PydanticCustomError("filter", message)


def _validate_node(raw: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """Validate one node with the model its keys call for, errors located at the node."""
    if isinstance(raw, _Node):
        return handler(raw)
    if not isinstance(raw, dict):
        raise _refused("must be an object (a condition or a group)")
    groups = [key for key in ("all", "any") if key in raw]
    if groups:
        if len(groups) > 1 or len(raw) > 1:
            raise _refused("a group holds exactly one key, 'all' or 'any'")
        depth = info.context.get(_DEPTH, 0) if isinstance(info.context, dict) else 0
        if depth >= MAX_GROUP_DEPTH:
            raise _refused(f"groups nest at most {MAX_GROUP_DEPTH} levels deep")
        group = AllGroup if groups[0] == "all" else AnyGroup
        # Raised out of this validator, the members' errors keep their places below the node.
        return group.model_validate(raw, context={_DEPTH: depth + 1})
    if set(raw) != {"field", "op", "value"}:
        raise _refused("a condition has exactly 'field', 'op' and 'value' (or use 'all'/'any')")
    op = raw["op"]
    condition = _CONDITIONS.get(op, _Condition) if isinstance(op, str) else _Condition
    return condition.model_validate(raw)


Filter = TypeAliasType(
    "Filter",
    Annotated[
        TextCondition | InCondition | ExistsCondition | AllGroup | AnyGroup,
        WrapValidator(_validate_node),
    ],
)
AllGroup.model_rebuild()
AnyGroup.model_rebuild()

_ADAPTER: TypeAdapter[Filter] = TypeAdapter(Filter)


def parse(stored: dict) -> Filter:
    """The filter a sequence stores, read back for matching."""
    return _ADAPTER.validate_python(stored)


def dump(filter: Filter) -> dict:
    """The filter's JSON, as stored and returned: the keys as sent, field, op, value."""
    return filter.model_dump(mode="json")


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda value, wanted: value == wanted,
    "contains": lambda value, wanted: wanted in value,
    "startsWith": lambda value, wanted: value.startswith(wanted),
    "endsWith": lambda value, wanted: value.endswith(wanted),
}
