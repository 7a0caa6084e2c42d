"""indexes for the lists that filter by one column: calls by contact, rep or sequence
(and a sequence's calls by start, for its stats), the do-not-call list and an
endpoint's delivery log in their order; each page reads its own rows instead of walking
the tenant's whole history

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
    'webhook_deliveries': [['endpoint_id', 'event_position', 'id']],
}


def _name(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in indexes:
            op.create_index(_name(table, columns), table, columns, unique=False)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in reversed(indexes):
            op.drop_index(_name(table, columns), table_name=table)
