"""calls and tags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tags',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('label_key', sa.String(length=256), nullable=False),
    sa.Column('is_success_tag', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_tags_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('workspace_id', 'label_key', name=op.f('uq_tags_workspace_id_label_key'))
    )
    op.create_table('calls',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('phone_number_id', sa.Uuid(), nullable=True),
    sa.Column('workspace_membership_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('recording_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_calls_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['phone_number_id'], ['phone_numbers.id'], name=op.f('fk_calls_phone_number_id_phone_numbers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequences.id'], name=op.f('fk_calls_sequence_id_sequences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_calls_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_membership_id'], ['workspace_memberships.id'], name=op.f('fk_calls_workspace_membership_id_workspace_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_sequence_id_contact_id_created_at_id'), ['sequence_id', 'contact_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_workspace_id_created_at_id'), ['workspace_id', 'created_at', 'id'], unique=False)

    op.create_table('sequence_contact_tags',
    sa.Column('sequence_contact_id', sa.Uuid(), nullable=False),
    sa.Column('tag_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['sequence_contact_id'], ['sequence_contacts.id'], name=op.f('fk_sequence_contact_tags_sequence_contact_id_sequence_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_sequence_contact_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sequence_contact_tags_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sequence_contact_id', 'tag_id', name=op.f('pk_sequence_contact_tags'))
    )
    with op.batch_alter_table('sequence_contact_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sequence_contact_tags_tag_id_sequence_contact_id'), ['tag_id', 'sequence_contact_id'], unique=False)

    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_numbers_workspace_id_contact_id_position'), ['workspace_id', 'contact_id', 'position'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_numbers_workspace_id_contact_id_position'))

    with op.batch_alter_table('sequence_contact_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sequence_contact_tags_tag_id_sequence_contact_id'))

    op.drop_table('sequence_contact_tags')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_workspace_id_created_at_id'))
        batch_op.drop_index(batch_op.f('ix_calls_sequence_id_contact_id_created_at_id'))

    op.drop_table('calls')
    op.drop_table('tags')
