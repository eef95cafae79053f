"""``OutboxOutreach``: the e-mails the team asks for from Slack, through the mail loop's outbox to SMTP.

It implements ``handlers.slack.deps.Outreach``: render the ``reminder`` / ``clarification`` template for the
request's primary contact, record it in the outbox under an idempotency key (the same key never sends twice),
then try to deliver it at once; a temporary failure leaves it to the outbox's delivery loop. The request's state
change and the channel update are the caller's (``handlers.slack.operations``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from handlers.slack.deps import OutreachResult, SessionSource, utc_now
from mail.compose import MailTemplates, OutgoingEmail, build_message, to_bytes
from mail.headers import stable_message_id
from mail.outbox import Outbox, OutboxRecord, OutboxState
from mail.smtp import SendStatus
from store import suppliers
from store.models import Request

log = logging.getLogger("cmbot.slack.outreach")


class OutboxOutreach:
    def __init__(
        self,
        db: SessionSource,
        outbox: Outbox,
        templates: MailTemplates,
        *,
        from_address: str,
        from_name: str | None = None,
        reply_to: str | None = None,
        sender_company: str = "",
        message_id_domain: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.templates = templates
        self.from_address = from_address
        self.from_name = from_name
        self.reply_to = reply_to
        self.sender_company = sender_company
        self.domain = message_id_domain or from_address.rsplit("@", 1)[-1]
        self.clock = clock

    def send_reminder(self, request_id: int, *, actor: str) -> OutreachResult:
        return self._send("reminder", request_id, actor=actor, body=None)

    def send_clarification(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        return self._send("clarification", request_id, actor=actor, body=body)

    def _send(self, kind: str, request_id: int, *, actor: str, body: str | None) -> OutreachResult:
        with self.db.session() as session:
            request = session.get(Request, request_id)
            if request is None:
                return OutreachResult(False, "the request no longer exists")
            contact = suppliers.primary_contact(request.supplier)
            if contact is None:
                return OutreachResult(False, "the supplier has no contact e-mail address")
            if kind == "reminder":
                number = request.reminder_count + 1
                key = f"slack:reminder:{request_id}:{number}"
            else:
                number = 0
                count = (request.clarification_requested_at or request.responded_at or self.clock()).isoformat()
                key = f"slack:clarification:{request_id}:{count}"
            context: dict[str, Any] = {
                "supplier_name": request.supplier.name,
                "contact_name": contact.name or "",
                "campaign_year": request.campaign.year,
                "due_date": request.campaign.due_date.isoformat(),
                "token": request.token,
                "sender_name": self.from_name or "",
                "sender_company": self.sender_company,
                "reminder_number": number or 1,
                "clarification_text": body or "",
            }
            to_address, to_name = contact.email, contact.name
            token, thread = request.token, request.thread_message_id
        rendered = self.templates.render(kind, context)
        message_id = stable_message_id(key, self.domain, token)
        mail = OutgoingEmail(
            to_address=to_address,
            to_name=to_name,
            from_address=self.from_address,
            from_name=self.from_name,
            reply_to=self.reply_to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            token=token,
            in_reply_to=thread,
            references=(thread,) if thread else (),
        )
        existing = self.outbox.repo.get(key)
        if existing is not None and existing.state not in (OutboxState.PENDING, OutboxState.FAILED_TEMPORARY):
            return OutreachResult(False, f"this e-mail was already recorded ({existing.state.value})")
        raw = to_bytes(build_message(mail, date=self.clock()))
        record = self.outbox.enqueue(
            OutboxRecord(
                key=key,
                kind=kind,
                to_address=to_address,
                mail_from=self.from_address,
                message_id=message_id,
                raw=raw,
                request_id=request_id,
            )
        )
        if record.state == OutboxState.SENT:
            return OutreachResult(False, "this e-mail was already sent")
        delivery = self.outbox.send_now(key)
        if delivery is not None and delivery.result.status is SendStatus.PERMANENT:
            log.warning("the %s for request %s was refused by the mail server", kind, request_id)
            return OutreachResult(False, f"the mail server refused it ({delivery.result.code})")
        if delivery is not None and not delivery.result.ok:
            log.warning("the %s for request %s was not delivered yet: %s", kind, request_id, delivery.result.status)
            return OutreachResult(True, "recorded; the mail server did not take it yet, it will be retried")
        log.info("%s for request %s sent on behalf of a Slack user", kind, request_id)
        return OutreachResult(True, "sent")
