"""What a bounce may change: only a bounce that names an e-mail the bot sent marks a contact (issue 11).

``settle_bounce`` is the inbound pipeline's bounce step: ``mail.bounces.verify_bounce`` looks for the e-mail's
VERP address or its Message-ID in the report (``handlers.mail_store.StoreSentLookup`` over the outbox). Verified:
the recipient of that e-mail is marked *bouncing* (a permanent failure; a delay only tells the team) and the team
is told on the request's thread. Anything else is an *unverified bounce*: recorded and shown to the team, and no
contact or request changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from sqlalchemy.orm import Session

from handlers.mail_store import StoreSentLookup
from mail.bounces import verify_bounce
from mail.classify import Classification
from store import audit
from store import suppliers as supplier_repo
from store.models import Message as StoredMessage

UNVERIFIED_TEXT = (
    "An unverified bounce arrived: it names no e-mail the bot sent (no VERP address of ours, no Message-ID of "
    "ours), so it may be forged. No contact was changed and the reminders go on; check it before acting."
)


@dataclass
class BounceSettlement:
    verified: bool
    request_id: int | None
    contacts_marked: int = 0
    alerts: list[tuple[str, int | None]] = field(default_factory=list)  # (text, request id) for the team


def settle_bounce(
    s: Session,
    row: StoredMessage,
    msg: EmailMessage | Message,
    result: Classification,
    *,
    matched_request_id: int | None,
    bounce_bases: Sequence[str | None],
    now: dt.datetime,
) -> BounceSettlement:
    """Record a bounce on ``row`` (classified as one): verified, mark the e-mail's recipient; else tell only."""
    verdict = verify_bounce(msg, StoreSentLookup(s), bounce_bases=bounce_bases)
    sent = verdict.sent
    if not verdict.verified or sent is None:
        row.request_id = None
        audit.record(s, audit.SYSTEM, "mail.bounce_unverified", "message", row.id,
                     {"addresses": len(result.failed_addresses)})  # fmt: skip
        return BounceSettlement(False, None, alerts=[(UNVERIFIED_TEXT, None)])
    marked = 0
    if not result.temporary:
        for contact in supplier_repo.contacts_by_email(s, sent.to_address):
            supplier_repo.mark_contact_bouncing(contact, "; ".join(result.reasons) or "bounce", now)
            marked += 1
    row.request_id = sent.request_id if sent.request_id is not None else matched_request_id
    audit.record(s, audit.SYSTEM, "mail.bounce", "message", row.id,
                 {"temporary": result.temporary, "contacts_marked": marked, "verified_by": verdict.method})  # fmt: skip
    what = "was delayed" if result.temporary else "bounced; the contact is marked as failing"
    text = f"An e-mail to a supplier contact {what} (the bounce names that e-mail). Please check the address."
    return BounceSettlement(True, row.request_id, marked, [(text, row.request_id)])
