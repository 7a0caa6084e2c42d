"""The benchmark's rows: what the API would have left, generated from a fixed seed.

A sequence's enrolments come in blocks of 100 with an exact status mix (``STATUS_MIX``),
each with the calls and numbers that explain its status under the rule of
``relance.enrolments.statuses``; 3 of every 100 rows are soft-deleted; tags are drawn per
row (``TAGS``). Assignees take the rows round-robin. The generator also counts what the
loader must check afterwards: the assignees' loads, the active rows by status and by tag,
and a sample of enrolment ids of every status.
"""

import functools
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from relance.call_lifecycle import CallStatus, has_ended, has_started, reaches_a_person
from relance.calling_windows import key_of_number, queue_key
from relance.enrolments.statuses import UNDER_WAY, StatusFacts, derive

SEED = 20250106
BASE = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

# Of every 100 enrolments of a sequence, how many have each status (None: no call yet).
STATUS_MIX: dict[str | None, int] = {
    None: 40,
    "RUNNING": 15,
    "CONNECTED": 15,
    "RESPONDER": 10,
    "ERROR": 8,
    "CANCELLED": 7,
    "MISSING_NUMBER": 5,
}
DELETED_PER_100 = 3
# (label, share of the rows, success tag): one rare tag, one common, eight in between.
RARE_TAG, COMMON_TAG = "hot-lead", "follow-up"
TAGS = [
    (RARE_TAG, 0.01, False),
    (COMMON_TAG, 0.30, False),
    *(
        (label, 0.02, label == "meeting-booked")
        for label in (
            "callback",
            "decision-maker",
            "meeting-booked",
            "not-interested",
            "wrong-person",
            "budget",
            "competitor",
            "later",
        )
    ),
]
# Per status, the call histories it is drawn from (oldest first), with their weights.
HISTORIES: dict[str | None, list[tuple[float, tuple[CallStatus, ...]]]] = {
    None: [(0.75, ()), (0.25, (CallStatus.NOT_INITIATED,))],
    "RUNNING": [
        (0.4, (CallStatus.NO_ANSWER,)),
        (0.2, (CallStatus.BUSY, CallStatus.NO_ANSWER)),
        (0.2, (CallStatus.MISSED_CALL,)),
        (0.2, (CallStatus.VOICEMAIL, CallStatus.IN_PROGRESS)),  # a call under way
    ],
    "CONNECTED": [
        (0.6, (CallStatus.COMPLETED,)),
        (0.3, (CallStatus.COMPLETED, CallStatus.NO_ANSWER)),  # reached once, ever
        (0.1, (CallStatus.NO_ANSWER, CallStatus.CONNECTED)),
    ],
    "RESPONDER": [
        (0.6, (CallStatus.VOICEMAIL,)),
        (0.4, (CallStatus.NO_ANSWER, CallStatus.VOICEMAIL)),
    ],
    "ERROR": [
        (0.6, (CallStatus.ERROR_NUMBER,)),
        (0.2, (CallStatus.ERROR_COUNTRY,)),
        (0.2, (CallStatus.NO_ANSWER, CallStatus.UNKNOWN_ERROR)),
    ],
    "CANCELLED": [
        (0.7, (CallStatus.CANCELLED,)),
        (0.3, (CallStatus.NO_ANSWER, CallStatus.CANCELLED)),
    ],
    # A number removed after a call: the call stays, without its number.
    "MISSING_NUMBER": [(0.8, ()), (0.2, (CallStatus.NO_ANSWER,))],
}
FIRST_NAMES = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances"]
COMPANIES = [None, "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries"]
SAMPLE_PER_STATUS = 25  # enrolment ids per sequence and status kept for the status check


@dataclass
class Tenant:
    """The provisioned organization, as far as the rows need it."""

    workspace_id: uuid.UUID
    creator_id: uuid.UUID  # an organization membership id: the sequences' creator
    assignees: list[uuid.UUID]  # workspace membership ids, in the sequences' order
    api_key: str


@dataclass
class Tally:
    """What one sequence's rows add up to, for the checks and the list operations."""

    sequence_id: uuid.UUID
    rows: int = 0
    active: int = 0
    by_status: Counter = field(default_factory=Counter)  # active rows; key None: no status
    by_tag: Counter = field(default_factory=Counter)  # active rows, by tag label
    loads: Counter = field(default_factory=Counter)  # active rows, by assignee
    # For the status check: SAMPLE_PER_STATUS rows drawn uniformly among the active rows
    # of each status, and among the deleted rows (reservoir sampling): (id, status).
    reservoirs: dict[object, list[tuple[uuid.UUID, str | None]]] = field(default_factory=dict)
    seen: Counter = field(default_factory=Counter)

    @property
    def sample(self) -> dict[uuid.UUID, str | None]:
        """The sampled enrolment ids, with the status generated for each."""
        return dict(pair for reservoir in self.reservoirs.values() for pair in reservoir)


@dataclass
class Chunk:
    """Rows of each table, in the order foreign keys need them inserted."""

    contacts: list[dict] = field(default_factory=list)
    phone_numbers: list[dict] = field(default_factory=list)
    sequence_contacts: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    sequence_contact_tags: list[dict] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[dict]]]:
        """(table name, rows) in insertion order."""
        return [(name, getattr(self, name)) for name in Chunk.__dataclass_fields__]


class Generator:
    """Deterministic rows: the same calls in the same order give the same rows, ids aside."""

    def __init__(self, tenant: Tenant, seed: int = SEED) -> None:
        self.tenant = tenant
        self.rng = random.Random(seed)
        self.sampler = random.Random(seed + 1)  # apart, so that sampling leaves the rows alone
        self.tag_ids = {label: self.new_id() for label, _, _ in TAGS}
        self.serial = 0  # contacts so far: numbers, emails and creation times follow it
        self._block: list[str | None] = []
        self._deleted: set[int] = set()

    def new_id(self) -> uuid.UUID:
        """A random id, as the API gives: the seed decides what the rows hold, not their
        ids, so that the same data can be loaded twice into one database."""
        return uuid.uuid4()

    def contact(self, chunk: Chunk, *, numbers: int) -> tuple[uuid.UUID, datetime, list[uuid.UUID]]:
        """A contact with ``numbers`` phone numbers; returns its id, creation time, numbers."""
        self.serial += 1
        serial, created = self.serial, BASE + timedelta(milliseconds=self.serial)
        contact_id = self.new_id()
        email = f"bench.{serial}@Example.com"
        chunk.contacts.append(
            {
                "id": contact_id,
                "workspace_id": self.tenant.workspace_id,
                "first_name": self.rng.choice(FIRST_NAMES),
                "last_name": f"Bench{serial}",
                "email": email,
                "email_key": email.lower(),
                "company": self.rng.choice(COMPANIES),
                "created_at": created,
                "updated_at": created,
            }
        )
        number_ids = []
        for position in range(numbers):
            number_ids.append(self.new_id())
            chunk.phone_numbers.append(
                {
                    "id": number_ids[-1],
                    "contact_id": contact_id,
                    "workspace_id": self.tenant.workspace_id,
                    "number": f"+33{6 + position}{serial:08d}",
                    "position": position,
                    "time_zones": _zone_key(f"+33{6 + position}"),
                    "created_at": created,
                }
            )
        return contact_id, created, number_ids

    def spare(self, count: int) -> tuple[Chunk, list[uuid.UUID]]:
        """Contacts in no sequence, one number each: what the adds enrol."""
        chunk = Chunk()
        return chunk, [self.contact(chunk, numbers=1)[0] for _ in range(count)]

    def enrolments(self, tally: Tally, count: int) -> Chunk:
        """The next ``count`` rows of a sequence, with their contacts, calls and tags."""
        chunk = Chunk()
        for _ in range(count):
            self._enrolment(chunk, tally)
        return chunk

    def _enrolment(self, chunk: Chunk, tally: Tally) -> None:
        """One row, counted in ``tally``."""
        index = tally.rows
        if index % 100 == 0:
            self._block = [s for s, n in STATUS_MIX.items() for _ in range(n)]
            self.rng.shuffle(self._block)
            self._deleted = set(self.rng.sample(range(100), DELETED_PER_100))
        wanted = self._block[index % 100]
        has_number = wanted != "MISSING_NUMBER"
        # One contact in ten with a number has a second one.
        count = 0 if not has_number else 2 if self.rng.random() < 0.1 else 1
        contact_id, created, numbers = self.contact(chunk, numbers=count)
        zone_keys = [
            n["time_zones"] for n in chunk.phone_numbers[len(chunk.phone_numbers) - count :]
        ]
        assignee = self.tenant.assignees[index % len(self.tenant.assignees)]
        enrolled = created + timedelta(hours=1)
        enrolment_id = self.new_id()
        history = self._history(wanted)
        calls = [
            self._call(
                status,
                tally.sequence_id,
                contact_id,
                numbers,
                assignee,
                enrolled + timedelta(hours=n + 1),
            )
            for n, status in enumerate(history)
        ]
        status = _status_of(calls, has_number)
        if status != wanted:
            raise AssertionError(f"the history {history} gives {status}, not {wanted}")
        deleted = index % 100 in self._deleted
        attempts = [c for c in calls if c["status"] != CallStatus.NOT_INITIATED]
        connected = status == "CONNECTED"
        chunk.sequence_contacts.append(
            {
                # As enrolments.statuses keeps them: a contact that connected is finished.
                "attempts": len(attempts),
                "call_under_way": any(c["status"] in UNDER_WAY for c in calls),
                "zone_key": queue_key(zone_keys),
                "last_attempt_at": max((c["started_at"] for c in attempts), default=None),
                "state": "finished" if connected else "active",
                "exit_reason": "connected" if connected else None,
                "finished_at": max(c["updated_at"] for c in calls) if connected else None,
                "id": enrolment_id,
                "sequence_id": tally.sequence_id,
                "contact_id": contact_id,
                "workspace_id": self.tenant.workspace_id,
                "assigned_to_workspace_membership_id": assignee,
                "status": status,
                "created_at": enrolled,
                "deleted_at": enrolled + timedelta(days=30) if deleted else None,
            }
        )
        chunk.calls.extend(calls)
        labels = self._tags()
        chunk.sequence_contact_tags.extend(
            {
                "sequence_contact_id": enrolment_id,
                "tag_id": self.tag_ids[label],
                "workspace_id": self.tenant.workspace_id,
                "created_at": enrolled,
                "sequence_id": tally.sequence_id,
                "enrolment_created_at": enrolled,
                "enrolment_deleted_at": enrolled + timedelta(days=30) if deleted else None,
            }
            for label in labels
        )
        tally.rows += 1
        self._sample(tally, "deleted" if deleted else status, (enrolment_id, status))
        if not deleted:
            tally.active += 1
            tally.by_status[status] += 1
            tally.by_tag.update(labels)
            tally.loads[assignee] += 1

    def _sample(self, tally: Tally, kind: object, pair: tuple[uuid.UUID, str | None]) -> None:
        """Keep ``pair`` in the reservoir of ``kind`` with the odds that keep it uniform."""
        tally.seen[kind] += 1
        reservoir = tally.reservoirs.setdefault(kind, [])
        if len(reservoir) < SAMPLE_PER_STATUS:
            reservoir.append(pair)
        elif (slot := self.sampler.randrange(tally.seen[kind])) < SAMPLE_PER_STATUS:
            reservoir[slot] = pair

    def _history(self, wanted: str | None) -> tuple[CallStatus, ...]:
        """A call history drawn for the status ``wanted``."""
        draw = self.rng.random()
        for weight, history in HISTORIES[wanted]:
            if draw < weight:
                return history
            draw -= weight
        return HISTORIES[wanted][-1][1]

    def _call(
        self,
        status: CallStatus,
        sequence_id: uuid.UUID,
        contact_id: uuid.UUID,
        numbers: list[uuid.UUID],
        assignee: uuid.UUID,
        created: datetime,
    ) -> dict:
        """A call row stamped as ``calls.service`` stamps one moved to ``status``."""
        started = created + timedelta(seconds=5) if has_started(status) else None
        connected = created + timedelta(seconds=15) if reaches_a_person(status) else None
        ended = (
            created + timedelta(seconds=self.rng.randint(20, 600)) if has_ended(status) else None
        )
        return {
            "id": self.new_id(),
            "workspace_id": self.tenant.workspace_id,
            "sequence_id": sequence_id,
            "contact_id": contact_id,
            "phone_number_id": numbers[0] if numbers else None,
            "workspace_membership_id": assignee,
            "status": status.value,
            "started_at": started,
            "ended_at": ended,
            "connected_at": connected,
            "recording_url": f"https://recordings.example.com/{contact_id}.mp3"
            if connected
            else None,
            "created_at": created,
            "updated_at": ended or started or created,
        }

    def _tags(self) -> list[str]:
        """The labels drawn for one row: the rare and common tags, and at most one other."""
        labels = [label for label, share, _ in TAGS[:2] if self.rng.random() < share]
        draw, others = self.rng.random(), TAGS[2:]
        if draw < sum(share for _, share, _ in others):
            labels.append(others[int(draw / others[0][1])][0])
        return labels


@functools.cache
def _zone_key(prefix: str) -> str:
    """The zone key ``contacts.service`` stores with a number of this prefix (all of the
    generated numbers of one prefix share their zones)."""
    return key_of_number(prefix + "12345678")


def _status_of(calls: list[dict], has_number: bool) -> str | None:
    """The status the rule derives from these call rows (oldest first) and numbers."""
    started = [c for c in calls if c["status"] != CallStatus.NOT_INITIATED]
    facts = StatusFacts(
        reached_a_person=any(c["connected_at"] is not None for c in calls),
        has_number=has_number,
        under_way=any(c["status"] in UNDER_WAY for c in calls),
        last_call=CallStatus(started[-1]["status"]) if started else None,
    )
    status = derive(facts)
    return None if status is None else status.value
