"""API keys are stored only as SHA-256 digests: the database never holds one in clear."""

import hashlib
import uuid

from sqlalchemy import select

from relance.db.models import ApiKey


async def test_only_the_digest_of_a_key_is_stored(tenants, database) -> None:
    tenant = await tenants.create()
    async with database.unscoped_session(write=False) as session:
        rows = (
            await session.execute(
                select(ApiKey.__table__).where(ApiKey.organization_id == uuid.UUID(tenant.organization_id))
            )
        ).all()
    assert rows
    assert hashlib.sha256(tenant.key.encode()).hexdigest() in {row.key_digest for row in rows}
    for row in rows:
        assert not any(tenant.key in str(value) for value in row)  # not in any column
    assert (await tenant.get("/v1/users")).status_code == 200
