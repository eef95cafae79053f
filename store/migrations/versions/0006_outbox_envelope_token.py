"""Each e-mail's own envelope sender: the outbox keeps the random token of its VERP address
(``bounces+<token>@domain``), so a bounce proves which e-mail it is about.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('envelope_token', sa.String(length=64), nullable=True))
        batch.create_index('ix_outbox_envelope_token', ['envelope_token'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_index('ix_outbox_envelope_token')
        batch.drop_column('envelope_token')
