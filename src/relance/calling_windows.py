"""When a number may be called: calling windows in the contact's own time, and the time
zones of a number. Pure rules, no database.

A window is a start and an end time of day and the days of the week it opens on, read in
the local time of the one being called: it is open on those days from ``start`` included
to ``end`` excluded (``end`` after ``start``: a window does not span midnight). A number
may span several zones (a US area code across two, an Australian mobile); it is callable
only when the window is open in every one of them, the safe reading. A number whose zone
phonenumbers does not know spans every zone of its country; one whose country is unknown
has no zones, and is never callable while a window is set.

Zones are stored with a number as a *zone key*: its zone names, sorted, joined by a space
(``""`` for none). The queue filters numbers on the keys open now (``open_keys``), a small
set computed here, instead of computing a local time per row. An enrolment carries its
contact's *queue key* (``queue_key``) in the queue's index, so that the queue seeks the
rows of each open key instead of walking past the closed ones.
"""

import enum
import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA

_UNKNOWN = "Etc/Unknown"


class Day(enum.StrEnum):
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"

    @property
    def weekday(self) -> int:
        """Python's ``datetime.weekday()`` of this day (Monday is 0)."""
        return list(Day).index(self)


@dataclass(frozen=True)
class CallingWindow:
    start: time
    end: time
    days: frozenset[Day]

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a calling window ends after it starts")

    def is_open_in(self, zone: str, at: datetime) -> bool:
        """Open at the instant ``at`` (aware) in the local time of ``zone``."""
        local = at.astimezone(_zone(zone))
        if list(Day)[local.weekday()] not in self.days:
            return False
        return self.start <= local.time().replace(tzinfo=None) < self.end

    def is_open_everywhere(self, zones: Collection[str], at: datetime) -> bool:
        """Open in every one of ``zones``; never for no zone at all (an unknown country)."""
        return bool(zones) and all(self.is_open_in(zone, at) for zone in zones)

    def dump(self) -> dict:
        """The stored and wire form: ``{"start": "09:00", "end": "20:00", "days": [...]}``."""
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "days": [d.value for d in Day if d in self.days],
        }

    @classmethod
    def load(cls, value: dict) -> "CallingWindow":
        return cls(
            start=time.fromisoformat(value["start"]),
            end=time.fromisoformat(value["end"]),
            days=frozenset(Day(d) for d in value["days"]),
        )

    def next_opening(self, zones: Collection[str], after: datetime) -> datetime | None:
        """The first instant after ``after`` at which the window is open in every zone, or
        None when it never is within a fortnight (zones whose openings never overlap)."""
        if not zones or not self.days:
            return None
        candidates: set[datetime] = set()
        for zone in zones:
            tz = _zone(zone)
            local_day = after.astimezone(tz).date()
            for offset in range(15):
                day = local_day + timedelta(days=offset)
                candidates.add(_first_instant_at(day, self.start, tz))
        for candidate in sorted(c for c in candidates if c > after):
            if self.is_open_everywhere(zones, candidate):
                return candidate
        return None


def _first_instant_at(day: date, local: time, tz: ZoneInfo) -> datetime:
    """The first instant whose local time in ``tz`` on ``day`` is ``local`` or later: the
    end of the gap when the clocks skip ``local`` (02:30 on the spring-forward night)."""
    early = datetime.combine(day, local, tzinfo=tz).replace(fold=1).astimezone(UTC)
    late = datetime.combine(day, local, tzinfo=tz).replace(fold=0).astimezone(UTC)
    if early >= late:  # no gap: one instant (or, in a repeated hour, the first of two)
        return min(early, late)
    instant = early
    while instant < late and instant.astimezone(tz).time() < local:
        instant += timedelta(minutes=1)
    return instant


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_known_zone(name: str) -> bool:
    """An IANA zone name the system's time-zone database holds."""
    return name in _all_zone_names()


@functools.cache
def _all_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_key(zones: Iterable[str]) -> str:
    """The stored form of a set of zones."""
    return " ".join(sorted(set(zones)))


def zones_of_key(key: str | None) -> tuple[str, ...]:
    return tuple(key.split()) if key else ()


def zones_of_number(e164: str) -> tuple[str, ...]:
    """The zones a stored (E.164) number may ring in, per phonenumbers' time-zone data; a
    number phonenumbers places in no zone gets every zone of its country code (the safe
    reading); none when even its country is unknown."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ()
    zones = [z for z in phone_timezones.time_zones_for_number(parsed) if z != _UNKNOWN]
    if zones:
        return tuple(sorted(set(zones)))
    if parsed.country_code is None or not phonenumbers.region_code_for_number(parsed):
        return ()
    return _zones_of_country_code(parsed.country_code)


@functools.cache
def _zones_of_country_code(country_code: int) -> tuple[str, ...]:
    prefix = str(country_code)
    zones = {
        zone
        for key, names in TIMEZONE_DATA.items()
        if key.startswith(prefix)
        for zone in names
        if zone != _UNKNOWN and is_known_zone(zone)
    }
    return tuple(sorted(zones))


def key_of_number(e164: str) -> str:
    """``zones_of_number`` as a zone key, what is stored with the number."""
    return zone_key(zones_of_number(e164))


@functools.cache
def all_keys() -> frozenset[str]:
    """Every zone key a number or a contact can be stored with: each zone set of
    phonenumbers' data, each country code's, and each single zone (a contact's own)."""
    keys = {zone_key(z for z in names if z != _UNKNOWN) for names in TIMEZONE_DATA.values()}
    codes = {int(key[:n]) for key in TIMEZONE_DATA for n in (1, 2, 3) if key[:n].isdigit()}
    keys.update(zone_key(_zones_of_country_code(code)) for code in codes)
    keys.update(_all_zone_names())
    keys.discard("")
    return frozenset(k for k in keys if all(is_known_zone(z) for z in zones_of_key(k)))


def open_keys(window: CallingWindow, at: datetime) -> frozenset[str]:
    """The zone keys inside the window at ``at``; computed once a minute per window (the
    window's bounds are whole minutes, so nothing opens or closes within one)."""
    minute = at.astimezone(UTC).replace(second=0, microsecond=0)
    return _open_keys(window, minute)


@functools.lru_cache(maxsize=64)
def _open_keys(window: CallingWindow, minute: datetime) -> frozenset[str]:
    open_zones = frozenset(z for z in _all_zone_names() if window.is_open_in(z, minute))
    return frozenset(k for k in all_keys() if set(zones_of_key(k)) <= open_zones)


# The queue key of a contact whose numbers ring in different zone sets: the queue reads its
# rows whatever the window, and checks each number.
MIXED = "*"


def queue_key(keys: Iterable[str]) -> str | None:
    """The queue key of a contact whose numbers are stored with these zone keys: the key
    they share, ``MIXED`` when they differ, None when it has no number."""
    distinct = set(keys)
    if not distinct:
        return None
    return distinct.pop() if len(distinct) == 1 else MIXED


def queue_key_between(lowest: str | None, highest: str | None) -> str | None:
    """``queue_key`` of numbers whose lowest and highest zone keys are these (both None
    without a number): what a statement reads in one row, as two aggregates."""
    return queue_key(key for key in (lowest, highest) if key is not None)


def key_is_open(window: CallingWindow | None, key: str | None, at: datetime) -> bool:
    """A number stored with zone key ``key`` may be called at ``at`` under ``window``."""
    if window is None:
        return True
    return window.is_open_everywhere(zones_of_key(key), at)
