"""The check registry and the helpers checks share (answers, gating, cell references).

A check is a pure function ``(declaration, context) -> list[Finding]`` registered with ``@check(...)``;
``finding(check_id, ...)`` builds a Finding with the check's default severity (overrides are applied by the
engine afterwards).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cmrt.declaration import Declaration, Family, QuestionTopic, SmelterRow
from cmrt.review.model import SUPPLIER, TEAM, Check, CheckFunc, Finding, Severity
from cmrt.review.texts import Text, txt

REGISTRY: dict[str, Check] = {}

DECLARATION = "Declaration"
SMELTER_LIST = "Smelter List"
PRODUCT_LIST = "Product List"


def check(
    id: str,
    *,
    title: str,
    severity: Severity,
    area: str,
    rationale: str,
    message: str,
    sources: str = "",
    checker: str = "",
    needs: str = "",
    audience: str = SUPPLIER,
    after: bool = False,
    supersedes: tuple[str, ...] = (),
) -> Callable[[CheckFunc], CheckFunc]:
    if audience == TEAM and severity is not Severity.INFO:
        raise ValueError(f"{id}: a check for the team only must be info")

    def register(func: CheckFunc) -> CheckFunc:
        if id in REGISTRY:
            raise ValueError(f"duplicate check id {id}")
        REGISTRY[id] = Check(id, title, severity, area, rationale, message, func, sources, checker, needs, audience,
                             after, supersedes)
        return func

    return register


def finding(
    check_id: str,
    message: str | Text,
    sheet: str | None = None,
    cell: str | None = None,
    *,
    row: int | None = None,
    mineral: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Finding:
    """``message``: the detail as ``txt(KEY, **params)`` (``cmrt.review.texts``: the supplier reads it in their
    language), or plain English text (a check only the team sees)."""
    spec = REGISTRY[check_id]
    text = message if isinstance(message, Text) else None
    return Finding(check_id, spec.severity, text.english() if text else str(message), sheet, cell, row, mineral,
                   spec.title, detail, spec.audience, text)  # fmt: skip


def checker_rows(findings: Iterable[Finding]) -> Counter[str]:
    """How many rows of the template's own Checker sheet ``findings`` account for, per kind of required field
    (``Check.checker``). A finding stands for one Checker row, or for ``detail["checker_rows"]`` rows when it
    explains several (a blank question 1 also makes a CMRT 6.x Checker count that mineral's later answers);
    'Smelter not listed' rows count once for the whole list, as the Checker's single row for them does."""
    counts: Counter[str] = Counter()
    not_listed = False
    for f in findings:
        spec = REGISTRY.get(f.check)
        if spec is None or not spec.checker:
            continue
        if f.check == "smelter.not_listed_incomplete":
            not_listed = True
            continue
        counts[spec.checker] += int((f.detail or {}).get("checker_rows", 1))
    if not_listed:
        counts["smelter"] += 1
    return counts


# ---------------------------------------------------------------- values


_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=8192)
def _norm_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def norm(value: object) -> str:
    """Answers compared stripped, case-insensitive, with runs of spaces collapsed."""
    if value is None:
        return ""
    return _norm_text(value if isinstance(value, str) else str(value))


def blank(value: object) -> bool:
    return norm(value) in ("", "0", "#n/a")


def is_yes(value: object) -> bool:
    return norm(value).startswith("yes")


def is_no(value: object) -> bool:
    return norm(value) == "no"


def quote(value: object, limit: int = 60) -> str:
    """A value in quotes for a message; a long one is shortened at a word boundary (never mid-word: a supplier must
    recognise the name; the cell reference says where the whole value is). A single word is never cut."""
    text = re.sub(r"\s+", " ", str(value)).strip()
    if len(text) <= limit:
        return f"'{text}'"
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    elif " " not in cut:
        cut = text.split(" ", 1)[0]
    cut = cut.rstrip(" ,;:-")
    return f"'{cut}'" if cut == text else f"'{cut} …'"


# ---------------------------------------------------------------- questions and gating

GATE_TOPICS = (
    QuestionTopic.INTENTIONALLY_ADDED,
    QuestionTopic.REMAINS_IN_PRODUCT,
    QuestionTopic.NECESSARY,
    QuestionTopic.DECLARING,
)
CLOSED_VALUES = frozenset({"no", "not declaring", "not applicable for this declaration"})


def question_number(key: str) -> int:
    digits = "".join(ch for ch in key if ch.isdigit())
    return int(digits) if digits else 0


@dataclass(frozen=True)
class Facts:
    """What many checks ask about one declaration, computed once per review."""

    keys: tuple[str, ...]
    gates: tuple[str, ...]
    closed: frozenset[str]  # minerals whose gate question says No
    scope: tuple[str, ...]  # minerals declared in scope, in declaration order
    rows: tuple[SmelterRow, ...]  # smelter rows with any data


_FACTS: dict[int, tuple[Declaration, Facts]] = {}


def reset_facts() -> None:
    """Forget cached facts (the engine calls this at the start of every review)."""
    _FACTS.clear()


def facts(d: Declaration) -> Facts:
    hit = _FACTS.get(id(d))
    if hit is not None and hit[0] is d:
        return hit[1]
    keys = tuple(sorted(set(d.question_topics) | set(d.answers), key=question_number))
    gates = tuple(k for k in keys if d.question_topics.get(k) in GATE_TOPICS)
    closed = frozenset(
        m for m in d.minerals if any(norm(d.answers.get(k, {}).get(m)) in CLOSED_VALUES for k in gates)
    )
    scope = tuple(
        m for m in d.minerals if m not in closed and any(is_yes(d.answers.get(k, {}).get(m)) for k in gates)
    )
    rows = tuple(
        row for row in d.smelters
        if any(not blank(v) for v in (row.metal, row.lookup, row.name, row.country, row.smelter_id, row.id_input))
    )
    result = Facts(keys, gates, closed, scope, rows)
    if len(_FACTS) >= 16:
        _FACTS.clear()
    _FACTS[id(d)] = (d, result)
    return result


def question_keys(d: Declaration) -> list[str]:
    """Printed question keys in order, from the topics map and the answers."""
    return list(facts(d).keys)


def gate_keys(d: Declaration) -> list[str]:
    return list(facts(d).gates)


def gate_closed(d: Declaration, mineral: str) -> bool:
    """A gate question (Q1/Q2 in CMRT 6.x) answered No for this mineral: the rest is not asked."""
    return mineral in facts(d).closed


def in_scope(d: Declaration, mineral: str) -> bool:
    """Declared in scope: no gate closed and at least one gate answered Yes."""
    return mineral in facts(d).scope


def minerals_in_scope(d: Declaration) -> list[str]:
    return list(facts(d).scope)


def minerals_open(d: Declaration) -> list[str]:
    """Minerals the template's Checker still treats as in scope: no gate question answered No (blank counts)."""
    closed = facts(d).closed
    return [m for m in d.minerals if m not in closed]


def answer_cell(d: Declaration, key: str, mineral: str, comment: bool = False) -> tuple[str, str | None]:
    prefix = "answer_comments" if comment else "answers"
    sheet, cell = d.cell(f"{prefix}.{key}.{mineral}")
    return sheet or DECLARATION, cell


def label(d: Declaration, key: str) -> Text | str:
    """How a question is named to the supplier: "question 3" (printed number; a ``txt`` parameter)."""
    return txt("question %(number)s", number=question_number(key)) if question_number(key) else key


def labels(d: Declaration, keys: Iterable[str]) -> Text | str:
    """Several questions: "question 3, question 4" (a ``txt`` parameter)."""
    names = [label(d, k) for k in keys]
    if len(names) == 1:
        return names[0]
    out: Text | str = names[0]
    for name in names[1:]:
        out = txt("%(first)s, %(next)s", first=out, next=name)
    return out


# ---------------------------------------------------------------- company block cells

_FALLBACK_CELLS = {  # CMRT 3.x/6.x, EMRT 1.x and CRT company block (Declaration rows 8-22)
    "company.name": "D8",
    "company.scope": "D9",
    "company.scope_description": "D10",
    "company.contact.name": "D15",
    "company.contact.email": "D16",
    "company.contact.phone": "D17",
    "company.authorizer.name": "D18",
    "company.authorizer.title": "D19",
    "company.authorizer.email": "D20",
    "company.authorizer.phone": "D21",
    "company.effective_date": "D22",
}


def field_cell(d: Declaration, path: str) -> tuple[str, str | None]:
    sheet, cell = d.cell(path)
    if cell:
        return sheet or DECLARATION, cell
    version = d.template.version_tuple
    same_rows = (d.template.family is Family.CMRT and version and version[0] >= 3) or (
        d.template.family in (Family.CRT,) or (d.template.family is Family.EMRT and version and version[0] == 1)
    )
    return DECLARATION, _FALLBACK_CELLS.get(path) if same_rows else None


# ---------------------------------------------------------------- smelter rows


def smelter_cell(d: Declaration, row: SmelterRow, field: str) -> tuple[str, str | None]:
    column = d.smelter_columns.get(field)
    return SMELTER_LIST, f"{column}{row.row}" if column else None


def rows_with_data(d: Declaration) -> tuple[SmelterRow, ...]:
    """Smelter rows with anything in metal, look-up, name, country or id (empty template rows skipped)."""
    return facts(d).rows


# ---------------------------------------------------------------- dates

_DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d-%B-%Y", "%d %b %Y", "%d %B %Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d",
                 "%d.%m.%Y", "%b %d, %Y", "%B %d, %Y", "%Y%m%d")


def effective_date(d: Declaration) -> dt.date | None:
    """The reader's date, else the raw text parsed leniently (``02-May-2024``)."""
    if d.company.effective_date is not None:
        return d.company.effective_date
    raw = (d.company.effective_date_raw or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None
