"""E-mail messages, their attachments (submissions) and the reviews of those.

A message's raw bytes are a blob (``store.blobs``), read with ``raw_bytes``; a submission holds no bytes (the
handlers take them out of the raw e-mail again, ``handlers.attachment_bytes``) unless ``add_submission`` was told
the e-mail does not hold them (``keep_bytes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cmrt.email_identity import message_digest
from store import blobs
from store.models import Campaign, Message, Request, Review, Submission
from store.states import Direction, MessageState

sha256 = blobs.key  # the SHA-256 (hex) of bytes: what a submission and the blob of the same bytes are keyed by


def synthetic_message_id(raw: bytes) -> str:
    """The Message-ID recorded for a message that has none: stable for the same bytes."""
    return f"<{sha256(raw)}@cmrt-bot.invalid>"


def get_by_message_id(session: Session, message_id: str) -> Message | None:
    """The newest stored e-mail with this Message-ID (several when a sender reused one: see ``get_by_key``)."""
    stmt = sa.select(Message).where(Message.message_id == message_id).order_by(Message.id.desc()).limit(1)
    return session.scalars(stmt).first()


def get_by_key(session: Session, message_id: str, raw_sha256: str) -> Message | None:
    """The e-mail stored under this Message-ID with this ``message_digest`` (an e-mail's identity)."""
    stmt = sa.select(Message).where(Message.message_id == message_id, Message.raw_sha256 == raw_sha256)
    return session.scalars(stmt).one_or_none()


def get(session: Session, row_id: int) -> Message | None:
    return session.get(Message, row_id)


def find_by_message_ids(session: Session, message_ids: Iterable[str]) -> Sequence[Message]:
    ids = [m for m in message_ids if m]
    if not ids:
        return []
    return session.scalars(sa.select(Message).where(Message.message_id.in_(ids)).order_by(Message.id)).all()


def add(
    session: Session,
    *,
    direction: Direction,
    message_id: str | None,
    raw: bytes,
    subject: str | None = None,
    from_address: str | None = None,
    to_addresses: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: str | None = None,
    received_at: dt.datetime | None = None,
    sent_at: dt.datetime | None = None,
    imap_folder: str | None = None,
    imap_uid: int | None = None,
    request_id: int | None = None,
    state: MessageState | None = None,
    digest: str | None = None,
    blob_key: str | None = None,
) -> tuple[Message, bool]:
    """Store a message unless the same one (same Message-ID *and* the same ``message_digest`` of its raw bytes)
    exists; returns (message, created). A different e-mail under an old Message-ID is a new message: nothing that
    arrives is dropped.

    ``digest`` (``message_digest(raw)``) and ``blob_key`` (``store.blobs.key(raw)``, the plain SHA-256): when the
    caller computed them already, off the main thread. The bytes are kept as a blob (``raw_bytes`` reads them
    back). Runs in a savepoint, so a concurrent insert of the same message is handled as "already there".
    """
    mid = message_id or synthetic_message_id(raw)
    digest = digest or message_digest(raw)
    existing = get_by_key(session, mid, digest)
    if existing is not None:
        return existing, False
    msg = Message(
        direction=direction,
        message_id=mid,
        raw_sha256=digest,
        subject=subject,
        from_address=from_address.lower() if from_address else None,
        to_addresses=[a.lower() for a in to_addresses],
        in_reply_to=in_reply_to,
        references=references,
        received_at=received_at,
        sent_at=sent_at,
        imap_folder=imap_folder,
        imap_uid=imap_uid,
        request_id=request_id,
        state=state or (MessageState.RECEIVED if direction == Direction.IN else MessageState.SENT),
    )
    try:
        with session.begin_nested():
            msg.raw_blob = blobs.put(session, raw, sha256=blob_key)
            session.add(msg)
    except IntegrityError:
        found = get_by_key(session, mid, digest)
        if found is None:
            raise
        return found, False
    return msg, True


def raw_bytes(session: Session, message: Message) -> bytes:
    """The e-mail's raw bytes, exactly as stored."""
    return blobs.get(session, message.raw_blob)


def add_submission(
    session: Session,
    message: Message,
    *,
    filename: str,
    content: bytes,
    content_type: str | None = None,
    is_workbook: bool = True,
    request_id: int | None = None,
    keep_bytes: bool = False,
    flush: bool = True,
    digest: str | None = None,
) -> tuple[Submission, bool]:
    """Record an attachment of ``message`` once per sha256; returns (submission, created). Its bytes are not
    stored again: they are in the message's raw e-mail. ``keep_bytes``: they are not (a file that did not come
    inside this e-mail), so they are kept as the blob of the same sha256.

    ``flush=False``: the row is only added to the session, so that what the caller sets on it next (the reading)
    goes into the same INSERT instead of an UPDATE; the caller flushes once (a later query in the session does it
    too). ``digest``: the SHA-256 of ``content``, when the caller has it already (``FoundAttachment.sha256``)."""
    digest = digest or sha256(content)
    if keep_bytes:
        blobs.put(session, content, sha256=digest)
    stmt = sa.select(Submission).where(Submission.message_id == message.id, Submission.sha256 == digest)
    existing = session.scalars(stmt).one_or_none()
    if existing is not None:
        return existing, False
    sub = Submission(
        message_id=message.id,
        request_id=request_id if request_id is not None else message.request_id,
        sha256=digest,
        filename=filename[:255],
        content_type=content_type,
        size=len(content),
        is_workbook=is_workbook,
    )
    session.add(sub)
    if flush:
        session.flush()
    return sub, True


def get_submission(session: Session, submission_id: int) -> Submission | None:
    return session.get(Submission, submission_id)


def submissions_with_sha256(session: Session, digest: str) -> Sequence[Submission]:
    return session.scalars(sa.select(Submission).where(Submission.sha256 == digest).order_by(Submission.id)).all()


def submissions_for_request(session: Session, request_id: int) -> Sequence[Submission]:
    stmt = sa.select(Submission).where(Submission.request_id == request_id).order_by(Submission.id)
    return session.scalars(stmt).all()


def add_review(
    session: Session,
    submission: Submission,
    *,
    grade: str,
    catalogue_version: str,
    findings: list[dict[str, Any]],
    score: float | None = None,
    origin: str = "inbound",
    rmap_date: dt.date | None = None,
) -> Review:
    """A review of ``submission``: ``origin`` inbound (made on arrival) or lists / rules / on_demand (made again)."""
    review = Review(
        submission_id=submission.id,
        request_id=submission.request_id,
        grade=grade,
        score=score,
        catalogue_version=catalogue_version,
        findings=findings,
        origin=origin,
        rmap_date=rmap_date,
    )
    session.add(review)
    session.flush()
    return review


def latest_question(session: Session, request_id: int) -> Message | None:
    """The supplier's latest e-mail classified as a question (no workbook) for the request."""
    stmt = (
        sa.select(Message)
        .where(Message.request_id == request_id, Message.direction == Direction.IN)
        .where(Message.classification == "question")
        .order_by(Message.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def latest_review(session: Session, request_id: int) -> Review | None:
    stmt = sa.select(Review).where(Review.request_id == request_id).order_by(Review.id.desc()).limit(1)
    return session.scalars(stmt).first()


def last_accepted_declaration(
    session: Session, supplier_id: int, before_year: int
) -> tuple[dict[str, Any], int] | None:
    """The declaration (as stored, ``Declaration.to_json()``) that the supplier's most recent earlier campaign
    accepted, with that campaign's year: the request's last workbook read before it was accepted. None when the
    supplier has no accepted request in an earlier campaign (or it was accepted without a readable workbook)."""
    accepted = session.execute(
        sa.select(Request.id, Request.accepted_at, Campaign.year)
        .join(Campaign, Request.campaign_id == Campaign.id)
        .where(Request.supplier_id == supplier_id, Campaign.year < before_year, Request.accepted_at.is_not(None))
        .order_by(Campaign.year.desc())
    ).all()
    for request_id, accepted_at, year in accepted:
        rows = session.execute(
            sa.select(Submission.declaration, Submission.created_at)
            .where(Submission.request_id == request_id, Submission.is_workbook.is_(True))
            .order_by(Submission.id.desc())
        ).all()
        for declaration, created_at in rows:
            if declaration and accepted_at is not None and created_at <= accepted_at:
                return declaration, int(year)
    return None
