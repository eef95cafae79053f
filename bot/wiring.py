"""The one wiring of ``cmrt-bot run`` (``build``): each part built once from the settings: one Slack client and
notifier, shared by the mail loop, the scheduler and the Slack app; the mail loop (``bot.mail_wiring``); the Slack
service as a supervised component."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import bot.mail_wiring as mail_wiring
from bot.config import Settings
from bot.mail_wiring import Clock, MailParts, utc_now
from bot.slack_app import SlackService, SlackSide, build_side, chat_ops
from bot.supervisor import Component
from handlers.notify import Notifier, NullNotifier
from handlers.slack.deps import ChatOps
from store import Database

log = logging.getLogger("cmbot.app")


# ------------------------------------------------------------------------------------------------------ Slack
class SlackComponent:
    """The Bolt app and its transport (Socket Mode connection or HTTP listener); restartable.

    The service (the Bolt app on the shared client) is built in ``start()`` and its runner checks the token there
    (``auth.test``), so Slack being unreachable when the bot starts is a failing component that the supervisor
    retries, not a bot that cannot start.
    """

    name = "slack"
    DISCONNECTED_GRACE = 30.0  # Socket Mode reconnects by itself; only a longer gap counts as down

    def __init__(self, factory: Callable[[], SlackService], monotonic: Callable[[], float] = time.monotonic) -> None:
        self.factory = factory
        self.monotonic = monotonic
        self.service: SlackService | None = None
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
        ok = self.service.runner.connected()
        now = self.monotonic()
        if ok:
            self._last_ok = now
        return ok or now - self._last_ok < self.DISCONNECTED_GRACE

    def stop(self, timeout: float) -> None:
        if self.service is not None:
            self.service.runner.stop()



@dataclass
class SlackParts:
    side: SlackSide  # the one client, notifier and executor
    ops: ChatOps  # what the listeners and the digest act through
    component: SlackComponent
    digest: Callable[[int], None]

    def close(self) -> None:
        self.side.close()  # the executor outlives restarts of the service


@dataclass
class Wiring:
    """Everything ``build`` makes, each once: the notifier every part tells the team through, the mail loop, the
    Slack side (None without ``[slack] channel``)."""

    notifier: Notifier
    mail: MailParts
    slack: SlackParts | None

    @property
    def components(self) -> list[Component]:
        first: list[Component] = [self.slack.component] if self.slack is not None else []
        return [*first, *self.mail.components]

    @property
    def closers(self) -> list[Callable[[], None]]:
        return [self.slack.close] if self.slack is not None else []


def build(settings: Settings, db: Database, *, clock: Clock = utc_now) -> Wiring:
    """The notifier, then the mail loop telling the team through it, then the Slack app over the same notifier and
    the mail loop's outreach, inbound handler and outbox.

    Without ``[slack] channel`` the bot runs without Slack (nobody is told). A missing token is a configuration
    error (raised now); an unreachable Slack is not: nothing here connects, the Slack component builds its Bolt
    app when it starts and the supervisor retries it.
    """
    if not settings.slack.configured:
        log.warning("[slack] channel is not set: running without Slack (no team notifications)")
        return Wiring(NullNotifier(), mail_wiring.build(settings, db, NullNotifier(), clock=clock), None)
    side = build_side(settings.slack, db, clock=clock)  # SlackConfigError names the variable to set
    mail = mail_wiring.build(settings, db, side.notifier, clock=clock)
    return Wiring(side.notifier, mail, slack_parts(settings, db, side, mail, clock=clock))


def slack_parts(settings: Settings, db: Database, side: SlackSide, mail: MailParts, *, clock: Clock) -> SlackParts:
    from bot.commands._common import report_options
    from bot.commands.rollup import orders_from
    from handlers.slack.digest import post_report

    ops = chat_ops(side, db, outreach=mail.outreach, inbound=mail.inbound, outbox=mail.outbox,
                   report=report_options(settings), rollup=orders_from(settings), clock=clock)  # fmt: skip
    period = settings.slack.digest

    def digest(_campaign_id: int) -> None:
        try:
            post_report(side.client, ops, channel=side.channel, now=clock(), period=period)
        except Exception:
            log.exception("could not post the digest")

    component = SlackComponent(lambda: SlackService(side, ops))
    return SlackParts(side=side, ops=ops, component=component, digest=digest)
