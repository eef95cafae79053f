"""Checks of Smelter List rows against RMI's RMAP status lists and the reference's size per metal."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from cmrt.declaration import Declaration, SmelterRow
from cmrt.review.checks_smelters import _f, _id, _kind
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import blank, check, quote, rows_with_data
from cmrt.review.texts import Param, term, txt
from cmrt.review.texts import metal as metal_name
from cmrt.smelters.rmap import RmapState, SmelterStatus, list_age_days, list_label
from cmrt.smelters.text import is_cid, metal_key


def _statuses(
    d: Declaration, ctx: ReviewContext, *, cid_only: bool = False
) -> Iterator[tuple[SmelterRow, str, SmelterStatus]]:
    """Each distinct smelter id of the Smelter List (first row that names it) with its RMAP status as published.

    Yields nothing without status lists. ``cid_only`` skips ids that are not RMI ``CID`` numbers.
    """
    if ctx.rmap is None or not ctx.rmap.has_status_lists:
        return
    seen: set[str] = set()
    for r in rows_with_data(d):
        cid = _id(r)
        if not cid or cid in seen or (cid_only and not is_cid(cid)):
            continue
        seen.add(cid)
        yield r, cid, ctx.rmap.status(cid)


def _list_date(date: dt.date | None, today: dt.date, max_age_days: int) -> Param:
    """``2026-08-22`` or ``2026-08-22, 104 days old`` (``undated list``): ``list_label`` as a ``txt`` parameter."""
    if date is None:
        return term("undated list")
    age = list_age_days(date, today) or 0
    return txt("%(date)s, %(age)s days old", date=date.isoformat(), age=age) if age > max_age_days else (
        date.isoformat())


def _list(date: dt.date | None, today: dt.date, max_age_days: int) -> Param:
    """``list_label`` (``list of 2026-08-22``) as a ``txt`` parameter."""
    if date is None:
        return term("undated list")
    return txt("list of %(date)s", date=_list_date(date, today, max_age_days))


def _name(r: SmelterRow, fallback: str) -> str:
    listed = r.lookup if not blank(r.lookup) and _kind(r) == "listed" else None
    return listed or r.name or fallback


@check(
    "smelter.not_conformant",
    title="Smelter neither RMAP Conformant nor Active",
    severity=Severity.HIGH_RISK,
    area="smelter",
    rationale="A smelter without a recognised audit is a red flag under OECD step 4. Only a smelter on neither of "
    "RMI's status lists is flagged (RMI publishes no 'non-conformant' list); the message names the lists' date.",
    message="{name} ({cid}) is neither RMAP Conformant nor Active on RMI's lists of {date}",
    sources="IN1; GSP1; OECD step 4; review notes §3 F32",
    needs="rmap",
)
def not_conformant(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r, cid, status in _statuses(d, ctx, cid_only=True):
        if status.state in (RmapState.NOT_LISTED, RmapState.REMOVED):
            date = status.list_date
            lists = _list_date(date, ctx.today, ctx.max_list_age_days)
            if status.removed is None:
                text = txt("%(name)s (%(cid)s) is neither RMAP Conformant nor Active on RMI's lists of %(lists)s; "
                           "please tell us how you manage this smelter's risk", name=quote(_name(r, cid)), cid=cid,
                           lists=lists)
            else:
                text = txt("%(name)s (%(cid)s) is neither RMAP Conformant nor Active on RMI's lists of %(lists)s and "
                           "RMI has removed it from the smelter list (%(date)s: %(reason)s); please tell us how you "
                           "manage this smelter's risk", name=quote(_name(r, cid)), cid=cid, lists=lists,
                           date=status.removed.revision_date or term("date unknown"),
                           reason=status.removed.details or term("no reason given"))
            out.append(_f("smelter.not_conformant", d, r, "smelter_id", text,
                          {"smelter_id": cid, "status": status.state.value,
                           "list_date": date.isoformat() if date else None}))
    return out


@check(
    "smelter.active_not_conformant",
    title="Smelter RMAP Active (audit in progress), not yet Conformant",
    severity=Severity.INFO,
    area="smelter",
    rationale="Active smelters are committed to an audit; track them until they become Conformant.",
    message="{name} ({cid}) is RMAP Active, not yet Conformant",
    sources="RMI facilities lists (R2); SEC2",
    needs="rmap",
)
def active_not_conformant(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r, cid, status in _statuses(d, ctx):
        if status.state is RmapState.ACTIVE:
            out.append(_f("smelter.active_not_conformant", d, r, "smelter_id", txt(
                "%(cid)s is RMAP Active (assessment under way), not yet Conformant (%(list)s)", cid=cid,
                list=_list(status.list_date, ctx.today, ctx.max_list_age_days))))
    return out


@check(
    "smelter.conformance_expired",
    title="Audit cycle elapsed, no re-audit in progress (information for the team)",
    severity=Severity.INFO,
    area="smelter",
    rationale="RMI lists the smelter as Conformant and publishes no expiry: last audit date plus audit cycle is "
    "when a re-audit is due, not when conformance ends. When that date has passed and the list shows no re-audit "
    "in progress, the team may want to look again on the next list. Never sent to a supplier.",
    message="{name} ({cid}) is RMAP Conformant on the list of {date}; its audit cycle ended on {audit_due} (last "
    "audit {audit}, cycle {cycle}) and the list shows no re-audit in progress",
    sources="RMI Conformant list columns; notes/rmi-lists.md",
    needs="rmap",
    audience="team",
)
def conformance_expired(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r, cid, status in _statuses(d, ctx):
        entry = status.entry
        if entry is not None and entry.last_audit_date and status.audit_cycle_elapsed(ctx.today):
            cycle = entry.audit_cycle_raw or "blank, read as 1 year"
            due = status.audit_due
            out.append(_f("smelter.conformance_expired", d, r, "smelter_id",
                          f"{quote(_name(r, entry.name or cid))} ({cid}) is RMAP Conformant "
                          f"({list_label(status.list_date, ctx.today, ctx.max_list_age_days)}); its audit cycle "
                          f"ended on {due:%d-%b-%Y} (last audit {entry.last_audit_date:%d-%b-%Y}, cycle {cycle}) "
                          "and the list shows no re-audit in progress: worth a look on the next list",
                          {"smelter_id": cid, "audit_due": due.isoformat() if due else None,
                           "list_date": status.list_date.isoformat() if status.list_date else None}))
    return out


@check(
    "smelter.reaudit_pending",
    title="Audit cycle elapsed, re-audit in progress (information for the team)",
    severity=Severity.INFO,
    area="smelter",
    rationale="RMI keeps a smelter Conformant while its re-audit is in progress; nothing to ask the supplier. "
    "Never sent to a supplier.",
    message="{cid}: conformant; the audit cycle ended on {audit_due} and RMI reports a re-audit in progress",
    sources="RMI Conformant list 'Reaudit In Progress' column",
    needs="rmap",
    audience="team",
)
def reaudit_pending(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r, cid, status in _statuses(d, ctx):
        due = status.audit_due
        if status.reaudit_in_progress and due is not None and due < ctx.today:
            out.append(_f("smelter.reaudit_pending", d, r, "smelter_id",
                          f"{cid}: conformant ({list_label(status.list_date, ctx.today, ctx.max_list_age_days)}); "
                          f"the audit cycle ended on {due:%d-%b-%Y} and RMI reports a re-audit in progress"))
    return out


WHOLE_LIST_SHARE = 0.5  # listing half of RMI's smelters for a metal ...
WHOLE_LIST_MIN = 25  # ... and at least this many


@check(
    "smelter.whole_list",
    title="Whole reference list pasted for a metal",
    severity=Severity.INFO,
    area="smelter",
    rationale="A supplier that lists most of RMI's smelters for a metal has probably pasted the reference list "
    "instead of its own supply chain.",
    message="{count} of RMI's {total} {metal} smelters are listed",
    sources="review notes §3 F35 (our inference)",
    needs="reference",
)
def whole_list(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if ctx.reference is None:
        return []
    by_metal: dict[str, set[str]] = defaultdict(set)
    first: dict[str, SmelterRow] = {}
    for r in rows_with_data(d):
        cid = _id(r)
        if cid and r.metal:
            by_metal[metal_key(r.metal)].add(cid)
            first.setdefault(metal_key(r.metal), r)
    out: list[Finding] = []
    for metal, ids in by_metal.items():
        total = len(ctx.reference.ids_for_metal(metal))
        if total and len(ids) >= WHOLE_LIST_MIN and len(ids) >= WHOLE_LIST_SHARE * total:
            row = first[metal]
            out.append(_f("smelter.whole_list", d, row, "metal", txt(
                "%(count)s of RMI's %(total)s %(metal)s smelters are listed; please confirm they are all in your "
                "supply chain for the declared scope", count=len(ids), total=total, metal=metal_name(row.metal or "")),
                {"listed": len(ids), "reference": total}))
    return out
