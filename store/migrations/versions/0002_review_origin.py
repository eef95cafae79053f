"""Reviews record why they were made (inbound, or again after a list import or a rule change), the RMAP list
date they used, and when a later review's findings were sent to the supplier.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviews') as batch:
        batch.add_column(sa.Column('origin', sa.String(length=16), server_default='inbound', nullable=False))
        batch.add_column(sa.Column('rmap_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('supplier_notified_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reviews') as batch:
        batch.drop_column('supplier_notified_at')
        batch.drop_column('rmap_date')
        batch.drop_column('origin')
