"""A continuous sequence's filter: the grammar (relance.sequences.filters) and /v1 sequences.

The pure tests below read filters through the ``Filter`` type as a request body does, and
match them as /opencx does (``parse(stored).matches(facts)``); the API tests check that the
filter is set, cleared and returned by every /v1 sequence response, that a malformed one is
refused at write time with the path of what is wrong, and that the OpenAPI document shows
the grammar.
"""

import itertools
import json
import re
import uuid

import pytest
from pydantic import BaseModel, ValidationError

from relance.api.validation import describe_validation_errors
from relance.contacts.phones import region_of
from relance.db.models import Contact
from relance.sequences.filters import ContactFacts, Filter, dump, parse
from tests.factory import Tenant

ALICE = ContactFacts(
    first_name="Alice",
    last_name="Martin",
    email="Alice.Martin@Acme.com",
    company="Acme Corp",
    phone_countries=("FR",),
)
# A contact with two numbers, one French and one American.
TWO_NUMBERS = ContactFacts(
    first_name="Bob", last_name="Stone", email=None, company=None, phone_countries=("FR", "US")
)
NOTHING = ContactFacts(first_name=None, last_name=None, email=None, company=None, phone_countries=())
EMPTY_STRINGS = ContactFacts(first_name="", last_name="", email="", company="", phone_countries=("",))
FIELDS = ("firstName", "lastName", "email", "company", "phoneCountry")


def cond(field: str, op: str, value: object) -> dict:
    return {"field": field, "op": op, "value": value}


class Body(BaseModel):
    """A request body with a filter, as the sequence DTOs declare it."""

    filter: Filter


def validate(node: object) -> str:
    """The filter as stored once validated (JSON text: keys, order and values)."""
    return json.dumps(dump(Body.model_validate({"filter": node}).filter))


def refusal(raw: object) -> str:
    """The 400's message for a body whose filter is ``raw``."""
    with pytest.raises(ValidationError) as raised:
        Body.model_validate({"filter": raw})
    return describe_validation_errors(raised.value.errors())


def matches(node: dict, contact: ContactFacts) -> bool:
    """Whether the filter, read back as stored, applies to the contact."""
    return parse(node).matches(contact)


# --- operators on a contact that has values ---------------------------------------------


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        # eq: whole value, case-blind
        ("firstName", "eq", "Alice", True),
        ("firstName", "eq", "aLiCe", True),
        ("firstName", "eq", "Ali", False),
        ("lastName", "eq", "MARTIN", True),
        ("lastName", "eq", "Martins", False),
        ("email", "eq", "alice.martin@acme.com", True),
        ("email", "eq", "alice@acme.com", False),
        ("company", "eq", "acme corp", True),
        ("company", "eq", "Acme", False),
        ("phoneCountry", "eq", "FR", True),
        ("phoneCountry", "eq", "fr", True),
        ("phoneCountry", "eq", "US", False),
        # neq
        ("firstName", "neq", "Bob", True),
        ("firstName", "neq", "ALICE", False),
        ("company", "neq", "Acme", True),
        ("phoneCountry", "neq", "US", True),
        ("phoneCountry", "neq", "fr", False),
        # contains
        ("email", "contains", "@ACME.", True),
        ("email", "contains", "@example.", False),
        ("company", "contains", "me co", True),
        ("company", "contains", "corporation", False),
        ("lastName", "contains", "", True),
        # startsWith
        ("firstName", "startsWith", "al", True),
        ("firstName", "startsWith", "lice", False),
        ("email", "startsWith", "ALICE.", True),
        ("phoneCountry", "startsWith", "f", True),
        ("phoneCountry", "startsWith", "R", False),
        # endsWith
        ("email", "endsWith", "@acme.COM", True),
        ("email", "endsWith", "@acme.co", False),
        ("company", "endsWith", "CORP", True),
        ("lastName", "endsWith", "Mart", False),
        # in: any listed value, case-blind
        ("firstName", "in", ["bob", "ALICE"], True),
        ("firstName", "in", ["bob", "alicia"], False),
        ("firstName", "in", ["Ali"], False),
        ("phoneCountry", "in", ["be", "fr"], True),
        ("phoneCountry", "in", ["BE", "US"], False),
        ("company", "in", ["Acme Corp"], True),
        # exists
        ("firstName", "exists", True, True),
        ("firstName", "exists", False, False),
        ("email", "exists", True, True),
        ("company", "exists", False, False),
        ("phoneCountry", "exists", True, True),
        ("phoneCountry", "exists", False, False),
    ],
)
def test_every_operator_true_and_false(field, op, value, expected) -> None:
    node = cond(field, op, value)
    assert validate(node) == json.dumps(node)
    assert matches(node, ALICE) is expected


@pytest.mark.parametrize("contact", [NOTHING, EMPTY_STRINGS], ids=["none", "empty-strings"])
@pytest.mark.parametrize("field", FIELDS)
def test_a_field_with_no_value_satisfies_only_neq_and_exists_false(contact, field) -> None:
    satisfied = {
        f"{op}:{value!r}": matches(cond(field, op, value), contact)
        for op, value in [
            ("eq", ""),
            ("eq", "x"),
            ("neq", "x"),
            ("neq", ""),
            ("contains", ""),
            ("contains", "x"),
            ("startsWith", ""),
            ("endsWith", ""),
            ("in", ["", "x"]),
            ("exists", True),
            ("exists", False),
        ]
    }
    assert satisfied == {
        "eq:''": False,
        "eq:'x'": False,
        "neq:'x'": True,
        "neq:''": True,
        "contains:''": False,
        "contains:'x'": False,
        "startsWith:''": False,
        "endsWith:''": False,
        "in:['', 'x']": False,
        "exists:True": False,
        "exists:False": True,
    }


def test_neq_is_always_the_negation_of_eq() -> None:
    contacts = [ALICE, TWO_NUMBERS, NOTHING, EMPTY_STRINGS]
    values = ["Alice", "alice", "ALICE.MARTIN@acme.com", "acme corp", "FR", "us", "BE", "", "Stone", "x"]
    checked = 0
    for contact, field, value in itertools.product(contacts, FIELDS, values):
        eq = matches(cond(field, "eq", value), contact)
        neq = matches(cond(field, "neq", value), contact)
        assert neq is (not eq), (contact, field, value)
        checked += 1
    assert checked == len(contacts) * len(FIELDS) * len(values)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "FR", True),
        ("eq", "us", True),
        ("eq", "BE", False),
        # neq holds only when no number is in that region
        ("neq", "FR", False),
        ("neq", "US", False),
        ("neq", "BE", True),
        ("in", ["BE", "us"], True),
        ("in", ["BE", "DE"], False),
        ("startsWith", "u", True),
        ("endsWith", "r", True),
        ("contains", "E", False),
        ("exists", True, True),
        ("exists", False, False),
    ],
)
def test_phone_country_holds_when_it_holds_for_any_number(op, value, expected) -> None:
    assert matches(cond("phoneCountry", op, value), TWO_NUMBERS) is expected


def test_phone_country_of_numbers_without_a_region_counts_as_no_value() -> None:
    unknown_region = ContactFacts(None, None, None, None, phone_countries=("",))
    assert matches(cond("phoneCountry", "exists", False), unknown_region) is True
    assert matches(cond("phoneCountry", "exists", True), unknown_region) is False
    assert matches(cond("phoneCountry", "eq", ""), unknown_region) is False
    assert matches(cond("phoneCountry", "neq", "FR"), unknown_region) is True
    mixed = ContactFacts(None, None, None, None, phone_countries=("", "DE"))
    assert matches(cond("phoneCountry", "exists", True), mixed) is True
    assert matches(cond("phoneCountry", "eq", "de"), mixed) is True


def test_the_facts_of_a_contact_are_its_fields_and_the_regions_of_its_numbers() -> None:
    contact = Contact(first_name="Alice", last_name=None, email="a@acme.com", company="")
    numbers = ["+33612345678", "+12025550143", "+80012345678", "+999123"]
    assert [region_of(n) for n in numbers] == ["FR", "US", "001", ""]
    facts = ContactFacts.of(contact, iter(numbers))
    assert facts == ContactFacts("Alice", None, "a@acme.com", "", ("FR", "US", "001", ""))
    assert matches(cond("phoneCountry", "in", ["us"]), facts) is True
    assert matches(cond("company", "exists", False), facts) is True
    assert ContactFacts.of(contact, []).phone_countries == ()


# --- groups -------------------------------------------------------------------------------


def test_all_and_any_groups_combine_their_members() -> None:
    true_a = cond("firstName", "eq", "alice")
    true_b = cond("company", "startsWith", "acme")
    false_a = cond("lastName", "eq", "Stone")
    false_b = cond("phoneCountry", "eq", "US")
    cases = [
        ({"all": [true_a]}, True),
        ({"all": [true_a, true_b]}, True),
        ({"all": [true_a, false_a]}, False),
        ({"all": [false_a, true_a]}, False),
        ({"any": [false_a]}, False),
        ({"any": [false_a, true_b]}, True),
        ({"any": [false_a, false_b]}, False),
        ({"all": [true_a, {"any": [false_a, true_b]}]}, True),
        ({"all": [true_a, {"any": [false_a, false_b]}]}, False),
        ({"any": [{"all": [true_a, false_a]}, {"all": [true_b, false_b]}]}, False),
        ({"any": [{"all": [true_a, false_a]}, {"all": [true_b, true_a]}]}, True),
    ]
    for node, expected in cases:
        assert validate(node) == json.dumps(node)
        assert matches(node, ALICE) is expected, node


def test_the_documented_example_filter() -> None:
    example = {
        "all": [
            {"field": "phoneCountry", "op": "in", "value": ["FR", "BE"]},
            {
                "any": [
                    {"field": "email", "op": "endsWith", "value": "@acme.com"},
                    {"field": "company", "op": "exists", "value": True},
                ]
            },
        ]
    }
    assert validate(example) == json.dumps(example)
    assert matches(example, ALICE) is True
    # French number, but neither an acme.com address nor a company.
    assert matches(example, TWO_NUMBERS) is False
    # Company present but no French or Belgian number.
    assert matches(example, ContactFacts("A", "B", "a@b.com", "Co", ("US",))) is False
    assert matches(example, ContactFacts("A", "B", "a@ACME.com", None, ("BE",))) is True


def nested(depth: int, key: str = "all") -> dict:
    """``depth`` groups, each holding the next; the innermost holds a condition."""
    node: dict = {key: [cond("firstName", "exists", True)]}
    for level in range(depth - 1):
        node = {("any" if level % 2 else key): [node]}
    return node


def test_five_levels_of_groups_are_accepted() -> None:
    for depth in range(1, 6):
        node = nested(depth)
        assert validate(node) == json.dumps(node)
        assert matches(node, ALICE) is True
        assert matches(node, NOTHING) is False


def test_six_levels_of_groups_are_refused_naming_the_sixth() -> None:
    node = nested(6)
    message = refusal(node)
    # The five outer groups are fine: the error names the sixth group's place.
    path = "filter" + "".join(
        f".{next(iter(g))}[0]" for g in _chain(node)[:5]
    )
    assert_names(message, path)
    assert message.startswith(f"{path}: ")
    # Six levels deep as a later member of a group is refused too.
    wide = {"any": [cond("email", "exists", True), nested(5)]}
    message = refusal(wide)
    assert "filter.any[1]" in message


def _chain(node: dict) -> list[dict]:
    chain = []
    while isinstance(node, dict) and ("all" in node or "any" in node):
        chain.append(node)
        node = next(iter(node.values()))[0]
    return chain


def assert_names(message: str, path: str) -> None:
    """The message names exactly ``path`` (not a longer path that starts with it)."""
    assert re.search(re.escape(path) + r"(?![\w.\[])", message), (path, message)


# --- malformed filters ----------------------------------------------------------------------

GOOD = cond("firstName", "eq", "Alice")
MALFORMED = [
    ("not-an-object", "nope", "filter"),
    ("a-list", [GOOD], "filter"),
    ("null-member", {"all": [None]}, "filter.all[0]"),
    ("number-member", {"any": [GOOD, 5]}, "filter.any[1]"),
    ("empty-object", {}, "filter"),
    ("empty-all", {"all": []}, "filter.all"),
    ("empty-any", {"any": []}, "filter.any"),
    ("all-not-a-list", {"all": GOOD}, "filter.all"),
    ("both-keys", {"all": [GOOD], "any": [GOOD]}, "filter"),
    ("group-with-extra-key", {"all": [GOOD], "field": "email"}, "filter"),
    ("unknown-op", {"all": [cond("firstName", "like", "A")]}, "filter.all[0].op"),
    ("unknown-field", {"any": [GOOD, cond("age", "eq", "3")]}, "filter.any[1].field"),
    ("null-field", cond(None, "eq", "x"), "filter.field"),
    ("op-case", cond("email", "EQ", "x"), "filter.op"),
    ("field-case", cond("Email", "eq", "x"), "filter.field"),
    ("missing-value", {"field": "email", "op": "eq"}, "filter"),
    ("missing-op", {"field": "email", "value": "x"}, "filter"),
    ("extra-key", {**GOOD, "caseSensitive": True}, "filter"),
    ("number-for-eq", cond("email", "eq", 3), "filter.value"),
    ("bool-for-contains", cond("email", "contains", True), "filter.value"),
    ("list-for-startsWith", cond("email", "startsWith", ["a"]), "filter.value"),
    ("null-for-neq", cond("email", "neq", None), "filter.value"),
    ("string-for-in", cond("company", "in", "Acme"), "filter.value"),
    ("empty-in", cond("company", "in", []), "filter.value"),
    ("number-in-in", cond("company", "in", ["Acme", 1]), "filter.value"),
    ("string-for-exists", cond("company", "exists", "true"), "filter.value"),
    ("number-for-exists", cond("company", "exists", 1), "filter.value"),
    (
        "deep-bad-value",
        {"all": [GOOD, {"any": [GOOD, {"all": [cond("lastName", "endsWith", None)]}]}]},
        "filter.all[1].any[1].all[0].value",
    ),
    ("deep-bad-op", {"any": [{"all": [GOOD, cond("lastName", "gt", "a")]}]}, "filter.any[0].all[1].op"),
]


@pytest.mark.parametrize(("raw", "path"), [(raw, path) for _, raw, path in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_filters_are_refused_naming_the_path(raw, path) -> None:
    # The status is the API's: test_every_malformed_filter_is_a_400_naming_its_path.
    message = refusal(raw)
    assert_names(message, path)
    # Exactly that place, as the message's subject: no model or union member in it.
    assert message.startswith(f"{path}: "), message


MESSAGES = [
    (cond("age", "eq", "x"), "filter.field: must be one of firstName, lastName, email, company, phoneCountry"),
    (cond("email", "EQ", "x"), "filter.op: must be one of eq, neq, contains, startsWith, endsWith, in, exists"),
    (cond("email", "eq", 3), "filter.value: must be a string for 'eq'"),
    (cond("email", "startsWith", ["a"]), "filter.value: must be a string for 'startsWith'"),
    (cond("company", "in", []), "filter.value: must be a non-empty list of strings for 'in'"),
    (cond("company", "in", ["Acme", 1]), "filter.value: must be a non-empty list of strings for 'in'"),
    (cond("company", "exists", "true"), "filter.value: must be true or false for 'exists'"),
    ({"all": []}, "filter.all: must be a non-empty list of filters"),
    ({"any": GOOD}, "filter.any: must be a non-empty list of filters"),
    ({"all": [GOOD], "any": [GOOD]}, "filter: a group holds exactly one key, 'all' or 'any'"),
    ("nope", "filter: must be an object (a condition or a group)"),
]


@pytest.mark.parametrize(("raw", "message"), MESSAGES)
def test_a_malformed_filter_is_refused_with_its_message(raw, message) -> None:
    assert refusal(raw) == message


# --- /v1 sequences ----------------------------------------------------------------------------

FILTER = {
    "all": [
        {"field": "phoneCountry", "op": "in", "value": ["FR", "BE"]},
        {"any": [{"field": "email", "op": "endsWith", "value": "@acme.com"}, {"field": "company", "op": "exists", "value": True}]},
    ]
}


def sequence_body(tenant: Tenant, **extra: object) -> dict:
    return {"name": "Continuous", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)], **extra}


async def listed(tenant: Tenant) -> dict[str, dict]:
    response = await tenant.get("/v1/sequences?limit=100")
    assert response.status_code == 200, response.text
    return {s["id"]: s for s in response.json()["data"]}


async def test_filter_and_continuity_are_set_returned_changed_and_cleared(tenants) -> None:
    tenant = await tenants.create()
    created = await tenant.post("/v1/sequences", json=sequence_body(tenant, isContinuous=True, filter=FILTER))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["isContinuous"] is True
    assert body["filter"] == FILTER
    sequence_id = body["id"]
    got = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
    assert (got["isContinuous"], got["filter"]) == (True, FILTER)
    assert (await listed(tenant))[sequence_id]["filter"] == FILTER

    other = {"field": "company", "op": "eq", "value": "Acme"}
    patched = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"filter": other})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["filter"], patched.json()["isContinuous"]) == (other, True)
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["filter"] == other

    # Omitting the filter leaves it as it is.
    renamed = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"name": "Renamed"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["filter"]) == ("Renamed", other)
    stopped = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"isContinuous": False})
    assert (stopped.json()["isContinuous"], stopped.json()["filter"]) == (False, other)
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["isContinuous"] is False

    # null clears it.
    cleared = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"filter": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["filter"] is None
    assert cleared.json()["name"] == "Renamed"
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["filter"] is None
    assert (await listed(tenant))[sequence_id]["filter"] is None
    restarted = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"isContinuous": True})
    assert (restarted.json()["isContinuous"], restarted.json()["filter"]) == (True, None)


async def test_defaults_are_not_continuous_and_no_filter_in_every_response(tenants) -> None:
    tenant = await tenants.create()
    created = await tenant.post("/v1/sequences", json=sequence_body(tenant))
    assert created.status_code == 201, created.text
    sequence_id = created.json()["id"]
    responses = {
        "create": created.json(),
        "get": (await tenant.get(f"/v1/sequences/{sequence_id}")).json(),
        "list": (await listed(tenant))[sequence_id],
        "patch": (await tenant.patch(f"/v1/sequences/{sequence_id}", json={"name": "Other"})).json(),
    }
    for name, body in responses.items():
        assert "isContinuous" in body and "filter" in body, (name, body)
        assert (body["isContinuous"], body["filter"]) == (False, None), name
    # A filter can be set later by PATCH, on a sequence that is not continuous.
    patched = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"filter": GOOD})
    assert (patched.json()["filter"], patched.json()["isContinuous"]) == (GOOD, False)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"all": [cond("firstName", "like", "A")]}, "filter.all[0].op"),
        ({"any": [GOOD, cond("age", "eq", "3")]}, "filter.any[1].field"),
        ({"all": []}, "filter.all"),
        (cond("company", "in", []), "filter.value"),
        ({"all": [GOOD], "any": [GOOD]}, "filter"),
        (nested(6), "filter.all[0].any[0].all[0].any[0].all[0]"),
    ],
    ids=["op", "field", "empty-group", "empty-in", "two-keys", "too-deep"],
)
async def test_malformed_filter_is_400_on_create_and_patch(tenants, raw, path) -> None:
    tenant = await tenants.create()
    refused = await tenant.post("/v1/sequences", json=sequence_body(tenant, isContinuous=True, filter=raw))
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert_names(error["message"], path)
    assert await listed(tenant) == {}

    created = await tenant.post("/v1/sequences", json=sequence_body(tenant, isContinuous=True, filter=GOOD))
    sequence_id = created.json()["id"]
    refused = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"filter": raw, "name": "Changed"})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert_names(error["message"], path)
    # Nothing of the refused PATCH was applied.
    after = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
    assert (after["filter"], after["name"]) == (GOOD, "Continuous")


async def test_a_filter_that_is_not_an_object_is_400(tenants) -> None:
    tenant = await tenants.create()
    for raw in ("nope", [GOOD], 3):
        response = await tenant.post("/v1/sequences", json=sequence_body(tenant, filter=raw))
        assert response.status_code == 400, (raw, response.text)
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert "filter" in error["message"]
    assert await listed(tenant) == {}


async def test_every_malformed_filter_is_a_400_naming_its_path(tenants) -> None:
    tenant = await tenants.create()
    for name, raw, path in MALFORMED:
        response = await tenant.post("/v1/sequences", json=sequence_body(tenant, filter=raw))
        assert response.status_code == 400, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR", name
        assert_names(error["message"], path)
        assert error["message"].startswith(f"{path}: "), (name, error["message"])
    assert await listed(tenant) == {}


async def test_a_filter_is_stored_and_returned_exactly_as_sent(tenants) -> None:
    tenant = await tenants.create()
    created = await tenant.post("/v1/sequences", json=sequence_body(tenant, filter=FILTER))
    assert created.status_code == 201, created.text
    got = await tenant.get(f"/v1/sequences/{created.json()['id']}")
    for response in (created, got):
        sent = json.dumps(response.json()["filter"], separators=(",", ":"))
        assert sent == json.dumps(FILTER, separators=(",", ":"))
        assert f'"filter":{sent}' in response.text


async def test_a_nul_character_in_a_filter_is_a_400(tenants) -> None:
    """PostgreSQL text cannot hold NUL: refused in a filter as in every other input."""
    tenant = await tenants.create()
    raw = {"any": [GOOD, cond("company", "in", ["Acme", "a\x00"])]}
    response = await tenant.post("/v1/sequences", json=sequence_body(tenant, filter=raw))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith("filter: "), response.text
    assert await listed(tenant) == {}


async def test_unknown_sequence_patch_is_404_even_with_a_filter(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.patch(f"/v1/sequences/{uuid.uuid4()}", json={"filter": GOOD})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


# --- the grammar in the OpenAPI document ------------------------------------------------------


def test_the_openapi_document_describes_the_grammar(app) -> None:
    schemas = app.openapi()["components"]["schemas"]

    def resolve(schema: dict) -> dict:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def members(schema: dict) -> list[dict]:
        schema = resolve(schema)
        options = schema.get("anyOf") or schema.get("oneOf")
        return [m for o in options for m in members(o)] if options else [schema]

    for dto in ("CreateSequenceDto", "UpdateSequenceDto"):
        field = schemas[dto]["properties"]["filter"]
        assert "at most 5" in field["description"]
        kinds = members(field)
        assert {"type": "null"} in kinds
        conditions = [k for k in kinds if "op" in k.get("properties", {})]
        groups = [k for k in kinds if {"all"} == set(k.get("properties", {})) or {"any"} == set(k.get("properties", {}))]
        assert len(conditions) + len(groups) + 1 == len(kinds)
        # Conditions: exactly field, op and value; the value's type follows the op.
        value_types: dict[str, dict] = {}
        for condition in conditions:
            assert condition["additionalProperties"] is False
            assert sorted(condition["required"]) == ["field", "op", "value"]
            assert resolve(condition["properties"]["field"])["enum"] == list(FIELDS)
            op = resolve(condition["properties"]["op"])
            for name in op.get("enum", [op.get("const")]):
                value_types[name] = resolve(condition["properties"]["value"])
        assert set(value_types) == {"eq", "neq", "contains", "startsWith", "endsWith", "in", "exists"}
        for op in ("eq", "neq", "contains", "startsWith", "endsWith"):
            assert value_types[op]["type"] == "string", op
        assert value_types["in"]["type"] == "array"
        assert value_types["in"]["items"]["type"] == "string"
        assert value_types["in"]["minItems"] == 1
        assert value_types["exists"]["type"] == "boolean"
        # Groups: one key, a non-empty list of filters (the same schema again).
        assert sorted(next(iter(g["properties"])) for g in groups) == ["all", "any"]
        for group in groups:
            assert group["additionalProperties"] is False
            (key,) = group["properties"]
            assert group["required"] == [key]
            items = group["properties"][key]
            assert items["type"] == "array" and items["minItems"] == 1
            assert [resolve(m) for m in members(items["items"])] == [k for k in kinds if k != {"type": "null"}]
