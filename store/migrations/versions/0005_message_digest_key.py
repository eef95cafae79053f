"""Messages are keyed by Message-ID and the digest of their raw bytes (issue 11): a different e-mail that reuses an
earlier Message-ID is stored and handled as new instead of being dropped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint('uq_messages_message_id', type_='unique')
        batch.create_unique_constraint('uq_messages_message_id_raw_sha256', ['message_id', 'raw_sha256'])


def downgrade() -> None:
    # keeps the newest e-mail of each Message-ID (the unique key of revision 0003 allows one)
    op.execute(
        "DELETE FROM messages WHERE id NOT IN (SELECT MAX(id) FROM messages GROUP BY message_id)"
    )
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint('uq_messages_message_id_raw_sha256', type_='unique')
        batch.create_unique_constraint('uq_messages_message_id', ['message_id'])
