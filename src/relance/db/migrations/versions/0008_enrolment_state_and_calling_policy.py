"""enrolment states, attempts, calling policies, number zones and the do-not-call list

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A sequence contact gets a state (active, paused, finished) and its attempts, derived from
its calls like its status; the ones already CONNECTED are finished ("connected"), as the
rule does from now on. A sequence gets its calling policy; a contact its own time zone; a
number the zones it rings in (relance.calling_windows), computed here for existing ones.
The organization's do-not-call list is a new table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('do_not_call_numbers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_do_not_call_numbers_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_do_not_call_numbers')),
    sa.UniqueConstraint('organization_id', 'number', name=op.f('uq_do_not_call_numbers_organization_id_number'))
    )
    with op.batch_alter_table('do_not_call_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_do_not_call_numbers_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))

    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zones', sa.String(length=1024), server_default='', nullable=False))

    with op.batch_alter_table('sequence_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('paused_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('exit_reason', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('call_under_way', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.create_index('ix_sequence_contacts_paused', ['sequence_id', 'assigned_to_workspace_membership_id', 'paused_until'], unique=False, sqlite_where=sa.text("deleted_at IS NULL AND state = 'paused'"), postgresql_where=sa.text("deleted_at IS NULL AND state = 'paused'"))
        batch_op.create_index('ix_sequence_contacts_queue', ['sequence_id', 'assigned_to_workspace_membership_id', 'last_attempt_at', 'created_at', 'id'], unique=False, sqlite_where=sa.text("deleted_at IS NULL AND state <> 'finished'"), postgresql_where=sa.text("deleted_at IS NULL AND state <> 'finished'"))

    with op.batch_alter_table('sequences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calling_window', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('max_attempts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('retry_after_minutes', sa.Integer(), server_default='0', nullable=False))

    _backfill()


def _backfill() -> None:
    op.execute(
        "UPDATE sequence_contacts SET "
        "attempts = (SELECT COUNT(*) FROM calls c WHERE c.sequence_id = sequence_contacts.sequence_id "
        "AND c.contact_id = sequence_contacts.contact_id AND c.status <> 'NOT_INITIATED'), "
        "last_attempt_at = (SELECT MAX(COALESCE(c.started_at, c.created_at)) FROM calls c "
        "WHERE c.sequence_id = sequence_contacts.sequence_id "
        "AND c.contact_id = sequence_contacts.contact_id AND c.status <> 'NOT_INITIATED')"
    )
    op.execute(
        "UPDATE sequence_contacts SET call_under_way = EXISTS (SELECT 1 FROM calls c "
        "WHERE c.sequence_id = sequence_contacts.sequence_id "
        "AND c.contact_id = sequence_contacts.contact_id "
        "AND c.status IN ('INITIATED', 'QUEUED', 'RINGING', 'IN_PROGRESS'))"
    )
    op.execute(
        "UPDATE sequence_contacts SET state = 'finished', exit_reason = 'connected', "
        "finished_at = CURRENT_TIMESTAMP WHERE status = 'CONNECTED'"
    )
    from relance.calling_windows import key_of_number

    bind = op.get_bind()
    numbers = sa.table('phone_numbers', sa.column('id', sa.Uuid), sa.column('number', sa.String),
                       sa.column('time_zones', sa.String))
    keys: dict[str, list] = {}
    for row in bind.execute(sa.select(numbers.c.id, numbers.c.number)):
        keys.setdefault(key_of_number(row.number), []).append(row.id)
    for key, ids in keys.items():
        for start in range(0, len(ids), 1000):
            bind.execute(numbers.update().where(numbers.c.id.in_(ids[start:start + 1000]))
                         .values(time_zones=key))


def downgrade() -> None:
    with op.batch_alter_table('sequences', schema=None) as batch_op:
        batch_op.drop_column('retry_after_minutes')
        batch_op.drop_column('max_attempts')
        batch_op.drop_column('calling_window')

    with op.batch_alter_table('sequence_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_sequence_contacts_paused', sqlite_where=sa.text("deleted_at IS NULL AND state = 'paused'"), postgresql_where=sa.text("deleted_at IS NULL AND state = 'paused'"))
        batch_op.drop_index('ix_sequence_contacts_queue', sqlite_where=sa.text("deleted_at IS NULL AND state <> 'finished'"), postgresql_where=sa.text("deleted_at IS NULL AND state <> 'finished'"))
        batch_op.drop_column('call_under_way')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('exit_reason')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('state')

    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.drop_column('time_zones')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('do_not_call_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_do_not_call_numbers_organization_id'))

    op.drop_table('do_not_call_numbers')
