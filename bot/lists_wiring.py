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
import threading
import zoneinfo
from collections.abc import Callable

from bot.config import Settings
from bot.downloads import HttpDownloader
from handlers.notify import Notifier, NullNotifier
from handlers.rereview import Rereviewer
from handlers.review_context import make_context_factory
from handlers.smelter_lists import Downloader, fetch_when_due
from store.engine import SessionSource

log = logging.getLogger("cmbot.smelters")



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
        """Reviews follow the lists and rules (the first time, only the basis is recorded), the lists are fetched
        when due, and a fetch that brought new lists is followed at once. Never raises (a scheduler job)."""
        if not self._lock.acquire(blocking=False):  # a long re-review is still running
            return
        try:
            self.rereviewer.follow(self.notifier)
            if self.fetch_if_due():
                self.rereviewer.follow(self.notifier)
        except Exception:
            log.exception("the lists upkeep failed; it runs again on the next tick")
        finally:
            self._lock.release()

    def fetch_if_due(self) -> bool:
        """Fetch when ``[smelters] refresh`` is due (``handlers.smelter_lists.fetch_when_due``); True when new lists
        were stored."""
        refresh, urls = self.settings.smelters.refresh, self.settings.smelters.urls()
        if refresh is None or not urls:
            return False
        now = self.clock()
        report = fetch_when_due(self.db, urls, self.download, refresh=refresh, now=now,
                                today=local_today(self.settings, now))  # fmt: skip
        return report is not None and report.new_lists
