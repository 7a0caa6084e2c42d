"""Webhook secrets sealed under the operator's key (RELANCE_SECRET_KEY): the database row
holds neither the secret nor its bytes, signatures verify with standardwebhooks after
sealing, a rotation of the operator's key with ``relance webhooks reencrypt`` keeps them
verifying, and a key that opens nothing is a failed attempt that says so, never a 500.
Without a key no endpoint is created or rotated, and a clear secret from before sealing
still signs."""

import base64
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
import orjson
import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from relance.api.app import create_app
from relance.db.engine import count_statements
from relance.secretbox import SecretBox, is_clear, new_key
from relance.settings import Settings
from relance.webhooks import service
from tests.conftest import SECRET_KEY, make_settings
from tests.factory import Tenant
from tests.receiver import Receiver
from tests.test_webhook_delivery import (  # noqa: F401  (fixtures)
    dispatcher,
    hook,
    log,
    private_app,
    pump,
    receiver,
    tenants,
)

UNDECRYPTABLE = "secret cannot be decrypted: RELANCE_SECRET_KEY changed?"


async def stored(database, endpoint_id: str) -> tuple[str, str | None]:  # noqa: ANN001
    """The endpoint's row as the database holds it, read with SQL."""
    async with database.engine.connect() as connection:
        row = (
            await connection.execute(
                sa.text("SELECT secret, previous_secret FROM webhook_endpoints WHERE id = :id"),
                {"id": uuid.UUID(endpoint_id) if database.url.startswith("postgresql") else uuid.UUID(endpoint_id).hex},
            )
        ).one()
    return row[0], row[1]


async def write_clear(database, endpoint_id: str, secret: str) -> None:  # noqa: ANN001
    """The row as an endpoint saved before sealing has it (or after a migration without a key)."""
    key = uuid.UUID(endpoint_id) if database.url.startswith("postgresql") else uuid.UUID(endpoint_id).hex
    async with database.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE webhook_endpoints SET secret = :secret, previous_secret = NULL WHERE id = :id"),
            {"secret": secret, "id": key},
        )


@asynccontextmanager
async def served_by(tenant: Tenant, database, **settings: object) -> AsyncIterator[Tenant]:  # noqa: ANN001
    """The tenant's requests answered by an app of these settings (another operator key)."""
    app = create_app(make_settings(database, webhook_allow_private=True, **settings), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    before = tenant.client
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as other:
        tenant.client = other
        try:
            yield tenant
        finally:
            tenant.client = before


def forms(secret: str) -> list[str]:
    """A secret as it could show in a row: itself, its base64, and its bytes spelled out."""
    encoded = secret.removeprefix("whsec_")
    raw = base64.b64decode(encoded)
    return [secret, encoded, raw.hex(), base64.urlsafe_b64encode(raw).decode().rstrip("=")]


async def test_the_row_holds_neither_the_secret_nor_its_bytes(tenants, receiver, database) -> None:  # noqa: F811
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/row")
    created, _ = await stored(database, endpoint["id"])
    assert not any(form in created for form in forms(endpoint["secret"]))
    rotated = (await tenant.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")).json()
    secret, previous = await stored(database, endpoint["id"])
    assert previous is not None
    for column in (secret, previous):
        assert not is_clear(column)
        for form in (*forms(endpoint["secret"]), *forms(rotated["secret"])):
            assert form not in column
    box = SecretBox([SECRET_KEY])
    assert (box.open(secret), box.open(previous)) == (rotated["secret"], endpoint["secret"])
    for body in [(await tenant.get("/v1/webhooks")).text, (await tenant.get(f"/v1/webhooks/{endpoint['id']}")).text]:
        assert secret not in body and rotated["secret"] not in body


async def test_sealed_secrets_sign_messages_that_verify_and_a_key_rotation_keeps_them_verifying(
    tenants, receiver, database  # noqa: F811
) -> None:
    tenant = await tenants.create()
    old = new_key()
    async with served_by(tenant, database, secret_key=old):
        endpoint = await hook(tenant, receiver, "/keys")
    assert SecretBox([old]).open((await stored(database, endpoint["id"]))[0]) == endpoint["secret"]

    async def delivered_with(key: str) -> None:
        sender = dispatcher(database, secret_key=key)
        count = len(receiver.at("/keys"))
        try:
            assert (await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")).status_code == 202
            await pump(sender, lambda: len(receiver.at("/keys")) == count + 1)
        finally:
            await sender.close()
        got = receiver.at("/keys")[-1]
        assert Webhook(endpoint["secret"]).verify(got.body, got.headers) == orjson.loads(got.body)

    await delivered_with(old)
    # The operator puts the new key first: the old one still opens what it sealed.
    both = f"{SECRET_KEY},{old}"
    await delivered_with(both)
    report = reencrypted(database, both, "--batch", "2")  # several transactions
    assert report["resealed"] >= 1 and endpoint["id"] not in report["unreadable"]
    sealed = (await stored(database, endpoint["id"]))[0]
    assert SecretBox([SECRET_KEY]).open(sealed) == endpoint["secret"]
    with pytest.raises(Exception, match="cannot be decrypted"):
        SecretBox([old]).open(sealed)
    # Then drops the old one: what reencrypt sealed again needs only the new one.
    await delivered_with(SECRET_KEY)
    assert all(entry["status"] == "delivered" for entry in await log(tenant, endpoint))


async def test_a_key_that_opens_nothing_is_a_failed_attempt_that_says_so_and_the_api_keeps_working(
    tenants, receiver, database  # noqa: F811
) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/lost")
    wrong = new_key()
    sender = dispatcher(database, secret_key=wrong, webhook_retry_schedule="0")
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        async with served_by(tenant, database, secret_key=wrong):
            for _ in range(100):
                await sender.round()
                await sender.drain()
                [entry] = await log(tenant, endpoint)
                if entry["status"] != "pending":
                    break
            assert entry["status"] == "failed" and entry["attempts"] == 1
            assert entry["lastError"].startswith(UNDECRYPTABLE) and entry["lastStatusCode"] is None
            assert receiver.at("/lost") == []
            # The API under the wrong key answers as usual, and a rotation recovers: the new
            # secret signs alone, the old one being unreadable.
            assert (await tenant.get(f"/v1/webhooks/{endpoint['id']}")).status_code == 200
            assert (await tenant.get("/v1/webhooks")).json()["total"] == 1
            rotated = await tenant.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")
            assert rotated.status_code == 200, rotated.text
            await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
            await pump(sender, lambda: len(receiver.at("/lost")) == 1)
    finally:
        await sender.close()
        # Its secret is now under a key no other test has: reencrypt would name it.
        await tenant.delete(f"/v1/webhooks/{endpoint['id']}")
    got = receiver.at("/lost")[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(rotated.json()["secret"]).verify(got.body, got.headers)["type"] == "webhook.test"


async def test_without_a_key_nothing_is_created_or_rotated_and_a_clear_secret_still_signs(
    tenants, receiver, database  # noqa: F811
) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/clear")
    before = await stored(database, endpoint["id"])
    async with served_by(tenant, database, secret_key=None):
        created = await tenant.post("/v1/webhooks", json={"url": receiver.url("/never")})
        assert created.status_code == 503, created.text
        assert created.json()["error"]["code"] == "NOT_CONFIGURED"
        assert "RELANCE_SECRET_KEY" in created.json()["error"]["message"]
        rotated = await tenant.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")
        assert rotated.status_code == 503 and rotated.json()["error"]["code"] == "NOT_CONFIGURED"
        assert (await tenant.get("/v1/webhooks")).json()["total"] == 1
    assert await stored(database, endpoint["id"]) == before

    unkeyed = dispatcher(database, secret_key=None, webhook_retry_schedule="0")
    try:
        # A sealed secret without a key: a failed attempt that says why.
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        for _ in range(100):
            await unkeyed.round()
            await unkeyed.drain()
            [entry] = await log(tenant, endpoint)
            if entry["status"] != "pending":
                break
        assert entry["status"] == "failed"
        assert entry["lastError"] == "secret cannot be decrypted: RELANCE_SECRET_KEY is unset"
        # A secret stored in the clear (before sealing) signs with or without a key.
        await write_clear(database, endpoint["id"], endpoint["secret"])
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump(unkeyed, lambda: len(receiver.at("/clear")) == 1)
    finally:
        await unkeyed.close()
    keyed = dispatcher(database)
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump(keyed, lambda: len(receiver.at("/clear")) == 2)
    finally:
        await keyed.close()
    for got in receiver.at("/clear"):
        assert Webhook(endpoint["secret"]).verify(got.body, got.headers)["type"] == "webhook.test"
    # reencrypt seals it.
    assert endpoint["id"] not in reencrypted(database, SECRET_KEY)["unreadable"]
    sealed = (await stored(database, endpoint["id"]))[0]
    assert not is_clear(sealed) and SecretBox([SECRET_KEY]).open(sealed) == endpoint["secret"]


def reencrypt(database, key: str | None, *args: str):  # noqa: ANN001, ANN201
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    env.update(RELANCE_DATABASE_URL=database.url, PYTHONUTF8="1")
    if key is not None:
        env["RELANCE_SECRET_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "relance.cli", "webhooks", "reencrypt", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def reencrypted(database, key: str, *args: str) -> dict:  # noqa: ANN001
    """What reencrypt printed; it exits 1 exactly when some secret (of any test) is unreadable."""
    result = reencrypt(database, key, *args)
    report = orjson.loads(result.stdout)
    assert result.returncode == (1 if report["unreadable"] else 0), result.stderr
    return report


def test_reencrypt_without_a_key_refuses_before_touching_the_database_and_a_malformed_key_is_refused(
    tmp_path,  # noqa: ANN001
) -> None:
    nowhere = tmp_path / "never.db"
    result = reencrypt(SimpleNamespace(url=f"sqlite+aiosqlite:///{nowhere}"), None)
    assert result.returncode == 1 and not nowhere.exists()
    assert result.stderr == "relance: RELANCE_SECRET_KEY is unset: nothing to seal the secrets with\n"
    with pytest.raises(ValueError, match="RELANCE_SECRET_KEY must be comma-separated keys"):
        Settings(secret_key=f"{new_key()},not-a-key")
    assert Settings(secret_key=f" {new_key()} , {new_key()} ").secret_box is not None
    assert Settings(secret_key="").secret_box is None


async def test_a_batch_of_reencrypt_is_two_statements_whatever_its_size(tenants, receiver, database) -> None:  # noqa: F811
    tenant = await tenants.create()
    mine = sorted([(await hook(tenant, receiver, f"/batch{i}"))["id"] for i in range(3)], key=uuid.UUID)
    for endpoint_id in mine:
        await write_clear(database, endpoint_id, f"whsec_{endpoint_id}")
    box = SecretBox([SECRET_KEY])
    # From just before this test's first endpoint: other tests' rows precede it in id order.
    after = uuid.UUID(int=uuid.UUID(mine[0]).int - 1)
    counts = []
    for limit in (1, 50):
        async with database.unscoped_session() as session:
            with count_statements(database.engine) as counter:
                done = await service.reencrypt_batch(session, box=box, after=after, limit=limit)
            counts.append(counter.count)
        if limit == 1:
            assert (done.last, done.resealed) == (uuid.UUID(mine[0]), 1)
            sealed, clear = await stored(database, mine[0]), await stored(database, mine[1])
            assert box.open(sealed[0]) == f"whsec_{mine[0]}" and not is_clear(sealed[0])
            assert clear[0] == f"whsec_{mine[1]}"
        after = done.last
    assert counts == [2, 2] and done.resealed >= 1
