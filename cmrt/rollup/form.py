"""What a blank reporting template offers to fill: where each field is, and which values its drop-downs allow.

The cells come from the bot's own reader run on the blank template (``Declaration.cells``: ``company.name`` ->
``Declaration!D8``, ``answers.Q3.Gold`` -> ``Declaration!D40`` ...), so a template saved in any language, and any
6.x version, is located by its hidden label sheet rather than by fixed addresses. The drop-down values are read
from the template's own data validations (``<dataValidations>`` and the ``x14:dataValidations`` of the extension
list): a literal list, a range, or a defined name for a range, resolved to the cached values of those cells. A
look-up list defined by a formula (the Smelter List's ``SN``) is answered from the ``Smelter Look-up`` sheet it
filters.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import python_calamine

from cmrt.declaration import CompanyTopic, Declaration, QuestionTopic
from cmrt.rollup.xlsx import sheet_parts
from cmrt.smelters.text import fold, normalise_cid
from cmrt.workbook.errors import ReadLimits, WorkbookError
from cmrt.workbook.grid import col_index
from cmrt.workbook.labels import mineral_of
from cmrt.workbook.reader import read_in_process
from cmrt.workbook.values import clean_text, normalise_answer


class TemplateFormError(ValueError):
    """The file cannot serve as the blank template of a roll-up (says why)."""


@dataclass(frozen=True)
class Choice:
    """One drop-down value: ``value`` as the list's cell holds it (written as is), ``text`` as the reader gives
    it back (the number 1 of the 6.0x percentage lists is ``"100%"``)."""

    value: str | float
    text: str


@dataclass(frozen=True)
class LookupEntry:
    """One row of the template's ``Smelter Look-up`` sheet."""

    row: int
    metal: str
    alias: str
    standard_name: str | None
    country: Any
    smelter_id: str | None
    source: Any
    street: Any
    city: Any
    state: Any


@dataclass(frozen=True)
class ListArea:
    """A list sheet's data rows: ``first_row`` .. ``last_row``; ``columns`` maps field names to letters."""

    sheet: str
    first_row: int
    last_row: int
    columns: dict[str, str]
    formula_columns: frozenset[str] = frozenset()  # letters whose first data cell holds a formula

    @property
    def capacity(self) -> int:
        return max(0, self.last_row - self.first_row + 1)


@dataclass
class _Validation:
    ranges: tuple[tuple[int, int, int, int], ...]  # (first col, first row, last col, last row)
    formula: str


@dataclass
class TemplateForm:
    """The blank template, read once: its cells, its drop-downs and its smelter look-up."""

    data: bytes
    declaration: Declaration  # the reader's view of the blank template (``cells``, topics, metals)
    date1904: bool
    smelters: ListArea | None
    products: ListArea | None
    lookup: tuple[LookupEntry, ...]
    _grids: dict[str, list[list[Any]]] = field(default_factory=dict, repr=False)
    _validations: dict[str, list[_Validation]] = field(default_factory=dict, repr=False)
    _names: dict[tuple[str | None, str], str] = field(default_factory=dict, repr=False)  # (sheet|None, name) -> ref
    _book: Any = field(default=None, repr=False)
    _choice_cache: dict[tuple[str, str], tuple[Choice, ...] | None] = field(default_factory=dict, repr=False)
    _by_id: dict[tuple[str, str], list[LookupEntry]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ what the reader found
    @property
    def cells(self) -> dict[str, str]:
        return self.declaration.cells

    @property
    def version(self) -> str | None:
        return self.declaration.template.version

    @property
    def metals(self) -> tuple[str, ...]:
        first = next(iter(self.declaration.answers.values()), {})
        return tuple(first)

    @property
    def question_topics(self) -> dict[str, QuestionTopic]:
        return self.declaration.question_topics

    @property
    def company_letters(self) -> tuple[str, ...]:
        return tuple(self.declaration.company_questions)

    @property
    def company_topics(self) -> dict[str, CompanyTopic]:
        return self.declaration.company_question_topics

    def cell(self, path: str) -> tuple[str, str] | None:
        """(sheet, A1 reference) of a field path such as ``company.name``, or None when the template lacks it."""
        ref = self.cells.get(path)
        if not ref or "!" not in ref:
            return None
        sheet, _, addr = ref.rpartition("!")
        return sheet, addr

    # ------------------------------------------------------------------ drop-downs
    def choices(self, sheet: str, ref: str) -> tuple[Choice, ...] | None:
        """The values of the list drop-down on ``sheet!ref`` (None: the cell has no list drop-down, or its list
        is computed by a formula the form does not evaluate)."""
        key = (sheet, ref)
        if key not in self._choice_cache:
            self._choice_cache[key] = self._resolve_choices(sheet, ref)
        return self._choice_cache[key]

    def _resolve_choices(self, sheet: str, ref: str) -> tuple[Choice, ...] | None:
        col, row = _split_ref(ref)
        for validation in self._validations.get(sheet, ()):
            if any(c1 <= col <= c2 and r1 <= row <= r2 for c1, r1, c2, r2 in validation.ranges):
                return self._list_values(sheet, validation.formula, depth=0)
        return None

    def _list_values(self, sheet: str, formula: str, depth: int) -> tuple[Choice, ...] | None:
        text = formula.strip().lstrip("=")
        if text.startswith('"') and text.endswith('"'):
            items = [item.strip() for item in text[1:-1].split(",")]
            return tuple(Choice(item, normalise_answer(item) or item) for item in items if item)
        target = _RANGE.match(text)
        if target is None:
            name = self._names.get((sheet, text)) or self._names.get((None, text))
            if name is None or depth > 2:
                return None
            return self._list_values(sheet, name, depth + 1)
        quoted, plain, c1, r1, c2, r2 = target.groups()
        where = (quoted.replace("''", "'") if quoted else plain) or sheet
        grid = self.grid(where)
        if grid is None:
            return None
        out: list[Choice] = []
        for row in range(int(r1), int(r2 or r1) + 1):
            for col in range(col_index(c1), col_index(c2 or c1) + 1):
                value = _at(grid, row, col)
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                cell_value: str | float = value if isinstance(value, str) else float(value)
                out.append(Choice(cell_value, normalise_answer(value) or str(value)))
        return tuple(out)

    def grid(self, sheet: str) -> list[list[Any]] | None:
        """The cell values of ``sheet`` (case-insensitive name), read once; None when the template has no such sheet."""
        if sheet not in self._grids:
            name = next((n for n in self._book.sheet_names if n.casefold() == sheet.casefold()), None)
            if name is None:
                return None
            self._grids[sheet] = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return self._grids[sheet]

    def value_at(self, sheet: str, ref: str) -> Any:
        """The cached value of one template cell."""
        grid = self.grid(sheet)
        col, row = _split_ref(ref)
        return _at(grid, row, col) if grid is not None else None

    # ------------------------------------------------------------------ smelter look-up
    def lookup_entry(self, metal: str, smelter_id: str | None) -> LookupEntry | None:
        """The look-up row a person would pick for this smelter: its alias equal to the standard name, else its
        first alias."""
        if not self._by_id and self.lookup:
            for item in self.lookup:
                key = (item.metal, normalise_cid(item.smelter_id) or "")
                self._by_id.setdefault(key, []).append(item)
        rows = self._by_id.get((metal, normalise_cid(smelter_id) or ""), []) if smelter_id else []
        for entry in rows:
            if entry.standard_name and fold(entry.alias) == fold(entry.standard_name):
                return entry
        return rows[0] if rows else None

    def pseudo_alias(self, metal: str, kind: str) -> str | None:
        """The look-up's own spelling of "Smelter not listed" / "Smelter not yet identified" for ``metal``."""
        for entry in self.lookup:
            if entry.metal == metal and fold(entry.alias) == kind:
                return entry.alias
        return None


_RANGE = re.compile(
    r"^(?:(?:'((?:[^']|'')+)'|([A-Za-z0-9_.]+))!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$"
)
_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _split_ref(ref: str) -> tuple[int, int]:
    match = _A1.match(ref)
    if match is None:
        raise TemplateFormError(f"{ref!r} is not a cell reference")
    return col_index(match.group(1)), int(match.group(2))


def _at(grid: list[list[Any]], row: int, col: int) -> Any:
    if row < 1 or row > len(grid) or col < 1 or col > len(grid[row - 1]):
        return None
    value = grid[row - 1][col - 1]
    return None if value == "" else value


def _sqref(text: str) -> tuple[tuple[int, int, int, int], ...]:
    out = []
    for part in text.split():
        first, _, last = part.partition(":")
        c1, r1 = _split_ref(first)
        c2, r2 = _split_ref(last) if last else (c1, r1)
        out.append((c1, r1, c2, r2))
    return tuple(out)


_DV = re.compile(r"<dataValidation\b([^>]*?)(?:/>|>(.*?)</dataValidation>)", re.S)
_DV14 = re.compile(r"<x14:dataValidation\b([^>]*?)(?:/>|>(.*?)</x14:dataValidation>)", re.S)
_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


def parse_validations(sheet_xml: str) -> list[_Validation]:
    """The list validations of a sheet: the standard ones and those of the ``x14`` extension list."""
    tail = sheet_xml[sheet_xml.find("</sheetData>") :]
    out: list[_Validation] = []
    for match in _DV.finditer(tail):
        attrs = dict(_ATTR.findall(match.group(1)))
        formula = re.search(r"<formula1>(.*?)</formula1>", match.group(2) or "", re.S)
        if attrs.get("type") == "list" and formula and attrs.get("sqref"):
            out.append(_Validation(_sqref(attrs["sqref"]), html.unescape(formula.group(1))))
    for match in _DV14.finditer(tail):
        attrs = dict(_ATTR.findall(match.group(1)))
        body = match.group(2) or ""
        formula = re.search(r"<x14:formula1>\s*<xm:f>(.*?)</xm:f>", body, re.S)
        sqref = re.search(r"<xm:sqref>(.*?)</xm:sqref>", body, re.S)
        if attrs.get("type") == "list" and formula and sqref:
            out.append(_Validation(_sqref(sqref.group(1)), html.unescape(formula.group(1))))
    return out


_DEFINED = re.compile(r"<definedName\b([^>]*)>(.*?)</definedName>", re.S)


def _defined_names(workbook_xml: str, sheets: list[str]) -> dict[tuple[str | None, str], str]:
    out: dict[tuple[str | None, str], str] = {}
    for match in _DEFINED.finditer(workbook_xml):
        attrs = dict(_ATTR.findall(match.group(1)))
        local = attrs.get("localSheetId")
        scope = sheets[int(local)] if local is not None and local.isdigit() and int(local) < len(sheets) else None
        out[(scope, attrs.get("name", ""))] = html.unescape(match.group(2))
    return out


def _rows_with_cells(sheet_xml: bytes, letter: str) -> list[int]:
    return [int(n) for n in re.findall(rb'<c r="%s(\d+)"' % letter.encode(), sheet_xml)]


def _formula_columns(sheet_xml: bytes, row: int) -> frozenset[str]:
    match = re.search(rb'<row\b[^>]*\br="%d"[^>]*>(.*?)</row>' % row, sheet_xml, re.S)
    if match is None:
        return frozenset()
    found = re.findall(rb'<c r="([A-Z]+)\d+"[^>]*(?<!/)>(?:(?!</c>).)*?<f\b', match.group(1), re.S)
    return frozenset(letter.decode() for letter in found)


def _area(
    declaration: Declaration, key: str, columns: dict[str, str], anchor: str, parts: Mapping[str, tuple[str, str]],
    archive: zipfile.ZipFile, grid: list[list[Any]] | None, validations: list[_Validation],
) -> ListArea | None:  # fmt: skip
    header = declaration.cells.get(f"{key}.header")
    if not header or anchor not in columns:
        return None
    sheet, _, row_text = header.rpartition("!")
    if sheet not in parts or not row_text.isdigit():
        return None
    xml = archive.read(parts[sheet][0])
    first = int(row_text) + 1
    column = col_index(columns[anchor])
    for validation in validations:  # the drop-down of the list's first column spans its data rows
        for c1, r1, c2, r2 in validation.ranges:
            if c1 <= column <= c2 and r1 <= first <= r2:
                return ListArea(sheet, first, r2, dict(columns), _formula_columns(xml, first))
    present = set(_rows_with_cells(xml, columns[anchor]))
    last = first - 1
    while last + 1 in present:
        value = _at(grid, last + 1, col_index(columns[anchor])) if grid is not None else None
        if isinstance(value, str) and value.lstrip().startswith("©"):
            break
        last += 1
    return ListArea(sheet, first, last, dict(columns), _formula_columns(xml, first))


def _lookup_rows(grid: list[list[Any]] | None) -> tuple[LookupEntry, ...]:
    """``Smelter Look-up`` rows: A metal, B look-up value, C standard name, D country, E id, F source, G-I address."""
    out: list[LookupEntry] = []
    for number, cells in enumerate(grid or [], start=1):
        padded = [*cells[:9], *([None] * (9 - len(cells[:9])))]
        metal = mineral_of(clean_text(padded[0]))
        alias = clean_text(padded[1])
        if metal is None or alias is None:
            continue
        out.append(LookupEntry(number, metal, alias, clean_text(padded[2]), padded[3], clean_text(padded[4]),
                               padded[5], padded[6], padded[7], padded[8]))  # fmt: skip
    return tuple(out)


def load_form(data: bytes, limits: ReadLimits | None = None) -> TemplateForm:
    """Read a blank template (.xlsx) into a ``TemplateForm``; ``TemplateFormError`` when it cannot serve."""
    try:
        declaration = read_in_process(data, filename="template", limits=limits)
    except WorkbookError as exc:
        raise TemplateFormError(f"the template cannot be read: {exc.message or exc.code}") from None
    if declaration.template.family is None or not declaration.answers:
        raise TemplateFormError("the template is not a reporting template with declaration questions")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = sheet_parts(archive)
        workbook_xml = archive.read("xl/workbook.xml").decode("utf-8")
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise TemplateFormError(f"the template is not an .xlsx workbook the roll-up can fill ({exc})") from None
    names = list(parts)
    validations = {name: parse_validations(archive.read(part).decode("utf-8")) for name, (part, _) in parts.items()
                   if name in ("Declaration", "Smelter List", "Product List")}  # fmt: skip
    form = TemplateForm(
        data=data,
        declaration=declaration,
        date1904=bool(re.search(r"<workbookPr\b[^>]*\bdate1904=\"(1|true)\"", workbook_xml)),
        smelters=None,
        products=None,
        lookup=(),
        _validations=validations,
        _names=_defined_names(workbook_xml, names),
        _book=book,
    )
    smelter_sheet = declaration.cells.get("smelters.header", "").rpartition("!")[0]
    product_sheet = declaration.cells.get("products.header", "").rpartition("!")[0]
    form.smelters = _area(declaration, "smelters", declaration.smelter_columns, "metal", parts, archive,
                          form.grid(smelter_sheet) if smelter_sheet else None,
                          validations.get(smelter_sheet, []))  # fmt: skip
    form.products = _area(declaration, "products", declaration.product_columns, "number", parts, archive,
                          form.grid(product_sheet) if product_sheet else None,
                          validations.get(product_sheet, []))  # fmt: skip
    form.lookup = _lookup_rows(form.grid("Smelter Look-up"))
    return form


__all__ = ["Choice", "ListArea", "LookupEntry", "TemplateForm", "TemplateFormError", "load_form"]
