"""Old templates as suppliers' tools leave them, built from the public legacy files with the workbook factory
(``cmrt.workbook.factory_edit``): labels cached as ``#N/A``, Smelter List headers only partly readable, the
language switched, the 2.x division scope."""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from cmrt.declaration import Declaration, Scope
from cmrt.review import ReviewContext, review
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory_edit import edit_cells, xls_to_xlsx
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

IN_PROCESS = ReadLimits(isolated=False)
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")


@functools.cache
def _file(*parts: str) -> bytes:
    return corpus_path(*parts).read_bytes()


def _read(data: bytes) -> Declaration:
    return read_workbook(data, limits=IN_PROCESS)


def _grid(data: bytes, sheet: str) -> list[list[Any]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows: list[list[Any]] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows


def _column_b(rows: list[list[Any]], row: int) -> Any:
    return rows[row - 1][1] if row <= len(rows) and len(rows[row - 1]) > 1 else ""


def _labels_as_errors(data: bytes, rows: range) -> bytes:
    """Every label of column B in ``rows`` cached as #N/A (the 2.02 label formulas after a tool that cannot
    evaluate them saved the file)."""
    grid = _grid(data, "Declaration")
    return edit_cells(data, {"Declaration": {f"B{r}": "#N/A" for r in rows if _column_b(grid, r) != ""}})


def test_2_02_labels_cached_as_errors_use_the_fixed_cells_never_the_translation_table() -> None:
    data = _labels_as_errors(_file("legacy", "CMRT_2.02_synthetic.xlsx"), range(7, 79))
    d = _read(data)
    c = d.company
    assert (c.name, c.unique_id, c.scope_raw) == ("Green Status Pro", "A999666333000", "A. Company Level")
    assert c.authorizer.title == "Chief Technology Officer"
    assert c.authorizer.email == "leo.denevi@greenstatuspro.com"
    assert d.cells["company.name"] == "Declaration!D8" and d.cells["company.effective_date"] == "Declaration!D18"
    assert str(c.effective_date) == "2014-05-31"
    assert d.answers["Q1"] == dict.fromkeys(METALS, "Yes")
    assert d.answers["Q2"] == {"Tantalum": "No", "Tin": "No", "Gold": "Uncertain or Unknown", "Tungsten": "No"}
    assert d.cells["answers.Q1.Tantalum"] == "Declaration!D22"
    assert d.company_questions["B"].answer == "Yes" and d.company_questions["B"].comment == "http://company/policy"
    assert sorted(d.company_questions) == list("ABCDEFGHIJ")
    assert [w.code for w in d.warnings if w.code == "labels_unreadable"] == ["labels_unreadable"]
    japanese = [v for v in (c.name, c.scope_raw, c.address, c.unique_id, c.authorizer.name) if v and not v.isascii()]
    assert japanese == []


def test_2_02_labels_in_another_language_are_mapped_through_the_sheet_translation_table() -> None:
    """Chinese selected: the cached labels are Chinese; the table below the form (B81 English, C81 Chinese ...)
    identifies them, but its own cells are never read as answers."""
    data = _file("legacy", "CMRT_2.02_synthetic.xlsx")
    rows = _grid(data, "Declaration")
    chinese = {row[1]: row[2] for row in rows[81:116] if isinstance(row[1], str) and row[1] and row[2]}
    cells: dict[str, object] = {"D3": "Chinese"}
    for r in range(7, 79):
        if _column_b(rows, r) in chinese:
            cells[f"B{r}"] = chinese[_column_b(rows, r)]
    d = _read(edit_cells(data, {"Declaration": cells}, cached=True))  # the label formulas, recalculated
    assert d.company.name == "Green Status Pro" and d.cells["company.name"] == "Declaration!D8"
    assert d.answers["Q2"]["Gold"] == "Uncertain or Unknown"
    assert d.company_questions["I"].comment == "We run GSP"
    assert not [w for w in d.warnings if w.code == "labels_unreadable"]


# ---------------------------------------------------------------------------------------- Smelter List columns
SMELTER_DATA = {  # the public 2.03 file has no mine data; these rows give it some (columns M, N, O)
    "M5": "recycled", "N5": "recycled", "O5": "refiner of scrap",
    "M6": "San Rafael", "N6": "PERU", "O6": "tin ingot",
    "M7": "Pilbara", "N7": "AUSTRALIA",
    "M8": "Panasqueira", "N8": "PORTUGAL", "O8": "APT",
}  # fmt: skip


@functools.cache
def _smelter_list_2_03() -> bytes:
    return xls_to_xlsx(_file("legacy", "CMRT_2.03_synthetic_encrypted.xls"))


def test_2_03_smelter_columns_with_unreadable_headers_come_from_the_fixed_positions_with_a_warning() -> None:
    """Headers M4-O4 cached as #N/A (the rest readable): the found header keeps the version's layout, so the
    unmatched columns are read at their fixed positions, and the reader says so."""
    data = edit_cells(_smelter_list_2_03(), {"Smelter List": {**SMELTER_DATA, "M4": "#N/A", "N4": "#N/A",
                                                              "O4": "#N/A"}})  # fmt: skip
    d = _read(data)
    assert [(s.metal, s.mine_names, s.mine_countries, s.comments) for s in d.smelters] == [
        ("Gold", "recycled", "recycled", "refiner of scrap"),
        ("Tin", "San Rafael", "PERU", "tin ingot"),
        ("Tantalum", "Pilbara", "AUSTRALIA", None),
        ("Tungsten", "Panasqueira", "PORTUGAL", "APT"),
    ]
    assert (d.smelter_columns["mine_names"], d.smelter_columns["comments"]) == ("M", "O")
    (warning,) = [w for w in d.warnings if w.code == "smelter_columns_fallback"]
    assert (warning.sheet, warning.cell) == ("Smelter List", "M4")
    assert "M, N, O" in warning.message


def test_2_03_smelter_columns_that_cannot_be_placed_are_named_in_a_warning() -> None:
    """A converter dropped column A, so every column sits one to the left of the version's layout: the unreadable
    headers cannot be placed by position. Their data is not guessed, but the warning names the columns."""
    grid = _grid(_smelter_list_2_03(), "Smelter List")
    shifted: dict[str, object] = {}
    for row in range(4, 9):
        cells = grid[row - 1]
        for col in range(1, 16):
            value = cells[col] if col < len(cells) else ""
            shifted[f"{chr(64 + col)}{row}"] = value if value != "" else None
    shifted.update({"L4": "#N/A", "M4": "#N/A", "N4": "#N/A", "L5": "recycled", "M6": "PERU", "N8": "APT"})
    d = _read(edit_cells(_smelter_list_2_03(), {"Smelter List": shifted}))
    assert [(s.metal, s.smelter_id) for s in d.smelters][:2] == [("Gold", "1DEU001"), ("Tin", "2PER019")]
    assert all(s.mine_names is None and s.comments is None for s in d.smelters)
    (warning,) = [w for w in d.warnings if w.code == "smelter_columns_unread"]
    assert "L, M, N" in warning.message


# ------------------------------------------------------------------------------------------- 2.x scope levels
@pytest.mark.parametrize(
    ("scope", "level", "scope_enum"),
    [
        ("A. Company Level", "company", Scope.COMPANY),
        ("B. Division Level [Specify in 'Description of scope']", "division", Scope.USER_DEFINED),
        ("C. Product Category Level [Specify in 'Description of scope']", "product_category", Scope.USER_DEFINED),
        ("D. Product Level", "product", Scope.PRODUCT),
    ],
)
def test_2_x_scope_levels_keep_the_text_and_the_level(scope: str, level: str, scope_enum: Scope) -> None:
    data = edit_cells(_file("legacy", "CMRT_2.02_synthetic.xlsx"),
                      {"Declaration": {"D9": scope, "D10": "Power electronics division, Penang"}})  # fmt: skip
    d = _read(data)
    assert (d.company.scope, d.company.scope_level, d.company.scope_raw) == (scope_enum, level, scope)
    assert d.company.scope_description == "Power electronics division, Penang"
    company = d.to_json()["company"]
    assert (company["scope"], company["scope_level"], company["scope_raw"]) == (scope_enum.value, level, scope)


def test_a_review_tells_a_division_declaration_from_a_custom_one() -> None:
    division = "B. Division Level [Specify in 'Description of scope']"
    d = _read(edit_cells(_file("legacy", "CMRT_2.02_synthetic.xlsx"), {"Declaration": {"D9": division}}))
    result = review(d, ReviewContext(today=dt.date(2014, 6, 30), requested_scope="company"))
    messages = {f.check: f.message for f in result.findings}
    assert "division-level" in messages["scope.differs_from_request"]
    assert "Division Level" in messages["scope.description_missing"]
