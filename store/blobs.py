"""Bytes kept once, named by their SHA-256 (``blobs``): written once, never updated, never loaded by a listing.

``put`` inserts (a second ``put`` of the same bytes does nothing: ``INSERT ... ON CONFLICT DO NOTHING``), ``get``
(or ``find``, for bytes that may not be there) reads them back. The rows that change state (messages, outbox
items) name a blob by its key instead of holding the bytes, so setting one of their columns never rewrites
megabytes; the same bytes twice (an e-mail in the outbox and, once sent, in ``messages``) are kept once.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Blob
from store.types import utcnow


def key(data: bytes) -> str:
    """The name of ``data`` in ``blobs``: its SHA-256, hex."""
    return hashlib.sha256(data).hexdigest()


def put(session: Session, data: bytes, *, sha256: str | None = None) -> str:
    """Keep ``data`` (once) and return its key. ``sha256``: ``key(data)``, when the caller computed it already (in
    a reader process, off the main thread)."""
    digest = sha256 or key(data)
    values = {"sha256": digest, "size": len(data), "data": data, "created_at": utcnow()}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(Blob).values(values).on_conflict_do_nothing(index_elements=["sha256"]))
    return digest


def find(session: Session, digest: str) -> bytes | None:
    """The bytes kept under ``digest``, or None."""
    data = session.scalar(sa.select(Blob.data).where(Blob.sha256 == digest))
    return bytes(data) if data is not None else None


def get(session: Session, digest: str) -> bytes:
    """The bytes kept under ``digest``, which a row names (its foreign key keeps them): LookupError if missing."""
    data = find(session, digest)
    if data is None:
        raise LookupError(f"the stored bytes {digest} are missing")
    return data
