"""The calls API: POST/PATCH/GET /v1/calls, and the calls shown by the list operation."""

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tests.factory import Tenant

CALL_FIELDS = {
    "id",
    "sequenceId",
    "contactId",
    "phoneNumberId",
    "workspaceMembershipId",
    "status",
    "startedAt",
    "endedAt",
    "durationSeconds",
    "recordingUrl",
    "createdAt",
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The life of a call, written out independently of src: forward only, every end state last.
PROGRESS = ["NOT_INITIATED", "INITIATED", "QUEUED", "RINGING", "IN_PROGRESS", "CONNECTED"]
ENDS = [
    "COMPLETED",
    "BUSY",
    "NO_ANSWER",
    "MISSED_CALL",
    "VOICEMAIL",
    "CANCELLED",
    "ERROR_NUMBER",
    "ERROR_COUNTRY",
    "UNKNOWN_ERROR",
]
STATUSES = PROGRESS + ENDS


def expected_allowed(current: str, target: str) -> bool:
    if current == target:
        return True
    if current in ENDS:
        return False
    target_rank = len(PROGRESS) if target in ENDS else PROGRESS.index(target)
    return target_rank > PROGRESS.index(current)


def parse(timestamp: str) -> datetime:
    assert TIMESTAMP.match(timestamp), timestamp
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def wire(moment: datetime) -> str:
    """How the API shows an instant."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def assert_shape(call: dict) -> None:
    assert set(call) == CALL_FIELDS
    for name in ("startedAt", "endedAt", "createdAt"):
        if call[name] is not None:
            assert TIMESTAMP.match(call[name]), (name, call[name])
    if call["startedAt"] is not None and call["endedAt"] is not None:
        whole = (parse(call["endedAt"]) - parse(call["startedAt"])) // timedelta(seconds=1)
        assert call["durationSeconds"] == whole
    else:
        assert call["durationSeconds"] is None


async def post_call(tenant: Tenant, sequence_id: str, contact_id: str, **fields) -> httpx.Response:
    return await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact_id, **fields})


async def new_call(tenant: Tenant, sequence_id: str, contact_id: str, **fields) -> dict:
    response = await post_call(tenant, sequence_id, contact_id, **fields)
    assert response.status_code == 201, response.text
    assert_shape(response.json())
    return response.json()


async def get_call(tenant: Tenant, call_id: str) -> dict:
    response = await tenant.get(f"/v1/calls/{call_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def list_calls(tenant: Tenant, **params) -> dict:
    response = await tenant.get("/v1/calls", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def sequence_items(tenant: Tenant, sequence_id: str) -> dict[str, dict]:
    """contact id -> its item in the list operation."""
    response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {item["contact"]["id"]: item for item in response.json()["data"]}


async def one_contact_setup(tenants, **create) -> tuple[Tenant, str, str]:
    tenant = await tenants.create(**create)
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    return tenant, sequence_id, contact


def newest_first(calls: list[dict]) -> list[str]:
    return [c["id"] for c in sorted(calls, key=lambda c: (c["createdAt"], c["id"]), reverse=True)]


def assert_validation_error(response: httpx.Response, *, names: str | None = None) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    if names is not None:
        assert names in error["message"]


# --- create ------------------------------------------------------------------------------


async def test_create_defaults_shape_and_read_back(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence()
    added = await tenant.post(
        f"/v1/sequences/{sequence_id}/contacts",
        json={"contacts": [{"contactId": contacts[0], "assignedToWorkspaceMembershipId": tenant.wm(2)}, {"contactId": contacts[1]}]},
    )
    assert added.status_code == 201
    items = await sequence_items(tenant, sequence_id)
    assert items[contacts[0]]["assignedToWorkspaceMembershipId"] == tenant.wm(2)

    before = datetime.now(UTC)
    for contact in contacts:
        response = await post_call(tenant, sequence_id, contact)
        assert response.status_code == 201, response.text
        call = response.json()
        assert_shape(call)
        uuid.UUID(call["id"])
        assert call["sequenceId"] == sequence_id
        assert call["contactId"] == contact
        assert call["status"] == "NOT_INITIATED"
        assert call["startedAt"] is None and call["endedAt"] is None
        assert call["durationSeconds"] is None and call["recordingUrl"] is None
        assert call["workspaceMembershipId"] == items[contact]["assignedToWorkspaceMembershipId"]
        assert call["phoneNumberId"] == items[contact]["contact"]["phoneNumbers"][0]["id"]
        created = parse(call["createdAt"])
        assert before - timedelta(seconds=1) <= created <= datetime.now(UTC) + timedelta(seconds=1)
        assert await get_call(tenant, call["id"]) == call


async def test_default_number_is_the_first_of_the_list_and_an_explicit_one_is_kept(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post(
        "/v1/contacts",
        json={"firstName": "Two", "lastName": "Numbers", "phoneNumbers": ["+33612345678", "+33698765432"]},
    )
    assert response.status_code == 201, response.text
    contact = response.json()
    first, second = (n["id"] for n in contact["phoneNumbers"])
    sequence_id = await tenant.sequence(contact_ids=[contact["id"]])
    assert (await new_call(tenant, sequence_id, contact["id"]))["phoneNumberId"] == first
    explicit = await new_call(tenant, sequence_id, contact["id"], phoneNumberId=second)
    assert explicit["phoneNumberId"] == second
    assert (await get_call(tenant, explicit["id"]))["phoneNumberId"] == second


async def test_default_number_after_a_number_is_added_is_still_the_oldest(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    original = (await tenant.get(f"/v1/contacts/{contact}")).json()["phoneNumbers"][0]
    patched = await tenant.patch(
        f"/v1/contacts/{contact}", json={"phoneNumbers": [original["number"], "+33698765432"]}
    )
    assert patched.status_code == 200, patched.text
    numbers = patched.json()["phoneNumbers"]
    assert [n["id"] for n in numbers][0] == original["id"] and len(numbers) == 2
    assert (await new_call(tenant, sequence_id, contact))["phoneNumberId"] == original["id"]
    assert (await new_call(tenant, sequence_id, contact, phoneNumberId=numbers[1]["id"]))["phoneNumberId"] == numbers[1]["id"]


async def test_any_workspace_member_may_call_not_only_assignees(tenants) -> None:
    tenant = await tenants.create(members=4)
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(assignees=[0, 1], contact_ids=[contact])
    call = await new_call(tenant, sequence_id, contact, workspaceMembershipId=tenant.wm(3))
    assert call["workspaceMembershipId"] == tenant.wm(3)
    assert (await get_call(tenant, call["id"]))["workspaceMembershipId"] == tenant.wm(3)
    listed = await list_calls(tenant, workspaceMembershipId=tenant.wm(3))
    assert [c["id"] for c in listed["data"]] == [call["id"]]


async def test_create_on_unknown_deleted_or_out_of_scope_sequence_is_404(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    [contact] = await tenant.contacts(1)
    [contact_ws1] = await tenant.contacts(1, workspace_index=1)
    [other_contact] = await other.contacts(1)
    deleted = await tenant.sequence(contact_ids=[contact])
    assert (await tenant.delete(f"/v1/sequences/{deleted}")).status_code == 204
    in_ws1 = await tenant.sequence(contact_ids=[contact_ws1], workspace_index=1)
    other_sequence = await other.sequence(contact_ids=[other_contact])
    limited = await tenant.key_for([tenant.workspace_ids[0]])

    cases = [
        (str(uuid.uuid4()), contact, {}),
        (deleted, contact, {}),
        (in_ws1, contact_ws1, {"Authorization": f"Bearer {limited}"}),
        (other_sequence, other_contact, {}),
    ]
    for sequence_id, contact_id, headers in cases:
        response = await tenant.post(
            "/v1/calls", json={"sequenceId": sequence_id, "contactId": contact_id}, headers=headers
        )
        assert response.status_code == 404, (sequence_id, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await list_calls(tenant))["total"] == 0
    assert (await list_calls(other))["total"] == 0
    # The same sequence of workspace 1 is fine with the unlimited key.
    assert (await post_call(tenant, in_ws1, contact_ws1)).status_code == 201


@pytest.mark.parametrize(
    "case",
    ["never-added", "removed", "other-contacts-number", "unknown-number", "caller-other-workspace", "unknown-caller"],
)
async def test_create_validation_errors(tenants, case) -> None:
    tenant = await tenants.create(workspaces=2)
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence(contact_ids=[contacts[0]])
    body = {"sequenceId": sequence_id, "contactId": contacts[0]}
    if case == "never-added":
        body["contactId"] = contacts[1]
    elif case == "removed":
        removed = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [contacts[0]]})
        assert removed.json() == {"removed": 1}
    elif case == "other-contacts-number":
        body["phoneNumberId"] = (await tenant.get(f"/v1/contacts/{contacts[1]}")).json()["phoneNumbers"][0]["id"]
    elif case == "unknown-number":
        body["phoneNumberId"] = str(uuid.uuid4())
    elif case == "caller-other-workspace":
        body["workspaceMembershipId"] = tenant.wm(0, workspace_index=1)
    elif case == "unknown-caller":
        body["workspaceMembershipId"] = str(uuid.uuid4())
    response = await tenant.post("/v1/calls", json=body)
    assert_validation_error(response)
    assert (await list_calls(tenant))["total"] == 0


async def test_contact_without_a_number_cannot_be_called(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1, numbers=False)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    assert_validation_error(await post_call(tenant, sequence_id, contact))
    assert (await list_calls(tenant))["total"] == 0


async def test_created_in_any_status_stamps_the_times_it_did_not_get(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    for status in STATUSES:
        call = await new_call(tenant, sequence_id, contact, status=status)
        assert call["status"] == status
        if status == "NOT_INITIATED":
            assert call["startedAt"] is None
        else:
            assert call["startedAt"] == call["createdAt"], status
        if status in ENDS:
            assert call["endedAt"] == call["createdAt"], status
            assert call["durationSeconds"] == 0
        else:
            assert call["endedAt"] is None, status
            assert call["durationSeconds"] is None
        assert await get_call(tenant, call["id"]) == call


async def test_created_with_explicit_times_keeps_them(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(
        tenant,
        sequence_id,
        contact,
        status="COMPLETED",
        startedAt="2024-01-15T10:00:00.000Z",
        endedAt="2024-01-15T10:02:30.999Z",
        recordingUrl="https://recordings.example.com/a.mp3",
    )
    assert (call["startedAt"], call["endedAt"]) == ("2024-01-15T10:00:00.000Z", "2024-01-15T10:02:30.999Z")
    assert call["durationSeconds"] == 150
    assert call["recordingUrl"] == "https://recordings.example.com/a.mp3"
    assert call["createdAt"] != call["startedAt"]
    assert await get_call(tenant, call["id"]) == call

    # Offsets are converted to UTC; only the start given, an IN_PROGRESS call has no end.
    offset = await new_call(tenant, sequence_id, contact, status="IN_PROGRESS", startedAt="2024-01-15T12:30:00.250+02:00")
    assert offset["startedAt"] == "2024-01-15T10:30:00.250Z"
    assert offset["endedAt"] is None and offset["durationSeconds"] is None
    assert await get_call(tenant, offset["id"]) == offset


@pytest.mark.parametrize(
    ("started", "ended", "seconds"),
    [
        ("2024-01-15T10:00:00.000Z", "2024-01-15T10:00:00.000Z", 0),
        ("2024-01-15T10:00:00.000Z", "2024-01-15T10:00:00.999Z", 0),
        ("2024-01-15T10:00:00.000Z", "2024-01-15T10:00:01.000Z", 1),
        ("2024-01-15T10:00:00.500Z", "2024-01-15T10:00:02.499Z", 1),
        ("2024-01-15T23:59:59.000Z", "2024-01-16T01:00:00.000Z", 3601),
    ],
)
async def test_duration_is_whole_seconds_rounded_down(tenants, started, ended, seconds) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(tenant, sequence_id, contact, status="NO_ANSWER", startedAt=started, endedAt=ended)
    assert call["durationSeconds"] == seconds
    assert (await get_call(tenant, call["id"]))["durationSeconds"] == seconds


async def test_duration_agrees_with_the_times_shown_for_sub_millisecond_input(tenants) -> None:
    """The API shows and stores milliseconds; the duration must follow the times it shows."""
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(
        tenant,
        sequence_id,
        contact,
        status="COMPLETED",
        startedAt="2024-01-15T10:00:00.000900Z",
        endedAt="2024-01-15T10:00:01.000100Z",
    )
    assert (call["startedAt"], call["endedAt"]) == ("2024-01-15T10:00:00.000Z", "2024-01-15T10:00:01.000Z")
    assert call["durationSeconds"] == 1  # assert_shape in new_call checks this too
    assert await get_call(tenant, call["id"]) == call

    running = await new_call(tenant, sequence_id, contact, status="IN_PROGRESS", startedAt="2024-01-15T11:00:00.000900Z")
    response = await tenant.patch(
        f"/v1/calls/{running['id']}", json={"status": "COMPLETED", "endedAt": "2024-01-15T11:00:05.000100Z"}
    )
    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["startedAt"], moved["endedAt"], moved["durationSeconds"]) == (
        "2024-01-15T11:00:00.000Z", "2024-01-15T11:00:05.000Z", 5,
    )
    assert await get_call(tenant, running["id"]) == moved


async def test_start_and_end_in_the_same_millisecond_are_not_end_before_start(tenants) -> None:
    """Times are kept at millisecond precision: these two are the same instant once kept."""
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    response = await post_call(
        tenant, sequence_id, contact, status="COMPLETED",
        startedAt="2024-01-15T10:00:00.000900Z", endedAt="2024-01-15T10:00:00.000100Z",
    )
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["startedAt"] == call["endedAt"] == "2024-01-15T10:00:00.000Z"
    assert call["durationSeconds"] == 0


async def test_duration_seconds_is_never_taken_from_the_client(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    response = await post_call(tenant, sequence_id, contact, status="COMPLETED", durationSeconds=42)
    assert_validation_error(response, names="durationSeconds")
    assert (await list_calls(tenant))["total"] == 0
    call = await new_call(tenant, sequence_id, contact, status="RINGING")
    response = await tenant.patch(f"/v1/calls/{call['id']}", json={"status": "COMPLETED", "durationSeconds": 42})
    assert_validation_error(response, names="durationSeconds")
    assert await get_call(tenant, call["id"]) == call


async def test_end_before_start_is_400_on_create_and_on_patch(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    response = await post_call(
        tenant, sequence_id, contact, status="COMPLETED",
        startedAt="2024-01-15T10:00:01.000Z", endedAt="2024-01-15T10:00:00.999Z",
    )
    assert_validation_error(response)
    assert (await list_calls(tenant))["total"] == 0

    call = await new_call(
        tenant, sequence_id, contact, status="COMPLETED",
        startedAt="2024-01-15T10:00:00.000Z", endedAt="2024-01-15T10:05:00.000Z",
    )
    for body in (
        {"endedAt": "2024-01-15T09:59:59.999Z"},
        {"startedAt": "2024-01-15T10:05:00.001Z"},
        {"startedAt": "2024-01-15T11:00:00.000Z", "endedAt": "2024-01-15T10:30:00.000Z"},
    ):
        assert_validation_error(await tenant.patch(f"/v1/calls/{call['id']}", json=body))
        assert await get_call(tenant, call["id"]) == call

    running = await new_call(tenant, sequence_id, contact, status="RINGING", startedAt="2024-01-15T10:00:00.000Z")
    response = await tenant.patch(
        f"/v1/calls/{running['id']}", json={"status": "COMPLETED", "endedAt": "2024-01-15T09:00:00.000Z"}
    )
    assert_validation_error(response)
    assert await get_call(tenant, running["id"]) == running


async def test_timestamps_without_a_timezone_are_400(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    for field in ("startedAt", "endedAt"):
        response = await post_call(tenant, sequence_id, contact, status="COMPLETED", **{field: "2024-01-15T10:00:00"})
        assert_validation_error(response, names=field)
    assert (await list_calls(tenant))["total"] == 0
    call = await new_call(tenant, sequence_id, contact)
    for field in ("startedAt", "endedAt"):
        response = await tenant.patch(f"/v1/calls/{call['id']}", json={field: "2024-01-15T10:00:00.000"})
        assert_validation_error(response, names=field)
    assert await get_call(tenant, call["id"]) == call


@pytest.mark.parametrize(
    "body",
    [
        {"contactId": "CONTACT"},
        {"sequenceId": "SEQUENCE"},
        {"sequenceId": "not-a-uuid", "contactId": "CONTACT"},
        {"sequenceId": "SEQUENCE", "contactId": "CONTACT", "status": "DONE"},
        {"sequenceId": "SEQUENCE", "contactId": "CONTACT", "recordingUrl": "not a url"},
        {"sequenceId": "SEQUENCE", "contactId": "CONTACT", "notes": "x"},
    ],
    ids=["no-sequence", "no-contact", "bad-uuid", "unknown-status", "bad-recording-url", "unknown-field"],
)
async def test_bad_create_bodies_are_400(tenants, body) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    body = {k: {"SEQUENCE": sequence_id, "CONTACT": contact}.get(v, v) for k, v in body.items()}
    assert_validation_error(await tenant.post("/v1/calls", json=body))
    assert (await list_calls(tenant))["total"] == 0


# --- update ------------------------------------------------------------------------------


@pytest.mark.parametrize("current", STATUSES)
async def test_transition_matrix(tenants, current) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    base = await new_call(tenant, sequence_id, contact, status=current)
    for target in STATUSES:
        allowed = expected_allowed(current, target)
        if allowed and target != current:
            call = await new_call(tenant, sequence_id, contact, status=current)
        else:
            call = base
        response = await tenant.patch(f"/v1/calls/{call['id']}", json={"status": target})
        if not allowed:
            assert response.status_code == 409, (current, target, response.text)
            error = response.json()["error"]
            assert error["code"] == "INVALID_TRANSITION", (current, target)
            assert error["status"] == 409
            continue
        assert response.status_code == 200, (current, target, response.text)
        moved = response.json()
        assert_shape(moved)
        assert moved["status"] == target
        if target == current:
            assert moved == call, (current, target)
            continue
        assert {k: v for k, v in moved.items() if k not in ("status", "startedAt", "endedAt", "durationSeconds")} == {
            k: v for k, v in call.items() if k not in ("status", "startedAt", "endedAt", "durationSeconds")
        }
        if current != "NOT_INITIATED":
            assert moved["startedAt"] == call["startedAt"], (current, target)
        else:
            assert moved["startedAt"] is not None
        if target in ENDS:
            assert moved["endedAt"] is not None and moved["endedAt"] >= moved["startedAt"]
        else:
            assert moved["endedAt"] is None
        assert await get_call(tenant, call["id"]) == moved
    # Every refused move left the call as it was.
    assert await get_call(tenant, base["id"]) == base


async def test_patch_stamps_start_then_end(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(tenant, sequence_id, contact)
    ringing = await tenant.patch(f"/v1/calls/{call['id']}", json={"status": "RINGING"})
    assert ringing.status_code == 200, ringing.text
    ringing = ringing.json()
    assert ringing["status"] == "RINGING"
    assert ringing["startedAt"] is not None and ringing["startedAt"] >= call["createdAt"]
    assert ringing["endedAt"] is None and ringing["durationSeconds"] is None
    await asyncio.sleep(0.01)
    completed = await tenant.patch(f"/v1/calls/{call['id']}", json={"status": "COMPLETED"})
    assert completed.status_code == 200, completed.text
    completed = completed.json()
    assert completed["status"] == "COMPLETED"
    assert completed["startedAt"] == ringing["startedAt"]
    assert completed["endedAt"] is not None and parse(completed["endedAt"]) > parse(completed["startedAt"])
    assert_shape(completed)
    assert await get_call(tenant, call["id"]) == completed


async def test_patch_with_client_times_keeps_them(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(tenant, sequence_id, contact)
    started = await tenant.patch(
        f"/v1/calls/{call['id']}", json={"status": "IN_PROGRESS", "startedAt": "2024-03-01T08:00:00.123Z"}
    )
    assert started.status_code == 200, started.text
    assert started.json()["startedAt"] == "2024-03-01T08:00:00.123Z"
    assert started.json()["endedAt"] is None
    ended = await tenant.patch(
        f"/v1/calls/{call['id']}", json={"status": "VOICEMAIL", "endedAt": "2024-03-01T08:00:45.122Z"}
    )
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert (body["status"], body["startedAt"], body["endedAt"], body["durationSeconds"]) == (
        "VOICEMAIL", "2024-03-01T08:00:00.123Z", "2024-03-01T08:00:45.122Z", 44,
    )
    assert await get_call(tenant, call["id"]) == body


async def test_other_fields_may_change_after_the_end(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(
        tenant, sequence_id, contact, status="COMPLETED",
        startedAt="2024-01-15T10:00:00.000Z", endedAt="2024-01-15T10:01:00.000Z",
    )
    url = "https://recordings.example.com/late.mp3"
    response = await tenant.patch(f"/v1/calls/{call['id']}", json={"recordingUrl": url})
    assert response.status_code == 200, response.text
    assert response.json() == {**call, "recordingUrl": url}
    response = await tenant.patch(
        f"/v1/calls/{call['id']}", json={"status": "COMPLETED", "endedAt": "2024-01-15T10:03:00.500Z"}
    )
    assert response.status_code == 200, response.text
    expected = {**call, "recordingUrl": url, "endedAt": "2024-01-15T10:03:00.500Z", "durationSeconds": 180}
    assert response.json() == expected
    response = await tenant.patch(f"/v1/calls/{call['id']}", json={"recordingUrl": None})
    assert response.status_code == 200
    assert await get_call(tenant, call["id"]) == {**expected, "recordingUrl": None}


async def test_refused_transition_changes_nothing_even_with_other_fields(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(tenant, sequence_id, contact, status="CONNECTED")
    response = await tenant.patch(
        f"/v1/calls/{call['id']}",
        json={"status": "INITIATED", "recordingUrl": "https://recordings.example.com/x.mp3"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"
    assert await get_call(tenant, call["id"]) == call


@pytest.mark.parametrize(
    "body",
    [{"status": None}, {"status": "DONE"}, {"unknown": 1}, {"recordingUrl": "ftp://x"}, {"startedAt": "yesterday"}],
    ids=["null-status", "unknown-status", "unknown-field", "bad-url", "bad-time"],
)
async def test_bad_patch_bodies_are_400(tenants, body) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    call = await new_call(tenant, sequence_id, contact, status="RINGING")
    response = await tenant.patch(f"/v1/calls/{call['id']}", json=body)
    assert_validation_error(response, names=next(iter(body)))
    assert await get_call(tenant, call["id"]) == call


async def test_patch_unknown_or_foreign_call_is_404(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    [contact] = await other.contacts(1)
    other_sequence = await other.sequence(contact_ids=[contact])
    foreign = await new_call(other, other_sequence, contact)
    [mine] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[mine])
    call = await new_call(tenant, sequence_id, mine)
    limited = await tenant.key_for([tenant.workspace_ids[1]])
    for call_id, headers in (
        (str(uuid.uuid4()), {}),
        ("not-a-uuid", {}),
        (foreign["id"], {}),
        (call["id"], {"Authorization": f"Bearer {limited}"}),
    ):
        response = await tenant.patch(f"/v1/calls/{call_id}", json={"status": "RINGING"}, headers=headers)
        assert response.status_code == 404, (call_id, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert await get_call(other, foreign["id"]) == foreign
    assert await get_call(tenant, call["id"]) == call


# --- numbers -----------------------------------------------------------------------------


async def test_removing_a_number_keeps_its_calls_without_the_number(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    original = (await tenant.get(f"/v1/contacts/{contact}")).json()["phoneNumbers"][0]
    response = await tenant.patch(
        f"/v1/contacts/{contact}", json={"phoneNumbers": [original["number"], "+33612345678"]}
    )
    assert response.status_code == 200, response.text
    kept, extra = response.json()["phoneNumbers"]
    assert kept["id"] == original["id"]
    on_kept = await new_call(tenant, sequence_id, contact, phoneNumberId=kept["id"], status="BUSY")
    on_extra = await new_call(tenant, sequence_id, contact, phoneNumberId=extra["id"], status="COMPLETED")

    response = await tenant.patch(
        f"/v1/contacts/{contact}", json={"phoneNumbers": ["+33698765432", original["number"]]}
    )
    assert response.status_code == 200, response.text
    numbers = response.json()["phoneNumbers"]
    assert [n["number"] for n in numbers] == ["+33698765432", original["number"]]
    assert numbers[1]["id"] == original["id"]
    assert numbers[0]["id"] not in (kept["id"], extra["id"])

    assert await get_call(tenant, on_extra["id"]) == {**on_extra, "phoneNumberId": None}
    assert await get_call(tenant, on_kept["id"]) == on_kept
    listed = {c["id"]: c for c in (await list_calls(tenant))["data"]}
    assert listed[on_extra["id"]]["phoneNumberId"] is None
    assert listed[on_kept["id"]]["phoneNumberId"] == kept["id"]
    # The removed number can no longer be used.
    assert_validation_error(await post_call(tenant, sequence_id, contact, phoneNumberId=extra["id"]))


# --- list and read -----------------------------------------------------------------------


async def test_list_is_paginated_newest_first(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    calls = []
    for status in ["NOT_INITIATED", "RINGING", "COMPLETED", "BUSY", "QUEUED"]:
        calls.append(await new_call(tenant, sequence_id, contact, status=status))
        await asyncio.sleep(0.003)
    expected = newest_first(calls)
    seen = []
    for page in (1, 2, 3):
        body = await list_calls(tenant, page=page, limit=2)
        assert (body["total"], body["page"], body["limit"], body["totalPages"]) == (5, page, 2, 3)
        for item in body["data"]:
            assert_shape(item)
        seen += [c["id"] for c in body["data"]]
    assert seen == expected
    assert expected[0] == calls[-1]["id"] and expected[-1] == calls[0]["id"]
    beyond = await list_calls(tenant, page=4, limit=2)
    assert beyond["data"] == [] and beyond["total"] == 5
    default = (await tenant.get("/v1/calls")).json()
    assert (default["page"], default["limit"], default["totalPages"]) == (1, 50, 1)
    assert {c["id"]: c for c in default["data"]} == {c["id"]: c for c in calls}


async def test_list_filters(tenants) -> None:
    tenant = await tenants.create(members=3)
    contacts = await tenant.contacts(2)
    first = await tenant.sequence(contact_ids=contacts)
    second = await tenant.sequence(contact_ids=contacts)
    calls = []
    plan = [
        (first, contacts[0], 0, "COMPLETED"),
        (first, contacts[1], 1, "BUSY"),
        (first, contacts[0], 1, "RINGING"),
        (second, contacts[0], 2, "COMPLETED"),
        (second, contacts[1], 0, "NOT_INITIATED"),
        (second, contacts[1], 2, "BUSY"),
    ]
    for sequence_id, contact, member, status in plan:
        calls.append(
            await new_call(tenant, sequence_id, contact, workspaceMembershipId=tenant.wm(member), status=status)
        )

    async def check(**params) -> None:
        def matches(call: dict) -> bool:
            return all(call[k] == v for k, v in params.items())

        expected = newest_first([c for c in calls if matches(c)])
        assert expected, params  # every filter used here selects something
        body = await list_calls(tenant, **params)
        assert [c["id"] for c in body["data"]] == expected, params
        assert body["total"] == len(expected)

    await check(sequenceId=first)
    await check(sequenceId=second)
    await check(contactId=contacts[1])
    await check(workspaceMembershipId=tenant.wm(1))
    await check(workspaceMembershipId=tenant.wm(2))
    await check(status="BUSY")
    await check(status="COMPLETED")
    await check(sequenceId=first, contactId=contacts[0])
    await check(sequenceId=second, status="BUSY", workspaceMembershipId=tenant.wm(2))
    empty = await list_calls(tenant, status="VOICEMAIL")
    assert (empty["data"], empty["total"], empty["totalPages"]) == ([], 0, 0)
    assert (await list_calls(tenant, sequenceId=str(uuid.uuid4())))["total"] == 0


async def test_created_at_bounds_are_inclusive_exclusive_at_the_millisecond(tenants) -> None:
    tenant, sequence_id, contact = await one_contact_setup(tenants)
    calls = []
    for _ in range(3):
        calls.append(await new_call(tenant, sequence_id, contact))
        await asyncio.sleep(0.005)
    times = [parse(c["createdAt"]) for c in calls]
    assert times[0] < times[1] < times[2]
    ids = [c["id"] for c in calls]

    async def ids_for(**params) -> list[str]:
        return [c["id"] for c in (await list_calls(tenant, **params))["data"]]

    middle = calls[1]["createdAt"]
    assert await ids_for(createdAtFrom=middle) == [ids[2], ids[1]]
    assert await ids_for(createdAtTo=middle) == [ids[0]]
    assert await ids_for(createdAtFrom=calls[0]["createdAt"], createdAtTo=calls[2]["createdAt"]) == [ids[1], ids[0]]
    assert await ids_for(createdAtFrom=middle, createdAtTo=middle) == []
    # The same instant with an offset.
    shifted = times[1].astimezone(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")
    assert await ids_for(createdAtFrom=shifted) == [ids[2], ids[1]]
    assert await ids_for(createdAtTo=shifted) == [ids[0]]
    # Compared at the millisecond: half a millisecond later is still the same instant.
    later = (times[1] + timedelta(microseconds=500)).isoformat(timespec="microseconds")
    assert await ids_for(createdAtFrom=later) == [ids[2], ids[1]]
    assert await ids_for(createdAtTo=later) == [ids[0]]
    one_ms_later = wire(times[1] + timedelta(milliseconds=1))
    if one_ms_later < calls[2]["createdAt"]:
        assert await ids_for(createdAtFrom=one_ms_later) == [ids[2]]
        assert await ids_for(createdAtTo=one_ms_later) == [ids[1], ids[0]]


@pytest.mark.parametrize(
    "query",
    [
        "createdAtFrom=yesterday",
        "createdAtTo=2024-13-45T00:00:00Z",
        "createdAtFrom=2024-01-15T10:00:00",
        "status=DONE",
        "sequenceId=abc",
        "contactId=123",
        "workspaceMembershipId=nope",
        "sort=createdAt",
        "page=0",
        "limit=101",
    ],
)
async def test_bad_list_parameters_are_400(tenants, query) -> None:
    tenant = await tenants.create()
    response = await tenant.get(f"/v1/calls?{query}")
    assert_validation_error(response, names=query.split("=")[0])


async def test_get_unknown_foreign_or_out_of_scope_call_is_404(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    [c0] = await tenant.contacts(1)
    [c1] = await tenant.contacts(1, workspace_index=1)
    s0 = await tenant.sequence(contact_ids=[c0])
    s1 = await tenant.sequence(contact_ids=[c1], workspace_index=1)
    call0 = await new_call(tenant, s0, c0)
    call1 = await new_call(tenant, s1, c1, status="COMPLETED")
    [oc] = await other.contacts(1)
    os_ = await other.sequence(contact_ids=[oc])
    foreign = await new_call(other, os_, oc)

    for call_id in (str(uuid.uuid4()), "not-a-uuid", foreign["id"]):
        response = await tenant.get(f"/v1/calls/{call_id}")
        assert response.status_code == 404, call_id
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await other.get(f"/v1/calls/{call0['id']}")).status_code == 404

    limited = {"Authorization": f"Bearer {await tenant.key_for([tenant.workspace_ids[1]])}"}
    assert (await tenant.get(f"/v1/calls/{call0['id']}", headers=limited)).status_code == 404
    response = await tenant.get(f"/v1/calls/{call1['id']}", headers=limited)
    assert response.status_code == 200 and response.json() == call1
    listed = (await tenant.get("/v1/calls", headers=limited)).json()
    assert [c["id"] for c in listed["data"]] == [call1["id"]] and listed["total"] == 1

    # Lists never show another tenant's calls.
    mine = await list_calls(tenant)
    assert {c["id"] for c in mine["data"]} == {call0["id"], call1["id"]} and mine["total"] == 2
    theirs = await list_calls(other)
    assert [c["id"] for c in theirs["data"]] == [foreign["id"]] and theirs["total"] == 1
    assert (await list_calls(other, sequenceId=s0))["total"] == 0
    assert (await list_calls(other, contactId=c0))["total"] == 0


# --- the list operation ------------------------------------------------------------------


async def test_sequence_contacts_show_their_calls_in_this_sequence_newest_first(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    first = await tenant.sequence(contact_ids=contacts)
    second = await tenant.sequence(contact_ids=contacts[:1])
    in_first = []
    for status, times in (
        ("COMPLETED", {"startedAt": "2024-01-15T10:00:00.000Z", "endedAt": "2024-01-15T10:02:30.999Z"}),
        ("RINGING", {}),
        ("NOT_INITIATED", {}),
        ("NO_ANSWER", {}),
    ):
        in_first.append(await new_call(tenant, first, contacts[0], status=status, **times))
        await asyncio.sleep(0.002)
    other_contact = await new_call(tenant, first, contacts[1], status="BUSY")
    in_second = await new_call(tenant, second, contacts[0], status="VOICEMAIL")

    def summary(call: dict) -> dict:
        return {k: call[k] for k in ("id", "status", "startedAt", "endedAt", "durationSeconds", "createdAt")}

    by_id = {c["id"]: c for c in in_first}
    items = await sequence_items(tenant, first)
    shown = items[contacts[0]]["calls"]
    assert [c["id"] for c in shown] == newest_first(in_first)
    assert shown == [summary(by_id[c["id"]]) for c in shown]
    assert shown[-1]["durationSeconds"] == 150
    assert items[contacts[1]]["calls"] == [summary(other_contact)]
    assert items[contacts[2]]["calls"] == []

    second_items = await sequence_items(tenant, second)
    assert second_items[contacts[0]]["calls"] == [summary(in_second)]

    # A move shows up in the list operation too.
    moved = await tenant.patch(f"/v1/calls/{in_first[1]['id']}", json={"status": "CONNECTED"})
    assert moved.status_code == 200
    shown = (await sequence_items(tenant, first))[contacts[0]]["calls"]
    assert {c["id"]: c for c in shown}[in_first[1]["id"]] == summary(moved.json())
