"""Suppliers have a language (the e-mails are written in it) and contacts who are copied (CC) rather than
addressed, in the order the supplier list gives them (the first is the primary contact).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('suppliers') as batch:
        batch.add_column(sa.Column('language', sa.String(length=16), nullable=True))
    with op.batch_alter_table('contacts') as batch:
        batch.add_column(sa.Column('cc', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('position', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('contacts') as batch:
        batch.drop_column('position')
        batch.drop_column('cc')
    with op.batch_alter_table('suppliers') as batch:
        batch.drop_column('language')
