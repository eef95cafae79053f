"""The reader itself (``read_in_process``): bytes in, :class:`~cmrt.declaration.Declaration` out, or a typed
:class:`WorkbookError`. ``read_workbook`` (``cmrt.workbook.read``) decides where it runs."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import Any

import python_calamine

from cmrt.declaration import Declaration, Family, Template, Warning_
from cmrt.workbook.checker import CheckerState, read_checker
from cmrt.workbook.container import Container, Deadline, open_container
from cmrt.workbook.declaration_sheet import parse_declaration
from cmrt.workbook.errors import ReadLimits, WorkbookError
from cmrt.workbook.grid import Grid
from cmrt.workbook.labels import Labels, language_name, read_labels, sheet_translations
from cmrt.workbook.lists import LookupTable, read_lookup, read_mines, read_products, read_smelters
from cmrt.workbook.sheets import LOOKUP_SHEETS, LookupRows
from cmrt.workbook.values import clean_text, is_error

log = logging.getLogger("cmbot.cmrt.workbook")

_VERSION = re.compile(r"(?:Revision|Version|Rev\.?)\s*:?\s*([0-9]+(?:\.[0-9]+)?[a-z]?)", re.IGNORECASE)
_FAMILY_TITLES: tuple[tuple[re.Pattern[str], Family], ...] = (
    (re.compile(r"Extended Minerals? Reporting", re.IGNORECASE), Family.EMRT),
    (re.compile(r"Cobalt Reporting", re.IGNORECASE), Family.CRT),
    (re.compile(r"(Additional Minerals|Pilot) Reporting", re.IGNORECASE), Family.AMRT),
    (re.compile(r"Conflict Minerals? Reporting", re.IGNORECASE), Family.CMRT),
    (re.compile(r"\((EMRT|CRT|AMRT|CMRT|PRT)\)"), Family.CMRT),
)
_ABBREVIATIONS = {"EMRT": Family.EMRT, "CRT": Family.CRT, "AMRT": Family.AMRT, "PRT": Family.AMRT, "CMRT": Family.CMRT}


def _reraise_fatal(exc: BaseException) -> None:
    """Let interpreter-level exceptions through; everything else from calamine (including a Rust panic,
    which pyo3 raises as a BaseException) means the file is damaged."""
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
        raise exc


class _Book:
    """The calamine workbook plus the sheets read so far (each sheet is read once)."""

    def __init__(self, container: Container, deadline: Deadline) -> None:
        self.container = container
        self.deadline = deadline
        try:
            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(container.data))
            self.names: list[str] = list(self.book.sheet_names)
        except python_calamine.PasswordError:
            raise WorkbookError("encrypted_unknown_password") from None
        except BaseException as exc:  # CalamineError, ZipError, XmlError, ValueError, a Rust panic...
            _reraise_fatal(exc)
            log.debug("calamine could not open the workbook: %r", exc)
            raise WorkbookError("corrupt", "The workbook is damaged or truncated and cannot be read.") from None
        self._grids: dict[str, Grid | None] = {}

    def sheet(self, name: str) -> Grid | None:
        if name in self._grids:
            return self._grids[name]
        actual = next((n for n in self.names if n.strip().casefold() == name.casefold()), None)
        grid = None
        if actual is not None:
            self.deadline.check()
            try:
                rows: list[list[Any]] = self.book.get_sheet_by_name(actual).to_python(skip_empty_area=False)
            except BaseException as exc:  # as above: calamine's errors and panics
                _reraise_fatal(exc)
                log.debug("sheet %s unreadable: %r", name, exc)
                raise WorkbookError("corrupt", f"The sheet {actual!r} is damaged and cannot be read.") from None
            grid = Grid(
                actual,
                rows,
                self.container.hidden_rows.get(actual, frozenset()),
                self.container.links.get(actual, {}),
            )
        self._grids[name] = grid
        return grid


def read_in_process(
    data: bytes,
    *,
    filename: str | None = None,
    limits: ReadLimits | None = None,
    passwords: Sequence[str] = (),
) -> Declaration:
    """The reader itself, in the calling process (no protection against native-code crashes or hangs)."""
    return read_with_lookup(data, filename=filename, limits=limits, passwords=passwords, lookup=False)[0]


def read_with_lookup(
    data: bytes,
    *,
    filename: str | None = None,
    limits: ReadLimits | None = None,
    passwords: Sequence[str] = (),
    lookup: bool = True,
) -> tuple[Declaration, LookupRows | None]:
    """``read_in_process``, and (``lookup``) the rows of the workbook's own smelter look-up sheet from the same
    opened workbook (None when it has none or it cannot be read), which a review without RMI's reference uses."""
    limits = limits or ReadLimits()
    deadline = Deadline(limits.timeout_seconds)
    try:
        container = open_container(data, limits, passwords, deadline)
        book = _Book(container, deadline)
        return _parse(book, limits), (_lookup_rows(book) if lookup else None)
    except WorkbookError as exc:
        log.info("workbook %s not read: %s", filename or "(unnamed)", exc.code)
        raise
    except RecursionError:
        raise WorkbookError("corrupt", "The workbook is damaged and cannot be read.") from None
    except MemoryError:
        raise WorkbookError("too_large", "The workbook needs more memory than the reader allows.") from None


def _lookup_rows(book: _Book) -> LookupRows | None:
    name = next((n for n in LOOKUP_SHEETS if n in book.names), None)
    if name is None:
        return None
    try:
        grid = book.sheet(name)
    except WorkbookError as exc:
        log.debug("smelter look-up sheet not read: %s", exc.code)
        return None
    return (name, grid.rows) if grid is not None else None


def detect_template(book: _Book, declaration: Grid, labels: Labels) -> Template:
    title = labels.get("Declaration", "D2") or clean_text(declaration.value(2, 4)) or ""
    family = None
    for pattern, fam in _FAMILY_TITLES:
        match = pattern.search(title)
        if match:
            family = _ABBREVIATIONS.get(match.group(1), fam) if match.groups() else fam
            break
    names = {n.casefold() for n in book.names}
    if family is None:
        if "minerals scope" in names:
            family = Family.AMRT
        elif "mine list" in names:
            family = Family.EMRT
        elif "smelter list" in names:
            family = Family.CMRT
    label, printed = declaration.value(3, 9), declaration.value(3, 10)
    versions = [_version_of(printed) or _version_of(label) or _version_of(f"{clean_text(label)} {clean_text(printed)}")]
    smelter_list = book.sheet("Smelter List")
    if smelter_list is not None:
        versions.append(next(filter(None, (_version_of(smelter_list.value(3, c)) for c in (17, 15, 14))), None))
    version = next(filter(None, versions), None) or _version_from_revision(book)
    return Template(family=family, version=version)


def _version_of(value: Any) -> str | None:
    text = clean_text(value)
    match = _VERSION.search(text) if text else None
    return match.group(1) if match else None


def version_mismatch(book: _Book, declaration: Grid) -> Warning_ | None:
    """The Declaration and the Smelter List from different template versions (a sheet pasted from another file)."""
    smelter_list = book.sheet("Smelter List")
    if smelter_list is None:
        return None
    own = _version_of(declaration.value(3, 10))
    for col in (17, 15, 14):
        other = _version_of(smelter_list.value(3, col))
        if other:
            if own and other != own:
                return Warning_(
                    "version_mismatch",
                    f"The Declaration says version {own} but the Smelter List says {other}: the sheets may come"
                    " from different template files.",
                    smelter_list.name,
                    f"{'QON'[(17, 15, 14).index(col)]}3",
                )
            return None
    return None


def _version_from_revision(book: _Book) -> str | None:
    grid = book.sheet("Revision")
    if grid is None:
        return None
    found = None
    for _, cells in grid.iter_rows():
        for value in cells[:3]:
            text = clean_text(value)
            if text and re.fullmatch(r"\d+(\.\d+)?[a-z]?", text):
                found = text
                break
    return found


def _parse(book: _Book, limits: ReadLimits) -> Declaration:
    declaration = book.sheet("Declaration")
    if declaration is None:
        raise WorkbookError(
            "not_a_template",
            "The workbook has no Declaration sheet: it is not a CMRT, EMRT, CRT or AMRT reporting template.",
        )
    labels = Labels() if _english_labels_cached(declaration) else read_labels(book.sheet("L"))
    if not labels.present:  # CMRT 2.00-2.02: the labels' translations sit in a table below the form
        labels.translations += sheet_translations(declaration)
    template = detect_template(book, declaration, labels)
    if template.family is None:
        raise WorkbookError("not_a_template", "The workbook is not a CMRT, EMRT, CRT or AMRT reporting template.")
    warnings: list[Warning_] = []
    if template.version is None:
        warnings.append(Warning_("version_unknown", "The template version was not found.", "Declaration", "J3"))
    mismatch = version_mismatch(book, declaration)
    if mismatch is not None:
        warnings.append(mismatch)
    version = template.version_tuple
    part = parse_declaration(declaration, labels, template, book.container.date1904)
    warnings += part.warnings
    book.deadline.check()

    lookup_cache: list[LookupTable | None] = []

    def lookup() -> LookupTable | None:
        if not lookup_cache:
            grid = book.sheet("Smelter Look-up") or book.sheet("Smelter Reference List")
            lookup_cache.append(read_lookup(grid) if grid is not None else None)
        return lookup_cache[0]

    smelters = mines = products = None
    grid = book.sheet("Smelter List") or book.sheet("Smelter and Mine List")  # the latter: CMRT 1.00
    if grid is not None:
        smelters = read_smelters(grid, labels, lookup, limits.max_rows, book.deadline.check, version)
        warnings += smelters.warnings
    grid = book.sheet("Mine List")
    if grid is not None:
        mines = read_mines(grid, labels, limits.max_rows, book.deadline.check)
    grid = book.sheet("Product List")
    if grid is not None:
        products = read_products(grid, labels, limits.max_rows, book.deadline.check)
    checker_grid = book.sheet("Checker")
    checker = read_checker(checker_grid, labels) if checker_grid is not None else CheckerState(None)
    checker_remaining = checker.remaining
    cells = {"template.version": "Declaration!J3", "language": "Declaration!D3", **part.cells}
    for key, found in (("smelters", smelters), ("mines", mines), ("products", products)):
        if found is not None and found.header_row is not None:
            cells[f"{key}.header"] = f"{found.sheet}!{found.header_row}"
    if checker_remaining is not None:
        cells["checker_remaining"] = "Checker!D2"
    language_raw = declaration.value(3, 4)
    language = language_name(None if is_error(language_raw) else clean_text(language_raw))
    if language is None and labels.languages:
        index = declaration.value(3, 16)
        if isinstance(index, int | float) and 1 <= index <= len(labels.languages):
            language = labels.languages[int(index) - 1]
    if book.container.encrypted:
        warnings.append(
            Warning_("encrypted", "The workbook was encrypted (opened with the default or a configured password).")
        )
    return Declaration(
        template=template,
        language=language,
        company=part.company,
        minerals=part.minerals,
        answers=part.answers,
        answer_comments=part.answer_comments,
        question_topics=part.question_topics,
        company_questions=part.company_questions,
        company_question_topics=part.company_question_topics,
        smelters=tuple(smelters.rows) if smelters else (),
        mines=tuple(mines.rows) if mines else (),
        products=tuple(products.rows) if products else (),
        checker_remaining=checker_remaining,
        checker_open=checker.open_kinds,
        warnings=tuple(warnings),
        cells=cells,
        smelter_columns=smelters.columns if smelters else {},
        mine_columns=mines.columns if mines else {},
        product_columns=products.columns if products else {},
    )


def _english_labels_cached(declaration: Grid) -> bool:
    """English selected and labels cached: the cached texts are the English labels, ``L`` is not needed."""
    language, label = declaration.value(3, 4), declaration.value(8, 2)
    return (
        isinstance(language, str)
        and language.strip().casefold() == "english"
        and isinstance(label, str)
        and bool(label.strip())
        and not is_error(label)
    )
