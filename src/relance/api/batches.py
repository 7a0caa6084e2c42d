"""Batches whose first invalid item is the one named, whatever is wrong with it.

A batch's items are checked in two places: their shape by Pydantic (types, bounds, unknown
fields), their meaning by the service (a phone number, a workspace, an assignee). FastAPI
would refuse the whole body on the first shape error before the service sees any item, so
a bad phone number at ``contacts[3]`` would lose to a bad type at ``contacts[9]``. Instead,
a batch field is declared ``list[Checked[Model]]``: the OpenAPI document shows ``Model``,
and an item that fails its checks is kept as an ``InvalidItem`` rather than failing the
body. The route then reads the batch (``read``) and runs the service on the items before
the first invalid one, inside ``first_invalid_item_wins``:

- if the service refuses one of those items, that item, with a lower index, is named;
- otherwise the first invalid item is named (also when the service raised another error,
  as FastAPI's validation would have come first);
- nothing is written either way: the error rolls the request's transaction back.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, overload

from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import ErrorDetails

from relance.api.validation import first_error
from relance.errors import RelanceError, ValidationFailed
from relance.unset import Unset

T = TypeVar("T")
V = TypeVar("V")
N = TypeVar("N", None, Unset, None | Unset)


@dataclass(frozen=True)
class InvalidItem:
    """An item that failed its Pydantic checks; ``errors`` are located inside the item."""

    errors: list[ErrorDetails]


def _keep_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as error:
        return InvalidItem(errors=error.errors(include_url=False))


Checked = Annotated[T, WrapValidator(_keep_invalid)]


@dataclass(frozen=True)
class Batch(Generic[V]):
    field: str  # the batch's field, as the service names it in errors: "contacts", "tag_ids"
    valid: V  # the items before the first invalid one (or the field's null or UNSET as is)
    invalid: ValidationFailed | None  # the first invalid item's error, if any


@overload
def read(items: list[T], *, field: str) -> Batch[list[T]]: ...
@overload
def read(items: list[T] | N, *, field: str) -> Batch[list[T] | N]: ...
def read(items: Any, *, field: str) -> Batch[Any]:
    """Split a ``list[Checked[...]]`` at its first invalid item; an optional batch that was
    not sent (``None`` or ``UNSET``) is passed through as it is."""
    if not isinstance(items, list):
        return Batch(field, items, None)
    for index, item in enumerate(items):
        if isinstance(item, InvalidItem):
            return Batch(field, items[:index], first_error(item.errors).within(field, index))
    return Batch(field, list(items), None)


@contextmanager
def first_invalid_item_wins(*batches: Batch[Any]) -> Iterator[None]:
    """Run the service on the batches' valid items; name the first invalid item unless the
    service refused an item of one of these batches first (see the module docstring)."""
    invalid = next((b.invalid for b in batches if b.invalid is not None), None)
    names = {b.field for b in batches}
    try:
        yield
    except ValidationFailed as error:
        if invalid is None or (error.item is not None and error.item[0] in names):
            raise
        raise invalid from None
    except RelanceError:
        if invalid is None:
            raise
        raise invalid from None
    if invalid is not None:
        raise invalid
