"""The review context the running bot uses: campaign requirements, RMI lists from the database, overrides.

``make_context_factory(settings)`` returns the ``review_context`` callable ``handlers.inbound.InboundProcessor``
accepts: ``(session, request, today) -> ReviewContext``. It takes the newest imported RMI lists
(``cmrt-bot smelters import``; re-read only when a newer list is imported), the campaign's family, minimum
version, scope and reporting year, and the ``[review.overrides]`` of the configuration (validated at start-up,
so a typo in a check id stops the bot with a clear message instead of failing every review).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.review import ReviewContext, parse_overrides
from cmrt.review.adhoc import context_for
from cmrt.smelters import RmapStatus, SmelterReference
from store import smelters as smelter_repo
from store.models import Request, SmelterList

log = logging.getLogger("cmbot.review")

ContextFactory = Callable[[Session, Request | None, dt.date], ReviewContext]


def make_context_factory(overrides: Mapping[str, str] | None = None) -> ContextFactory:
    """Raises ``cmrt.review.ReviewConfigError`` at once when ``overrides`` name an unknown check or severity."""
    checked = dict(overrides or {})
    parse_overrides(checked)
    lock = threading.Lock()
    cache: dict[str, tuple[tuple[int, ...], SmelterReference | None, RmapStatus | None]] = {}

    def lists_for(session: Session) -> tuple[SmelterReference | None, RmapStatus | None]:
        """Reference and RMAP status built from the newest stored lists; rebuilt only after an import."""
        key = tuple(session.scalars(sa.select(SmelterList.id).order_by(SmelterList.id)).all())
        with lock:
            hit = cache.get("lists")
            if hit is not None and hit[0] == key:
                return hit[1], hit[2]
        lists = smelter_repo.latest_rmi_lists(session)
        built = context_for(today=dt.date.min, lists=lists)
        log.info("review: loaded %d RMI lists from the database", len(lists))
        with lock:
            cache["lists"] = (key, built.reference, built.rmap)
        return built.reference, built.rmap

    def factory(session: Session, request: Request | None, today: dt.date) -> ReviewContext:
        campaign = request.campaign if request is not None else None
        reference, rmap = lists_for(session)
        return ReviewContext(
            today=today,
            reference=reference,
            rmap=rmap,
            required_family=campaign.template_family if campaign is not None else None,
            min_version=campaign.min_template_version if campaign is not None else None,
            requested_scope=campaign.scope if campaign is not None else None,
            reporting_year=campaign.year if campaign is not None else None,
            overrides=checked,
        )

    return factory
