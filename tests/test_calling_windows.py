"""The calling window rules (relance.calling_windows): pure, with instants the tests pick."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.calling_windows import (
    MIXED,
    CallingWindow,
    Day,
    all_keys,
    key_is_open,
    key_of_number,
    open_keys,
    queue_key,
    queue_key_between,
    zone_key,
    zones_of_key,
    zones_of_number,
)

WEEKDAYS = frozenset({Day.MON, Day.TUE, Day.WED, Day.THU, Day.FRI})
NINE_TO_EIGHT = CallingWindow(time(9), time(20), WEEKDAYS)
PARIS = "Europe/Paris"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_from_start_included_to_end_excluded_on_its_days() -> None:
    # Wednesday 2 December 2026; Paris is UTC+1 in winter.
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 12, 2, 7, 59))
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 12, 2, 8, 0))
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 12, 2, 18, 59, 59))
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 12, 2, 19, 0))
    # Saturday: not one of its days.
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 12, 5, 12, 0))


def test_the_day_is_the_local_one() -> None:
    # Friday 23:30 UTC is already Saturday in Tokyo and still Friday in Los Angeles.
    window = CallingWindow(time(0), time(23, 59), frozenset({Day.SAT}))
    friday_night = utc(2026, 12, 4, 23, 30)
    assert window.is_open_in("Asia/Tokyo", friday_night)
    assert not window.is_open_in("America/Los_Angeles", friday_night)


def test_paris_summer_time_starts_at_the_end_of_march() -> None:
    # On Friday 27 March 2026 Paris is UTC+1; on Monday 30 March, UTC+2.
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 3, 27, 8, 0))
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 3, 27, 7, 30))
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 3, 30, 7, 0))
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 3, 30, 6, 59))
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 3, 30, 18, 0))


def test_paris_summer_time_ends_at_the_end_of_october() -> None:
    # Friday 23 October 2026: UTC+2; Monday 26 October: UTC+1 again.
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 10, 23, 7, 0))
    assert not NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 10, 26, 7, 0))
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 10, 26, 8, 0))
    assert NINE_TO_EIGHT.is_open_in(PARIS, utc(2026, 10, 26, 18, 30))


def test_a_window_on_the_night_the_clocks_change() -> None:
    # Sunday 29 March 2026: 02:00 to 03:00 does not exist in Paris.
    window = CallingWindow(time(2, 30), time(4), frozenset({Day.SUN}))
    assert not window.is_open_in(PARIS, utc(2026, 3, 29, 0, 30))  # 01:30 local
    assert window.is_open_in(PARIS, utc(2026, 3, 29, 1, 0))  # 03:00 local
    assert window.next_opening([PARIS], utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 1, 0)


def test_multi_zone_numbers_need_the_window_open_in_every_zone() -> None:
    zones = zones_of_number("+17016001234")  # North Dakota: Mountain and Central
    assert set(zones) == {"America/Denver", "America/North_Dakota/Center"}
    # 15:30 UTC on a winter Wednesday: 08:30 Mountain, 09:30 Central.
    at = utc(2026, 12, 2, 15, 30)
    assert NINE_TO_EIGHT.is_open_in("America/North_Dakota/Center", at)
    assert not NINE_TO_EIGHT.is_open_everywhere(zones, at)
    assert NINE_TO_EIGHT.is_open_everywhere(zones, at + timedelta(minutes=30))
    assert NINE_TO_EIGHT.next_opening(zones, at) == utc(2026, 12, 2, 16, 0)


def test_an_australian_mobile_spans_the_continent_and_a_russian_number_its_region() -> None:
    mobile = zones_of_number("+61412345678")
    assert {"Australia/Perth", "Australia/Sydney"} <= set(mobile)
    # 09:30 in Sydney on a weekday is 06:30 in Perth: closed for the mobile.
    at = datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo("Australia/Sydney"))
    assert NINE_TO_EIGHT.is_open_in("Australia/Sydney", at)
    assert not NINE_TO_EIGHT.is_open_everywhere(mobile, at)
    assert zones_of_number("+74951234567") == ("Europe/Moscow",)


def test_an_unknown_zone_spans_the_country_and_an_unknown_country_none() -> None:
    # A French number in a range phonenumbers places nowhere would span France's zones;
    # every zone of country code 33 is in the data, so the key is that whole set.
    assert zones_of_number("+33612345678") == ("Europe/Paris",)
    assert zones_of_number("not a number") == ()
    assert not NINE_TO_EIGHT.is_open_everywhere((), utc(2026, 12, 2, 12, 0))
    assert not key_is_open(NINE_TO_EIGHT, "", utc(2026, 12, 2, 12, 0))
    # With no window, any number is callable at any time, even one without zones.
    assert key_is_open(None, "", utc(2026, 12, 5, 3, 0))


def test_a_number_with_no_zone_of_its_own_gets_its_countrys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from relance import calling_windows

    monkeypatch.setattr(
        calling_windows.phone_timezones, "time_zones_for_number", lambda _n: ("Etc/Unknown",)
    )
    zones = calling_windows.zones_of_number("+61212345678")
    assert {"Australia/Perth", "Australia/Sydney", "Australia/Adelaide"} <= set(zones)


def test_keys_round_trip_and_are_known() -> None:
    key = key_of_number("+17016001234")
    assert key == "America/Denver America/North_Dakota/Center"
    assert zones_of_key(key) == ("America/Denver", "America/North_Dakota/Center")
    assert key in all_keys() and PARIS in all_keys()
    assert zone_key(["b", "a", "b"]) == "a b"


def test_a_window_ends_after_it_starts() -> None:
    with pytest.raises(ValueError):
        CallingWindow(time(20), time(9), WEEKDAYS)
    assert CallingWindow.load(NINE_TO_EIGHT.dump()) == NINE_TO_EIGHT
    assert NINE_TO_EIGHT.dump() == {
        "start": "09:00",
        "end": "20:00",
        "days": ["MON", "TUE", "WED", "THU", "FRI"],
    }


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
zone_names = st.sampled_from(
    [PARIS, "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham",
     "America/Denver", "Asia/Kathmandu", "UTC"]
)
windows = st.builds(
    lambda a, length, days: CallingWindow(
        time(*divmod(a, 60)), time(*divmod(min(a + length, 1439), 60)), days
    ),
    st.integers(0, 1438),
    st.integers(1, 1439),
    st.frozensets(st.sampled_from(list(Day)), min_size=1),
)


@settings(max_examples=300, deadline=None)
@given(windows, zone_names, instants)
def test_open_is_the_local_time_inside_the_bounds_on_a_listed_day(
    window: CallingWindow, zone: str, at: datetime
) -> None:
    local = at.astimezone(ZoneInfo(zone))
    expected = (
        list(Day)[local.weekday()] in window.days
        and window.start <= local.time().replace(tzinfo=None) < window.end
    )
    assert window.is_open_in(zone, at) == expected


@settings(max_examples=150, deadline=None)
@given(windows, st.lists(zone_names, min_size=1, max_size=3, unique=True), instants)
def test_open_everywhere_is_open_in_each_and_the_open_keys_agree(
    window: CallingWindow, zones: list[str], at: datetime
) -> None:
    everywhere = window.is_open_everywhere(zones, at)
    assert everywhere == all(window.is_open_in(z, at) for z in zones)
    single = zones[0]
    minute = at.replace(second=0, microsecond=0)
    assert (single in open_keys(window, at)) == window.is_open_in(single, minute)


@settings(max_examples=100, deadline=None)
@given(windows, st.lists(zone_names, min_size=1, max_size=2, unique=True), instants)
def test_the_next_opening_is_open_and_nothing_before_it_is(
    window: CallingWindow, zones: list[str], at: datetime
) -> None:
    at = at.replace(second=0, microsecond=0)
    opening = window.next_opening(zones, at)
    if opening is None:
        return
    assert opening > at
    assert window.is_open_everywhere(zones, opening)
    # Just before it the window was closed somewhere (or it had been open since before).
    before = opening - timedelta(minutes=1)
    if before > at:
        assert not window.is_open_everywhere(zones, before)


@pytest.mark.parametrize(("keys", "expected"), [
    ([], None),
    (["Europe/Paris"], "Europe/Paris"),
    (["Europe/Paris", "Europe/Paris"], "Europe/Paris"),
    (["Europe/Paris", "America/Los_Angeles"], MIXED),
    ([""], ""),  # a number of no known country: a key of its own, never open
    (["", "Europe/Paris"], MIXED),
])
def test_a_contact_s_queue_key(keys: list[str], expected: str | None) -> None:
    assert queue_key(keys) == expected


@given(st.lists(st.sampled_from(["", "Europe/Paris", "America/Denver America/North_Dakota/Center", "Asia/Tokyo"])))
def test_the_queue_key_of_the_lowest_and_highest_key_is_that_of_all(keys: list[str]) -> None:
    """What statements read (two aggregates) gives what the rule gives on every key."""
    lowest, highest = (min(keys), max(keys)) if keys else (None, None)
    assert queue_key_between(lowest, highest) == queue_key(keys)
