"""The report as an XLSX workbook a compliance officer can file: human headers, sensible widths, a frozen header
row, autofilters, number and percent formats, and a "Read me" sheet (definitions, list dates, time of export).
Every text cell goes through ``cmrt.textsafe.cell`` and is written as a string: supplier text such as
``=HYPERLINK(...)`` in a smelter name is never a formula.

Without RMAP status lists the shares read "unknown (no RMAP list imported)", never 0 %.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cmrt.figures import DEFINITIONS
from cmrt.reporting.model import Report
from cmrt.reporting.text import cmr_paragraph
from cmrt.smelters.consolidate import REASONS, STATUS_TEXT, STATUSES
from cmrt.smelters.rmap import NO_LISTS_TEXT
from cmrt.textsafe import cell as safe_cell

COUNT = "#,##0"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
MAX_WIDTH = 60

Column = tuple[str, str | None]  # (header, number format)

SMELTER_COLUMNS: tuple[Column, ...] = (
    ("Metal", None), ("Smelter ID", None), ("Standard smelter name", None), ("Country (most reported)", None),
    ("Country (RMI reference)", None), ("Suppliers reporting it", COUNT), ("RMAP status", None),
    ("RMAP list date", DATE), ("Re-audit in progress", None), ("Last audit date", DATE),
    ("Next audit due (not an expiry)", DATE), ("Identified by", None), ("Match confidence", PERCENT),
    ("Names reported", None),
)  # fmt: skip
REJECTED_COLUMNS: tuple[Column, ...] = (
    ("Metal", None), ("Reason", None), ("Explanation", None), ("Name reported", None), ("Country reported", None),
    ("Smelter ID reported", None), ("Suppliers reporting it", COUNT),
)  # fmt: skip
SUPPLIER_IDS: Column = ("Supplier ids (internal use only)", None)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _sheet(book: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
           *, first: bool = False) -> Worksheet:
    """A table sheet: bold frozen header, autofilter, number formats per column, widths from the content."""
    if first:
        sheet = book.active
        assert sheet is not None
        sheet.title = title
    else:
        sheet = book.create_sheet(title)
    sheet.append([header for header, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in rows:
        _append(sheet, row)
    for index, (_, number_format) in enumerate(columns, start=1):
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, int | float | dt.date):
                    cell.number_format = number_format
    _widths(sheet)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(sheet.max_row, 1)}"
    return sheet


def _append(sheet: Worksheet, row: Sequence[Any]) -> None:
    """Append a row; text is neutralised (``'`` before a formula start) and stored as a string, never a formula."""
    sheet.append([safe_cell(value) for value in row])
    for written in sheet[sheet.max_row]:
        if isinstance(written.value, str):
            written.data_type = "s"


def _widths(sheet: Worksheet, minimum: int = 8) -> None:
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value.isoformat() if isinstance(cell.value, dt.date) else str(cell.value)
            longest = max((len(part) for part in text.splitlines()), default=0)
            widths[cell.column] = max(widths.get(cell.column, minimum), min(longest + 2, MAX_WIDTH))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width


def _share(value: float | None) -> float | str:
    return NO_LISTS_TEXT if value is None else round(value, 4)


def workbook_bytes(report: Report) -> bytes:
    """The XLSX export of ``report``; supplier ids appear only when the consolidation was made with them."""
    book = Workbook()
    _read_me(book, report)
    _survey(book, report)
    result = report.smelters
    extra = (SUPPLIER_IDS,) if result.with_suppliers else ()
    rows = []
    for r in result.rows:
        rows.append([
            r.metal, r.smelter_id, r.standard_name, r.country, r.reference_country, r.suppliers,
            r.status_text or STATUS_TEXT[r.status], r.list_date, _yes(r.reaudit_in_progress) if r.list_date else None,
            r.last_audit_date, r.audit_due, {"id": "smelter id", "lookup": "look-up value"}.get(r.matched_by,
            "name (fuzzy match)"), r.confidence, "; ".join(r.reported_names),
            *(["; ".join(r.supplier_keys)] if extra else []),
        ])  # fmt: skip
    _sheet(book, "Consolidated smelters", (*SMELTER_COLUMNS, *extra), rows)
    rejected = [
        [e.metal, e.reason.replace("_", " "), e.message, e.name, e.country, e.smelter_id, e.suppliers,
         *(["; ".join(e.supplier_keys)] if extra else [])]
        for e in result.rejected
    ]  # fmt: skip
    _sheet(book, "Rejected entries", (*REJECTED_COLUMNS, *extra), rejected)
    statuses = [s for s in STATUSES if s != "unknown"] if result.has_status_lists else ["unknown"]
    summary = [
        [metal, s.smelters, *(s.statuses[k] for k in statuses), _share(s.conformant_share),
         _share(s.conformant_or_active_share), s.reaudit_in_progress, s.audit_cycle_elapsed]
        for metal, s in result.by_metal.items()
    ]  # fmt: skip
    _sheet(book, "Summary by metal", (
        ("Metal", None), ("Smelters", COUNT), *((STATUS_TEXT[k].capitalize(), COUNT) for k in statuses),
        ("Conformant", PERCENT), ("Conformant or active", PERCENT), ("Re-audit in progress", COUNT),
        ("Audit cycle passed, no re-audit shown (team information)", COUNT),
    ), summary)  # fmt: skip
    origins = [[metal, country, n] for metal, s in result.by_metal.items() for country, n in s.mine_countries.items()]
    _sheet(book, "Mine countries", (("Metal", None), ("Mine country of origin", None),
                                    ("Suppliers declaring it", COUNT)), origins)  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _survey(book: Workbook, report: Report) -> None:
    f = report.figures
    d = f.declarations
    rows: list[tuple[str, Any, str | None]] = [
        ("Reporting year", f.year, None),
        ("Suppliers in the campaign", f.suppliers, COUNT),
        ("Suppliers surveyed", f.surveyed, COUNT),
        ("Suppliers responded", f.responded, COUNT),
        ("Response rate", round(f.response_rate, 4), PERCENT),
        ("Company-level declarations", d["company"], COUNT),
        ("Product-level declarations", d["product"], COUNT),
        ("User-defined declarations", d["user_defined"], COUNT),
        ("Declarations without a scope", d["unknown"], COUNT),
        *((f"Grade: {g.replace('_', ' ')}", n, COUNT) for g, n in f.grades.items()),
        ("Questions without a workbook", f.questions, COUNT),
        ("Awaiting a response", f.awaiting, COUNT),
        (f"Overdue (due {f.due_date.isoformat()})", f.overdue, COUNT),
        ("Bounced", f.bounced, COUNT),
        ("Not yet sent", f.not_sent, COUNT),
        ("Exempt", f.exempt, COUNT),
    ]
    sheet = _sheet(book, "Survey figures", (("Figure", None), ("Value", None)), [(k, v) for k, v, _ in rows])
    for index, (_, _, number_format) in enumerate(rows, start=2):
        if number_format:
            sheet.cell(row=index, column=2).number_format = number_format


def _read_me(book: Workbook, report: Report) -> None:
    sheet = book.active
    assert sheet is not None
    sheet.title = "Read me"
    year = report.campaign.get("year", report.figures.year)
    result = report.smelters
    lines: list[tuple[str, Any]] = [
        ("Conflict Minerals Report figures", f"reporting year {year}"),
        ("For the report", cmr_paragraph(report)),
        ("Exported at", report.generated_at.astimezone(dt.UTC).replace(tzinfo=None)),
        ("Figures as of", report.today),
        ("RMAP status lists", report.rmap_date if report.rmap_date else (
            NO_LISTS_TEXT if not result.has_status_lists else "undated")),
        ("Smelter reference list", result.reference_date or "none imported (names matched against the workbooks)"),
    ]  # fmt: skip
    if report.stale_warning:
        lines.append(("Warning", report.stale_warning))
    lines += [
        ("RMAP status", "As RMI publishes it on the list date: conformant while on the Conformant list (also during "
         "a re-audit), active while on the Active list, removed when the revisions list records RMI's removal, "
         "not listed otherwise. The 'next audit due' date is when a re-audit is due, not an expiry."),
        ("Confidentiality", "Counts only; supplier ids appear only in an export made with --with-suppliers, for "
         "internal follow-up."),
        ("", ""),
        ("Definitions", ""),
    ]  # fmt: skip
    lines += [(key, text) for key, text in DEFINITIONS.items()]
    lines += [(f"Rejected: {key.replace('_', ' ')}", text) for key, text in REASONS.items()]
    for key, value in lines:
        _append(sheet, [key, value])
    sheet["A1"].font = Font(bold=True, size=14)
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.row > 1:
            cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top")
    for (cell,) in sheet.iter_rows(min_col=2, max_col=2):
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm \"UTC\""
        elif isinstance(cell.value, dt.date):
            cell.number_format = DATE
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 110
