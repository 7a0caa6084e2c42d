"""relance demo produces a realistic history: every call state, every status, tags."""

from relance.call_lifecycle import CallStatus
from relance.enrolments.statuses import SequenceContactStatus
from relance.demo import create_demo_tenant


async def test_demo_history_covers_every_state(database, client) -> None:
    tenant = await create_demo_tenant(database, default_region="FR", seed=7)
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    response = await client.get(f"/v1/sequences/{tenant.sequence_id}/contacts?limit=100", headers=headers)
    assert response.status_code == 200
    items = response.json()["data"]
    assert len(items) == 24 and len(tenant.members) == 3 and len(tenant.contact_ids) == 36
    assert {i["status"] for i in items} == {s.value for s in SequenceContactStatus} | {None}
    assert {c["status"] for i in items for c in i["calls"]} == {s.value for s in CallStatus}
    tags = {t["label"]: t["isSuccessTag"] for i in items for t in i["tags"]}
    assert tags["Meeting booked"] is True and len(tags) >= 3
    finished = [c for i in items for c in i["calls"] if c["endedAt"]]
    assert finished and all(c["durationSeconds"] >= 15 for c in finished)
