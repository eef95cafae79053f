"""Large bytes leave the rows that change (issue 16): raw e-mails (``messages.raw``, ``outbox.message_bytes``) move
into ``blobs`` (keyed by the SHA-256 of the bytes, written once, never updated) and the rows name them
(``raw_blob``); the same bytes in both tables (a sent e-mail) are kept once. A submission's copy of an attachment
(``submissions.content``) is dropped where its e-mail holds the same bytes (they are taken out of it again when
needed) and kept as a blob where it does not; ``content_path`` (never written) goes too.

The attachment search below is this migration's own copy, frozen: ``mail.attachments.find_attachment`` may change
later, a migration must not.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import io
import zipfile
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BLOBS = sa.table('blobs', sa.column('sha256', sa.String()), sa.column('size', sa.BigInteger()),
                 sa.column('data', sa.LargeBinary()), sa.column('created_at', sa.DateTime(timezone=True)))
MESSAGES = sa.table('messages', sa.column('id', sa.Integer()), sa.column('raw', sa.LargeBinary()),
                    sa.column('raw_blob', sa.String()))
OUTBOX = sa.table('outbox', sa.column('id', sa.Integer()), sa.column('message_bytes', sa.LargeBinary()),
                  sa.column('raw_blob', sa.String()))
SUBMISSIONS = sa.table('submissions', sa.column('id', sa.Integer()), sa.column('message_id', sa.Integer()),
                       sa.column('sha256', sa.String()), sa.column('size', sa.BigInteger()),
                       sa.column('content', sa.LargeBinary()))


class _Blobs:
    """Inserts each distinct byte string once (the table is filled by this migration alone)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.known = set(conn.scalars(sa.select(BLOBS.c.sha256)))
        self.now = dt.datetime.now(dt.UTC)

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self.known:
            self.conn.execute(sa.insert(BLOBS).values(sha256=digest, size=len(data), data=data, created_at=self.now))
            self.known.add(digest)
        return digest

    def get(self, digest: str) -> bytes | None:
        data = self.conn.scalar(sa.select(BLOBS.c.data).where(BLOBS.c.sha256 == digest))
        return bytes(data) if data is not None else None


def _one_by_one(conn: Connection, table: sa.TableClause, column: str) -> Iterator[tuple[int, bytes]]:
    """(id, bytes) of every row, one row in memory at a time."""
    for row_id in list(conn.scalars(sa.select(table.c.id).order_by(table.c.id))):
        data = conn.scalar(sa.select(table.c[column]).where(table.c.id == row_id))
        yield row_id, bytes(data) if data is not None else b""


def _attachment(raw: bytes, digest: str, size: int) -> bytes | None:
    """The attachment (or zip member) of the e-mail ``raw`` with this SHA-256 and size, or None."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        return None
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            continue
        if not isinstance(payload, bytes) or not payload:
            continue
        if len(payload) == size and hashlib.sha256(payload).hexdigest() == digest:
            return payload
        if payload.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(io.BytesIO(payload)) as zf:
                    for member in zf.infolist():
                        if member.is_dir() or member.file_size != size or member.flag_bits & 0x1:
                            continue
                        content = zf.read(member)
                        if hashlib.sha256(content).hexdigest() == digest:
                            return content
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
                continue
    return None


def upgrade() -> None:
    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name='pk_blobs')
    )  # fmt: skip
    op.add_column('messages', sa.Column('raw_blob', sa.String(length=64), nullable=True))
    op.add_column('outbox', sa.Column('raw_blob', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    blobs = _Blobs(conn)
    for row_id, raw in _one_by_one(conn, MESSAGES, 'raw'):
        conn.execute(sa.update(MESSAGES).where(MESSAGES.c.id == row_id).values(raw_blob=blobs.put(raw)))
    for row_id, raw in _one_by_one(conn, OUTBOX, 'message_bytes'):
        conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row_id).values(raw_blob=blobs.put(raw)))
    # a submission's bytes stay only when its e-mail does not hold them
    held = conn.execute(
        sa.select(SUBMISSIONS.c.message_id, SUBMISSIONS.c.id, SUBMISSIONS.c.sha256, SUBMISSIONS.c.size)
        .where(SUBMISSIONS.c.content.is_not(None))
        .order_by(SUBMISSIONS.c.message_id, SUBMISSIONS.c.id)
    ).all()
    by_message: dict[int, list[tuple[int, str, int]]] = {}
    for message_id, sub_id, digest, size in held:
        by_message.setdefault(message_id, []).append((sub_id, digest, size))
    for message_id, subs in by_message.items():
        email_bytes = bytes(conn.execute(sa.select(MESSAGES.c.raw).where(MESSAGES.c.id == message_id)).scalar_one())
        for sub_id, digest, size in subs:
            if _attachment(email_bytes, digest, size) is not None:
                continue
            content = conn.execute(sa.select(SUBMISSIONS.c.content).where(SUBMISSIONS.c.id == sub_id)).scalar_one()
            blobs.put(bytes(content))
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('raw')
        batch.alter_column('raw_blob', existing_type=sa.String(length=64), nullable=False)
        batch.create_foreign_key('fk_messages_raw_blob_blobs', 'blobs', ['raw_blob'], ['sha256'])
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('message_bytes')
        batch.alter_column('raw_blob', existing_type=sa.String(length=64), nullable=False)
        batch.create_foreign_key('fk_outbox_raw_blob_blobs', 'blobs', ['raw_blob'], ['sha256'])
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('content')
        batch.drop_column('content_path')


def downgrade() -> None:
    op.add_column('messages', sa.Column('raw', sa.LargeBinary(), nullable=True))
    op.add_column('outbox', sa.Column('message_bytes', sa.LargeBinary(), nullable=True))
    op.add_column('submissions', sa.Column('content', sa.LargeBinary(), nullable=True))
    op.add_column('submissions', sa.Column('content_path', sa.String(length=1024), nullable=True))
    conn = op.get_bind()
    blobs = _Blobs(conn)
    for table, column in ((MESSAGES, 'raw'), (OUTBOX, 'message_bytes')):
        for row_id in list(conn.scalars(sa.select(table.c.id))):
            digest = conn.execute(sa.select(table.c.raw_blob).where(table.c.id == row_id)).scalar_one()
            conn.execute(sa.update(table).where(table.c.id == row_id).values({column: blobs.get(digest)}))
    subs = conn.execute(sa.select(SUBMISSIONS.c.id, SUBMISSIONS.c.message_id, SUBMISSIONS.c.sha256,
                                  SUBMISSIONS.c.size)).all()  # fmt: skip
    for sub_id, message_id, digest, size in subs:
        content = blobs.get(digest)
        if content is None:
            raw = conn.scalar(sa.select(MESSAGES.c.raw).where(MESSAGES.c.id == message_id))
            content = _attachment(bytes(raw), digest, size) if raw is not None else None
        conn.execute(sa.update(SUBMISSIONS).where(SUBMISSIONS.c.id == sub_id).values(content=content))
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint('fk_outbox_raw_blob_blobs', type_='foreignkey')
        batch.drop_column('raw_blob')
        batch.alter_column('message_bytes', existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint('fk_messages_raw_blob_blobs', type_='foreignkey')
        batch.drop_column('raw_blob')
        batch.alter_column('raw', existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table('blobs')
