"""enrolments carry their contact's queue key (the zone key its numbers share, '*' when
they differ), and the queue's index is ordered by it after the rep: a ``next`` seeks the
rows of each key open now instead of walking past the contacts whose window is closed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_ROWS = (
    "deleted_at IS NULL AND (state = 'active' OR (state = 'paused' AND paused_until IS NOT NULL))"
    " AND coalesce(status, '') <> 'MISSING_NUMBER'"
)
BEFORE = ['sequence_id', 'assigned_to_workspace_membership_id', 'last_attempt_at', 'created_at', 'id']
AFTER = BEFORE[:2] + ['zone_key'] + BEFORE[2:]
# relance.calling_windows.queue_key, over each enrolment's numbers.
BACKFILL = """
UPDATE sequence_contacts SET zone_key = (
    SELECT CASE WHEN min(time_zones) = max(time_zones) THEN min(time_zones)
                WHEN count(*) > 0 THEN '*' END
    FROM phone_numbers WHERE phone_numbers.contact_id = sequence_contacts.contact_id
)
"""


def _queue_index(columns: list[str]) -> None:
    with op.batch_alter_table('sequence_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_sequence_contacts_queue')
        batch_op.create_index(
            'ix_sequence_contacts_queue', columns, unique=False,
            sqlite_where=sa.text(QUEUE_ROWS), postgresql_where=sa.text(QUEUE_ROWS),
        )


def upgrade() -> None:
    op.add_column('sequence_contacts', sa.Column('zone_key', sa.String(length=1024), nullable=True))
    op.execute(BACKFILL)
    _queue_index(AFTER)


def downgrade() -> None:
    _queue_index(BEFORE)
    with op.batch_alter_table('sequence_contacts', schema=None) as batch_op:
        batch_op.drop_column('zone_key')
