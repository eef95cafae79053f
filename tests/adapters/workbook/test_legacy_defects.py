"""Old templates as suppliers' tools leave them, built from the public legacy files with the workbook factory
(``cmrt.workbook.factory_edit``): labels cached as ``#N/A``, Smelter List headers only partly readable, the
language switched, the 2.x division scope."""

from __future__ import annotations

import functools
import io
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from cmrt.declaration import Declaration
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory_edit import edit_cells
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
    d = _read(edit_cells(data, {"Declaration": cells}))
    assert d.company.name == "Green Status Pro" and d.cells["company.name"] == "Declaration!D8"
    assert d.answers["Q2"]["Gold"] == "Uncertain or Unknown"
    assert d.company_questions["I"].comment == "We run GSP"
    assert not [w for w in d.warnings if w.code == "labels_unreadable"]
