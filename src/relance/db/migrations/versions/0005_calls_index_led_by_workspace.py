"""the calls of a contact in a sequence are found by an index the tenant filter can use

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

With the tenant filter's ``workspace_id IN (...)`` beside ``sequence_id`` and
``contact_id``, SQLite's planner (no statistics) chose the index on (workspace_id,
created_at, id) for the status rule's facts and walked every call of the workspace for
each contact. The index on (sequence_id, contact_id, created_at, id) becomes one led by
workspace_id, which every scoped query of calls carries.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_sequence_id_contact_id_created_at_id'))
        batch_op.create_index(
            batch_op.f('ix_calls_workspace_id_sequence_id_contact_id_created_at_id'),
            ['workspace_id', 'sequence_id', 'contact_id', 'created_at', 'id'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_workspace_id_sequence_id_contact_id_created_at_id'))
        batch_op.create_index(
            batch_op.f('ix_calls_sequence_id_contact_id_created_at_id'),
            ['sequence_id', 'contact_id', 'created_at', 'id'],
            unique=False,
        )
