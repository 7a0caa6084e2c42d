"""indexes for the lists that filter by one column: calls by contact, rep or sequence
(and a sequence's calls by start, for its stats) and the do-not-call list in their
order; each page reads its own rows instead of walking the tenant's whole history. And
deliveries by event as a hash on PostgreSQL, which keeps the dispatcher's claim on the
endpoint's queue index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    'calls': [
        ['workspace_id', 'contact_id', 'created_at', 'id'],
        ['workspace_id', 'workspace_membership_id', 'created_at', 'id'],
        ['workspace_id', 'sequence_id', 'created_at', 'id'],
        ['workspace_id', 'sequence_id', 'started_at'],
    ],
    'do_not_call_numbers': [['organization_id', 'created_at', 'id']],
}
# Deliveries by event, for the purge and the events' cascade: a hash on PostgreSQL, where
# an index in event order would be the planner's pick for an endpoint's head in the
# dispatcher's claim, walking every delivery before it (SQLite keeps its B-tree).
BY_EVENT = 'ix_webhook_deliveries_event_position'


def _name(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def _by_event(using: str) -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.drop_index(BY_EVENT, table_name='webhook_deliveries')
    op.create_index(
        BY_EVENT, 'webhook_deliveries', ['event_position'], unique=False, postgresql_using=using
    )


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in indexes:
            op.create_index(_name(table, columns), table, columns, unique=False)
    _by_event('hash')


def downgrade() -> None:
    _by_event('btree')
    for table, indexes in INDEXES.items():
        for columns in reversed(indexes):
            op.drop_index(_name(table, columns), table_name=table)
