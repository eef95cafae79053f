"""The Checker sheet of a factory workbook, computed from the spec as the CMRT 6.x template's formulas do.

Written from the template's own formulas (CMRT 6.4/6.5 ``Checker`` rows 4-69), independently of the review
engine, so tests can compare the two: a field counts when it is necessary (F) and incomplete (G); H = F x G; D2 is
the sum. Excel's comparisons are case-insensitive (``B14="Yes"``), and a question's answer is read only when the
questions gating it say Yes (``B19 = IF($B$14="Yes", Declaration!D32, 0)``), so an answered question 3 behind a
blank question 1 still counts as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from cmrt.workbook.factory import CmrtSpec

METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
_SCOPES_WITHOUT_DESCRIPTION = ("a. company", "b. product (or list of products)")


@dataclass(frozen=True)
class CheckerRow:
    row: int
    label: str  # column A: the Declaration label (in the workbook's language) or a fixed English text
    link: str  # column D: the English "Click here to ..." text shown while the row is incomplete
    necessary: bool
    complete: bool

    @property
    def incomplete(self) -> bool:
        return self.necessary and not self.complete


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is(value: Any, word: str) -> bool:
    return _text(value).casefold() == word.casefold()


def checker_rows(spec: CmrtSpec, label: Any) -> list[CheckerRow]:
    """``label(key)`` gives the Declaration label text (``"DeclarationB8"``) in the workbook's language."""
    rows: list[CheckerRow] = []

    def add(row: int, text: str, link: str, necessary: bool, complete: bool) -> None:
        rows.append(CheckerRow(row, text, link, necessary, complete))

    scope = _text(spec.scope).casefold()
    fields = (
        (4, "B8", spec.company_name, "Company Name", True),
        (5, "B9", spec.scope, "Declaration Scope", True),
        (6, "B10", spec.scope_description, "Description of Scope", scope not in ("", *_SCOPES_WITHOUT_DESCRIPTION)),
        (7, "B15", spec.contact_name, "Contact Name", True),
        (8, "B16", spec.contact_email, "Email-Contact", True),
        (9, "B17", spec.contact_phone, "Phone-Contact", True),
        (10, "B18", spec.authorizer_name, "an Authorized Company Representative's name", True),
        (11, "B20", spec.authorizer_email, "Representative's email", True),
        (12, "B22", spec.effective_date, "Date of Completion", True),
    )
    for row, key, value, what, necessary in fields:
        complete = "@" in _text(value) if key in ("B16", "B20") else _text(value) != ""
        add(row, label(f"Declaration{key}"), f"Click here to enter {what}", necessary, complete)
    answers = spec.answers
    later_necessary: dict[str, bool] = {}
    row = 14
    for number in range(1, 9):
        for metal in METALS:
            q1, q2 = answers.get("Q1", {}).get(metal), answers.get("Q2", {}).get(metal)
            value = answers.get(f"Q{number}", {}).get(metal)
            if number == 1:
                necessary, seen = True, value
            elif number == 2:
                necessary, seen = not _is(q1, "No"), value if _is(q1, "Yes") else None
            else:
                seen_q2 = q2 if _is(q1, "Yes") else None
                necessary = not (_is(q1, "No") or _is(seen_q2, "No"))
                seen = value if _is(q1, "Yes") and _is(seen_q2, "Yes") else None
                later_necessary[metal] = necessary
            link = f"Click here to answer question {number} for {metal}"
            add(row, label(f"DeclarationB{26 + METALS.index(metal)}"), link, necessary, _text(seen) != "")
            row += 1
        row += 1  # the question's header row
    company_required = any(later_necessary.values())
    for letter, row in zip("ABCDEFGH", (54, 55, 57, 58, 59, 60, 62, 63), strict=True):
        answer = spec.company_answers.get(letter)
        key = f"DeclarationB{75 + 2 * 'ABCDEFGH'.index(letter)}"
        add(row, label(key), f"Click here to answer question ({letter})", company_required, _text(answer) != "")
        if letter == "B":
            url = spec.company_comments.get("B")
            add(56, "The URL in the comment field", "Click here to specify URL for question (B)",
                company_required and _is(answer, "Yes"), len(_text(url)) > 1)  # fmt: skip
    first = next((p for p in spec.products[:1]), None)
    add(64, "Product List", "Click here to enter detail on Product List tab",
        scope == "b. product (or list of products)", first is not None and _text(first.number) != "")  # fmt: skip
    for index, metal in enumerate(METALS):
        listed = any(_is(s.metal, metal) and _text(s.lookup) for s in spec.smelters)
        add(65 + index, f"Smelter List - {metal}", "Click here to provide smelter information",
            later_necessary[metal], listed)  # fmt: skip
    not_listed = [s for s in spec.smelters if _is(s.lookup, "Smelter not listed")]
    add(69, 'All rows with "Smelter not listed" selected, have a name and country listed',
        "Click here to provide smelter information", bool(not_listed),
        all(_text(s.name) and _text(s.country) for s in not_listed))  # fmt: skip
    return rows


def write_checker(ws: Worksheet, rows: list[CheckerRow], cached: Any) -> None:
    """Rows 3-70 as the template lays them out; D2 = ``cached`` (the count, or a stale or absurd value)."""
    ws["A1"] = "To ensure all required fields have been populated before submitting, review any line highlighted."
    ws["A2"], ws["B2"] = "Click here to return to Declaration tab", "Click here to return to Smelter List"
    ws["D2"] = cached
    for col, text in zip("ABCDFGH", ("Required Fields", "Answer provided", "Notes", "Hyperlink to source",
                                      "necessary?", "complete?", "incomplete"), strict=True):  # fmt: skip
        ws[f"{col}3"] = text
    for item in rows:
        ws[f"A{item.row}"] = item.label
        ws[f"C{item.row}"] = "Completed" if not item.incomplete else "Required"
        if item.incomplete:
            ws[f"D{item.row}"] = item.link
        ws[f"F{item.row}"], ws[f"G{item.row}"] = int(item.necessary), int(not item.complete)
        ws[f"H{item.row}"] = int(item.incomplete)
    ws["H70"] = sum(int(item.incomplete) for item in rows)
