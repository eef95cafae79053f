"""The workbook's own Smelter Look-up is the smelter reference whatever language the template is set to.

RMI's blank templates are switched to each language they ship in with ``cmrt.workbook.factory_edit.set_language``
(what Excel does when Declaration!D3 changes: the cached label texts follow), then a "Smelter not listed" row
without an address is typed in. The review must check it against the look-up sheet in every language.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from cmrt.review import review
from cmrt.review.adhoc import context_for
from cmrt.smelters.workbook import reference_from_sheet, reference_from_workbook
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory_edit import edit_cells, set_language
from cmrt.workbook.factory_labels import LANGUAGE_HEADERS
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

TODAY = dt.date(2026, 8, 22)
TEMPLATES = {  # template -> a metal of its family
    "RMI_CMRT_6.01_zh.xlsx": "Tin", "RMI_CMRT_6.1_zh.xlsx": "Tin", "RMI_CMRT_6.22_zh.xlsx": "Tin",
    "RMI_CMRT_6.4.xlsx": "Tin", "RMI_CMRT_6.5_zh.xlsx": "Tin", "RMI_EMRT_1.3_zh.xlsx": "Cobalt",
    "RMI_EMRT_2.1_zh.xlsx": "Cobalt", "RMI_CRT_2.2_zh.xlsx": "Cobalt", "RMI_AMRT_1.3_zh.xlsx": "Silver",
}  # fmt: skip


@functools.cache
def _template(name: str) -> bytes:
    return corpus_path("templates", name).read_bytes()


def _sheet(data: bytes, name: str) -> list[list[Any]]:
    rows: list[list[Any]] = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name).to_python(
        skip_empty_area=False
    )
    return rows


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_the_lookup_sheet_is_the_reference_in_every_language_the_template_ships_in(name: str) -> None:
    """The look-up's header row (row 4) as it reads in each language of the template's ``L`` sheet."""
    data = _template(name)
    lookup, table = _sheet(data, "Smelter Look-up"), _sheet(data, "L")
    languages = [str(v).strip() for v in table[0][3:] if str(v).strip()]
    assert len(languages) >= 5
    texts = {row[0]: row for row in table[1:] if isinstance(row[0], str) and row[0].startswith("Smelter Look-up")}
    for index, language in enumerate(languages, start=3):
        header = [texts.get(f"Smelter Look-up{col}4", [""] * 20)[index] or "" for col in "ABCDEFGHI"]
        rows = [*lookup[:3], header, *lookup[4:]]
        reference = reference_from_sheet("Smelter Look-up", rows)
        assert reference is not None and len(reference) > 50, (name, language)
        assert reference.ids_for_metal(TEMPLATES[name]), (name, language)
    assert reference_from_workbook(data) is not None  # and as cached in the file


@pytest.mark.parametrize("language", LANGUAGE_HEADERS)
def test_an_unlisted_smelter_is_checked_in_a_cmrt_6_5_set_to_any_language(language: str) -> None:
    data = set_language(_template("RMI_CMRT_6.5_zh.xlsx"), language)
    data = edit_cells(data, {"Smelter List": {"B5": "Tin", "C5": "Smelter not listed", "D5": "Example Tin Smelter",
                                              "E5": "INDONESIA"}})  # fmt: skip
    declaration = read_workbook(data, limits=ReadLimits(isolated=False))
    result = review(declaration, context_for(today=TODAY, workbook=data))
    assert result.reference_source == "workbook Smelter Look-up"
    assert ("smelter.not_listed", "D5") in [(f.check, f.cell) for f in result.findings]
