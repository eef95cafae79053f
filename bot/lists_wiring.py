"""RMI's lists and the reviews that follow them, built from the settings: the downloader, the re-reviewer, and the
upkeep job ``cmrt-bot run`` schedules (fetch the lists every ``[smelters] refresh``, then review open requests
again when the lists or the campaign rules changed).

A failed fetch keeps the previous lists and is tried again after a capped back-off with jitter (an hour, doubling,
at most ``refresh``), never in a tight loop; the attempt, its outcome and the next try are kept in ``bot_state``
(``cmrt-bot status`` shows them).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import zoneinfo
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.downloads import HttpDownloader
from bot.review_context import make_context_factory
from handlers.notify import Notifier, NullNotifier
from handlers.rereview import Rereviewer
from handlers.smelter_lists import Downloader, fetch_lists
from mail.smtp import Backoff
from store import runtime
from store.engine import SessionSource

log = logging.getLogger("cmbot.smelters")

FETCH_STATE = "smelter_lists_fetch"  # bot_state: last attempt, last success, failures in a row, next try
RETRY_FIRST = dt.timedelta(hours=1)


def local_today(settings: Settings, now: dt.datetime) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()


def downloader(settings: Settings) -> HttpDownloader:
    s = settings.smelters
    return HttpDownloader(timeout=s.download_timeout.total_seconds(), max_bytes=s.max_download_bytes)


def rereviewer(settings: Settings, db: SessionSource,
               clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> Rereviewer:
    context = make_context_factory(settings.review.overrides, settings.review.campaigns,
                                   max_list_age_days=settings.smelters.max_list_age_days)  # fmt: skip
    return Rereviewer(
        db, context, read_limits=settings.reader.read_limits(), passwords=settings.reader.passwords, clock=clock,
        today=lambda: local_today(settings, clock()),
    )  # fmt: skip


def retry_after(failures: int, refresh: dt.timedelta, rnd: random.Random | None = None) -> dt.timedelta:
    """The wait after ``failures`` failed fetches in a row: an hour, doubling, capped at ``refresh``, +-10 % jitter."""
    backoff = Backoff(base=RETRY_FIRST.total_seconds(), cap=refresh.total_seconds(), jitter=(0.9, 1.1))
    return dt.timedelta(seconds=backoff.delay(failures - 1, rnd))


class ListsUpkeep:
    """The job ``run`` schedules: fetch RMI's lists when due, then let the reviews follow the lists and rules."""

    def __init__(
        self,
        settings: Settings,
        db: SessionSource,
        *,
        notifier: Notifier | None = None,
        download: Downloader | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.db = db
        self.notifier = notifier or NullNotifier()
        self.download = download or downloader(settings)
        self.clock = clock
        self.rereviewer = rereviewer(settings, db, clock)
        self._lock = threading.Lock()

    def __call__(self) -> None:
        if not self._lock.acquire(blocking=False):  # a long re-review is still running
            return
        try:
            self.fetch_if_due()
            self.rereviewer.follow(self.notifier)
        finally:
            self._lock.release()

    def fetch_if_due(self) -> bool:
        """Fetch when ``refresh`` has passed since the last success (or the back-off after a failure); True when a
        fetch was attempted."""
        refresh = self.settings.smelters.refresh
        urls = self.settings.smelters.urls()
        if refresh is None or not urls:
            return False
        now = self.clock()
        with self.db.session() as session:
            state: dict[str, Any] = runtime.get_value(session, FETCH_STATE) or {}
        due = state.get("next_try")
        if due is not None and dt.datetime.fromisoformat(due) > now:
            return False
        report = fetch_lists(self.db, urls, self.download, today=local_today(self.settings, now))
        failures = 0 if report.ok else int(state.get("failures", 0)) + 1
        wait = refresh if report.ok else retry_after(failures, refresh)
        state.update(last_try=now.isoformat(), failures=failures, next_try=(now + wait).isoformat(),
                     last_problem="; ".join(report.problems) or None)  # fmt: skip
        if report.ok:
            state["last_success"] = now.isoformat()
            state["last_changes"] = [c.summary() for c in report.changes.values()]
        with self.db.session() as session:
            runtime.set_value(session, FETCH_STATE, state)
        if not report.ok:
            log.warning("RMI's lists could not be fetched (try %d; next try %s); the previous lists are kept",
                        failures, state["next_try"])  # fmt: skip
        return True
