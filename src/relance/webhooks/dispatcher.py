"""The dispatcher: sends due webhook deliveries, signed as Standard Webhooks prescribe.

Every ``relance serve`` process runs one (unless ``RELANCE_WEBHOOK_DELIVERY=off``) and
``relance worker`` runs one alone. It keeps nothing a restart would lose: each round it
claims due deliveries in a transaction (``delivery_repository.claim``: on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so that concurrent dispatchers take different ones), leases
them for the attempt's length, sends them, and writes each outcome in a transaction of
its own. A dispatcher killed during an attempt leaves its lease to run out, after which
any dispatcher sends the message again, with the same ``webhook-id``: delivery is at least
once, and a receiver deduplicates by that id.

An endpoint gets one message at a time, the oldest first; a message that fails waits for
its retry and holds those behind it (so that a receiver sees a contact's events in order).
An attempt that ends delivered (or failed for good) claims its endpoint's next message,
when it is due, in the transaction that records its outcome, and sends it: a backlog goes
out as fast as the receiver answers, one transaction a message. It does not while every
one of the dispatcher's slots is taken: other endpoints may be waiting, and the round
serves them the longest due first. An idle dispatcher looks for due messages every
``RELANCE_WEBHOOK_POLL_S``, and at once when an endpoint's run of attempts ends. A
dispatcher told to stop finishes the attempts under way and claims no next message.
A 2xx within the timeout is delivered; anything else is a failed attempt, retried after
the schedule's next delay (with up to 10% jitter), ``failed`` once the schedule is done.
A 410 disables the endpoint (``gone``) at once.

The secrets are read sealed (``relance.secretbox``) and opened just before signing; one
that no key of RELANCE_SECRET_KEY opens (the key changed, or is unset) is a failed attempt
whose error says so, like a receiver that does not answer: the dispatcher goes on.
"""

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import structlog
from standardwebhooks import Webhook

from relance.db.types import utcnow
from relance.events.outbox import DELIVERED, FAILED, PENDING, timestamp
from relance.secretbox import Unreadable, open_stored
from relance.settings import Settings
from relance.tenancy.database import Database
from relance.webhooks import delivery_repository as repository
from relance.webhooks import urls
from relance.webhooks.service import GONE

log = structlog.stdlib.get_logger("relance.webhooks")
# Each attempt is logged once, as webhook_attempt; the client's own line would double it.
logging.getLogger("httpx").setLevel(logging.WARNING)
# Deliveries one dispatcher sends at once (to as many endpoints).
CONCURRENCY = 32
MAX_ERROR_LENGTH = 1024


def lease_s(timeout_s: float) -> float:
    """How long a claimed attempt is held: past it, its dispatcher is presumed dead."""
    return 2 * timeout_s + 1


def encode(claimed: repository.Claimed) -> bytes:
    return orjson.dumps(
        {
            "id": str(claimed.event_id),
            "type": claimed.event_type,
            "timestamp": timestamp(claimed.event_created_at),
            "data": claimed.event_data,
        }
    )


def headers(
    claimed: repository.Claimed, body: bytes, *, secrets: list[str], now: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers: one ``v1,`` signature per live secret (opened)."""
    message_id = str(claimed.event_id)
    text = body.decode()
    signatures = " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=now, data=text) for secret in secrets
    )
    return {
        "content-type": "application/json",
        "user-agent": "Relance-Webhooks/1.0",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }


class Dispatcher:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.schedule = settings.retry_schedule
        self._client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_s, follow_redirects=False, trust_env=False
        )
        self._in_flight: set[asyncio.Task[None]] = set()
        # Set when an endpoint's run of attempts ends (``_attempt``): what was held behind
        # a message that failed may be due, and its slot is free.
        self._attempt_ended = asyncio.Event()
        # What ``run`` was told to stop by: once set, attempts claim no next message.
        self._stop: asyncio.Event | None = None

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Claim and send until ``stop`` is set (or the task is cancelled)."""
        stop = self._stop = stop or asyncio.Event()
        while not stop.is_set():
            # Cleared before the round, so that an attempt ending during it is not missed.
            self._attempt_ended.clear()
            try:
                claimed = await self.round()
            except Exception as error:  # the database away: try again after a pause
                log.warning("webhook_claim_failed", error=repr(error))
                claimed = 0
                self._attempt_ended.clear()  # a pause, whatever ended meanwhile
            if claimed == 0:
                await self._pause(stop)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the poll interval has passed, ``stop`` is set or an attempt ends."""
        waits = {
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self._attempt_ended.wait()),
        }
        try:
            await asyncio.wait(
                waits, timeout=self.settings.webhook_poll_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()

    async def round(self) -> int:
        """Claim what is due (up to the free concurrency) and start sending it; how many."""
        free = CONCURRENCY - len(self._in_flight)
        if free <= 0:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return 1
        now = datetime.now(UTC)
        # Idle most of the time: a read first, so that SQLite's write lock is taken only
        # when there is something to claim.
        async with self.database.unscoped_session(write=False) as session:
            if not await repository.anything_due(session, now=now):
                return 0
        async with self.database.unscoped_session() as session:
            claimed = await repository.claim(
                session, now=now, lease_until=self._lease_until(now), limit=free
            )
        for item in claimed:
            task = asyncio.create_task(self._attempt(item))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(claimed)

    def _may_go_on(self) -> bool:
        """Whether an attempt that ended may claim its endpoint's next message: not while
        stopping, nor while every slot is taken (other endpoints may wait for one; their
        turn comes by the round's order, the longest due first)."""
        stopping = self._stop is not None and self._stop.is_set()
        return not stopping and len(self._in_flight) < CONCURRENCY

    def _lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=lease_s(self.settings.webhook_timeout_s))

    async def drain(self) -> None:
        """Wait for the attempts under way (tests, and a worker stopping)."""
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))

    async def close(self) -> None:
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._client.aclose()

    async def _attempt(self, claimed: repository.Claimed) -> None:
        """Send ``claimed``, then each next message of its endpoint the attempts claim."""
        following: repository.Claimed | None = claimed
        try:
            while following is not None:
                following = await self._attempt_once(following)
        finally:
            self._attempt_ended.set()

    async def _attempt_once(self, claimed: repository.Claimed) -> repository.Claimed | None:
        """One attempt, recorded; the endpoint's next message if the record claimed it."""
        status_code, error = await self._send(claimed)
        at = utcnow()
        delivered = status_code is not None and 200 <= status_code < 300
        attempts = claimed.attempts + 1
        next_at = None
        if delivered:
            status = DELIVERED
        elif status_code == 410 or attempts >= len(self.schedule):
            status = FAILED
        else:
            status = PENDING
            delay = self.schedule[attempts] * random.uniform(1.0, 1.1)
            next_at = at + timedelta(seconds=delay)
        following = None
        try:
            async with self.database.unscoped_session() as session:
                recorded = await repository.record_attempt(
                    session,
                    claimed=claimed,
                    at=at,
                    status=status,
                    status_code=status_code,
                    error=None if error is None else error[:MAX_ERROR_LENGTH],
                    next_attempt_at=next_at,
                )
                if status_code == 410:
                    await repository.disable(
                        session, endpoint_id=claimed.endpoint_id, at=at, reason=GONE
                    )
                elif recorded and status != PENDING and self._may_go_on():
                    following = await repository.claim_next(
                        session,
                        endpoint_id=claimed.endpoint_id,
                        now=at,
                        lease_until=self._lease_until(at),
                    )
        except Exception as failure:  # the lease runs out and the attempt is made again
            log.warning("webhook_record_failed", error=repr(failure))
            return None
        log.info(
            "webhook_attempt",
            delivery_id=str(claimed.delivery_id),
            event_id=str(claimed.event_id),
            status_code=status_code,
            error=error,
            outcome=status,
        )
        return following

    async def _send(self, claimed: repository.Claimed) -> tuple[int | None, str | None]:
        """The answer's status code, or the error that stood for it."""
        refused = await urls.refusal(
            claimed.url,
            allow_private=self.settings.webhook_allow_private,
            timeout_s=self.settings.webhook_timeout_s,
        )
        if refused is not None:
            return None, f"refused: {refused}"
        try:
            secrets = [open_stored(self.settings.secret_box, s) for s in claimed.secrets]
        except Unreadable as error:
            return None, str(error)
        body = encode(claimed)
        signed = headers(claimed, body, secrets=secrets, now=datetime.now(UTC))
        try:
            response = await self._client.post(claimed.url, content=body, headers=signed)
        except httpx.TimeoutException:
            return None, f"no answer within {self.settings.webhook_timeout_s:g} s"
        except Exception as error:  # any failure of the attempt is the attempt's error
            return None, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return response.status_code, None
