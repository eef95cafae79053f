"""What the Slack listeners are given: explicit dependencies, no globals, no settings object.

``bot/slack_app.py`` builds a ``ChatOps`` from the settings and passes it to each area's ``register(app, ops)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from handlers.notify import Notifier, NullNotifier
from handlers.report import ReportOptions
from handlers.slack.access import AccessPolicy
from store.engine import SessionSource

if TYPE_CHECKING:
    from handlers.rollup import RollupOrders

log = logging.getLogger("cmbot.slack")


@dataclass(frozen=True)
class OutreachResult:
    """What happened when an e-mail was asked for: ``queued`` False means nothing new was sent (and why)."""

    queued: bool
    detail: str = ""


class Outreach(Protocol):
    """Sending e-mail on the team's behalf through the mail loop's outbox; idempotent per request and step.

    Once the e-mail is recorded the implementation also moves the request (reminded / clarification requested,
    audited with ``actor``) and tells the notifier; ``queued`` False means nothing was sent and nothing changed.
    ``handlers.outreach_mail.SlackOutreach`` is the implementation over the mail loop's ``MailOutreach``.
    """

    def send_reminder(self, request_id: int, *, actor: str) -> OutreachResult: ...

    def send_clarification(self, request_id: int, *, body: str, actor: str) -> OutreachResult: ...

    def send_request(self, request_id: int, *, actor: str) -> OutreachResult:
        """*Send now*: the initial request e-mail (the request becomes sent)."""
        ...

    def send_answer(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        """The team's answer to the supplier's latest question, in its mail thread (the state is the caller's)."""
        ...


class InboundAssigner(Protocol):
    """``handlers.inbound.InboundProcessor``: assigns an unmatched inbound e-mail (reviews, acknowledges, notifies)."""

    def assign(self, message_id: str, request_id: int, *, actor: str, ref: int | None = None) -> Any: ...

    def process(self, raw: bytes, *, folder: str | None = None, uid: int | None = None) -> Any: ...


class OutboxReleaser(Protocol):
    """``mail.outbox.Outbox``: settles an e-mail left ``uncertain`` (``resend`` queues it again, else it counts as
    sent)."""

    def release(self, key: str, *, resend: bool) -> bool: ...


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ChatOps:
    """Everything the listeners need. ``channel`` is the team's channel id."""

    db: SessionSource
    outreach: Outreach
    access: AccessPolicy
    channel: str | None = None
    notifier: Notifier = field(default_factory=NullNotifier)
    clock: Callable[[], dt.datetime] = utc_now
    executor: Executor | None = None  # background work that must not delay an ack (refusals, cache refresh)
    snooze_choices: tuple[int, ...] = (3, 7, 14, 30)
    min_manual_reminder_gap: dt.timedelta = dt.timedelta(hours=1)
    home_cache_seconds: float = 60.0
    inbound: InboundAssigner | None = None  # None: unmatched e-mails can only be assigned with the CLI
    outbox: OutboxReleaser | None = None  # None: uncertain e-mails can only be settled with the CLI
    report: ReportOptions = field(default_factory=ReportOptions)  # time zone, list age, company: as the CLI's
    rollup: RollupOrders | None = None  # None: `/cmrt rollup` answers with the CLI command to use
