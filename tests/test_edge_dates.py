"""Moments at the edge of the calendar: refused with a 400 naming the field, on both
databases, when they leave years 1 to 9999 once in UTC; stored and read back otherwise."""

import pytest

OUTSIDE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T13:59:59+14:00"]
INSIDE = ["0001-01-01T00:00:00Z", "0001-01-01T14:00:00+14:00", "9999-12-31T09:59:59-14:00"]


async def enrolled(tenant) -> tuple[str, str]:  # noqa: ANN001
    [contact_id] = await tenant.contacts(1)
    return await tenant.sequence(contact_ids=[contact_id]), contact_id


@pytest.mark.parametrize("moment", OUTSIDE)
async def test_list_bounds_outside_the_calendar_are_400(tenants, moment) -> None:
    tenant = await tenants.create()
    for name in ("createdAtFrom", "createdAtTo"):
        response = await tenant.get("/v1/calls", params={name: moment})
        assert response.status_code == 400, response.text
        assert name in response.json()["error"]["message"]


@pytest.mark.parametrize("moment", OUTSIDE)
@pytest.mark.parametrize("field", ["startedAt", "endedAt"])
async def test_call_times_outside_the_calendar_are_400_and_write_nothing(tenants, moment, field) -> None:
    tenant = await tenants.create()
    sequence_id, contact_id = await enrolled(tenant)
    created = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact_id,
                                                   "status": "COMPLETED", field: moment})  # fmt: skip
    assert created.status_code == 400, created.text
    assert field in created.json()["error"]["message"]
    assert (await tenant.get("/v1/calls")).json()["total"] == 0
    call = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact_id})
    updated = await tenant.patch(f"/v1/calls/{call.json()['id']}", json={field: moment})
    assert updated.status_code == 400, updated.text
    assert field in updated.json()["error"]["message"]


@pytest.mark.parametrize("moment", INSIDE)
async def test_moments_inside_the_calendar_are_answered(tenants, moment) -> None:
    tenant = await tenants.create()
    for name in ("createdAtFrom", "createdAtTo"):
        response = await tenant.get("/v1/calls", params={name: moment})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("moment, shown", [("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
                                           ("9999-12-31T09:59:59-14:00", "9999-12-31T23:59:59.000Z")])  # fmt: skip
async def test_a_call_time_at_the_edge_is_stored_and_read_back(tenants, moment, shown) -> None:
    tenant = await tenants.create()
    sequence_id, contact_id = await enrolled(tenant)
    created = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact_id,
                                                   "status": "COMPLETED", "startedAt": moment,
                                                   "endedAt": moment})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["startedAt"] == shown
    assert (await tenant.get(f"/v1/calls/{created.json()['id']}")).json()["startedAt"] == shown
