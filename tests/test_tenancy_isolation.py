"""Tenant A's resources do not exist for tenant B, nor for A's keys limited elsewhere."""

import uuid

import pytest
from sqlalchemy import func, select, update

from relance.db.models import Contact, Sequence, SequenceAssignee, SequenceContact, Workspace
from relance.plans import Plan
from relance.tenancy.scope import TenantScope, UnscopedQuery, scoped
from tests.factory import Tenant


async def seed(tenant: Tenant, workspace_index: int) -> dict[str, str]:
    contacts = await tenant.contacts(2, workspace_index=workspace_index)
    sequence_id = await tenant.sequence(contact_ids=contacts, workspace_index=workspace_index)
    return {"contact": contacts[0], "sequence": sequence_id, "workspace": tenant.workspace_ids[workspace_index]}


async def outsiders(tenants) -> tuple[Tenant, dict[str, str], list[dict[str, str]]]:
    """Tenant A with resources in workspace 0; an org B and a key of A limited to workspace 1."""
    a = await tenants.create(workspaces=2)
    resources = await seed(a, 0)
    b = await tenants.create()
    limited = await a.key_for([a.workspace_ids[1]])
    return a, resources, [b.headers, {"Authorization": f"Bearer {limited}"}]


async def test_addressed_resources_are_404_from_outside(tenants) -> None:
    a, r, outside = await outsiders(tenants)
    requests = [
        ("GET", f"/v1/sequences/{r['sequence']}", None),
        ("PATCH", f"/v1/sequences/{r['sequence']}", {"name": "stolen"}),
        ("DELETE", f"/v1/sequences/{r['sequence']}", None),
        ("GET", f"/v1/sequences/{r['sequence']}/contacts", None),
        ("POST", f"/v1/sequences/{r['sequence']}/contacts", {"contacts": [{"contactId": r["contact"]}]}),
        ("DELETE", f"/v1/sequences/{r['sequence']}/contacts", {"contactIds": [r["contact"]]}),
        ("GET", f"/v1/contacts/{r['contact']}", None),
        ("PATCH", f"/v1/contacts/{r['contact']}", {"firstName": "stolen"}),
        ("DELETE", f"/v1/contacts/{r['contact']}", None),
        ("GET", f"/v1/workspaces/{r['workspace']}/members", None),
    ]
    for headers in outside:
        for method, path, body in requests:
            response = await a.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
    # Nothing was changed by those attempts.
    sequence = (await a.get(f"/v1/sequences/{r['sequence']}")).json()
    assert sequence["name"] == "Test sequence" and sequence["contactCount"] == 2
    assert (await a.get(f"/v1/contacts/{r['contact']}")).json()["firstName"] == "First0"


async def test_lists_never_show_outside_resources(tenants) -> None:
    a, r, outside = await outsiders(tenants)
    for headers in outside:
        for path in ("/v1/sequences", "/v1/contacts", "/v1/workspaces"):
            body = (await a.client.get(path, headers=headers)).json()
            ids = {item["id"] for item in body["data"]}
            assert not ids & {r["sequence"], r["contact"], r["workspace"]}, path
    other_org_users = (await a.client.get("/v1/users", headers=outside[0])).json()["data"]
    assert not {u["organizationMembershipId"] for u in other_org_users} & {m.organization_membership_id for m in a.members}


async def test_outside_contacts_are_ignored_inside_a_batch(tenants) -> None:
    a, r, _ = await outsiders(tenants)
    b = await tenants.create()
    b_sequence = await b.sequence()
    response = await b.post(f"/v1/sequences/{b_sequence}/contacts", json={"contacts": [{"contactId": r["contact"]}]})
    assert response.json() == {"added": 0}
    removed = await b.delete(f"/v1/sequences/{b_sequence}/contacts", json={"contactIds": [r["contact"]]})
    assert removed.json() == {"removed": 0}
    assert (await a.get(f"/v1/sequences/{r['sequence']}")).json()["contactCount"] == 2


async def test_a_sequence_cannot_enrol_or_assign_across_workspaces_of_one_key(tenants) -> None:
    a = await tenants.create(workspaces=2)
    in_zero = await a.sequence(workspace_index=0)
    [in_one] = await a.contacts(1, workspace_index=1)
    response = await a.post(f"/v1/sequences/{in_zero}/contacts", json={"contacts": [{"contactId": in_one}]})
    assert response.json() == {"added": 0}


async def test_a_session_without_scope_refuses_to_query(database) -> None:
    async with database.session(write=False) as session:
        with pytest.raises(UnscopedQuery):
            await session.execute(select(Contact.id))


async def test_the_scope_filters_reads_updates_and_joins(tenants, database) -> None:
    a = await tenants.create()
    b = await tenants.create()
    await seed(a, 0)
    await seed(b, 0)
    scope = TenantScope(uuid.UUID(a.organization_id), Plan.EXPERT, (uuid.UUID(a.workspace_id),))
    async with database.scoped_session(scope) as session:
        workspaces = set(await session.scalars(select(Contact.workspace_id)))
        assert workspaces == {uuid.UUID(a.workspace_id)}
        joined = await session.scalars(
            select(Workspace.id).join(Sequence, Sequence.workspace_id == Workspace.id)
        )
        assert set(joined) == {uuid.UUID(a.workspace_id)}
        # An UPDATE aimed at every row touches only the scope's.
        result = await session.execute(update(SequenceAssignee).values(active_load=SequenceAssignee.active_load))
        assert result.rowcount == 3
        await session.rollback()


async def test_a_statement_built_once_is_filtered_to_each_session_that_runs_it(tenants, database) -> None:
    """The scope's filters are kept with a statement between its executions, their values
    bound from each session's own scope: tenants taking turns on one statement (built once,
    as the repositories' are) each see only their own rows, an UPDATE included."""
    a = await tenants.create()
    b = await tenants.create()
    await seed(a, 0)
    await seed(b, 0)
    contacts = select(Contact.workspace_id).where(Contact.first_name.is_not(None))
    loads = update(SequenceAssignee).values(active_load=SequenceAssignee.active_load)
    for tenant in (a, b, a, b):
        mine = uuid.UUID(tenant.workspace_id)
        scope = TenantScope(uuid.UUID(tenant.organization_id), Plan.EXPERT, (mine,))
        async with database.scoped_session(scope) as session:
            assert set(await session.scalars(contacts)) == {mine}
            assert (await session.execute(loads)).rowcount == 3
            await session.rollback()


async def test_core_reads_are_scoped_or_refused(tenants, database) -> None:
    """A Core SELECT (rows, not ORM objects) bypasses the ORM's loader criteria: one built by
    ``scoped`` is filtered in every SELECT of it, subqueries and joins included, and any
    other Core statement is refused on a scoped session, as on one with no scope at all."""
    a = await tenants.create()
    b = await tenants.create()
    await seed(a, 0)
    await seed(b, 0)
    contacts, enrolments, workspaces = Contact.__table__, SequenceContact.__table__, Workspace.__table__
    joined = scoped(
        select(contacts.c.workspace_id, workspaces.c.id)
        .join(workspaces, workspaces.c.id == contacts.c.workspace_id)
        .where(contacts.c.id.in_(select(enrolments.c.contact_id).scalar_subquery()))
    )
    # The same subquery, unscoped outside: only the scope inside it keeps B's rows out.
    enrolled = scoped(
        select(func.count()).select_from(select(enrolments.c.id).subquery())
    )
    mine = uuid.UUID(a.workspace_id)
    scope = TenantScope(uuid.UUID(a.organization_id), Plan.EXPERT, (mine,))
    async with database.scoped_session(scope, write=False) as session:
        assert set((await session.execute(joined)).all()) == {(mine, mine)}
        assert await session.scalar(enrolled) == 2
        with pytest.raises(UnscopedQuery):
            await session.execute(select(contacts.c.id))
        with pytest.raises(UnscopedQuery):
            await session.execute(select(func.count()).select_from(enrolments))
    async with database.session(write=False) as session:
        with pytest.raises(UnscopedQuery):
            await session.execute(joined)
