"""Errors are data: the domain locates a problem with Python names, each dialect spells it."""

import ast
import re
from pathlib import Path

from relance.api.errors import message_for
from relance.errors import NotFound, ValidationFailed

SRC = Path(__file__).resolve().parents[1] / "src" / "relance"
# A wire name at the start of a message (``contactId: ...``, ``tagIds[0]...``) or anywhere
# in a location: camelCase, which only the API may write.
CAMEL = re.compile(r"[a-z]+[A-Z]\w*")


def test_a_location_is_spelled_for_each_dialect() -> None:
    error = ValidationFailed("'12' is not a phone number", at=("contacts", 3, "phone_numbers", 0))
    assert message_for(error) == "contacts[3].phoneNumbers[0]: '12' is not a phone number"
    assert (
        message_for(error, opencx=True)
        == "contacts[3].phone_numbers[0]: '12' is not a phone number"
    )
    assert error.item == ("contacts", 3)
    assert ValidationFailed("x", at=("creator_id",)).item is None
    assert message_for(ValidationFailed("Invalid request")) == "Invalid request"
    assert message_for(NotFound("Sequence not found")) == "Sequence not found"


def test_within_locates_an_error_inside_an_item() -> None:
    error = ValidationFailed("unknown workspace", at=("workspace_id",)).within("contacts", 7)
    assert error.location == ("contacts", 7, "workspace_id")
    assert message_for(error) == "contacts[7].workspaceId: unknown workspace"


def _domain_errors() -> list[tuple[str, ast.Call]]:
    """Every ``ValidationFailed(...)`` raised outside the API layer, with its file."""
    calls = []
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("api/") or "migrations" in where:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "ValidationFailed"
            ):
                calls.append((where, node))
    return calls


def _text(node: ast.expr | None) -> str:
    """The literal parts of a string or f-string argument."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part) for part in node.values if isinstance(part, ast.Constant))
    return ""


def test_the_domain_never_writes_a_wire_name() -> None:
    calls = _domain_errors()
    assert len(calls) > 15  # the walk found the raise sites
    offenders = []
    for where, call in calls:
        message = _text(call.args[0]) if call.args else ""
        if re.match(r"\s*\w+(\[|\.|: )", message) and CAMEL.match(message.lstrip()):
            offenders.append((where, call.lineno, message))
        for keyword in call.keywords:
            if keyword.arg == "at" and isinstance(keyword.value, ast.Tuple):
                for part in keyword.value.elts:
                    if CAMEL.fullmatch(_text(part)):
                        offenders.append((where, call.lineno, _text(part)))
    assert offenders == []


async def test_an_unknown_key_in_an_item_is_named_as_the_client_sent_it(tenants) -> None:
    tenant = await tenants.create()
    for key in ("first_name", "Foo_bar", "x-y"):
        response = await tenant.post(
            "/v1/contacts/bulk", json={"contacts": [{"firstName": "a"}, {key: "b"}]}
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"] == f"contacts[1].{key}: unknown field"
