"""Concrete adapters for ``cmrt-bot run``: the Slack service and the mail loop, each as supervised components."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.supervisor import Component
from handlers.notify import Notifier, NullNotifier
from handlers.ticks import OutboundMail
from store import Database

log = logging.getLogger("cmbot.app")


# ------------------------------------------------------------------------------------------------------ Slack
class SlackComponent:
    """The Bolt app and its transport (Socket Mode connection or HTTP listener); restartable.

    The app is built in ``start()`` (Bolt calls ``auth.test`` when it is built), so Slack being unreachable when
    the bot starts is a failing component that the supervisor retries, not a bot that cannot start.
    """

    name = "slack"
    DISCONNECTED_GRACE = 30.0  # Socket Mode reconnects by itself; only a longer gap counts as down

    def __init__(self, factory: Callable[[], Any], monotonic: Callable[[], float] = time.monotonic) -> None:
        self.factory = factory
        self.monotonic = monotonic
        self.service: Any = None
        self.error: str | None = None
        self._last_ok = 0.0

    def start(self) -> None:
        if self.service is None:
            self.service = self.factory()
        self.service.runner.start()
        self._last_ok = self.monotonic()

    def healthy(self) -> bool:
        if self.service is None:
            return False
        runner = self.service.runner
        connected = getattr(runner, "connected", None)
        if callable(connected):
            ok = bool(connected())
        else:
            thread = getattr(runner, "_thread", None)
            ok = thread is None or thread.is_alive()
        now = self.monotonic()
        if ok:
            self._last_ok = now
        return ok or now - self._last_ok < self.DISCONNECTED_GRACE

    def stop(self, timeout: float) -> None:
        if self.service is not None:
            self.service.runner.stop()

    def close(self) -> None:
        if self.service is not None:
            self.service.executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class SlackParts:
    notifier: Notifier
    component: Component
    digest: Callable[[int], None]
    close: Callable[[], None]


def build_slack(
    settings: Settings, db: Database, outreach: Any, *, inbound: Any = None, outbox: Any = None
) -> SlackParts | None:
    """The Slack side, or None when ``[slack] channel`` is unset (the bot then runs without Slack).

    A missing token is a configuration error (raised now); an unreachable Slack is not (the component retries).
    The notifier the mail loop and the scheduler use needs no connection to be built.
    """
    if not settings.slack.configured:
        log.warning("[slack] channel is not set: running without Slack (no team notifications)")
        return None
    from bot.commands._common import report_options
    from bot.slack_app import SlackService, build_client, read_secrets
    from handlers.slack.access import AccessPolicy
    from handlers.slack.deps import ChatOps
    from handlers.slack.digest import post_report
    from handlers.slack.notifier import SlackNotifier

    secrets = read_secrets(settings.slack)  # SlackConfigError names the variable to set
    channel = str(settings.slack.channel)
    client = build_client(secrets.bot_token, settings.slack.api_base_url)
    notifier = SlackNotifier(client, db, channel, upload_workbooks=settings.slack.upload_workbooks)
    ops = ChatOps(
        db=db,
        outreach=outreach,
        access=AccessPolicy(channel=channel, allowed_users=settings.slack.allowed_users),
        channel=channel,
        notifier=notifier,
        report=report_options(settings),
    )
    period = settings.slack.digest

    def digest(_campaign_id: int) -> None:
        try:
            post_report(client, ops, channel=channel, now=dt.datetime.now(dt.UTC), period=period)
        except Exception:
            log.exception("could not post the digest")

    from bot.commands.rollup import orders_from

    component = SlackComponent(
        lambda: SlackService(settings.slack, db=db, outreach=outreach, inbound=inbound, outbox=outbox,
                             report=report_options(settings), rollup=orders_from(settings))
    )
    return SlackParts(notifier=notifier, component=component, digest=digest, close=component.close)


# ------------------------------------------------------------------------------------------------------- mail
@dataclass
class MailParts:
    outbound: OutboundMail
    outreach: Any  # handlers.slack.deps.Outreach: e-mails the team asks for from Slack
    components: list[Component] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    notifier_box: list[Notifier] = field(default_factory=lambda: [NullNotifier()])
    inbound: Any = None  # handlers.inbound.InboundProcessor: the team assigns unmatched e-mails through it
    outbox: Any = None  # mail.outbox.Outbox: the team settles e-mails left uncertain through it

    def set_notifier(self, notifier: Notifier) -> None:
        self.notifier_box[0] = notifier


def build_mail(settings: Settings, db: Database) -> MailParts:
    """The mail loop: outbound API over the outbox, outbox delivery, inbox watcher."""
    import bot.mail_wiring as mail_wiring

    return mail_wiring.build(settings, db)
