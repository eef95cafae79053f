"""A campaign may ask for several template families at once: ``campaigns.template_family`` holds a comma list
("CMRT,EMRT", up to all four: "CMRT,EMRT,CRT,AMRT"), so it is widened from 16 to 32 characters.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.alter_column('template_family', existing_type=sa.String(length=16), type_=sa.String(length=32),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.alter_column('template_family', existing_type=sa.String(length=32), type_=sa.String(length=16),
                           existing_nullable=False)
