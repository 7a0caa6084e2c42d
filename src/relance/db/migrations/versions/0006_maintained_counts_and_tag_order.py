"""counts of active contacts per status and per tag; tag rows carry their enrolment's order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The list's totals under ``?status=`` and ``?tag=`` counted rows (tens of thousands on a
large sequence, for every page). They are kept instead, per (sequence, status) and per
(sequence, tag), like the assignees' loads; this migration creates them from a recount.
A tag's rows also get a copy of their enrolment's sequence, ``created_at`` and
``deleted_at``, so that a page of ``?tag=`` is a range of one index, in the list's order.
The enrolments' partial indexes for the list take ``deleted_at`` as a last column, so that
SQLite walks a page's OFFSET in the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sequence_status_counts',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('active_count', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequences.id'], name=op.f('fk_sequence_status_counts_sequence_id_sequences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sequence_status_counts_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sequence_id', 'status', name=op.f('pk_sequence_status_counts'))
    )
    op.create_table('sequence_tag_counts',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('tag_id', sa.Uuid(), nullable=False),
    sa.Column('active_count', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequences.id'], name=op.f('fk_sequence_tag_counts_sequence_id_sequences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_sequence_tag_counts_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sequence_tag_counts_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sequence_id', 'tag_id', name=op.f('pk_sequence_tag_counts'))
    )
    with op.batch_alter_table('sequence_contact_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('enrolment_created_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('enrolment_deleted_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE sequence_contact_tags SET "
        "sequence_id = (SELECT e.sequence_id FROM sequence_contacts e "
        "WHERE e.id = sequence_contact_tags.sequence_contact_id), "
        "enrolment_created_at = (SELECT e.created_at FROM sequence_contacts e "
        "WHERE e.id = sequence_contact_tags.sequence_contact_id), "
        "enrolment_deleted_at = (SELECT e.deleted_at FROM sequence_contacts e "
        "WHERE e.id = sequence_contact_tags.sequence_contact_id)"
    )
    with op.batch_alter_table('sequence_contact_tags', schema=None) as batch_op:
        batch_op.alter_column('sequence_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('enrolment_created_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_sequence_contact_tags_sequence_id_sequences'),
            'sequences', ['sequence_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.create_index(
            'ix_sequence_contact_tags_active_order',
            ['tag_id', 'sequence_id', 'enrolment_created_at', 'sequence_contact_id', 'workspace_id',
             'enrolment_deleted_at'],
            unique=False,
            sqlite_where=sa.text('enrolment_deleted_at IS NULL'),
            postgresql_where=sa.text('enrolment_deleted_at IS NULL'),
        )
    _active_indexes(with_deleted_at=True)
    op.execute(
        "INSERT INTO sequence_status_counts (sequence_id, status, active_count, workspace_id) "
        "SELECT sequence_id, status, COUNT(*), workspace_id FROM sequence_contacts "
        "WHERE deleted_at IS NULL AND status IS NOT NULL "
        "GROUP BY sequence_id, status, workspace_id"
    )
    op.execute(
        "INSERT INTO sequence_tag_counts (sequence_id, tag_id, active_count, workspace_id) "
        "SELECT sequence_id, tag_id, COUNT(*), workspace_id FROM sequence_contact_tags "
        "WHERE enrolment_deleted_at IS NULL "
        "GROUP BY sequence_id, tag_id, workspace_id"
    )


def _active_indexes(*, with_deleted_at: bool) -> None:
    """The enrolments' partial indexes for the list, with or without ``deleted_at`` (always
    NULL in them) as a last column: without it, SQLite reads each row the OFFSET walks from
    the table, to check the index's WHERE."""
    last = ['deleted_at'] if with_deleted_at else []
    with op.batch_alter_table('sequence_contacts', schema=None) as batch_op:
        for name, columns in (
            ('ix_sequence_contacts_active_order', ['sequence_id', 'created_at', 'id', 'workspace_id']),
            ('ix_sequence_contacts_active_status',
             ['sequence_id', 'status', 'created_at', 'id', 'workspace_id']),
        ):
            batch_op.drop_index(name)
            batch_op.create_index(
                name,
                columns + last,
                unique=False,
                sqlite_where=sa.text('deleted_at IS NULL'),
                postgresql_where=sa.text('deleted_at IS NULL'),
            )


def downgrade() -> None:
    _active_indexes(with_deleted_at=False)
    with op.batch_alter_table('sequence_contact_tags', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_sequence_contact_tags_active_order',
            sqlite_where=sa.text('enrolment_deleted_at IS NULL'),
            postgresql_where=sa.text('enrolment_deleted_at IS NULL'),
        )
        batch_op.drop_constraint(
            batch_op.f('fk_sequence_contact_tags_sequence_id_sequences'), type_='foreignkey'
        )
        batch_op.drop_column('enrolment_deleted_at')
        batch_op.drop_column('enrolment_created_at')
        batch_op.drop_column('sequence_id')
    op.drop_table('sequence_tag_counts')
    op.drop_table('sequence_status_counts')
