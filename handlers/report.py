"""The Conflict Minerals Report's figures and consolidated smelter list, from the store.

Loads each request's latest read declaration and the newest imported RMI lists, and hands them to the pure
``cmrt.reports`` and ``cmrt.smelters.consolidate``. Used by ``cmrt-bot report`` and the Slack ``/cmrt report``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.reports import ReportFigures, RequestFigure, report_figures
from cmrt.review.adhoc import context_for
from cmrt.smelters.consolidate import (
    STATUSES,
    Consolidation,
    SupplierSmelters,
    consolidate,
    mines_from_json,
    rows_from_json,
)
from store import requests
from store import smelters as smelter_repo
from store.models import Campaign, Request, Submission


def latest_declarations(session: Session, campaign_id: int) -> dict[int, dict[str, Any]]:
    """request id -> the JSON declaration of its latest read submission."""
    stmt = (
        sa.select(Submission.request_id, Submission.declaration)
        .join(Request, Submission.request_id == Request.id)
        .where(Request.campaign_id == campaign_id, Submission.declaration.is_not(None))
        .order_by(Submission.id)
    )
    latest: dict[int, dict[str, Any]] = {}
    for request_id, declaration in session.execute(stmt):
        if request_id is not None and isinstance(declaration, dict):
            latest[request_id] = declaration
    return latest


def _scope(declaration: dict[str, Any] | None) -> str | None:
    company = (declaration or {}).get("company") or {}
    scope = company.get("scope") if isinstance(company, dict) else None
    return str(scope) if scope else None


def build_report(
    session: Session, campaign: Campaign, *, today: dt.date, with_suppliers: bool = False
) -> tuple[ReportFigures, Consolidation]:
    reqs = requests.for_campaign(session, campaign.id)
    grades = requests.latest_grades(session, campaign.id)
    declarations = latest_declarations(session, campaign.id)
    figures = report_figures(
        campaign.year,
        (
            RequestFigure(
                state=r.state.value,
                scope=_scope(declarations.get(r.id)),
                grade=grades.get(r.id),
                tier=r.supplier.tier.value,
            )
            for r in reqs
        ),
    )
    items = [
        SupplierSmelters(
            r.supplier.external_id,
            rows_from_json(declarations[r.id].get("smelters") or []),
            mines_from_json(declarations[r.id].get("mines") or []),
        )
        for r in reqs
        if r.id in declarations
    ]
    context = context_for(today=today, lists=smelter_repo.latest_rmi_lists(session))
    result = consolidate(
        items, today=today, reference=context.reference, rmap=context.rmap, with_suppliers=with_suppliers
    )
    return figures, result


def smelter_lines(result: Consolidation, today: dt.date) -> list[str]:
    if result.has_status_lists and result.rmap_list_date:
        lists = f"RMAP lists of {result.rmap_list_date.isoformat()}, status on {today.isoformat()}"
    elif result.has_status_lists:
        lists = f"undated RMAP lists, status on {today.isoformat()}"
    else:
        lists = "no RMAP status lists imported: run `cmrt-bot smelters import`"
    lines = [
        f"Smelters ({lists}): {len(result.rows)} identified from {result.rows_read} Smelter List row(s) of "
        f"{result.suppliers} declaration(s); {len(result.rejected)} entr{'y' if len(result.rejected) == 1 else 'ies'}"
        " rejected.",
    ]
    for metal, summary in result.by_metal.items():
        if not summary.smelters:
            lines.append(f"  {metal:<9} no smelters reported")
            continue
        counts = ", ".join(f"{summary.statuses[s]} {s.replace('_', ' ')}" for s in STATUSES if summary.statuses[s])
        lines.append(
            f"  {metal:<9} {summary.smelters} smelter(s), {summary.conformant_share * 100:.1f} % conformant "
            f"({counts})"
        )
    if result.countries:
        lines.append("Countries of the smelters: " + "; ".join(f"{c} {n}" for c, n in result.countries.items()) + ".")
    if result.mine_countries:
        origins = "; ".join(f"{c} {n}" for c, n in result.mine_countries.items())
        lines.append(f"Mine countries of origin declared (suppliers): {origins}.")
    reasons: dict[str, int] = {}
    for entry in result.rejected:
        reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
    if reasons:
        lines.append("Rejected: " + ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in sorted(reasons.items())) + ".")
    return lines
