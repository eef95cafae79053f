"""One idempotency key format: rewrite the outbox keys of e-mails sent from Slack into the scheduler's format.

Reminders and clarifications a person sent from Slack were recorded as ``request-{id}:reminder-{n}`` and
``request-{id}:clarification-{hash}``; the scheduler names the same reminder ``c{campaign}:r{id}:reminder:{n}``.
From now on every path uses the scheduler's format (``cmrt.outreach.keys``), so this rewrites the stored keys: a
reminder recorded before the upgrade is recognised after it and never sent a second time. A row whose request no
longer exists, or whose new key is already taken (the same reminder was recorded under both names), is left as
it is. Only the ``outbox`` table holds these keys (``outreach_actions`` always used the scheduler's format).

Downgrading leaves the keys in the new format: an older cmrt-bot reads them as ordinary history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OLD = re.compile(r"^request-(\d+):(reminder|clarification)-([0-9A-Za-z]+)$")

outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("idempotency_key", sa.String))
requests = sa.table("requests", sa.column("id", sa.Integer), sa.column("campaign_id", sa.Integer))


def new_key(old: str, campaign_of: dict[int, int]) -> str | None:
    """The key in the current format, or None when ``old`` is not an old-format key of an existing request."""
    match = _OLD.match(old)
    if match is None:
        return None
    request_id, what, tail = int(match.group(1)), match.group(2), match.group(3)
    campaign_id = campaign_of.get(request_id)
    if campaign_id is None:
        return None
    return f"c{campaign_id}:r{request_id}:{what}:{tail}"


def upgrade() -> None:
    conn = op.get_bind()
    old_rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.idempotency_key).where(outbox.c.idempotency_key.like("request-%"))
    ).all()
    if not old_rows:
        return
    campaign_of = {rid: cid for rid, cid in conn.execute(sa.select(requests.c.id, requests.c.campaign_id))}
    taken = set(conn.scalars(sa.select(outbox.c.idempotency_key)))
    for row_id, old in old_rows:
        key = new_key(old, campaign_of)
        if key is None or key in taken:
            continue
        conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(idempotency_key=key))
        taken.add(key)


def downgrade() -> None:
    pass
