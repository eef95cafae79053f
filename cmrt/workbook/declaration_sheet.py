"""Parse the ``Declaration`` sheet: company block, minerals in scope, per-mineral questions, company questions.

Rows are identified by their English label (through ``L``), so the selected language does not matter; when
labels are unreadable (cached as ``#N/A``, or no ``L`` sheet) the per-version fixed cells are used instead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from cmrt.declaration import (
    Company,
    CompanyAnswer,
    CompanyTopic,
    Person,
    QuestionTopic,
    Scope,
    Template,
    Warning_,
)
from cmrt.workbook.grid import Grid, col_letter
from cmrt.workbook.labels import Labels, data_end
from cmrt.workbook.layouts import (
    COMPANY_HEADER,
    COMPANY_LABELS,
    QUESTION_HEADER,
    Layout,
    company_topic_of,
    family_minerals,
    layout_for,
    question_topic_of,
)
from cmrt.workbook.values import clean_text, is_error, normalise_answer, parse_date

SHEET = "Declaration"
_ANSWER_COL, _COMMENT_COL, _INPUT_COL = 4, 7, 4
_BLOCK_SPAN = 11  # mineral rows follow their question header within this many rows
_SCAN_LIMIT = 160
_SCOPE_LETTER = re.compile(r"^\s*([A-D])\s*[.．]")


@dataclass
class DeclarationPart:
    company: Company = field(default_factory=Company)
    minerals: tuple[str, ...] = ()
    answers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    answer_comments: dict[str, dict[str, str | None]] = field(default_factory=dict)
    question_topics: dict[str, QuestionTopic] = field(default_factory=dict)
    company_questions: dict[str, CompanyAnswer] = field(default_factory=dict)
    company_question_topics: dict[str, CompanyTopic] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)


#: CMRT 2.x scope letters: A Company, B Division, C Product Category, D Product level; 3.x+: A, B Product, C User.
_LEVELS_2 = {"A": "company", "B": "division", "C": "product_category", "D": "product"}
_LEVELS = {"A": "company", "B": "product", "C": "user_defined"}
_SCOPE_OF_LEVEL = {"company": Scope.COMPANY, "product": Scope.PRODUCT, "user_defined": Scope.USER_DEFINED,
                   "division": Scope.USER_DEFINED, "product_category": Scope.USER_DEFINED}  # fmt: skip


def scope_level_of(raw: str | None, major: int) -> str | None:
    """The declaration level as the template names it (see ``Company.scope_level``)."""
    if not raw:
        return None
    match = _SCOPE_LETTER.match(raw)
    if match is None:
        lowered = raw.casefold()
        for word, level in (("division", "division"), ("category", "product_category"), ("company", "company"),
                            ("product", "product"), ("user", "user_defined")):  # fmt: skip
            if word in lowered:
                return level
        return None
    letters = _LEVELS_2 if major and major < 3 else _LEVELS
    return letters.get(match.group(1))


def scope_of(raw: str | None, major: int) -> Scope | None:
    level = scope_level_of(raw, major)
    return _SCOPE_OF_LEVEL[level] if level else None


class _Rows:
    """Column-B labels of the Declaration in English, with the kind of each row."""

    def __init__(self, grid: Grid, labels: Labels) -> None:
        self.grid = grid
        self.english: dict[int, str] = {}
        self.mineral: dict[int, str] = {}
        self.unreadable = 0
        self.blank: set[int] = set()  # rows whose label is empty or an error (unreadable)
        # only the form itself: the footer and a translation table below it hold template text, never data
        for row in range(1, min(grid.nrows + 1, _SCAN_LIMIT + 1, data_end(grid))):
            raw = grid.value(row, 2)
            cached = None if is_error(raw) else clean_text(raw)
            if is_error(raw):
                self.unreadable += 1
            if cached is None:
                self.blank.add(row)
            mineral = labels.mineral(cached)
            keyed = labels.get(SHEET, f"B{row}")
            if mineral is None and cached is None and keyed:
                mineral = labels.mineral(keyed)
            if mineral:
                self.mineral[row] = mineral
                self.english[row] = mineral
            elif keyed:
                self.english[row] = keyed
            elif cached:
                self.english[row] = labels.to_english(cached) or cached


def parse_declaration(grid: Grid, labels: Labels, template: Template, date1904: bool) -> DeclarationPart:
    part = DeclarationPart()
    family, version = template.family, template.version_tuple
    major = version[0] if version else 0
    layout = layout_for(family, version)
    rows = _Rows(grid, labels)
    first_question = min(
        (r for r, text in rows.english.items() if QUESTION_HEADER.match(text) and r not in rows.mineral), default=None
    )
    field_rows = _company_rows_by_label(rows, first_question)
    if len(field_rows) < 4:
        if rows.unreadable or not labels.present:
            part.warnings.append(
                Warning_(
                    "labels_unreadable",
                    "The Declaration labels could not be read; fields were taken from the fixed cells of"
                    f" {family.value if family else 'the'} {template.version or ''} templates.",
                    SHEET,
                    "B8",
                )
            )
        field_rows = {**layout.company_rows, **field_rows}
    _read_company(grid, field_rows, part, major, date1904, layout.date_parts)
    selectable = family_minerals(family, major)
    selected = _read_mineral_selection(grid, labels, field_rows, part)
    if selectable is not None:
        part.minerals = selectable
    else:
        part.minerals = selected
    allowed = set(part.minerals) if part.minerals else None
    headers = _read_questions_by_label(grid, rows, part, layout, allowed)
    if headers:
        _fill_unlabelled_mineral_rows(grid, rows, part, layout, allowed, headers)
    else:
        _read_questions_fixed(grid, part, layout, allowed)
    _prefer_layout_topics_when_ambiguous(part, layout)
    if selectable is None and not part.minerals:
        seen: dict[str, None] = {}
        for per_mineral in part.answers.values():
            seen.update(dict.fromkeys(per_mineral))
        part.minerals = tuple(seen)
    return part


def _prefer_layout_topics_when_ambiguous(part: DeclarationPart, layout: Layout) -> None:
    """Label-derived topics win (a later version may reorder), unless two questions got the same topic."""
    derived = list(part.question_topics.values())
    if len(set(derived)) < len(derived):
        for key in part.question_topics:
            number = int(key[1:])
            if number in layout.question_topics:
                part.question_topics[key] = layout.question_topics[number]
    company = [t for t in part.company_question_topics.values() if t is not CompanyTopic.OTHER]
    if len(set(company)) < len(company):
        for letter in part.company_question_topics:
            part.company_question_topics[letter] = layout.company_topics.get(letter, CompanyTopic.OTHER)


def _company_rows_by_label(rows: _Rows, stop: int | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in sorted(rows.english):
        if stop is not None and row >= stop:
            break
        if row in rows.mineral:
            continue
        text = rows.english[row].strip()
        for path, pattern in COMPANY_LABELS:
            if path not in found and pattern.search(text):
                found[path] = row
                break
    return found


def _split_date(grid: Grid, row: int, columns: tuple[int, ...]) -> tuple[dt.date | None, str | None]:
    """CMRT 1.00: day (1-31), month (a name from the dropdown, or a number) and year in three cells."""
    day, month, year = (grid.value(row, col) for col in columns)
    texts = [clean_text(v) for v in (day, month, year)]
    if not any(texts):
        return None, None
    raw = " ".join(t for t in texts if t)
    try:
        number = int(float(texts[1])) if texts[1] and texts[1].replace(".", "", 1).isdigit() else None
        month_number = number or dt.datetime.strptime((texts[1] or "")[:3], "%b").month
        return dt.date(int(float(texts[2] or "")), month_number, int(float(texts[0] or ""))), None
    except ValueError:
        return None, raw


def _read_company(
    grid: Grid, field_rows: dict[str, int], part: DeclarationPart, major: int, date1904: bool,
    date_parts: tuple[int, ...] = (),
) -> None:  # fmt: skip
    values: dict[str, str | None] = {}
    for path, row in field_rows.items():
        if path in ("minerals", "minerals_other", "company.effective_date"):
            continue
        values[path] = grid.text(row, _INPUT_COL)
        part.cells[path] = grid.ref(row, _INPUT_COL)
    effective, effective_raw = None, None
    date_row = field_rows.get("company.effective_date")
    if date_row is not None:
        date_col = date_parts[0] if date_parts else _INPUT_COL
        part.cells["company.effective_date"] = grid.ref(date_row, date_col)
        raw_value: Any = grid.value(date_row, _INPUT_COL)
        if date_parts:
            effective, effective_raw = _split_date(grid, date_row, date_parts)
        else:
            effective, effective_raw = parse_date(None if is_error(raw_value) else raw_value, date1904=date1904)
        if effective is None and effective_raw:
            part.warnings.append(
                Warning_(
                    "effective_date_unreadable",
                    f"The effective date {effective_raw!r} is not a date the reader understands.",
                    SHEET,
                    f"{col_letter(date_col)}{date_row}",
                )
            )
        elif effective_raw is not None and not date_parts and not isinstance(raw_value, int | float):
            part.warnings.append(
                Warning_(
                    "effective_date_text",
                    f"The effective date was typed as text ({effective_raw!r}), not entered as a date.",
                    SHEET,
                    f"D{date_row}",
                )
            )
    scope_raw = values.get("company.scope")
    part.company = Company(
        name=values.get("company.name"),
        scope=scope_of(scope_raw, major),
        scope_raw=scope_raw,
        scope_level=scope_level_of(scope_raw, major),
        scope_description=values.get("company.scope_description"),
        unique_id=values.get("company.unique_id"),
        unique_id_authority=values.get("company.unique_id_authority"),
        address=values.get("company.address"),
        contact=Person(
            name=values.get("company.contact.name"),
            email=values.get("company.contact.email"),
            phone=values.get("company.contact.phone"),
        ),
        authorizer=Person(
            name=values.get("company.authorizer.name"),
            title=values.get("company.authorizer.title"),
            email=values.get("company.authorizer.email"),
            phone=values.get("company.authorizer.phone"),
        ),
        effective_date=effective,
        effective_date_raw=effective_raw,
    )


def _read_mineral_selection(
    grid: Grid, labels: Labels, field_rows: dict[str, int], part: DeclarationPart
) -> tuple[str, ...]:
    selected: dict[str, None] = {}
    for path in ("minerals", "minerals_other"):
        row = field_rows.get(path)
        if row is None:
            continue
        for r in (row, row + 1):
            for col in range(4, 11):
                text = grid.text(r, col)
                if not text or text.startswith(("(", "（")) or text.lower().startswith("other"):
                    continue
                mineral = labels.mineral(text) or text
                if mineral not in selected:
                    selected[mineral] = None
                    part.cells[f"minerals.{mineral}"] = grid.ref(r, col)
    return tuple(selected)


def _record_answer(grid: Grid, part: DeclarationPart, key: str, mineral: str, row: int) -> None:
    part.answers.setdefault(key, {})[mineral] = normalise_answer(grid.value(row, _ANSWER_COL))
    part.answer_comments.setdefault(key, {})[mineral] = grid.text(row, _COMMENT_COL)
    part.cells[f"answers.{key}.{mineral}"] = grid.ref(row, _ANSWER_COL)
    part.cells[f"answer_comments.{key}.{mineral}"] = grid.ref(row, _COMMENT_COL)


def _record_company(grid: Grid, part: DeclarationPart, letter: str, row: int) -> None:
    part.company_questions[letter] = CompanyAnswer(
        answer=normalise_answer(grid.value(row, _ANSWER_COL)),
        comment=grid.text(row, _COMMENT_COL),
        link=grid.links.get(f"G{row}"),
    )
    part.cells[f"company_questions.{letter}.answer"] = grid.ref(row, _ANSWER_COL)
    part.cells[f"company_questions.{letter}.comment"] = grid.ref(row, _COMMENT_COL)


def _read_questions_by_label(
    grid: Grid, rows: _Rows, part: DeclarationPart, layout: Layout, allowed: set[str] | None
) -> dict[str, int]:
    """Questions and company questions found by label; returns the header row of each question."""
    question: str | None = None
    letter: str | None = None
    anchor = 0
    seen_question = False
    headers: dict[str, int] = {}
    for row in sorted(rows.english):
        if row in grid.hidden_rows:
            continue
        text = rows.english[row]
        footer = grid.value(row, 1)
        if text.startswith("©") or (isinstance(footer, str) and footer.lstrip().startswith("©")):
            break  # the copyright footer; 2.x keeps a translation block of the same labels below it
        mineral = rows.mineral.get(row)
        if mineral is None:
            q_match = QUESTION_HEADER.match(text)
            if q_match:
                number = int(q_match.group(1))
                question, letter, anchor, seen_question = f"Q{number}", None, row, True
                headers.setdefault(question, row)
                topic = question_topic_of(text) or layout.question_topics.get(number)
                if topic is not None:
                    part.question_topics[question] = topic
                part.answers.setdefault(question, {})
                part.answer_comments.setdefault(question, {})
                continue
            c_match = COMPANY_HEADER.match(text) if seen_question else None
            if c_match and c_match.group(1) in part.company_questions:
                letter, question = None, None  # a repeated letter (a list or translation block): stop there
                continue
            if c_match:
                letter, question, anchor = c_match.group(1), None, row
                _record_company(grid, part, letter, row)
                part.company_question_topics[letter] = company_topic_of(text)
                if part.company_question_topics[letter] is CompanyTopic.OTHER:
                    part.company_question_topics[letter] = layout.company_topics.get(letter, CompanyTopic.OTHER)
            continue
        if row - anchor > _BLOCK_SPAN or (allowed is not None and mineral not in allowed):
            continue
        if question is not None and mineral not in part.answers[question]:
            _record_answer(grid, part, question, mineral, row)
        elif letter is not None:
            answer = normalise_answer(grid.value(row, _ANSWER_COL))
            part.company_questions[letter].per_mineral[mineral] = answer
            part.cells[f"company_questions.{letter}.{mineral}"] = grid.ref(row, _ANSWER_COL)
    return headers


def _fill_unlabelled_mineral_rows(
    grid: Grid, rows: _Rows, part: DeclarationPart, layout: Layout, allowed: set[str] | None, headers: dict[str, int]
) -> None:
    """Mineral rows whose label is unreadable (#N/A, no cached value): the fixed order of the version, or the
    selected minerals in alphabetical order (EMRT 2.x and AMRT list the selection that way)."""
    order = layout.minerals or tuple(sorted(allowed or ()))
    for key, header in headers.items():
        answers = part.answers.setdefault(key, {})
        for offset, mineral in zip(layout.mineral_offsets, order, strict=False):
            row = header + offset
            if mineral in answers or (allowed is not None and mineral not in allowed):
                continue
            if row in grid.hidden_rows or row not in rows.blank:
                continue
            _record_answer(grid, part, key, mineral, row)
            _warn_unlabelled(part, order, row)
    for letter in layout.per_mineral_letters:
        answer = part.company_questions.get(letter)
        ref = part.cells.get(f"company_questions.{letter}.answer", "")
        if answer is None or answer.per_mineral or not ref[-1:].isdigit():
            continue
        header = int(ref.rpartition("!")[2][1:])
        for offset, mineral in enumerate(order, start=1):
            row = header + offset
            if row in grid.hidden_rows or row not in rows.blank:
                continue
            answer.per_mineral[mineral] = normalise_answer(grid.value(row, _ANSWER_COL))
            part.cells[f"company_questions.{letter}.{mineral}"] = grid.ref(row, _ANSWER_COL)
            _warn_unlabelled(part, order, row)


def _warn_unlabelled(part: DeclarationPart, order: tuple[str, ...], row: int) -> None:
    if not any(w.code == "labels_unreadable" for w in part.warnings):
        part.warnings.append(
            Warning_(
                "labels_unreadable",
                "Some mineral labels on the Declaration could not be read; the rows were taken in the"
                f" template's order ({', '.join(order)}).",
                SHEET,
                f"B{row}",
            )
        )


def _read_questions_fixed(grid: Grid, part: DeclarationPart, layout: Layout, allowed: set[str] | None) -> None:
    minerals = layout.minerals or tuple(sorted(allowed or ()))
    for number, header in layout.question_rows.items():
        key = f"Q{number}"
        part.question_topics[key] = layout.question_topics[number]
        part.answers.setdefault(key, {})
        part.answer_comments.setdefault(key, {})
        for offset, mineral in zip(layout.mineral_offsets, minerals, strict=False):
            _record_answer(grid, part, key, mineral, header + offset)
    for letter, row in layout.company_rows_by_letter.items():
        _record_company(grid, part, letter, row)
        part.company_question_topics[letter] = layout.company_topics.get(letter, CompanyTopic.OTHER)
