"""the queue's index leaves out the contacts no ``next`` may offer until a change of their
own: paused until resumed, with no number (MISSING_NUMBER); a rep's queue is no longer
walked past them on every call

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ['sequence_id', 'assigned_to_workspace_membership_id', 'last_attempt_at', 'created_at', 'id']
BEFORE = "deleted_at IS NULL AND state <> 'finished'"
AFTER = (
    "deleted_at IS NULL AND (state = 'active' OR (state = 'paused' AND paused_until IS NOT NULL))"
    " AND coalesce(status, '') <> 'MISSING_NUMBER'"
)


def _recreate(where: str) -> None:
    with op.batch_alter_table('sequence_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_sequence_contacts_queue')
        batch_op.create_index(
            'ix_sequence_contacts_queue', COLUMNS, unique=False,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    _recreate(AFTER)


def downgrade() -> None:
    _recreate(BEFORE)
