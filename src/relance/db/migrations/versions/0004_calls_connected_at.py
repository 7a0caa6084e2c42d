"""calls remember when they reached a person

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A call that went CONNECTED -> NO_ANSWER reached a person, but only its current status
was kept. ``connected_at`` records the fact; calls already CONNECTED or COMPLETED get it
from their start (or creation). Statuses stored under the old reading of "a call is
under way" (only the last call looked at) are brought to the rule as written: a contact
with any call INITIATED, QUEUED, RINGING or IN_PROGRESS is RUNNING, unless line 1 or 2
of the rule applies.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('connected_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE calls SET connected_at = COALESCE(started_at, created_at) "
        "WHERE status IN ('CONNECTED', 'COMPLETED')"
    )
    op.execute(
        "UPDATE sequence_contacts SET status = 'RUNNING' "
        "WHERE status IN ('RESPONDER', 'ERROR', 'CANCELLED') AND EXISTS ("
        "SELECT 1 FROM calls WHERE calls.sequence_id = sequence_contacts.sequence_id "
        "AND calls.contact_id = sequence_contacts.contact_id "
        "AND calls.status IN ('INITIATED', 'QUEUED', 'RINGING', 'IN_PROGRESS'))"
    )


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('connected_at')
