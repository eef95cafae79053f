"""The demo's simulated suppliers and what it reads back (``cmrt-bot demo``; ``bot/demo_loop.py`` narrates).

Only the suppliers are simulated: their answers are e-mails built here (threaded under the request, token in the
subject) with factory-built workbooks, as a mail server would drop them into the bot's inbound Maildir. The rest of
the demo runs the real handlers; this module also reads what they did: the ``.eml`` files the bot wrote, the
requests with their latest review, and the outreach actions a tick carried out.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa

from cmrt.workbook.factory import CmrtSpec, build_cmrt
from store.engine import SessionSource
from store.models import OutreachAction, Request, Review, Supplier

SUPPLIERS_CSV = """supplier_id,name,contact_email,contact_name,tier,tags
S-001,Example Capacitors GmbH,alex@capacitors.example,Alex Example,direct,demo
S-002,Sample Connectors Ltd.,jo@connectors.example,Jo Sample,direct,demo
S-003,Demo Alloys Inc.,chris@alloys.example,Chris Demo,indirect,demo
S-004,Broken Address Co.,not-an-address,Nobody,direct,demo
"""


@dataclass(frozen=True)
class SentMail:
    path: pathlib.Path
    to: str
    subject: str
    message_id: str
    token: str | None
    attachments: tuple[str, ...]


def blank_template() -> bytes:
    """An empty CMRT 6.5 as the request's attachment (the RMI's file is not redistributed with this package)."""
    spec = CmrtSpec(
        company_name=None, scope=None, unique_id=None, unique_id_authority=None, address=None, contact_name=None,
        contact_email=None, contact_phone=None, authorizer_name=None, authorizer_title=None, authorizer_email=None,
        authorizer_phone=None, effective_date=None, answers={}, company_answers={}, company_comments={},
        smelters=[],
    )
    return build_cmrt(spec)


def supplier_workbook(name: str, contact: str, email_address: str, *, defects: bool) -> bytes:
    spec = CmrtSpec(company_name=name, contact_name=contact, contact_email=email_address)
    spec.authorizer_name = contact
    spec.authorizer_email = email_address
    if defects:
        spec.contact_email = f"{email_address}, backup@connectors.example"  # two addresses in one cell
    return build_cmrt(spec)


def read_outbox(folder: pathlib.Path) -> list[SentMail]:
    """The e-mails the bot wrote into the outbound Maildir ``folder`` (``[mail] outbound = "maildir"``)."""
    out: list[SentMail] = []
    for path in sorted((folder / "new").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        names = tuple(p.get_filename() or "" for p in msg.iter_attachments())
        out.append(
            SentMail(path, str(msg["To"] or ""), str(msg["Subject"] or ""), str(msg["Message-ID"] or ""),
                     str(msg["X-CMBot-Token"]) if msg["X-CMBot-Token"] else None, names)
        )
    return out


def supplier_reply(request: SentMail, sender: str, to: str, text: str, workbook: bytes, filename: str) -> bytes:
    """A supplier's answer to ``request``, sent to the bot's address ``to``, with the workbook attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "RE: " + request.subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=sender.split("@", 1)[1])
    msg["In-Reply-To"] = request.message_id
    msg["References"] = request.message_id
    msg.set_content(text)
    msg.add_attachment(
        workbook, maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=filename,
    )
    return msg.as_bytes()


def review_lines(db: SessionSource) -> list[str]:
    """Each supplier's request state and latest review, with its findings."""
    lines = []
    with db.session() as session:
        rows = session.execute(
            sa.select(Supplier.name, Request.state).join(Request, Request.supplier_id == Supplier.id)
            .order_by(Supplier.external_id)
        ).all()
        reviews = {
            name: review
            for name, review in session.execute(
                sa.select(Supplier.name, Review).join(Request, Request.supplier_id == Supplier.id)
                .join(Review, Review.request_id == Request.id).order_by(Review.id)
            ).all()
        }
        for name, state in rows:
            review = reviews.get(name)
            graded = f"; review: {review.grade}, score {review.score:.0f}/100" if review is not None else ""
            lines.append(f"  {name}: request now {state.value}{graded}")
            for finding in (review.findings if review is not None else []):
                where = f"{finding.get('sheet')}!{finding.get('cell')}" if finding.get("cell") else ""
                lines.append(f"    [{finding.get('severity')}] {where}: {finding.get('message')}")
    return lines


def actions_done(db: SessionSource, keys: Sequence[str]) -> str:
    """'3 action(s) done: reminder 1, ...' for the outreach actions a tick carried out."""
    with db.session() as session:
        kinds = session.scalars(sa.select(OutreachAction.kind).where(OutreachAction.key.in_(keys))).all()
    counts: dict[str, int] = {}
    for kind in kinds:
        name = kind.replace("_", " ")
        counts[name] = counts.get(name, 0) + 1
    note = " (the digest is for Slack, which the demo leaves off)" if "digest" in counts else ""
    return f"{len(keys)} action(s) done: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none") + note
