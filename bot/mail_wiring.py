"""The mail loop for ``cmrt-bot run``: SMTP sender, outbox (delivery daemon), outbound API, inbox watcher.

Every part takes the one notifier the process has (``bot.wiring.build`` makes it before the mail loop: the Slack
channel's, or nobody's), so the mail loop, the scheduler and the Slack app tell the team through the same object.
"""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.supervisor import Component, ThreadComponent
from handlers.notify import Notifier
from store import Database

if TYPE_CHECKING:
    from handlers.inbound import InboundProcessor
    from handlers.outreach_mail import MailOutreach, SlackOutreach
    from mail.maildir_out import MaildirSender
    from mail.outbox import Outbox
    from mail.smtp import SmtpSender

log = logging.getLogger("cmbot.app")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def bounce_base(settings: Settings) -> str:
    """The envelope sender's base: ``[mail] bounce_address``, else ``[outreach] from_address`` (each e-mail goes out
    as ``local+token@domain``, ``mail.bounces``)."""
    return settings.mail.bounce_address or settings.outreach.from_address or ""


@dataclass
class MailParts:
    outbound: MailOutreach  # the e-mails the scheduler's tick sends (handlers.ticks.OutboundMail)
    outreach: SlackOutreach  # the e-mails the team asks for from Slack (handlers.slack.deps.Outreach)
    inbound: InboundProcessor  # fed by the inbox; the team assigns unmatched e-mails through it
    outbox: Outbox  # the team settles e-mails left uncertain through it
    components: list[Component] = field(default_factory=list)


def build(
    settings: Settings, db: Database, notifier: Notifier, *, offline: bool = False, clock: Clock = utc_now
) -> MailParts:
    """The mail loop's parts, telling the team through ``notifier``. ``offline`` (the CLI): e-mails are only
    recorded in the outbox, for the running bot's outbox loop to deliver (never sent from here, so never twice), and
    no components (inbox, outbox loop) are built. ``clock`` (tests) replaces the wall clock of the outreach and the
    inbound handler."""
    from handlers.mail_store import StoreOutboxRepository
    from handlers.outreach_mail import (
        MailOutreach,
        SenderIdentity,
        SlackOutreach,
        handle_permanent,
        record_sent,
        run_outbox,
    )
    from mail.compose import MailTemplates
    from mail.outbox import Outbox
    from mail.smtp import BudgetLimiter, RateLimiter
    from store.states import OutboxKind

    o = settings.outreach
    sender = outbound_sender(settings)
    per_hour = o.max_emails_per_hour
    acks_per_hour = o.max_acks_per_hour  # acknowledgments have their own budget: a loop cannot starve requests
    ack_budget = BudgetLimiter(acks_per_hour, 3600.0)
    outbox = Outbox(
        StoreOutboxRepository(db, mail_from=bounce_base(settings)),
        sender,
        rate_limiter=RateLimiter(per_hour / 60.0) if per_hour > 0 else None,
        kind_limiters=dict.fromkeys((OutboxKind.ACKNOWLEDGMENT, OutboxKind.ALREADY_RECEIVED), ack_budget),
        on_permanent=handle_permanent(db, notifier),
        on_sent=record_sent(db),
    )
    mail = MailOutreach(
        db,
        outbox,
        templates=MailTemplates(o.templates_dir, show_grade=o.show_grade_to_supplier),
        sender=SenderIdentity(
            from_address=o.from_address or "",
            sender_company=o.company_name,
            sender_name=o.from_name,
            from_name=o.from_name,
            reply_to=o.reply_to,
            message_id_domain=settings.mail.message_id_domain,
        ),
        blank_template=pathlib.Path(o.template_path) if o.template_path else None,
        blank_templates={family: pathlib.Path(path) for family, path in (
            ("EMRT", o.emrt_template_path), ("CRT", o.crt_template_path), ("AMRT", o.amrt_template_path)) if path},
        language=o.language,
        send_immediately=not offline,
        notifier=notifier,
        clock=clock,
    )
    outbox_every = min(30.0, max(1.0, settings.schedule.tick.total_seconds()))
    components: list[Component] = [
        ThreadComponent("outbox", lambda stop: run_outbox(outbox, stop, interval=outbox_every, notifier=notifier))
    ]
    handler = inbound_processor(settings, db, mail, notifier, clock=clock)
    if offline:
        components = []
    inbox = None if offline else _inbox_component(settings, handler, notifier)
    if inbox is not None:
        components.insert(0, inbox)
    return MailParts(outbound=mail, outreach=SlackOutreach(mail, notify_on_accept=o.notify_on_accept), inbound=handler,
                     outbox=outbox, components=components)  # fmt: skip


def outbound_sender(settings: Settings) -> MaildirSender | SmtpSender:
    """The transport the outbox sends through: SMTP (``[smtp]``), or ``[mail] outbound = "maildir"`` (.eml files)."""
    from mail.maildir_out import MaildirSender
    from mail.smtp import Security, SmtpSender, SmtpServer

    o = settings.outreach
    if settings.mail.outbound == "maildir":
        if not o.from_address or not settings.mail.outbound_maildir_path:
            raise ValueError("[mail] outbound_maildir_path and [outreach] from_address are needed for the e-mails")
        return MaildirSender(settings.mail.outbound_maildir_path)
    if not settings.smtp.host or not o.from_address:
        raise ValueError("[smtp] host and [outreach] from_address are needed to send the requests")
    return SmtpSender(
        SmtpServer(
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


def inbound_processor(
    settings: Settings, db: Database, mail: MailOutreach, notifier: Notifier, *, clock: Clock = utc_now
) -> InboundProcessor:
    """The inbound handler (``handlers.inbound.InboundProcessor``): fed by the inbox, and used by the team to assign
    an unmatched e-mail (Slack, ``cmrt-bot mail assign``)."""
    from bot.memory import limit_malloc_arenas
    from cmrt.workbook.isolation import configure
    from handlers.inbound import InboundOptions, InboundProcessor
    from handlers.review_context import make_context_factory
    from mail.attachments import AttachmentLimits

    configure(workers=settings.reader.pool_size())
    if settings.mail.inbound == "imap":  # the read-ahead's threads move e-mails of several MB: keep the peak flat
        limit_malloc_arenas()
    own = tuple(a for a in (settings.outreach.from_address, settings.outreach.reply_to) if a)
    options = InboundOptions(
        own_addresses=own,
        attachment_limits=AttachmentLimits(max_attachment_bytes=settings.mail.max_attachment_bytes),
        read_limits=settings.reader.read_limits(),
        passwords=tuple(settings.reader.passwords),
        bounce_address=bounce_base(settings) or None,
        read_ahead_workers=settings.reader.pool_size() if settings.mail.inbound == "imap" else 0,
        trusted_authserv_id=settings.mail.trusted_authserv_id,
        max_acks_per_request=settings.outreach.max_acks_per_request,
    )
    return InboundProcessor(
        db,
        outreach=mail,
        notifier=notifier,
        options=options,
        review_context=make_context_factory(settings.review.overrides, settings.review.campaigns,
                                            max_list_age_days=settings.smelters.max_list_age_days),
        clock=clock,
    )


def _inbox_component(settings: Settings, handler: InboundProcessor, notifier: Notifier) -> Component | None:
    """The IMAP watcher (or the Maildir source) feeding the inbound handler; None when inbound is off."""
    from handlers.mail_store import StoreCheckpoints
    from mail.imap import ImapMailbox, ImapWatcher
    from mail.maildir import MaildirSource
    from mail.smtp import Security

    db = handler.db
    inbound = settings.mail.inbound
    if inbound == "maildir" and settings.mail.maildir_path:
        source = MaildirSource(settings.mail.maildir_path, handler)
        every = settings.imap.poll_interval.total_seconds()
        return ThreadComponent("inbox", lambda stop: source.poll(stop, every))
    i = settings.imap
    if inbound != "imap" or not i.host:
        log.warning("no inbound mail source is configured: replies will not be read")
        return None
    password = settings.secret(i.password_env)
    if not password:
        raise ValueError(f"[imap] password_env: environment variable {i.password_env} is empty or unset")
    mailbox = ImapMailbox(
        host=i.host,
        username=i.username or "",
        password=password,
        port=i.port,
        security=Security(i.security),
        folder=i.folder,
        processed_folder=i.processed_folder,
        quarantine_folder=i.quarantine_folder,
        ca_file=i.tls_ca_file,
        timeout=i.timeout.total_seconds(),
        idle_renew=min(i.idle_timeout.total_seconds(), 1500.0),
        poll_interval=i.poll_interval.total_seconds(),
        max_message_bytes=settings.mail.max_message_bytes,
        batch_size=i.fetch_batch,
    )
    watcher = ImapWatcher(
        mailbox,
        handler,
        StoreCheckpoints(db),
        on_error=lambda text: notifier.team_alert(text),
        prefetch=handler.prefetch,  # each batch is parsed and its workbooks read ahead, in parallel
    )

    def describe() -> str:
        state = "connected" if watcher.client is not None else "not connected (reconnecting with back-off)"
        return f"{state}; {watcher.handled} message(s) handled, {watcher.reconnects} reconnect(s)"

    def on_stop() -> None:
        from cmrt.workbook.isolation import interrupt

        interrupt()  # a workbook being read stops at once; the message is handled again at the next start
        handler.close()
        watcher.close()

    return ThreadComponent("inbox", watcher.run, on_stop=on_stop, describe=describe)
