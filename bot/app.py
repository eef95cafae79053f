"""The composition root of ``cmrt-bot run``: build the adapters from the settings, wire the handlers, run.

One process runs three components under a ``Supervisor``: the inbox watcher (IMAP IDLE, plus the outbox
delivery loop), the Slack app, and an APScheduler ``BackgroundScheduler`` that only fires the outreach tick.
Before any of them starts the process takes the run lock (``LeaderLock``): a second ``run`` against the same
database stands by and takes over when the first dies. SIGTERM / SIGINT set one stop event: the tick finishes
the action in hand, the components are stopped in reverse order and every connection is closed within
``SHUTDOWN_SECONDS``; past that the process exits hard rather than hang a service manager.

The supervision is tuned in ``[run]``: ``heartbeat`` (5s), ``down_alert_after`` (60s: tell the team when a
component stays down this long), ``restart_backoff_cap`` (5m: the longest back-off between restarts).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import Settings
from bot.leader import LeaderLock
from bot.mail_wiring import Clock, utc_now
from bot.scheduling import build_scheduler, outreach_config, tick_interval
from bot.supervisor import Component, Supervisor, bounded_call, restart_backoff
from handlers.notify import Notifier, NullNotifier
from handlers.ticks import OutboundMail, Ticker
from store import Database, check_schema_current, runtime
from store.models import Heartbeat

if TYPE_CHECKING:
    from bot.wiring import Wiring

log = logging.getLogger("cmbot.app")

SHUTDOWN_SECONDS = 10.0
STANDBY_POLL_SECONDS = 1.0


class SchedulerComponent:
    """The APScheduler that fires the outreach tick; unhealthy when ticks keep failing."""

    name = "scheduler"

    def __init__(
        self,
        ticker: Ticker,
        every: dt.timedelta,
        db: Database,
        max_failures: int = 3,
        upkeep: Callable[[], object] | None = None,
    ) -> None:
        self.ticker = ticker
        self.upkeep = upkeep  # RMI's lists fetched when due, reviews following them (bot.lists_wiring.ListsUpkeep)
        self.every = every
        self.db = db
        self.max_failures = max_failures
        self.failures = 0
        self.error: str | None = None
        self.last_tick: dt.datetime | None = None
        self.last_summary = ""
        self.scheduler: BackgroundScheduler | None = None

    def tick(self) -> None:
        try:
            report = self.ticker.tick()
        except Exception as exc:
            self.failures += 1
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("outreach tick failed (%d in a row)", self.failures)
            return
        self.failures, self.error = 0, None
        self.last_tick = self.ticker.clock()
        self.last_summary = f"{report.done} done, {report.held} held, {report.failed} failed"
        if report.done or report.failed or report.resumed:
            log.info(
                "tick: %d done, %d resumed, %d failed, %d already recorded, %d held",
                report.done,
                report.resumed,
                report.failed,
                report.skipped,
                report.held,
            )

    def describe(self) -> str | None:
        """For the heartbeat: when the last tick ran and what it did."""
        if self.last_tick is None:
            return "waiting for the first tick"
        return f"last tick {self.last_tick:%Y-%m-%d %H:%M:%S} UTC: {self.last_summary}"

    def start(self) -> None:
        self.failures, self.error = 0, None
        self.ticker.stop.clear()
        self.scheduler = build_scheduler(self.tick, self.every, upkeep=self.upkeep)
        self.scheduler.start()

    def healthy(self) -> bool:
        return bool(self.scheduler is not None and self.scheduler.running and self.failures < self.max_failures)

    def stop(self, timeout: float) -> None:
        self.ticker.stop.set()  # the tick stops after the action in hand
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is None or not scheduler.running:
            return
        done = threading.Event()

        def _shutdown() -> None:
            scheduler.shutdown(wait=True)
            done.set()

        threading.Thread(target=_shutdown, name="scheduler-shutdown", daemon=True).start()
        if not done.wait(timeout):
            log.warning("the scheduler did not finish its tick within %.1f s", timeout)


@dataclass
class Parts:
    """What the composition builds; tests may assemble one by hand (``wiring`` is then None)."""

    db: Database
    components: list[Component]
    notifier: Notifier = field(default_factory=NullNotifier)
    closers: list[Callable[[], None]] = field(default_factory=list)
    wiring: Wiring | None = None  # the mail loop and the Slack side, for the tests' rig


class App:
    def __init__(
        self,
        settings: Settings,
        *,
        build: Callable[[Settings, Database, threading.Event], Parts] | None = None,
    ) -> None:
        self.settings = settings
        self.build = build or build_parts
        self.stop = threading.Event()
        self.supervisor: Supervisor | None = None
        self.stop_began: float | None = None  # time.monotonic() when the shutdown began

    # -- signals ----------------------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        def _handle(signum: int, _frame: FrameType | None) -> None:
            log.warning("received %s: finishing the item in hand and stopping", signal.Signals(signum).name)
            if self.stop.is_set():  # a second signal: do not wait any longer
                os._exit(1)
            self.stop.set()

        signal.signal(signal.SIGTERM, _handle)
        signal.signal(signal.SIGINT, _handle)

    # -- the whole run ----------------------------------------------------------------------------------------
    def run(self) -> int:
        url = self.settings.store.url
        check_schema_current(url)  # SchemaOutdated names `cmrt-bot db upgrade`
        db = Database(url)
        lock = LeaderLock(db.engine, db.url)
        try:
            if not self._wait_for_lock(db, lock):
                return 0
            parts = self.build(self.settings, db, self.stop)
            run = self.settings.run
            self.supervisor = Supervisor(
                parts.components,
                db,
                notifier=parts.notifier,
                backoff=restart_backoff(cap=run.restart_backoff_cap.total_seconds()),
                heartbeat_every=run.heartbeat.total_seconds(),
                alert_after=run.down_alert_after.total_seconds(),
            )
            log.info("cmrt-bot running (pid %d): %s", os.getpid(), ", ".join(c.name for c in parts.components))
            self.supervisor.start_all()
            while not self.stop.wait(self.supervisor.check_every):
                self.supervisor.check()
                if not lock.still_held():
                    log.error("lost the run lock; stopping so that a standby can take over")
                    self.stop.set()
                    self._shutdown(parts, lock)
                    return 3
            self._shutdown(parts, lock)
            return 0
        finally:
            if self.stop_began is None:  # no shutdown ran (standby stopped, a failure while starting)
                _release(lock, db)
            else:  # within what is left of the stop budget, like every step of the shutdown
                left = max(self.stop_began + SHUTDOWN_SECONDS - time.monotonic(), 0.1)
                bounded_call(functools.partial(_release, lock, db), left, "releasing the database")

    def _wait_for_lock(self, db: Database, lock: LeaderLock) -> bool:
        announced = False
        while not self.stop.is_set():
            try:
                if lock.try_acquire():
                    if announced:
                        log.warning("the active instance is gone: taking over")
                        self._forget_standby(db)
                    return True
            except Exception as exc:
                log.warning("cannot reach the database to take the run lock: %s", exc)
            if not announced:
                log.warning("another cmrt-bot run holds the run lock on this database: standing by")
                announced = True
            try:
                with db.session() as session:
                    runtime.beat(session, f"standby:{os.getpid()}", state="standby", detail="waiting for the run lock")
            except Exception:
                log.debug("standby heartbeat failed", exc_info=True)
            self.stop.wait(STANDBY_POLL_SECONDS)
        return False

    @staticmethod
    def _forget_standby(db: Database) -> None:
        try:
            with db.session() as session:
                session.execute(sa.delete(Heartbeat).where(Heartbeat.component == f"standby:{os.getpid()}"))
        except Exception:
            log.debug("could not remove the standby heartbeat", exc_info=True)

    def _shutdown(self, parts: Parts, lock: LeaderLock) -> None:
        started = self.stop_began = time.monotonic()
        watchdog = threading.Timer(SHUTDOWN_SECONDS, _hard_exit)
        watchdog.daemon = True
        watchdog.start()
        end = started + SHUTDOWN_SECONDS - 0.5  # each step below is bounded by what is left (watchdog: last resort)
        try:
            if self.supervisor is not None:
                self.supervisor.stop_all(SHUTDOWN_SECONDS - 2.0)
            for close in [*parts.closers, lock.release]:
                what = f"closing {getattr(close, '__qualname__', close)}"
                bounded_call(close, max(end - time.monotonic(), 0.1), what)
        finally:
            watchdog.cancel()
        log.info("stopped cleanly in %.1f s", time.monotonic() - started)

    def guard_exit(self) -> None:
        """For the process that ran ``run`` and is about to exit: the interpreter's exit joins the threads still
        running (thread pools' workers) without a limit, so it too is held to the stop budget; past it the process
        ends hard. Does nothing when no shutdown ran (an in-process caller, a run that never started)."""
        if self.stop_began is None:
            return
        timer = threading.Timer(max(self.stop_began + SHUTDOWN_SECONDS - time.monotonic(), 0.5), _hard_exit)
        timer.daemon = True  # it runs while the exit joins the other threads, and never holds the exit itself
        timer.start()


def _release(lock: LeaderLock, db: Database) -> None:
    lock.release()
    db.dispose()


def _hard_exit() -> None:
    log.error("shutdown took longer than %.0f s: exiting now", SHUTDOWN_SECONDS)
    logging.shutdown()
    os._exit(1)


# ------------------------------------------------------------------------------------------------ composition
def build_parts(
    settings: Settings, db: Database, stop: threading.Event, *, clock: Clock = utc_now
) -> Parts:
    """Build every adapter from the settings and register the handlers (the production wiring; the tests' ``rig``
    calls it too). ``clock`` (tests) replaces the wall clock of the handlers."""
    from bot.lists_wiring import ListsUpkeep
    from bot.wiring import build

    wiring = build(settings, db, clock=clock)
    slack = wiring.slack
    ticker = Ticker(
        db,
        wiring.mail.outbound,
        outreach_config(settings),
        notifier=wiring.notifier,
        stop=threading.Event(),
        clock=clock,
        digest=slack.digest if slack is not None else None,
    )
    upkeep = ListsUpkeep(settings, db, notifier=wiring.notifier)
    components = [*wiring.components, SchedulerComponent(ticker, tick_interval(settings), db, upkeep=upkeep)]
    return Parts(db=db, components=components, notifier=wiring.notifier, closers=wiring.closers, wiring=wiring)


__all__ = ["App", "OutboundMail", "Parts", "SchedulerComponent", "build_parts"]
