"""RMI's smelter lists in the database, and reviews against them: the use cases behind ``cmrt-bot smelters`` and
``cmrt-bot check --rmap`` (``handlers.smelter_lists`` fetches the lists from RMI).

``import_files`` reads RMI's exports exactly as downloaded (Excel 2003 XML or CSV: the RMAP Conformant and Active
lists, the smelter-list revisions and the smelter reference; the kind is recognised from the header row and the
list's date from the file or sheet name) and stores each file once (same SHA-256: not again). ``list_rows`` and
``status_rows`` read them back (a status as RMI publishes it, named with its list's date); the ``*_lines``
functions render the rows for a terminal. ``load_rmi_paths`` and ``review_for_file`` review one workbook against
lists given as files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cmrt.declaration import Declaration
from cmrt.review import ReviewResult, Severity
from cmrt.review.adhoc import context_for, review_with_lists
from cmrt.review.model import ReviewContext
from cmrt.smelters import (
    NO_LISTS_TEXT,
    ListKind,
    RmiImportError,
    RmiList,
    SmelterReference,
    load_rmi_file,
    stale_warning,
)

if TYPE_CHECKING:  # `cmrt-bot check --rmap` reviews files without the store: SQLAlchemy loads for the database uses
    from sqlalchemy.orm import Session

    from cmrt.workbook.sheets import LookupRows
    from store.engine import SessionSource

NO_LISTS = "No smelter lists imported yet: run `cmrt-bot smelters import FILE...`."
NO_LISTS_TO_SHOW = "No smelter lists imported yet: run `cmrt-bot smelters fetch` or `cmrt-bot smelters import FILE...`."


def load_rmi_paths(paths: Sequence[str | pathlib.Path]) -> list[RmiList]:
    """Read and parse RMI list files; raises RmiImportError naming the file that is not one."""
    lists: list[RmiList] = []
    for path in paths:
        path = pathlib.Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RmiImportError(f"{path}: cannot be opened ({exc.strerror})") from exc
        lists.append(load_rmi_file(path.name, data))
    return lists


def _iso(item: RmiList) -> str | None:
    return item.list_date.isoformat() if item.list_date else None


def import_files(db: SessionSource, names: Sequence[str]) -> list[dict[str, Any]]:
    """Import each file (one unit of work per file); one row per file, with ``error`` when it was not imported."""
    from store import smelters as repo

    report: list[dict[str, Any]] = []
    for name in names:
        path = pathlib.Path(name)
        try:
            data = path.read_bytes()
            item = load_rmi_file(path.name, data)
        except OSError as exc:
            report.append({"file": name, "error": f"cannot be opened ({exc.strerror})"})
            continue
        except RmiImportError as exc:
            report.append({"file": name, "error": str(exc)})
            continue
        digest = hashlib.sha256(data).hexdigest()
        with db.session() as session:
            existing = repo.find_by_sha256(session, digest)
            row = {"file": name, "kind": item.kind.value, "list_date": _iso(item), "rows": len(item)}
            if existing is not None:
                report.append(row | {"list_id": existing.id, "status": "already imported"})
                continue
            stored = repo.add_rmi_list(session, item, sha256=digest)
            report.append(row | {"list_id": stored.id, "status": "imported"})
    return report


def import_lines(report: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in report:
        if "error" in row:
            lines.append(f"{row['file']}: NOT IMPORTED - {row['error']}")
        else:
            date = row["list_date"] or "undated"
            lines.append(
                f"{row['file']}: {row['status']} as list #{row['list_id']} ({row['kind']} list of {date}, "
                f"{row['rows']} rows)"
            )
    return lines


def list_rows(session: Session) -> list[dict[str, Any]]:
    from store import smelters as repo

    return [
        {
            "list_id": sl.id,
            "kind": sl.kind.value,
            "list_date": sl.list_date.isoformat() if sl.list_date else None,
            "rows": sl.row_count,
            "file": sl.source_file,
            "imported_at": sl.imported_at.isoformat(),
        }
        for sl in repo.lists(session)
    ]


def list_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return [NO_LISTS]
    return [
        f"#{row['list_id']} {row['kind']:<10} {row['list_date'] or 'undated':<10} {row['rows']:>6} rows  {row['file']}"
        for row in rows
    ]


@dataclass(frozen=True)
class Statuses:
    """``smelters show``: one row per smelter, and the warning when the status lists are too old."""

    rows: list[dict[str, Any]]
    warning: str = ""


def status_rows(session: Session, ids: Sequence[str], today: dt.date, max_age: int) -> Statuses | None:
    """Each smelter's RMAP status as published on the newest imported lists (with their date); None when no
    list is imported. ``max_age``: days after which a status list counts as stale."""
    from store import smelters as repo

    ctx = context_for(today=today, lists=repo.latest_rmi_lists(session))
    if ctx.rmap is None and ctx.reference is None:
        return None
    rows = [_shown(cid, ctx, today, max_age) for cid in ids]
    rmap_date = ctx.rmap.list_date if ctx.rmap is not None and ctx.rmap.has_status_lists else None
    warning = stale_warning(rmap_date, today, max_age) if rmap_date or ctx.rmap is not None else ""
    return Statuses(rows, warning)


def _shown(cid: str, ctx: ReviewContext, today: dt.date, max_age: int) -> dict[str, Any]:
    """One smelter of ``smelters show``: the reference's names and the status as published, with its list date."""
    entry = ctx.reference.standard(cid) if ctx.reference is not None else None
    has_lists = ctx.rmap is not None and ctx.rmap.has_status_lists
    status = ctx.rmap.status(cid) if ctx.rmap is not None and has_lists else None
    rmap_entry = status.entry if status is not None else None
    return {
        "smelter_id": cid.strip().upper(),
        "name": entry.standard_name if entry else (rmap_entry.name if rmap_entry else None),
        "metal": entry.metal if entry else (rmap_entry.metal if rmap_entry else None),
        "country": entry.country if entry else (rmap_entry.country if rmap_entry else None),
        "in_reference": entry is not None,
        "rmap_status": status.state.value if status is not None else None,
        "rmap_status_text": status.label(today, max_age) if status is not None else NO_LISTS_TEXT,
        "reaudit_in_progress": status.reaudit_in_progress if status is not None else False,
        "last_audit_date": rmap_entry.last_audit_date.isoformat() if rmap_entry and rmap_entry.last_audit_date
        else None,
        "audit_due": status.audit_due.isoformat() if status is not None and status.audit_due else None,
        "valid_until": None,  # kept for compatibility: RMI publishes no expiry, and the bot invents none
        "removed": status.removed.details if status is not None and status.removed else None,
        "rmap_list_date": status.list_date.isoformat() if status is not None and status.list_date else None,
    }


def status_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        where = ", ".join(str(v) for v in (row["metal"], row["country"]) if v)
        due = f"; next audit due {row['audit_due']}" if row["audit_due"] else ""
        removed = f"; removed by RMI: {row['removed']}" if row["removed"] else ""
        lines.append(f"{row['smelter_id']}: {row['name'] or '(not in the imported reference)'}"
                     f"{f' ({where})' if where else ''} - {row['rmap_status_text']}{due}{removed}")
    return lines


# ---------------------------------------------------------------- used by `cmrt-bot check`


def review_for_file(
    path: str,
    declaration: Declaration | None,
    lists: Sequence[RmiList],
    today: dt.date,
    *,
    reference: SmelterReference | None = None,
    **options: Any,
) -> ReviewResult | None:
    """Review one read declaration against ``lists``; the smelter reference is ``reference`` (the workbook's own
    look-up, ``workbook_reference``) if given, else RMI's export among ``lists``; ``options``: more
    ``context_for`` arguments. ``path`` names the file (the caller read it)."""
    if declaration is None:
        return None
    return review_with_lists(declaration, today=today, lists=lists, reference=reference, **options)


def workbook_reference(lookup: LookupRows | None, lists: Sequence[RmiList]) -> SmelterReference | None:
    """The reference a review without RMI's reference export uses: the workbook's own look-up sheet, from its rows
    as the reader returned them (``cmrt.workbook.read_workbook_and_lookup``: the workbook itself is opened only in
    the reader's worker process); None when ``lists`` hold RMI's reference (it wins) or there is no look-up."""
    from cmrt.smelters.workbook import reference_from_sheet

    if lookup is None or any(item.kind is ListKind.REFERENCE for item in lists):
        return None
    return reference_from_sheet(*lookup)


def review_summary(result: ReviewResult, limit: int = 12) -> str:
    """A few lines for the human output of ``cmrt-bot check``."""
    counts = ", ".join(
        f"{sum(1 for f in result.findings if f.severity is s)} {s.value}"
        for s in Severity
        if any(f.severity is s for f in result.findings)
    )
    lists = f"; RMAP lists of {result.rmap_date}" if result.rmap_date else "; no RMAP list loaded (--rmap)"
    lines = [f"  review: {result.grade.value}, score {result.score}/100 ({counts or 'no findings'}){lists}"]
    history = [f for f in result.findings if f.check.startswith("history.")]
    others = [f for f in result.findings if not f.check.startswith("history.")]
    for item in others[:limit]:
        lines.append(f"    [{item.severity.value}] {item.text}")
    if len(others) > limit:
        lines.append(f"    ... {len(others) - limit} more (use --json)")
    if history:  # what changed since the previous declaration: always shown in full
        lines.append("  since the previous declaration:")
        lines += [f"    [{item.severity.value}] {item.text}" for item in history]
    return "\n".join(lines)
