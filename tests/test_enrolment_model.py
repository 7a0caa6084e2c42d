"""Enrolments against a plain Python model: a Hypothesis state machine drives the real API
(adding with and without explicit assignee, removing, adding back, deleting contacts,
replacing the assignees, tagging, recording calls) and after every step compares the
database with the model: the active rows and their assignees, no contact active twice,
``contactCount``, every maintained count against a recount (``tests/recount.py``), the tags
the list shows, and, while every contact went round-robin, loads within one of each other.

Hypothesis runs synchronously, so the machine has its own event loop, its own engine on the
database the ``database`` fixture migrated, and its own app; the steps run on that loop.
"""

import asyncio
import uuid
from collections import Counter
from collections.abc import Coroutine
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from relance.api.app import create_app
from relance.db.models import SequenceContact
from relance.tenancy.database import Database
from tests.conftest import make_settings
from tests.factory import Tenant, TenantFactory
from tests.recount import drift

CONTACTS = 6
MEMBERS = 4
TAGS = 2
contact_indexes = st.integers(0, CONTACTS - 1)
member_indexes = st.integers(0, MEMBERS - 1)


class World:
    """What every example shares: a loop, an app on it, one tenant (each example makes its
    own sequence and contacts)."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.database = Database(url)
        app = create_app(make_settings(self.database), database=self.database)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://relance.test")
        self.tenant: Tenant = self.run(TenantFactory(self.client).create(members=MEMBERS))

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self.database.dispose())
        self.loop.close()


class Enrolments(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        tenant = self.world.tenant
        self.contacts = self.world.run(tenant.contacts(CONTACTS))
        self.sequence = self.world.run(tenant.sequence(assignees=[0, 1, 2]))
        self.tags = [self.world.run(self._tag()) for _ in range(TAGS)]
        self.assignees = [0, 1, 2]  # member indexes, in list order
        self.active: dict[int, int] = {}  # contact index -> member index
        self.assigned: dict[int, int] = {}  # every row's assignee, removed ones included
        self.tagged: dict[int, set[int]] = {}  # a row's tags, kept while it is removed
        self.gone: set[int] = set()
        self.round_robin_only = True

    async def _tag(self) -> str:
        body = {
            "label": f"tag-{uuid.uuid4().hex[:8]}",
            "workspaceId": self.world.tenant.workspace_id,
        }
        response = await self.world.tenant.post("/v1/tags", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.world.run(self.world.tenant.request(method, path, **kwargs))

    @rule(
        items=st.lists(
            st.tuples(contact_indexes, st.none() | member_indexes),
            min_size=1,
            max_size=4,
            unique_by=lambda item: item[0],
        )
    )
    def add(self, items: list[tuple[int, int | None]]) -> None:
        tenant = self.world.tenant
        body = {
            "contacts": [
                {"contactId": self.contacts[c]}
                | ({} if a is None else {"assignedToWorkspaceMembershipId": tenant.wm(a)})
                for c, a in items
            ]
        }
        response = self.request("POST", f"/v1/sequences/{self.sequence}/contacts", json=body)
        expected = self._enrol(items)
        if expected is None:
            assert response.status_code == 400, response.text
            return
        active, added = expected
        assert (response.status_code, response.json()) == (201, {"added": added}), response.text
        self.assigned |= active
        self.active = active
        if any(a is not None for _, a in items):
            self.round_robin_only = False

    def _enrol(self, items: list[tuple[int, int | None]]) -> tuple[dict[int, int], int] | None:
        """The model's add: the active rows after it and how many it added, or None for a 400
        (nothing written)."""
        if any(a is not None and a not in self.assignees for _, a in items):
            return None
        active = dict(self.active)
        loads = Counter(active.values())
        added = 0
        for contact, explicit in items:
            if contact in self.gone or contact in active:
                continue
            if contact in self.assigned:  # back with its original assignee
                assignee = self.assigned[contact]
            elif explicit is not None:
                assignee = explicit
            elif self.assignees:
                assignee = min(self.assignees, key=lambda m: (loads[m], self.assignees.index(m)))
            else:
                return None
            active[contact] = assignee
            loads[assignee] += 1
            added += 1
        return active, added

    @rule(contacts=st.lists(contact_indexes, min_size=1, max_size=4))
    def remove(self, contacts: list[int]) -> None:
        body = {"contactIds": [self.contacts[c] for c in contacts]}
        response = self.request("DELETE", f"/v1/sequences/{self.sequence}/contacts", json=body)
        removed = {c for c in contacts if c in self.active}
        assert (response.status_code, response.json()) == (200, {"removed": len(removed)})
        for contact in removed:
            del self.active[contact]
        self.round_robin_only = self.round_robin_only and not removed

    @rule(contact=contact_indexes)
    def delete_contact(self, contact: int) -> None:
        response = self.request("DELETE", f"/v1/contacts/{self.contacts[contact]}")
        assert response.status_code == (404 if contact in self.gone else 204), response.text
        if contact in self.active:
            self.round_robin_only = False
        self.gone.add(contact)
        self.active.pop(contact, None)
        self.assigned.pop(contact, None)
        self.tagged.pop(contact, None)

    @rule(members=st.lists(member_indexes, max_size=MEMBERS, unique=True))
    def replace_assignees(self, members: list[int]) -> None:
        body = {"assignedToIds": [self.world.tenant.om(m) for m in members]}
        response = self.request("PATCH", f"/v1/sequences/{self.sequence}", json=body)
        assert response.status_code == 200, response.text
        if members != self.assignees:
            self.round_robin_only = False
        self.assignees = members

    @rule(contact=contact_indexes, tag=st.integers(0, TAGS - 1), put=st.booleans())
    def tag(self, contact: int, tag: int, put: bool) -> None:
        path = f"/v1/sequences/{self.sequence}/contacts/{self.contacts[contact]}/tags"
        if put:
            response = self.request("POST", path, json={"tagIds": [self.tags[tag]]})
        else:
            response = self.request("DELETE", f"{path}/{self.tags[tag]}")
        if contact not in self.active:
            assert response.status_code == 404, response.text
            return
        assert response.status_code == (200 if put else 204), response.text
        tags = self.tagged.setdefault(contact, set())
        (tags.add if put else tags.discard)(tag)

    @rule(
        contact=contact_indexes,
        status=st.sampled_from(["RINGING", "VOICEMAIL", "COMPLETED", "BUSY"]),
    )
    def call(self, contact: int, status: str) -> None:
        body = {"sequenceId": self.sequence, "contactId": self.contacts[contact], "status": status}
        response = self.request("POST", "/v1/calls", json=body)
        assert response.status_code == (201 if contact in self.active else 400), response.text

    @invariant()
    def the_rows_and_counts_are_the_models(self) -> None:
        self.world.run(self._check())

    async def _check(self) -> None:
        tenant = self.world.tenant
        sequence_id = uuid.UUID(self.sequence)
        async with self.world.database.unscoped_session(write=False) as session:
            rows = (
                await session.execute(
                    select(
                        SequenceContact.contact_id,
                        SequenceContact.assigned_to_workspace_membership_id,
                    ).where(
                        SequenceContact.sequence_id == sequence_id,
                        SequenceContact.deleted_at.is_(None),
                    )
                )
            ).all()
            twice = await session.scalar(
                select(func.count())
                .select_from(SequenceContact)
                .where(SequenceContact.sequence_id == sequence_id)
                .group_by(SequenceContact.contact_id)
                .having(func.count() > 1)
            )
        assert twice is None, "a contact has two rows in one sequence"
        expected = {
            uuid.UUID(self.contacts[c]): uuid.UUID(tenant.wm(m)) for c, m in self.active.items()
        }
        assert dict(rows) == expected
        assert len(rows) == len(expected), "a contact is active twice"
        sequence = (await tenant.get(f"/v1/sequences/{self.sequence}")).json()
        assert sequence["contactCount"] == len(self.active)
        listed = (
            await tenant.get(f"/v1/sequences/{self.sequence}/contacts", params={"limit": 100})
        ).json()
        shown = {item["contact"]["id"]: {t["id"] for t in item["tags"]} for item in listed["data"]}
        assert shown == {
            self.contacts[c]: {self.tags[t] for t in self.tagged.get(c, set())} for c in self.active
        }
        assert await drift(self.world.database, [self.sequence]) == {}
        if self.round_robin_only and self.assignees:
            loads = Counter(self.active.values())
            assert (
                max(loads[m] for m in self.assignees) - min(loads[m] for m in self.assignees) <= 1
            )


def test_enrolments_follow_the_model(database) -> None:  # noqa: ANN001
    world = World(database.url)
    Enrolments.world = world
    try:
        run_state_machine_as_test(
            Enrolments,
            settings=settings(
                max_examples=8,
                stateful_step_count=12,
                deadline=None,
                # Each step is a few requests: shrinking a failure could take minutes. The
                # failing steps are printed as found, without shrinking.
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        world.close()
