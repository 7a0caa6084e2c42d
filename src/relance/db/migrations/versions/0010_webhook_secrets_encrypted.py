"""webhook secrets sealed under the operator's key: webhook_endpoints.secret and
previous_secret widened to hold a Fernet token, and the clear ones sealed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The key is RELANCE_SECRET_KEY, read from the environment as the servers read it (its
first key seals). Without one, the secrets stay as they are: a value starting with
``whsec_`` is a clear secret that Relance still reads and signs with, and seals on the
endpoint's next rotation or with ``relance webhooks reencrypt`` once a key is set.
Downgrading opens them again (it needs the key they were sealed with).
"""

import os
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from relance.secretbox import KEY_VARIABLE, SecretBox, is_clear


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
endpoints = sa.table(
    'webhook_endpoints',
    sa.column('id', sa.Uuid),
    sa.column('secret', sa.String),
    sa.column('previous_secret', sa.String),
)


def _rewrite(change: Callable[[str], str]) -> None:
    """Every endpoint's secrets through ``change``, in batches of ``BATCH`` by id."""
    connection = op.get_bind()
    after = None
    while True:
        query = sa.select(endpoints.c.id, endpoints.c.secret, endpoints.c.previous_secret)
        if after is not None:
            query = query.where(endpoints.c.id > after)
        rows = connection.execute(query.order_by(endpoints.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(
            endpoints.update()
            .where(endpoints.c.id == sa.bindparam('row_id'))
            .values(secret=sa.bindparam('new_secret'), previous_secret=sa.bindparam('new_previous')),
            [
                {
                    'row_id': row.id,
                    'new_secret': change(row.secret),
                    'new_previous': None if row.previous_secret is None else change(row.previous_secret),
                }
                for row in rows
            ],
        )
        after = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=128), type_=sa.String(length=255), existing_nullable=False)
        batch_op.alter_column('previous_secret', existing_type=sa.String(length=128), type_=sa.String(length=255), existing_nullable=True)
    box = SecretBox.parse(os.environ.get(KEY_VARIABLE))
    if box is not None:
        _rewrite(lambda stored: box.seal(stored) if is_clear(stored) else stored)


def downgrade() -> None:
    box = SecretBox.parse(os.environ.get(KEY_VARIABLE))

    def opened(stored: str) -> str:
        if is_clear(stored):
            return stored
        if box is None:
            raise RuntimeError(f'{KEY_VARIABLE} is needed to open the webhook secrets again')
        return box.open(stored)

    _rewrite(opened)
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.alter_column('previous_secret', existing_type=sa.String(length=255), type_=sa.String(length=128), existing_nullable=True)
        batch_op.alter_column('secret', existing_type=sa.String(length=255), type_=sa.String(length=128), existing_nullable=False)
