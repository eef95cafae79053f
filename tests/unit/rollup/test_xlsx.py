"""cmrt.rollup.xlsx: cells written into the sheet XML, everything else of the template kept byte for byte."""

from __future__ import annotations

import io
import zipfile

import pytest

from cmrt.rollup.xlsx import Cached, TemplateWriteError, Value, fill, prune_calc_chain, request_full_calculation
from cmrt.workbook import ReadLimits, read_workbook
from tests.conftest import corpus_path
from tests.unit.rollup.structure import compare, counts

TEMPLATES = ("RMI_CMRT_6.01_zh.xlsx", "RMI_CMRT_6.1_zh.xlsx", "RMI_CMRT_6.22_zh.xlsx", "RMI_CMRT_6.4.xlsx",
             "RMI_CMRT_6.5_zh.xlsx")  # fmt: skip
LIMITS = ReadLimits(isolated=False)


def _workbook(sheet: bytes, chain: bytes | None = None, calc_pr: bytes = b'<calcPr calcId="191029"/>') -> bytes:
    """A minimal .xlsx: one sheet 'S' (sheetId 1) with ``sheet`` as its XML."""
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="x"/>',
        "xl/workbook.xml": b'<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
        + calc_pr + b"</workbook>",
        "xl/_rels/workbook.xml.rels": b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
        b"</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    if chain is not None:
        parts["xl/calcChain.xml"] = chain
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


SHEET = (
    b'<worksheet><sheetData><row r="2" spans="1:3"><c r="A2" s="4"/><c r="C2" s="5"><f>A2*2</f><v>0</v></c></row>'
    b'<row r="5"/><row r="7"><c r="B7" t="s"><v>1</v></c></row></sheetData>'
    b'<dataValidations count="1"><dataValidation type="list" sqref="A2"><formula1>"Yes,No"</formula1>'
    b"</dataValidation></dataValidations></worksheet>"
)


def test_values_replace_cells_keep_styles_and_insert_missing_cells_and_rows_in_order() -> None:
    out = fill(_workbook(SHEET), {"S": {"A2": Value("a & <b> _x0041_"), "B2": Value(3.0), "C2": Value(True),
                                        "A5": Value(" padded "), "A1": Value("first"), "D9": Value(1.5)}})  # fmt: skip
    xml = _part(out, "xl/worksheets/sheet1.xml")
    assert b'<row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c></row><row r="2"' in xml
    assert b'<c r="A2" s="4" t="inlineStr"><is><t>a &amp; &lt;b&gt; _x005F_x0041_</t></is></c>' in xml
    assert b'<c r="B2"><v>3</v></c><c r="C2" s="5" t="b"><v>1</v></c></row>' in xml
    assert b'<row r="5"><c r="A5" t="inlineStr"><is><t xml:space="preserve"> padded </t></is></c></row>' in xml
    assert xml.index(b'<row r="7">') < xml.index(b'<row r="9"><c r="D9"><v>1.5</v></c></row>')
    assert b'spans="1:3"' in xml  # B2 lies inside the hint
    assert xml[xml.index(b"</sheetData>") :] == SHEET[SHEET.index(b"</sheetData>") :]


def test_cached_keeps_the_formula_and_calc_chain_loses_only_typed_over_formulas() -> None:
    sheet = (b'<worksheet><sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"x"</f>'
             b'<v>x</v></c><c r="C1"><f>3</f><v>3</v></c></row></sheetData></worksheet>')  # fmt: skip
    chain = b'<calcChain><c r="A1" i="1" l="1"/><c r="B1"/><c r="C1"/></calcChain>'
    out = fill(_workbook(sheet, chain), {"S": {"A1": Value("typed"), "B1": Cached("y"), "C1": Cached(4)}})
    xml = _part(out, "xl/worksheets/sheet1.xml")
    assert b'<c r="B1" t="str"><f>"x"</f><v>y</v></c><c r="C1"><f>3</f><v>4</v></c>' in xml
    assert b"<f>1+1</f>" not in xml
    assert _part(out, "xl/calcChain.xml") == b'<calcChain><c r="B1" i="1" l="1"/><c r="C1"/></calcChain>'
    with pytest.raises(TemplateWriteError, match="holds no formula"):
        fill(_workbook(sheet), {"S": {"D1": Cached(1)}})


def test_a_shared_formula_anchor_is_never_overwritten() -> None:
    sheet = (b'<worksheet><sheetData><row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1</f></c></row>'
             b'<row r="2"><c r="A2"><f t="shared" si="0"/></c></row></sheetData></worksheet>')  # fmt: skip
    with pytest.raises(TemplateWriteError, match="anchors a formula shared with A1:A3"):
        fill(_workbook(sheet), {"S": {"A1": Value("x")}})
    fill(_workbook(sheet), {"S": {"A2": Value("x")}})  # a dependent cell may be typed over


def test_full_calculation_is_requested_whatever_the_calc_pr() -> None:
    assert request_full_calculation(b'<workbook><calcPr calcId="1"/></workbook>') == (
        b'<workbook><calcPr calcId="1" fullCalcOnLoad="1"/></workbook>')  # fmt: skip
    assert request_full_calculation(b'<calcPr fullCalcOnLoad="0" x="1"></calcPr>') == (
        b'<calcPr fullCalcOnLoad="1" x="1"></calcPr>')  # fmt: skip
    assert request_full_calculation(b"<workbook><sheets></sheets><definedNames></definedNames></workbook>") == (
        b'<workbook><sheets></sheets><definedNames></definedNames><calcPr fullCalcOnLoad="1"/></workbook>')


def test_calc_chain_sheet_ids_survive_removed_entries() -> None:
    chain = b'<calcChain><c r="A1" i="2"/><c r="A2"/><c r="B1" i="3"/><c r="B2"/></calcChain>'
    pruned = prune_calc_chain(chain, {("2", b"A1"), ("3", b"B1")})
    assert pruned == b'<calcChain><c r="A2" i="2"/><c r="B2" i="3"/></calcChain>'


def test_unknown_sheets_and_non_workbooks_are_refused() -> None:
    with pytest.raises(TemplateWriteError, match="no sheet 'Nope'"):
        fill(_workbook(SHEET), {"Nope": {"A1": Value(1)}})
    with pytest.raises(TemplateWriteError, match=r"not a readable \.xlsx"):
        fill(b"not a zip", {})


@pytest.mark.parametrize("name", TEMPLATES)
def test_rmi_templates_keep_every_part_but_the_filled_cells(name: str) -> None:
    template = corpus_path("templates", name).read_bytes()
    edits = {
        "Declaration": {"D8": Value("Example Corp."), "D26": Value("Yes"), "D22": Value(46000)},
        "Smelter List": {"B5": Value("Gold"), "C5": Value("Asahi Pretec Corp."), "F5": Cached("CID000082")},
        "Product List": {"B6": Value("P-1")},
    }
    out = fill(template, edits)
    result = compare(template, out)
    assert result.problems == []
    assert result.changed == {"Declaration": {"D8", "D26", "D22"}, "Smelter List": {"B5", "C5", "F5"},
                              "Product List": {"B6"}}  # fmt: skip
    assert result.formulas_removed == {"Smelter List": {"B5", "C5"}}
    before, after = counts(template), counts(out)
    assert {k: v for k, v in after.items() if not k.startswith("<f")} == {
        k: v for k, v in before.items() if not k.startswith("<f")}  # fmt: skip
    assert before["<f>"] + before["<f "] - (after["<f>"] + after["<f "]) == 2
    back = read_workbook(out, limits=LIMITS)
    assert back.company.name == "Example Corp." and back.answers["Q1"]["Tantalum"] == "Yes"
    assert back.company.effective_date is not None and back.company.effective_date.isoformat() == "2025-12-09"
    assert (back.smelters[0].metal, back.smelters[0].lookup, back.smelters[0].smelter_id) == (
        "Gold", "Asahi Pretec Corp.", "CID000082")  # fmt: skip
    assert back.products[0].number == "P-1"


def test_the_6_4_template_keeps_its_extension_list_formats() -> None:
    template = corpus_path("templates", "RMI_CMRT_6.4.xlsx").read_bytes()
    out = fill(template, {"Smelter List": {"B5": Value("Tin")}})
    assert counts(out)["<x14:conditionalFormatting"] == counts(template)["<x14:conditionalFormatting"] == 3
    sheet = next(n for n in zipfile.ZipFile(io.BytesIO(out)).namelist() if n.endswith("sheet5.xml"))
    assert _part(out, sheet).endswith(_part(template, sheet)[_part(template, sheet).index(b"</sheetData>") :])
