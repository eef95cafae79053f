"""The template's own ``Checker`` sheet: how many required fields it counts as missing, and of which kind.

``Checker!D2`` caches the count. From CMRT 2.03 on (and in every EMRT, CRT and AMRT) each checked field has a row
with helper columns F "necessary?", G "complete?" and H "incomplete" (H = F x G); a row with H = 1 is one of the
fields counted. Its kind is told from the row's texts, which do not depend on the selected language where it
matters: the column-D link ("Click here to answer question 3 for Tin", English in every language), the fixed
English labels ("Product List", "Smelter List - Tin", "The URL in the comment field") and the label in column A
(a company-question letter, or a mineral through the ``L`` sheet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cmrt.workbook.grid import Grid
from cmrt.workbook.labels import Labels
from cmrt.workbook.values import clean_text

#: The kinds of required field, as the review's Checker-parity checks name them too.
KINDS = ("company", "question", "company_question", "product", "smelter")

_LETTER = re.compile(r"^\s*[A-K]\s*[.．]")
_QUESTION_LETTER = re.compile(r"question\s*\(\s*[A-K]\s*\)", re.IGNORECASE)
_QUESTION_NUMBER = re.compile(r"question\s*\d", re.IGNORECASE)
_FLAG_HEADERS = ("incomplete", "remaining")


@dataclass(frozen=True)
class CheckerState:
    remaining: int | None  # Checker!D2 when it is a whole number >= 0
    open_kinds: tuple[str, ...] = ()  # the kind of each row the Checker counts (H = 1), in sheet order


def count_of(value: object) -> int | None:
    """A cached count: None unless it is a whole number >= 0 (a tool that does not recalculate may leave -1)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text) if text else None
        except ValueError:
            return None
    if isinstance(value, int | float) and value >= 0 and float(value).is_integer():
        return int(value)
    return None


def read_checker(grid: Grid, labels: Labels) -> CheckerState:
    remaining = count_of(grid.value(2, 4))
    flag_col = next(
        (col for col in range(6, 12) if (clean_text(grid.value(3, col)) or "").casefold() in _FLAG_HEADERS), None
    )
    if remaining is None or flag_col is None:  # CMRT 2.00-2.02 keep no per-row flag
        return CheckerState(remaining)
    kinds: list[str] = []
    for row in range(4, grid.nrows + 1):
        if count_of(grid.value(row, flag_col)) != 1 or grid.value(row, 1) is None:
            continue
        kinds.append(_kind(grid, labels, row))
    return CheckerState(remaining, tuple(kinds))


def _kind(grid: Grid, labels: Labels, row: int) -> str:
    label = grid.text(row, 1) or ""
    link = grid.text(row, 4) or ""
    note = labels.get("Checker", f"J{row}") or grid.text(row, 10) or ""
    english = labels.to_english(label) or label
    if _LETTER.match(label) or "url" in f"{english} {note}".casefold() or _QUESTION_LETTER.search(link):
        return "company_question"
    if _QUESTION_NUMBER.search(link):
        return "question"
    words = f"{english} {link}".casefold()
    if "smelter" in words:  # before the mineral test: EMRT 2.x labels these rows with the mineral alone
        return "smelter"
    if "product" in words:
        return "product"
    return "question" if labels.mineral(label) else "company"
