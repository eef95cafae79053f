"""Cell value normalisation: text cleaning, canonical answers, effective dates.

Templates are filled by people and tools of every kind: trailing tabs, ``0`` in empty formula columns, ``#N/A``
cached by tools that do not recalculate, the number 1 formatted as 100 %, dates typed as text. Everything the
reader returns goes through these functions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

#: Excel error values as calamine and openpyxl report them.
EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!"}
)
_EMPTY = frozenset({"", "0", "0.0", *EXCEL_ERRORS})
_WS = re.compile(r"[ \t\r\n\u00a0\u200b\u3000]+")


def is_error(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def clean_text(value: Any) -> str | None:
    """A cell as text: stripped (tabs, non-breaking spaces), integral floats without ``.0``; empty → None.

    ``0``, ``"0"``, Excel errors and blank strings are empty: templates show them in unfilled formula columns.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if math.isnan(value) or value == 0:
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return None if value == 0 else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    text = str(value).strip(" \t\r\n\u00a0\u200b\u3000")
    if text.upper() in _EMPTY:
        return None
    return text


def fold(text: str) -> str:
    """Comparison key: case-folded, whitespace collapsed, ``(*)`` markers and trailing colons removed."""
    text = text.replace("(*)", " ").replace("（*）", " ")
    text = _WS.sub(" ", text).strip().rstrip(":：").strip()
    return text.casefold()


# Canonical spellings of every dropdown value in the 2.x-6.x, EMRT, CRT and AMRT templates.
_CANONICAL = [
    "Yes",
    "No",
    "Unknown",
    "100%",
    "Greater than 90%",
    "Greater than 75%",
    "Greater than 50%",
    "50% or less",
    "None",
    "Did not survey",
    "Not declaring",
    "Not applicable for this declaration",
    "DRC only",
    "India and/or Madagascar only",
    "DRC or adjoining countries only",
    "Uncertain or Unknown",
    "Yes, 100%",
    "No, but greater than 75%",
    "No, but greater than 50%",
    "No, but greater than 25%",
    "No, but less than 25%",
    "Yes, in conformance with IPC1755 (e.g., CMRT)",
    "Yes, in conformance with IPC1755 (e.g. EMRT)",
    "Yes, using other format (describe)",
    "Yes, with the SEC",
    "Yes, with the EU",
    "Yes, with the SEC and the EU",
    "Yes, when more processors are validated",
    "Yes, CRT",
]
_CANONICAL_BY_FOLD = {fold(v): v for v in _CANONICAL}
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


def normalise_answer(value: Any) -> str | None:
    """A dropdown answer in canonical form (``Yes``/``No``/``Unknown``; the number 1 → ``100%``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value == 1:
            return "100%"
        if 0 < value < 1:
            return f"{round(value * 100)}%"
    text = clean_text(value)
    if text is None:
        return None
    canonical = _CANONICAL_BY_FOLD.get(fold(text))
    if canonical is not None:
        return canonical
    match = _PERCENT.match(text)
    if match and float(match.group(1)) == 100:
        return "100%"
    if text in ("1", "1.0"):
        return "100%"
    return text


_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1904 = dt.date(1904, 1, 1)
_TEXT_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%B-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%y",
    "%Y.%m.%d",
    "%Y%m%d",
)
_CJK_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")


def serial_to_date(serial: float, date1904: bool) -> dt.date | None:
    if not 0 < serial < 2_958_466:  # Excel's last day is 9999-12-31
        return None
    days = int(serial)
    if date1904:
        return _EPOCH_1904 + dt.timedelta(days=days)
    if days < 61:  # Excel's fictitious 1900-02-29
        days += 1
    return _EPOCH_1900 + dt.timedelta(days=days)


def parse_date(value: Any, *, date1904: bool = False) -> tuple[dt.date | None, str | None]:
    """(date, raw text): real dates, serial numbers (with the workbook's epoch) and common text formats.

    ``raw`` is the cell as found when it was not a real date (for the analyst to see), else None.
    """
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, int | float):
        return serial_to_date(float(value), date1904), clean_text(value)
    text = clean_text(value)
    if text is None:
        return None, None
    candidate = _WS.sub(" ", text)
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return dt.datetime.strptime(candidate, fmt).date(), text
        except ValueError:
            continue
    match = _CJK_DATE.match(candidate)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), text
        except ValueError:
            pass
    if re.fullmatch(r"\d{5}(\.\d+)?", candidate):
        return serial_to_date(float(candidate), date1904), text
    try:
        return dt.datetime.fromisoformat(candidate).date(), text
    except ValueError:
        return None, text
