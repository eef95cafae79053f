"""Real RMI templates filled in and saved by a tool that does not recalculate (openpyxl): every label, the
``L`` keys (``=B2&C2``) and the smelter formula columns lose their cached values. The reader falls back to the
``L`` sheet's sheet/cell columns, the template's row order and the workbook's own Smelter Look-up sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

import openpyxl
import pytest

from cmrt.declaration import Family, Scope
from cmrt.workbook import read_workbook
from tests.conftest import corpus_path

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def _load(name: str) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "Conditional Formatting extension is not supported"
        return openpyxl.load_workbook(corpus_path("templates", name))


def _save(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_cmrt_6_5_chinese_filled_by_openpyxl() -> None:
    wb = _load("RMI_CMRT_6.5_zh.xlsx")
    ws = wb["Declaration"]
    ws["D8"], ws["D9"], ws["D16"], ws["D22"] = (
        "Acme Metals",
        "B. Product (or List of Products)",
        "a@acme.com",
        "2025-03-01",
    )
    ws["D26"], ws["D56"], ws["D77"], ws["G77"] = "Yes", "Greater than 90%", "Yes", "https://acme.example/policy"
    sl = wb["Smelter List"]
    sl["A5"] = "CID002082"  # option A: only the smelter ID, columns B-J are formulas
    sl["B6"], sl["C6"] = "Tin", "Minsur"  # option B: metal + look-up name
    sl["B7"], sl["C7"], sl["D7"], sl["E7"] = "Gold", "Smelter not listed", "Unknown Refinery", "PERU"  # option C
    wb["Product List"]["B6"] = "P-100"
    d = read_workbook(_save(wb))

    assert (d.template.family, d.template.version, d.language) == (Family.CMRT, "6.5", "Chinese")
    assert (d.company.name, d.company.scope, d.company.contact.email) == ("Acme Metals", Scope.PRODUCT, "a@acme.com")
    assert d.company.effective_date == dt.date(2025, 3, 1)
    assert d.answers["Q1"] == {"Tantalum": "Yes", "Tin": None, "Gold": None, "Tungsten": None}
    assert d.answers["Q6"]["Tantalum"] == "Greater than 90%"
    assert (d.company_questions["B"].answer, d.company_questions["B"].comment) == (
        "Yes", "https://acme.example/policy"
    )  # fmt: skip
    first, second, third = d.smelters
    assert (first.row, first.metal, first.lookup, first.smelter_id, first.country, first.city) == (
        5, "Tungsten", "Xiamen Tungsten Co., Ltd.", "CID002082", "CHINA", "Xiamen"
    )  # fmt: skip
    assert (second.metal, second.smelter_id, second.country, second.id_source) == ("Tin", "CID001182", "PERU", "RMI")
    assert (third.lookup, third.name, third.country, third.smelter_id) == (
        "Smelter not listed", "Unknown Refinery", "PERU", None
    )  # fmt: skip
    assert [p.number for p in d.products] == ["P-100"]
    resolved = [(w.sheet, w.cell) for w in d.warnings if w.code == "smelter_resolved_from_lookup"]
    assert resolved == [("Smelter List", "F5"), ("Smelter List", "F6")]


def test_emrt_2_1_selection_mines_and_per_mineral_company_question() -> None:
    wb = _load("RMI_EMRT_2.1_zh.xlsx")
    ws = wb["Declaration"]
    ws["D8"], ws["E12"] = "Mica Works Ltd.", "(Delete Copper)"
    ws["D30"], ws["D31"] = "Yes", "No"  # Q1: the selected minerals in alphabetical order: Cobalt, Graphite, ...
    ws["D120"], ws["D121"] = "Yes", "Yes, when more processors are validated"  # company question C per mineral
    ml = wb["Mine List"]
    ml["A5"], ml["C5"], ml["F5"] = "Cobalt", "Kamoto", "CONGO, DEMOCRATIC REPUBLIC OF THE"
    d = read_workbook(_save(wb))

    assert (d.template.family, d.template.version) == (Family.EMRT, "2.1")
    assert d.company.name == "Mica Works Ltd."
    assert d.minerals == ("Cobalt", "Graphite", "Lithium", "Mica", "Nickel")
    assert d.answers["Q1"] == {"Cobalt": "Yes", "Graphite": "No", "Lithium": None, "Mica": None, "Nickel": None}
    assert d.cells["answers.Q1.Graphite"] == "Declaration!D31"
    assert d.company_questions["C"].per_mineral["Graphite"] == "Yes, when more processors are validated"
    assert [(m.row, m.metal, m.mine_name, m.country) for m in d.mines] == [
        (5, "Cobalt", "Kamoto", "CONGO, DEMOCRATIC REPUBLIC OF THE")
    ]
    assert d.mine_columns["mine_name"] == "C"
    assert any(w.code == "labels_unreadable" for w in d.warnings)
