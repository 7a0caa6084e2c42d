"""The one PATCH convention: a field the client did not send is ``UNSET``.

Services take each changeable field as a keyword-only parameter typed ``Maybe[T]`` and
defaulting to ``UNSET``; routers pass ``body.sent("field")``. ``None`` is a value (a
client's null), never "unchanged", so that clearing a field and leaving it alone differ.
"""

import enum
from typing import Literal, TypeAlias, TypeVar

T = TypeVar("T")


class Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset.UNSET
Maybe: TypeAlias = T | Literal[Unset.UNSET]
