"""The mail loop for ``cmrt-bot run``: SMTP sender, outbox (delivery daemon), outbound API, inbox watcher."""

from __future__ import annotations

import importlib
import logging
import pathlib
import threading
from collections.abc import Sequence
from typing import Any

from bot.supervisor import Component, ThreadComponent
from bot.wiring import MailParts
from handlers.notify import FindingSummary, Notifier
from store import Database

log = logging.getLogger("cmbot.app")


class NotifierProxy:
    """Hands every call to the notifier in ``box[0]``: the mail loop is built before Slack is."""

    def __init__(self, box: list[Notifier]) -> None:
        self.box = box

    def request_sent(self, request_id: int) -> None:
        self.box[0].request_sent(request_id)

    def reminder_sent(self, request_id: int, *, number: int) -> None:
        self.box[0].reminder_sent(request_id, number=number)

    def reply_received(self, request_id: int, *, summary: str) -> None:
        self.box[0].reply_received(request_id, summary=summary)

    def review_result(
        self, request_id: int, *, grade: str, score: int | None, findings: Sequence[FindingSummary]
    ) -> None:
        self.box[0].review_result(request_id, grade=grade, score=score, findings=findings)

    def clarification_sent(self, request_id: int, *, actor: str | None = None) -> None:
        self.box[0].clarification_sent(request_id, actor=actor)

    def escalation(self, request_id: int, *, reason: str) -> None:
        self.box[0].escalation(request_id, reason=reason)

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.box[0].team_alert(text, request_id=request_id)


def build(settings: Any, db: Database) -> MailParts:
    from handlers.mail_store import StoreOutboxRepository
    from handlers.outreach_mail import (
        MailOutreach,
        OutreachSettings,
        SlackOutreach,
        handle_permanent,
        record_sent,
        run_outbox,
    )
    from mail.compose import MailTemplates
    from mail.outbox import Outbox
    from mail.smtp import RateLimiter, Security, SmtpSender, SmtpSettings

    box: list[Notifier] = []
    from handlers.notify import NullNotifier

    box.append(NullNotifier())
    notifier = NotifierProxy(box)
    o = settings.outreach
    if not settings.smtp.configured or not o.from_address:
        raise ValueError("[smtp] host and [outreach] from_address are needed to send the requests")
    smtp = SmtpSender(
        SmtpSettings(
            host=settings.smtp.host,
            port=settings.smtp.port,
            security=Security(settings.smtp.security),
            username=settings.smtp.username,
            password=settings.secret(settings.smtp.password_env) if settings.smtp.username else None,
            timeout=settings.smtp.timeout.total_seconds(),
            ca_file=settings.smtp.tls_ca_file,
            local_hostname=settings.smtp.local_hostname,
        )
    )
    per_hour = int(getattr(o, "max_emails_per_hour", 0) or 0)
    outbox = Outbox(
        StoreOutboxRepository(db, mail_from=o.from_address),
        smtp,
        rate_limiter=RateLimiter(per_hour / 60.0) if per_hour > 0 else None,
        on_permanent=handle_permanent(db, notifier),
        on_sent=record_sent(db),
    )
    mail = MailOutreach(
        db,
        outbox,
        templates=MailTemplates(o.templates_dir),
        settings=OutreachSettings(
            from_address=o.from_address,
            sender_company=o.company_name,
            sender_name=o.from_name,
            from_name=o.from_name,
            reply_to=o.reply_to,
            message_id_domain=getattr(settings.mail, "message_id_domain", None),
            blank_template=pathlib.Path(o.template_path) if o.template_path else None,
        ),
        notifier=notifier,
    )
    outbox_every = min(30.0, max(1.0, settings.schedule.tick.total_seconds()))
    components: list[Component] = [
        ThreadComponent("outbox", lambda stop: run_outbox(outbox, stop, interval=outbox_every, notifier=notifier))
    ]
    inbox = _inbox_component(settings, db, mail, notifier)
    if inbox is not None:
        components.insert(0, inbox)
    parts = MailParts(outbound=mail, outreach=SlackOutreach(mail), components=components, notifier_box=box)
    return parts


def _inbox_component(settings: Any, db: Database, mail: Any, notifier: Notifier) -> Component | None:
    """The IMAP watcher (or the Maildir source) feeding the inbound handler; None when inbound is off."""
    inbound = getattr(settings.mail, "inbound", "imap")
    if inbound == "none" or (inbound == "imap" and not settings.imap.configured):
        log.warning("no inbound mail source is configured: replies will not be read")
        return None
    try:
        module = importlib.import_module("handlers.inbound")
    except ImportError:
        log.warning("the inbound mail handler is not available: replies will not be read")
        return None
    builder = getattr(module, "build_inbox", None)
    if builder is None:
        log.warning("handlers.inbound has no build_inbox(): replies will not be read")
        return None
    stop_hook: list[Any] = []

    def loop(stop: threading.Event) -> None:
        watcher = builder(settings, db, mail=mail, notifier=notifier)
        stop_hook[:] = [watcher]
        watcher.run(stop)

    def on_stop() -> None:
        for watcher in stop_hook:
            close = getattr(watcher, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.debug("closing the inbox connection failed", exc_info=True)

    return ThreadComponent("inbox", loop, on_stop=on_stop)
