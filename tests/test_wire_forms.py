"""The times a page reads from its JSON are written as the API writes every time, from
the text alone (``db.dialect.json_timestamp_iso``), for each database's form of it."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from relance.api.schemas import format_iso_timestamp, format_timestamp
from relance.db.dialect import json_timestamp, json_timestamp_iso

# Stored times are whole milliseconds (db.types), of any year the API accepts.
moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)


def sqlite_text(moment: datetime) -> str:
    """How SQLite stores a UTCDateTime, and so writes it into JSON."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f").rjust(26, "0")


def postgresql_text(moment: datetime) -> str:
    """How PostgreSQL writes a timestamp into JSON: ISO, the fraction's trailing zeros
    dropped, no fraction at all when it is zero."""
    text = moment.isoformat()
    return text.rstrip("0").rstrip(".") if "." in text else text


@given(moments)
def test_a_time_from_the_json_of_either_database_is_written_as_the_api_writes_times(
    moment: datetime,
) -> None:
    expected = format_timestamp(moment.replace(tzinfo=UTC))
    for text in (sqlite_text(moment), postgresql_text(moment)):
        assert json_timestamp(text) == moment.replace(tzinfo=UTC)
        assert format_iso_timestamp(json_timestamp_iso(text)) == expected, text


async def test_the_list_shows_each_call_as_the_call_itself_shows_it(tenants) -> None:
    """Fractions PostgreSQL shortens (.100, .120) or drops (.000) read back whole."""
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    times = [("00.000", "59.999"), ("00.100", "01.120"), ("07.120", "09.100")]
    ids = []
    for started, ended in times:
        body = {
            "sequenceId": sequence_id,
            "contactId": contact,
            "status": "COMPLETED",
            "startedAt": f"2026-11-30T10:00:{started}Z",
            "endedAt": f"2026-11-30T10:01:{ended}Z",
        }
        response = await tenant.post("/v1/calls", json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    listed = {call["id"]: call for call in item["calls"]}
    assert set(listed) == set(ids)
    for call_id in ids:
        call = (await tenant.get(f"/v1/calls/{call_id}")).json()
        for field in ("startedAt", "endedAt", "createdAt", "durationSeconds", "status"):
            assert listed[call_id][field] == call[field], (field, call)
