"""What the acknowledgment of an inbound e-mail says: built from the stored submissions and their reviews.

Used by ``handlers.inbound`` right after recording a reply and again when a crashed run is replayed, so the
acknowledgment is the same either way (and its outbox key ``ack:<Message-ID>`` keeps it from going out twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from cmrt.outreach import keys
from cmrt.outreach.replies import worst_grade
from cmrt.review import Grade
from handlers.findings import location, supplier_facing
from mail.classify import InboundMessage, Kind
from store.models import Message, Submission


def _received_before(row: Message, digests: list[str]) -> dt.datetime | None:
    """When the request first received the same workbook(s) in an earlier e-mail; None if any is new."""
    session = object_session(row)
    if session is None or row.request_id is None or not digests:
        return None
    first: dict[str, dt.datetime] = {}
    stmt = sa.select(Submission.sha256, sa.func.min(Submission.created_at)).where(
        Submission.request_id == row.request_id, Submission.sha256.in_(digests), Submission.message_id != row.id
    ).group_by(Submission.sha256)
    for digest, at in session.execute(stmt):
        first[digest] = at
    if any(d not in first for d in digests):
        return None
    return max(first.values())


@dataclass(frozen=True)
class Acknowledgment:
    """The acknowledgment of one reply, as ``MailOutreach.send_acknowledgment`` sends it."""

    request_id: int
    key: str  # ``ack:<Message-ID>``: a replay never sends it twice
    reply_to_message_id: str
    to_address: str
    reply_references: list[str] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)
    grade: str | None = None  # the worst grade of the reply's workbooks
    score: int | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)  # supplier-facing, as stored, plus "file"
    accepted: bool = False
    problems: list[str] = field(default_factory=list)  # unreadable files, attachments left out
    # every workbook was received before for this request (the same bytes): the "already received" e-mail, when
    already_received_at: dt.datetime | None = None


def acknowledgment_plan(row: Message, message: InboundMessage, problems: Sequence[str]) -> Acknowledgment | None:
    """The acknowledgment due for stored reply ``row``, or None when none is due (not a matched reply with a
    workbook, or nobody to answer)."""
    if row.request_id is None or row.classification != Kind.REPLY_WITH_WORKBOOK.value:
        return None
    try:
        reply_to = message.msg.get("Reply-To")
    except Exception:  # malformed Reply-To: answer the sender
        reply_to = None
    to_address = None
    if reply_to is not None and getattr(reply_to, "addresses", None):
        to_address = reply_to.addresses[0].addr_spec.lower()
    to_address = to_address or row.from_address
    if not to_address:
        return None
    subs = [x for x in row.submissions if x.is_workbook]
    findings: list[dict[str, Any]] = []
    grades: list[Grade] = []
    unreadable = [f"{x.filename}: {x.parse_error}" for x in subs if x.parse_error]
    scores: list[float] = []
    for sub in subs:
        if not sub.reviews:
            continue
        review = sub.reviews[-1]
        grades.append(Grade(review.grade))
        if review.score is not None:
            scores.append(review.score)
        for f in supplier_facing(review.findings or []):
            findings.append({**f, "location": location(f), "file": sub.filename})
    worst = worst_grade(grades)
    return Acknowledgment(
        already_received_at=_received_before(row, [x.sha256 for x in subs]),
        request_id=row.request_id,
        key=keys.acknowledgment(row.message_id),
        reply_to_message_id=row.message_id,
        reply_references=(row.references or "").split(),
        to_address=to_address,
        filenames=[x.filename for x in subs],
        grade=worst.value if worst else None,
        score=int(min(scores)) if scores else None,
        findings=findings,
        accepted=worst is Grade.ACCEPTED,
        problems=unreadable + [p for p in problems if p not in unreadable],
    )
