"""The review context: what a review of a supplier's workbook depends on besides the workbook (a use case over the
store; ``bot/`` only wires it with the configuration).

``ContextFactory`` is its one signature: ``(session, request, today) -> ReviewContext``. ``default_context`` gives
the campaign's requirements only. ``make_context_factory(overrides, campaigns, max_list_age_days=...)`` returns
the factory the running bot gives ``handlers.inbound.InboundProcessor`` and ``handlers.rereview``. It takes the
newest imported RMI lists (``cmrt-bot smelters import``; re-read only when a newer list is imported), the
campaign's family, minimum version, scope and reporting year, and the effective review overrides of the request's
campaign
(``effective_overrides``): the configuration's ``[review.overrides]``, then its ``[review.campaigns."YEAR"]``
table, then the campaign's own (``cmrt-bot campaign set-check``), later winning (``cmrt.review.merge_overrides``),
and the supplier's last accepted declaration from an earlier campaign (``previous_declaration``) for the
year-over-year checks.
The configuration's layers are validated at start-up, so a typo in a check id stops the bot with a clear message
instead of failing every review; a stored override the catalogue no longer knows is skipped with a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.declaration import Declaration
from cmrt.review import ReviewConfigError, ReviewContext, merge_overrides, parse_overrides
from cmrt.review.adhoc import context_for
from cmrt.smelters import DEFAULT_MAX_LIST_AGE_DAYS, RmapStatus, SmelterReference
from store import messages as message_repo
from store import smelters as smelter_repo
from store.models import Campaign, Request, SmelterList

log = logging.getLogger("cmbot.review")

ContextFactory = Callable[[Session, Request | None, dt.date], ReviewContext]


def default_context(session: Session, request: Request | None, today: dt.date) -> ReviewContext:
    """The campaign's requirements (family, minimum version, scope, reporting year); no lists, no overrides."""
    if request is None:
        return ReviewContext(today=today)
    c = request.campaign
    return ReviewContext(
        today=today,
        required_family=c.template_family,
        min_version=c.min_template_version,
        requested_scope=c.scope,
        reporting_year=c.year,
    )


def stored_overrides(campaign: Campaign) -> dict[str, str]:
    """The campaign row's own overrides, without entries the catalogue does not know (logged, not fatal)."""
    kept: dict[str, str] = {}
    for check_id, value in (campaign.review_overrides or {}).items():
        try:
            parse_overrides({check_id: value})
        except ReviewConfigError as exc:
            log.warning("review: campaign %s: stored override skipped: %s", campaign.year, exc)
            continue
        kept[check_id] = value
    return kept


def effective_overrides(
    overrides: Mapping[str, str] | None,
    campaigns: Mapping[str, Mapping[str, str]] | None,
    campaign: Campaign | None,
    year: int | None = None,
) -> dict[str, str]:
    """Global config overrides, then the config's table for the campaign's year, then the campaign's own.

    ``year`` stands in for ``campaign.year`` when there is no campaign row (``cmrt-bot check --campaign``)."""
    if campaign is not None:
        year = campaign.year
    table = (campaigns or {}).get(str(year)) if year is not None else None
    own = stored_overrides(campaign) if campaign is not None else None
    return merge_overrides(overrides, table, own)


def make_context_factory(
    overrides: Mapping[str, str] | None = None,
    campaigns: Mapping[str, Mapping[str, str]] | None = None,
    *,
    max_list_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS,
) -> ContextFactory:
    """Raises ``cmrt.review.ReviewConfigError`` at once when ``overrides`` or ``campaigns`` (reporting year ->
    overrides, the configuration's ``[review.campaigns]``) name an unknown check or severity."""
    checked = dict(overrides or {})
    parse_overrides(checked)
    tables = {str(year): dict(table) for year, table in (campaigns or {}).items()}
    for year, table in tables.items():
        try:
            parse_overrides(table)
        except ReviewConfigError as exc:
            raise ReviewConfigError(f"[review.campaigns.\"{year}\"]: {exc}") from None
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
        previous, label = previous_declaration(session, request)
        return ReviewContext(
            today=today,
            reference=reference,
            rmap=rmap,
            required_family=campaign.template_family if campaign is not None else None,
            min_version=campaign.min_template_version if campaign is not None else None,
            requested_scope=campaign.scope if campaign is not None else None,
            reporting_year=campaign.year if campaign is not None else None,
            overrides=effective_overrides(checked, tables, campaign),
            max_list_age_days=max_list_age_days,
            previous=previous,
            previous_label=label,
        )

    return factory


def previous_declaration(session: Session, request: Request | None) -> tuple[Declaration | None, str | None]:
    """The supplier's last accepted declaration from an earlier campaign, and that campaign's year, for the
    year-over-year checks; (None, None) when there is none or it cannot be read back (logged, not fatal)."""
    if request is None:
        return None, None
    found = message_repo.last_accepted_declaration(session, request.supplier_id, request.campaign.year)
    if found is None:
        return None, None
    data, year = found
    try:
        return Declaration.from_json(data), str(year)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        log.warning("review: the %s declaration of supplier %s cannot be read back (%s); no year-over-year "
                    "comparison", year, request.supplier_id, exc)
        return None, None
