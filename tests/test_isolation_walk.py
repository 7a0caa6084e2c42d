"""Tenant isolation on every route of the OpenAPI document, proven by walking it.

``ROUTES`` says, per (method, path template), how to build a request that succeeds for the
attacker's own tenant, and which places of it hold an id (``Ref``). For each such place the
walker sends the request again with, there, an id of another organization, of a workspace
outside the key's scope, of an object the attacker deleted, and a random UUID. Each must be
answered exactly as the random UUID is (same status, same body once ids and times are
blanked): an object outside the scope does not exist. The status each place answers is
pinned in the table (404 when addressed, 400 when named in a body or a ``workspaceId``, a
2xx when ignored inside a batch or a filter). Around each attacker's walk, every row of
the other tenants is read through an unscoped session: not one byte may change.

A route of the document that the table does not know fails the test, so a new route is
walked from the day it exists; so does an id-like parameter or body field (a ``…Id``,
``…Ids`` or ``format: uuid``) that its entry does not name.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from relance.db.models import Base
from tests.factory import ADMIN, Tenant


@dataclass(frozen=True)
class Ref:
    """A place holding an id of ``kind``; ``foreign``: the status when the id is not the key's."""

    kind: str
    foreign: int


@dataclass(frozen=True)
class Unique:
    """A fresh value each time (labels are unique per workspace)."""


@dataclass(frozen=True)
class Route:
    path: dict[str, Ref] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    ok: int = 200
    fresh: bool = False  # the request consumes the attacker's objects: build new ones first


CONTACT = Ref("contact", 404)
SEQUENCE = Ref("sequence", 404)
CONTACT_TAGS = {"id": SEQUENCE, "contactId": CONTACT}
WEBHOOK = Ref("webhook", 404)
PUBLIC_URL = "https://93.184.215.14/hooks/relance"  # a public address: no name to resolve


def _random_number() -> str:
    return f"+3361{uuid.uuid4().int % 10**7:07d}"


# What names nothing, for kinds that are not UUIDs: a random one of their own form.
RANDOM: dict[str, Callable[[], str]] = {"listed_number": _random_number}

ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/v1/sequences"): Route(
        body={
            "name": "Walked",
            "creatorId": Ref("om", 400),
            "assignedToIds": [Ref("om", 400)],
            "contactIds": [Ref("contact", 201)],
            "workspaceId": Ref("workspace", 400),
        },
        ok=201,
    ),
    ("GET", "/v1/sequences"): Route(),
    ("GET", "/v1/sequences/{id}"): Route(path={"id": SEQUENCE}),
    ("PATCH", "/v1/sequences/{id}"): Route(
        path={"id": SEQUENCE}, body={"name": "Renamed", "assignedToIds": [Ref("om", 400)]}
    ),
    ("DELETE", "/v1/sequences/{id}"): Route(path={"id": SEQUENCE}, ok=204, fresh=True),
    ("POST", "/v1/sequences/{id}/contacts"): Route(
        path={"id": SEQUENCE},
        body={
            "contacts": [
                {
                    "contactId": Ref("free_contact", 201),
                    "assignedToWorkspaceMembershipId": Ref("wm", 400),
                }
            ]
        },
        ok=201,
    ),
    ("GET", "/v1/sequences/{id}/contacts"): Route(path={"id": SEQUENCE}),
    ("DELETE", "/v1/sequences/{id}/contacts"): Route(
        path={"id": SEQUENCE}, body={"contactIds": [Ref("contact", 200)]}, fresh=True
    ),
    ("POST", "/v1/contacts"): Route(
        body={"firstName": "W", "workspaceId": Ref("workspace", 400)}, ok=201
    ),
    ("GET", "/v1/contacts"): Route(),
    ("POST", "/v1/contacts/bulk"): Route(
        body={"contacts": [{"firstName": "W", "workspaceId": Ref("workspace", 400)}]}, ok=201
    ),
    ("GET", "/v1/contacts/{id}"): Route(path={"id": CONTACT}),
    ("PATCH", "/v1/contacts/{id}"): Route(
        path={"id": CONTACT}, body={"firstName": "Renamed", "workspaceId": Ref("workspace", 400)}
    ),
    ("DELETE", "/v1/contacts/{id}"): Route(path={"id": CONTACT}, ok=204, fresh=True),
    ("POST", "/v1/tags"): Route(
        body={"label": Unique(), "workspaceId": Ref("workspace", 400)}, ok=201
    ),
    ("GET", "/v1/tags"): Route(query={"workspaceId": Ref("workspace", 400)}),
    ("GET", "/v1/tags/{id}"): Route(path={"id": Ref("tag", 404)}),
    ("PATCH", "/v1/tags/{id}"): Route(path={"id": Ref("tag", 404)}, body={"label": Unique()}),
    ("DELETE", "/v1/tags/{id}"): Route(path={"id": Ref("tag", 404)}, ok=204, fresh=True),
    ("PUT", "/v1/sequences/{id}/contacts/{contactId}/tags"): Route(
        path=CONTACT_TAGS, body={"tagIds": [Ref("tag", 400)]}
    ),
    ("POST", "/v1/sequences/{id}/contacts/{contactId}/tags"): Route(
        path=CONTACT_TAGS, body={"tagIds": [Ref("tag", 400)]}
    ),
    ("DELETE", "/v1/sequences/{id}/contacts/{contactId}/tags/{tagId}"): Route(
        path={**CONTACT_TAGS, "tagId": Ref("tag", 204)}, ok=204
    ),
    ("POST", "/v1/calls"): Route(
        body={
            "sequenceId": Ref("sequence", 404),
            "contactId": Ref("contact", 400),
            "phoneNumberId": Ref("phone", 400),
            "workspaceMembershipId": Ref("wm", 400),
        },
        ok=201,
    ),
    ("GET", "/v1/calls"): Route(
        query={
            "sequenceId": Ref("sequence", 200),
            "contactId": Ref("contact", 200),
            "workspaceMembershipId": Ref("wm", 200),
        }
    ),
    ("GET", "/v1/calls/{id}"): Route(path={"id": Ref("call", 404)}),
    ("PATCH", "/v1/calls/{id}"): Route(path={"id": Ref("call", 404)}, body={"status": "INITIATED"}),
    ("GET", "/v1/users"): Route(),
    ("GET", "/v1/workspaces"): Route(),
    ("GET", "/v1/workspaces/{id}/members"): Route(path={"id": Ref("workspace", 404)}),
    ("POST", "/opencx/sequences/{sequence_id}/contacts"): Route(
        path={"sequence_id": Ref("continuous", 404)},
        body={"contacts": [{"id": Ref("contact", 200)}]},
    ),
    ("GET", "/opencx/runs/{run_id}"): Route(path={"run_id": Ref("run", 404)}),
    # The queue.
    ("POST", "/v1/sequences/{id}/contacts/pause"): Route(
        path={"id": SEQUENCE}, body={"contactIds": [Ref("contact", 200)]}
    ),
    ("POST", "/v1/sequences/{id}/contacts/resume"): Route(
        path={"id": SEQUENCE}, body={"contactIds": [Ref("contact", 200)]}
    ),
    ("POST", "/v1/sequences/{id}/contacts/finish"): Route(
        path={"id": SEQUENCE}, body={"contactIds": [Ref("contact", 200)]}, fresh=True
    ),
    ("POST", "/v1/sequences/{id}/next"): Route(
        path={"id": SEQUENCE},
        body={"workspaceMembershipId": Ref("wm", 400)},
        ok=201,
        fresh=True,
    ),
    ("GET", "/v1/sequences/{id}/stats"): Route(path={"id": SEQUENCE}),
    ("POST", "/v1/do-not-call"): Route(body={"numbers": ["+33 6 99 99 99 99"]}, ok=201),
    ("GET", "/v1/do-not-call"): Route(),
    ("DELETE", "/v1/do-not-call/{number}"): Route(
        path={"number": Ref("listed_number", 404)}, ok=204, fresh=True
    ),
    # Webhooks and the event feed.
    ("POST", "/v1/webhooks"): Route(
        body={"url": PUBLIC_URL, "workspaceId": Ref("workspace", 400)}, ok=201
    ),
    ("GET", "/v1/webhooks"): Route(query={"workspaceId": Ref("workspace", 400)}),
    ("GET", "/v1/webhooks/{id}"): Route(path={"id": WEBHOOK}),
    ("PATCH", "/v1/webhooks/{id}"): Route(path={"id": WEBHOOK}, body={"description": "Renamed"}),
    ("POST", "/v1/webhooks/{id}/rotate-secret"): Route(path={"id": WEBHOOK}),
    ("POST", "/v1/webhooks/{id}/test"): Route(path={"id": WEBHOOK}, ok=202),
    ("GET", "/v1/webhooks/{id}/deliveries"): Route(path={"id": WEBHOOK}),
    ("POST", "/v1/webhooks/{id}/replay"): Route(
        path={"id": WEBHOOK}, body={"since": "2026-01-01T00:00:00Z"}, ok=202
    ),
    ("DELETE", "/v1/webhooks/{id}"): Route(path={"id": WEBHOOK}, ok=204, fresh=True),
    ("GET", "/v1/events"): Route(),
}

# Outside any tenant's scope, on purpose: the operator's admin API (its own token) and what
# answers without a key. /metrics (its own token) and the documentation pages are left out
# of the OpenAPI document, so they need no entry.
OUT_OF_TENANT_SCOPE = {
    ("POST", "/admin/v1/organizations"),
    ("PATCH", "/admin/v1/organizations/{id}"),
    ("POST", "/admin/v1/organizations/{id}/workspaces"),
    ("POST", "/admin/v1/organizations/{id}/members"),
    ("POST", "/admin/v1/workspaces/{id}/members"),
    ("POST", "/admin/v1/organizations/{id}/api-keys"),
    ("DELETE", "/admin/v1/api-keys/{id}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
}

HOW_TO_ADD = (
    "{method} {path} is not in tests/test_isolation_walk.py: add it to ROUTES (a request that "
    "succeeds for the attacker's own tenant, with a Ref(kind, status) in every place an id goes, "
    "kinds as in context(), and the status a foreign id answers there), or to OUT_OF_TENANT_SCOPE "
    "if no API key reaches it"
)

ID_LIKE = re.compile(r"(Id|Ids|_id|^id)$")


def id_places(document: dict, operation: dict) -> set[str]:
    """Every place of an operation that names an object: path parameters, ``…Id`` query
    parameters and body fields (through arrays and nested objects)."""
    places = {f"path.{p['name']}" for p in operation.get("parameters", []) if p["in"] == "path"}
    places |= {
        f"query.{p['name']}"
        for p in operation.get("parameters", [])
        if p["in"] == "query" and ID_LIKE.search(p["name"])
    }
    schemas = document["components"]["schemas"]

    def walk(schema: dict, at: str, depth: int) -> Iterator[str]:
        if depth > 6:
            return
        if "$ref" in schema:
            yield from walk(schemas[schema["$ref"].rsplit("/", 1)[1]], at, depth + 1)
        for alternative in schema.get("anyOf", []) + schema.get("oneOf", []):
            yield from walk(alternative, at, depth + 1)
        if "items" in schema:
            yield from walk(schema["items"], at + "[]", depth + 1)
        for name, child in schema.get("properties", {}).items():
            if ID_LIKE.search(name) or child.get("format") == "uuid":
                yield f"{at}.{name}"
            yield from walk(child, f"{at}.{name}", depth + 1)

    body = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    if body:
        places |= {p.replace("[]", "") for p in walk(body, "body", 0) if not p.endswith("[]")}
    return places


def refs(value: Any, at: str) -> Iterator[tuple[str, Ref]]:
    if isinstance(value, Ref):
        yield at, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from refs(child, f"{at}.{key}")
    elif isinstance(value, list):
        for child in value:
            yield from refs(child, at)


def fill(value: Any, at: str, own: dict[str, str], target: str, sent: str) -> Any:
    """The request's part with the attacker's own ids, and ``sent`` at place ``target``."""
    if isinstance(value, Ref):
        return sent if at == target else own[value.kind]
    if isinstance(value, Unique):
        return f"walk-{uuid.uuid4().hex[:12]}"
    if isinstance(value, dict):
        return {key: fill(child, f"{at}.{key}", own, target, sent) for key, child in value.items()}
    if isinstance(value, list):
        return [fill(child, at, own, target, sent) for child in value]
    return value


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def blanked(text: str, sent: str) -> str:
    return MOMENT.sub("<time>", UUID.sub("<id>", text.replace(sent, "<sent>")))


async def context(tenant: Tenant, om: str, wm: str) -> dict[str, str]:
    """One object of each kind in the tenant's first workspace."""
    contacts = await tenant.contacts(3)
    sequence = await tenant.sequence(contact_ids=contacts[:2])
    continuous = (
        await tenant.post(
            "/v1/sequences",
            json={
                "name": "C",
                "creatorId": tenant.om(0),
                "assignedToIds": [tenant.om(0)],
                "isContinuous": True,
                "workspaceId": tenant.workspace_id,
            },
        )
    ).json()["id"]
    tag = (
        await tenant.post(
            "/v1/tags",
            json={"label": f"T-{uuid.uuid4().hex[:8]}", "workspaceId": tenant.workspace_id},
        )
    ).json()["id"]
    tagged = await tenant.put(
        f"/v1/sequences/{sequence}/contacts/{contacts[0]}/tags", json={"tagIds": [tag]}
    )
    assert tagged.status_code == 200, tagged.text
    contact = (await tenant.get(f"/v1/contacts/{contacts[0]}")).json()
    call = await tenant.post("/v1/calls", json={"sequenceId": sequence, "contactId": contacts[0]})
    run = await tenant.post(
        f"/opencx/sequences/{continuous}/contacts", json={"contacts": [{"id": contacts[1]}]}
    )
    assert call.status_code == 201 and run.status_code == 200, (call.text, run.text)
    webhook = await tenant.post(
        "/v1/webhooks", json={"url": PUBLIC_URL, "workspaceId": tenant.workspace_id}
    )
    listed_number = _random_number()
    listed = await tenant.post("/v1/do-not-call", json={"numbers": [listed_number]})
    assert webhook.status_code == 201 and listed.status_code == 201, (webhook.text, listed.text)
    return {
        "webhook": webhook.json()["id"],
        "listed_number": listed_number,
        "contact": contacts[0],
        "free_contact": contacts[2],
        "sequence": sequence,
        "continuous": continuous,
        "tag": tag,
        "call": call.json()["id"],
        "run": run.json()["run_id"],
        "phone": contact["phoneNumbers"][0]["id"],
        "workspace": tenant.workspace_id,
        "om": om,
        "wm": wm,
    }


async def deleted(tenant: Tenant) -> dict[str, str]:
    """Objects of the tenant that it deleted."""
    [contact] = await tenant.contacts(1)
    sequence = await tenant.sequence()
    tag = (
        await tenant.post(
            "/v1/tags",
            json={"label": f"Gone-{uuid.uuid4().hex[:8]}", "workspaceId": tenant.workspace_id},
        )
    ).json()["id"]
    webhook = (
        await tenant.post("/v1/webhooks", json={"url": PUBLIC_URL, "workspaceId": tenant.workspace_id})
    ).json()["id"]
    for path in (
        f"/v1/contacts/{contact}",
        f"/v1/sequences/{sequence}",
        f"/v1/tags/{tag}",
        f"/v1/webhooks/{webhook}",
    ):
        assert (await tenant.delete(path)).status_code == 204, path
    return {
        "webhook": webhook,
        "contact": contact,
        "free_contact": contact,
        "sequence": sequence,
        "continuous": sequence,
        "tag": tag,
    }


async def rows(  # noqa: ANN001
    database, workspaces: set[uuid.UUID], organizations: set[uuid.UUID], *, own: uuid.UUID
) -> dict:
    """Every row those tenants own, in every table, read past the scope; the rows of the
    organization ``own`` (the attacker's) that its every key shares (its do-not-call list,
    its idempotency keys) are the attacker's own, and left out."""
    found = {}
    async with database.unscoped_session(write=False) as session:
        for table in Base.metadata.sorted_tables:
            statement = select(table)
            if "workspace_id" in table.c:
                statement = statement.where(table.c.workspace_id.in_(workspaces))
            elif "organization_id" in table.c:
                statement = statement.where(table.c.organization_id.in_(organizations - {own}))
            elif table.name == "organizations":
                statement = statement.where(table.c.id.in_(organizations))
            found[table.name] = sorted(
                repr(tuple(row)) for row in (await session.execute(statement)).all()
            )
    return found


async def walk(
    client,  # noqa: ANN001
    own: Tenant,
    mine: dict[str, str],
    gone: dict[str, str],
    foreign: dict[str, str],
    foreign_gone: dict[str, str],
    fresh: Callable,
    visible: set[str],
    shared: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Every route, every id place, every kind of outside id; returns what went wrong.
    ``visible``: kinds the attacker may see listed (members, to every key of their organization);
    ``shared``: kinds that belong to the organization, not to a workspace (its do-not-call
    list), which a key of the same organization works on as its own."""
    wrong = []
    for (method, template), route in ROUTES.items():
        places = [*refs(route.path, "path"), *refs(route.query, "query"), *refs(route.body, "body")]
        ids = mine
        if route.fresh:
            ids = await fresh()
        for at, ref in places:
            theirs = ref.kind not in shared
            outside = {
                "another tenant": foreign.get(ref.kind) if theirs else None,
                "another tenant's, deleted": foreign_gone.get(ref.kind) if theirs else None,
                "its own, deleted": gone.get(ref.kind),
                "random": RANDOM.get(ref.kind, lambda: str(uuid.uuid4()))(),
            }
            answers = {}
            for what, sent in outside.items():
                if sent is None:
                    continue
                path = template.format(**fill(route.path, "path", ids, at, sent))
                response = await own.request(
                    method,
                    path,
                    params=fill(route.query, "query", ids, at, sent),
                    json=fill(route.body, "body", ids, at, sent),
                )
                answers[what] = (response.status_code, blanked(response.text, sent))
                if response.status_code != ref.foreign:
                    got = f"{response.status_code} {response.text[:150]}"
                    wrong.append(f"{method} {template} {at}={what}: {got}")
            if len(set(answers.values())) > 1:
                wrong.append(
                    f"{method} {template} {at}: answers differ from a random id's: {answers}"
                )
        response = await own.request(
            method,
            template.format(**fill(route.path, "path", ids, "", "")),
            params=fill(route.query, "query", ids, "", ""),
            json=fill(route.body, "body", ids, "", ""),
        )
        if response.status_code != route.ok:
            wrong.append(
                f"{method} {template} for its own key: {response.status_code} {response.text[:150]}"
            )
        if set(UUID.findall(response.text)) & {v for k, v in foreign.items() if k not in visible}:
            wrong.append(f"{method} {template} shows another tenant's id: {response.text[:200]}")
    return wrong


def test_every_route_of_the_document_is_walked_or_declared_out_of_scope(app) -> None:  # noqa: ANN001
    document = app.openapi()
    seen = set()
    problems = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            seen.add(key)
            if key in OUT_OF_TENANT_SCOPE:
                continue
            if key not in ROUTES:
                problems.append(HOW_TO_ADD.format(method=key[0], path=path))
                continue
            route = ROUTES[key]
            named = {
                re.sub(r"\[\]", "", at)
                for at, _ in [
                    *refs(route.path, "path"),
                    *refs(route.query, "query"),
                    *refs(route.body, "body"),
                ]
            }
            missing = id_places(document, operation) - named
            if missing:
                problems.append(
                    f"{key[0]} {path}: ROUTES names no id for {sorted(missing)}: add a Ref there"
                )
    stale = (set(ROUTES) | OUT_OF_TENANT_SCOPE) - seen
    problems += [
        f"{m} {p} is in tests/test_isolation_walk.py but not in the document" for m, p in stale
    ]
    assert not problems, "\n".join(problems)


async def test_no_route_reaches_another_tenant_or_workspace(tenants, database) -> None:  # noqa: ANN001
    victim = await tenants.create(workspaces=2)
    # A member of the first workspace only, so that the second workspace's key cannot name them.
    only_first = await tenants.admin(
        "POST",
        f"/organizations/{victim.organization_id}/members",
        {
            "email": f"first-{uuid.uuid4().hex[:6]}@example.com",
            "workspaceIds": [victim.workspace_id],
        },
    )
    foreign = await context(
        victim, only_first["organizationMembershipId"], only_first["workspaceMemberships"][0]["id"]
    )
    foreign_gone = await deleted(victim)
    other = await tenants.create()
    limited_key = await victim.key_for([victim.workspace_ids[1]])
    limited = Tenant(
        victim.client,
        victim.organization_id,
        limited_key,
        [victim.workspace_ids[1]],
        victim.members,
        victim.api_key_id,
    )
    organizations = {uuid.UUID(victim.organization_id), uuid.UUID(other.organization_id)}
    everyone = {uuid.UUID(w) for w in victim.workspace_ids + other.workspace_ids}
    for attacker, visible, shared in ((other, set(), set()), (limited, {"om"}, {"listed_number"})):
        mine = uuid.UUID(attacker.workspace_id)

        async def fresh(attacker: Tenant = attacker) -> dict[str, str]:
            return await context(attacker, attacker.om(0), attacker.wm(0))

        ids = await fresh()
        gone = await deleted(attacker)
        own_organization = uuid.UUID(attacker.organization_id)
        before = await rows(database, everyone - {mine}, organizations, own=own_organization)
        wrong = await walk(
            attacker.client, attacker, ids, gone, foreign, foreign_gone, fresh, visible, shared
        )
        assert not wrong, "\n".join(wrong)
        assert await rows(database, everyone - {mine}, organizations, own=own_organization) == before
    assert (await victim.client.get("/healthz", headers=ADMIN)).status_code == 200
