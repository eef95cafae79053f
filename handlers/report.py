"""The Conflict Minerals Report from the store: the campaign figures and the consolidated smelter list.

Loads each request's latest read declaration and the newest imported RMI lists, and hands them to the pure
``cmrt.figures``, ``cmrt.smelters.consolidate`` and ``cmrt.reporting``. Used by ``cmrt-bot report``, the Slack
``/cmrt report`` and the digest.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.outreach.states import RequestState
from cmrt.reporting import Report
from cmrt.review.adhoc import context_for
from cmrt.smelters.consolidate import RowReader, SupplierSmelters, consolidate
from cmrt.smelters.rmap import DEFAULT_MAX_LIST_AGE_DAYS, RmiList, list_age_days, stale_warning
from handlers.bulk import no_cyclic_gc
from store import figures as figure_repo
from store import smelters as smelter_repo
from store.models import Campaign, Request, Submission, Supplier

STREAM_BATCH = 500  # declarations fetched per round trip when they are streamed


@dataclass(frozen=True)
class ReportOptions:
    """What every surface needs to show the same figures on the same day: the time zone that decides "today" (and
    so what is overdue), how old the RMAP lists may get before they are named stale, the reporting company."""

    timezone: str = "UTC"
    max_list_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS
    company: str = ""

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(zoneinfo.ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class ListsState:
    """The RMAP status lists as the team should see them: their date, age, and the stale-list warning ("" when
    current, or when none is imported: then ``imported`` is False)."""

    imported: bool
    list_date: dt.date | None
    age_days: int | None
    warning: str

    @property
    def line(self) -> str:
        if not self.imported:
            return "RMAP status lists: none imported (`cmrt-bot smelters fetch`); statuses are unknown."
        date = self.list_date.isoformat() if self.list_date else "undated"
        age = f", {self.age_days} days old" if self.age_days is not None else ""
        return f"RMAP status lists: list of {date}{age}."

    def to_json(self) -> dict[str, Any]:
        return {"rmap_list_date": self.list_date.isoformat() if self.list_date else None,
                "rmap_list_age_days": self.age_days, "rmap_lists_stale": bool(self.warning)}  # fmt: skip


def lists_state(session: Session, today: dt.date, max_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS) -> ListsState:
    if not smelter_repo.has_status_lists(session):
        return ListsState(False, None, None, "")
    date = smelter_repo.status_list_date(session)
    return ListsState(True, date, list_age_days(date, today), stale_warning(date, today, max_age_days))


def _latest_ids(campaign_id: int) -> sa.Select[Any]:
    """The id of each request's latest submission whose workbook was read (one per request of the campaign)."""
    return (
        sa.select(sa.func.max(Submission.id))
        .join(Request, Submission.request_id == Request.id)
        .where(Request.campaign_id == campaign_id, figure_repo.has_declaration())
        .group_by(Submission.request_id)
    )


def stream_declarations(
    session: Session, campaign_id: int, keys: Sequence[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(request id, the JSON declaration of its latest read submission), ``STREAM_BATCH`` a round trip, for callers
    that keep only what they make of each. With ``keys``, only those top-level keys are read (a JSON path per key:
    the rest of each declaration stays in the database; a missing key is None)."""
    if keys is None:
        columns: list[Any] = [Submission.declaration]
    else:
        columns = [Submission.declaration[key] for key in keys]
    stmt = sa.select(Submission.request_id, *columns).where(Submission.id.in_(_latest_ids(campaign_id)))
    for request_id, *values in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        if request_id is None:
            continue
        if keys is None:
            if isinstance(values[0], dict):
                yield request_id, values[0]
        else:
            yield request_id, dict(zip(keys, values, strict=True))


def stream_smelters(session: Session, campaign_id: int) -> Iterator[SupplierSmelters]:
    """Each surveyed supplier's Smelter and Mine List rows from its latest read declaration, by supplier id, read
    ``STREAM_BATCH`` declarations at a time and only those two keys of each, kept as the fields the consolidation
    reads (``RowReader``: one shared row per distinct content): memory stays flat however many suppliers answered
    (the consolidation keeps only its per-smelter totals)."""
    stmt = (
        sa.select(Supplier.external_id, Submission.declaration["smelters"], Submission.declaration["mines"])
        .join(Request, Submission.request_id == Request.id)
        .join(Supplier, Request.supplier_id == Supplier.id)
        .where(Submission.id.in_(_latest_ids(campaign_id)), Request.state != RequestState.EXEMPT)
        .order_by(Supplier.external_id)
    )
    reader = RowReader()
    for external_id, smelters, mines in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        yield SupplierSmelters(external_id, reader.smelters(smelters), reader.mines(mines))


def campaign_info(campaign: Campaign) -> dict[str, Any]:
    return figure_repo.campaign_json(campaign) | {"template_family": campaign.template_family}


def build_report(
    session: Session,
    campaign: Campaign,
    *,
    today: dt.date,
    now: dt.datetime | None = None,
    with_suppliers: bool = False,
    options: ReportOptions | None = None,
    lists: Sequence[RmiList] | None = None,
) -> Report:
    """The whole report on ``today`` (the local date in the configured time zone, or ``--as-of``). ``lists`` (RMI's
    lists) when the caller has loaded them already; the declarations are streamed (``stream_smelters``)."""
    options = options or ReportOptions()
    with no_cyclic_gc():  # one fact per request, two million rows streamed: about a tenth faster
        figures = figure_repo.campaign_figures(session, campaign, today)
        if lists is None:
            lists = smelter_repo.latest_rmi_lists(session)
        items = stream_smelters(session, campaign.id)
        context = context_for(today=today, lists=lists)
        result = consolidate(
            items, today=today, reference=context.reference, rmap=context.rmap, with_suppliers=with_suppliers,
            max_list_age_days=options.max_list_age_days,
        )  # fmt: skip
    return Report(
        campaign=campaign_info(campaign),
        figures=figures,
        smelters=result,
        today=today,
        generated_at=now or dt.datetime.now(dt.UTC),
        max_list_age_days=options.max_list_age_days,
        company=options.company,
    )
