"""continuous sequences and runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('continuous_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequences.id'], name=op.f('fk_continuous_runs_sequence_id_sequences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_continuous_runs_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_continuous_runs'))
    )
    with op.batch_alter_table('continuous_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_continuous_runs_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f('ix_contacts_workspace_id_email_key_created_at'), ['workspace_id', 'email_key', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_workspace_id_id'), ['workspace_id', 'id'], unique=False)
    # Existing contacts. lower() folds ASCII only on SQLite; new rows are folded in Python.
    op.execute("UPDATE contacts SET email_key = lower(email) WHERE email IS NOT NULL")

    with op.batch_alter_table('sequences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_continuous', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))
        batch_op.add_column(sa.Column('filter', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sequences', schema=None) as batch_op:
        batch_op.drop_column('filter')
        batch_op.drop_column('is_continuous')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_workspace_id_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_workspace_id_email_key_created_at'))
        batch_op.drop_column('email_key')

    with op.batch_alter_table('continuous_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_continuous_runs_created_at'))

    op.drop_table('continuous_runs')
