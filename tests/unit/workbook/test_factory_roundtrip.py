"""Self-contained reader tests on workbooks built by the fixture factory (no ../shared needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cmrt.declaration import CompanyTopic, Family, QuestionTopic, Scope
from cmrt.workbook import read_workbook
from cmrt.workbook.factory import LANGUAGES, VERSIONS, CmrtSpec, ProductSpec, SmelterSpec, build_cmrt

LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "fr": "French", "de": "German"}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_and_language_reads_the_same(version: str, language: str) -> None:
    spec = CmrtSpec(version=version, language=language)
    spec.comments = {"Q3": {"Gold": "from recycled sources"}}
    d = read_workbook(build_cmrt(spec))
    assert d.template.family is Family.CMRT
    assert d.template.version == version
    assert d.language == LANGUAGE_NAMES[language]
    assert d.company.name == "Example Metals Ltd."
    assert d.company.scope is Scope.COMPANY
    assert d.company.contact.email == "pat@example.com"
    assert d.company.authorizer.title == "Compliance Manager"
    assert d.company.effective_date == dt.date(2025, 5, 2)
    assert d.minerals == ("Tantalum", "Tin", "Gold", "Tungsten")
    assert sorted(d.answers) == [f"Q{n}" for n in range(1, 9)]
    assert d.answers["Q1"] == dict.fromkeys(d.minerals, "Yes")
    assert d.answers["Q6"] == dict.fromkeys(d.minerals, "100%")  # the number 1 before 6.31, "100%" after
    assert d.answer_comments["Q3"]["Gold"] == "from recycled sources"
    assert d.answer(QuestionTopic.CAHRA, "Tin") == "No"
    assert d.question_topics["Q4"] is QuestionTopic.CAHRA
    assert d.company_questions["B"].comment == "https://www.example.com/policy"
    assert d.company_questions["E"].answer == "Yes, in conformance with IPC1755 (e.g., CMRT)"
    assert d.company_question_topics["B"] is CompanyTopic.POLICY_PUBLIC
    assert d.company_question_topics["H"] is CompanyTopic.DISCLOSURE
    assert len(d.smelters) == 5
    assert d.checker_remaining == 0
    assert d.warnings == ()


def test_cells_name_sheet_and_address() -> None:
    d = read_workbook(build_cmrt())
    assert d.cells["company.name"] == "Declaration!D8"
    assert d.cells["company.effective_date"] == "Declaration!D22"
    assert d.cells["company.contact.email"] == "Declaration!D16"
    assert d.cells["answers.Q1.Tantalum"] == "Declaration!D26"
    assert d.cells["answers.Q8.Tungsten"] == "Declaration!D71"
    assert d.cells["answer_comments.Q2.Tin"] == "Declaration!G33"
    assert d.cells["company_questions.B.comment"] == "Declaration!G77"
    assert d.cells["company_questions.H.answer"] == "Declaration!D89"
    assert d.cell("company.address") == ("Declaration", "D14")
    assert d.smelter_columns["metal"] == "B"
    assert d.smelter_columns["smelter_id"] == "F"
    assert d.smelter_columns["id_input"] == "A"
    assert d.product_columns == {"number": "B", "name": "C", "comment": "D"}


def test_smelter_and_product_rows() -> None:
    spec = CmrtSpec(scope="B. Product (or List of Products)")
    spec.products = [ProductSpec("P-1\t", "Widget", "spare part"), ProductSpec("P-2")]
    spec.smelters = [
        SmelterSpec("Tin", "Minsur", country="PERU", smelter_id="CID001182", recycled="yes", id_input="CID001182"),
        SmelterSpec("Gold", "Smelter not listed", name="Some Refinery", country="0", source="#N/A"),
    ]
    d = read_workbook(build_cmrt(spec))
    assert d.company.scope is Scope.PRODUCT
    first, second = d.smelters
    assert (first.row, first.metal, first.lookup, first.smelter_id, first.recycled) == (
        5, "Tin", "Minsur", "CID001182", "Yes"
    )  # fmt: skip
    assert (second.row, second.name, second.country, second.id_source) == (6, "Some Refinery", None, None)
    assert [(p.row, p.number, p.name, p.comment) for p in d.products] == [
        (6, "P-1", "Widget", "spare part"),
        (7, "P-2", None, None),
    ]


def test_answers_are_normalised() -> None:
    answers: dict[str, dict[str, Any]] = {
        "Q1": {"Tantalum": "yes\t", "Tin": " NO", "Gold": 0, "Tungsten": "#N/A"},
        "Q6": {"Tantalum": 1},
    }
    d = read_workbook(build_cmrt(CmrtSpec(version="6.4", answers=answers)))
    assert d.answers["Q1"] == {"Tantalum": "Yes", "Tin": "No", "Gold": None, "Tungsten": None}
    assert d.answers["Q6"]["Tantalum"] == "100%"
    assert d.answers["Q6"]["Tin"] is None


@pytest.mark.parametrize("language", ["zh", "de"])
def test_labels_without_cached_values_use_the_l_sheet(language: str) -> None:
    d = read_workbook(build_cmrt(CmrtSpec(language=language, labels="formulas")))
    assert d.company.name == "Example Metals Ltd."
    assert d.answers["Q8"] == dict.fromkeys(d.minerals, "Yes")
    assert len(d.company_questions) == 8
    assert len(d.smelters) == 5


def test_labels_cached_as_errors_fall_back_to_fixed_positions() -> None:
    d = read_workbook(build_cmrt(CmrtSpec(labels="errors")))
    assert d.company.contact.name == "Pat Example"
    assert d.answers["Q5"] == dict.fromkeys(d.minerals, "No")
    assert any(w.code == "labels_unreadable" and w.sheet == "Declaration" for w in d.warnings)


def test_no_l_sheet_and_error_labels_use_the_fixed_cells() -> None:
    spec = CmrtSpec(labels="errors", include_l_sheet=False)
    spec.products = [ProductSpec("X-9", "Thing")]
    d = read_workbook(build_cmrt(spec))
    assert d.company.name == "Example Metals Ltd."
    assert d.company.effective_date == dt.date(2025, 5, 2)
    assert d.answers["Q7"] == dict.fromkeys(d.minerals, "Yes")
    assert d.company_questions["E"].answer == "Yes, in conformance with IPC1755 (e.g., CMRT)"
    assert len(d.smelters) == 5 and d.smelters[0].smelter_id == "CID000082"
    assert d.products[0].number == "X-9"
    codes = {w.code for w in d.warnings}
    assert {"labels_unreadable", "smelter_header_unreadable"} <= codes


def test_uncached_smelter_formulas_are_resolved_from_the_lookup_sheet() -> None:
    d = read_workbook(build_cmrt(CmrtSpec(cache_smelter_formulas=False)))
    first = d.smelters[0]
    assert (first.metal, first.lookup, first.smelter_id, first.country, first.city) == (
        "Gold", "Asahi Pretec Corp.", "CID000082", "JAPAN", "Kobe"
    )  # fmt: skip
    assert first.standard_name == "Asahi Pretec Corp."
    resolved = [w for w in d.warnings if w.code == "smelter_resolved_from_lookup"]
    assert len(resolved) == 4 and resolved[0].sheet == "Smelter List" and resolved[0].cell == "F5"
    assert d.smelters[-1].lookup == "Smelter not listed" and d.smelters[-1].name == "Example Refinery"


@pytest.mark.parametrize(
    ("value", "date1904", "expected", "raw"),
    [
        (dt.date(2024, 5, 2), False, dt.date(2024, 5, 2), None),
        ("02-May-2024", False, dt.date(2024, 5, 2), "02-May-2024"),
        (45414, False, dt.date(2024, 5, 2), "45414"),
        (43952, True, dt.date(2024, 5, 2), "43952"),
        ("soon", False, None, "soon"),
    ],
)
def test_effective_date_forms(value: object, date1904: bool, expected: dt.date | None, raw: str | None) -> None:
    d = read_workbook(build_cmrt(CmrtSpec(effective_date=value, date1904=date1904)))
    assert d.company.effective_date == expected
    assert d.company.effective_date_raw == raw
    if expected is None:
        assert any(w.code == "effective_date_unreadable" and w.cell == "D22" for w in d.warnings)


def test_user_defined_scope_with_description() -> None:
    spec = CmrtSpec(scope="C. User defined [Specify in 'Description of scope']", scope_description="Division X")
    d = read_workbook(build_cmrt(spec))
    assert d.company.scope is Scope.USER_DEFINED
    assert d.company.scope_raw == "C. User defined [Specify in 'Description of scope']"
    assert d.company.scope_description == "Division X"


def test_empty_declaration_reads_as_empty() -> None:
    spec = CmrtSpec(company_name=None, scope=None, effective_date=None, answers={}, company_answers={}, smelters=[])
    spec.company_comments = {}
    d = read_workbook(build_cmrt(spec))
    assert d.company.name is None and d.company.scope is None and d.company.effective_date is None
    assert all(v is None for per in d.answers.values() for v in per.values())
    assert all(a.answer is None for a in d.company_questions.values())
    assert d.smelters == ()


def test_hidden_dropdown_rows_are_not_read_as_answers() -> None:
    d = read_workbook(build_cmrt())
    assert set(d.company_questions) == set("ABCDEFGH")
    assert not any(ref.endswith(("96", "97", "98")) for ref in d.cells.values())


def test_json_roundtrip_is_serialisable() -> None:
    import json

    d = read_workbook(build_cmrt(CmrtSpec(language="zh")))
    data = json.loads(json.dumps(d.to_json(), ensure_ascii=False))
    assert data["template"] == {"family": "CMRT", "version": "6.5"}
    assert data["company"]["effective_date"] == "2025-05-02"
    assert data["answers"]["Q1"]["Tantalum"] == "Yes"


def _reshape(data: bytes, change: Any) -> bytes:
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_later_6x_with_moved_rows_is_read_by_its_labels() -> None:
    """A hypothetical CMRT 6.6 with two new company rows and a new instruction row on the Smelter List."""

    def change(wb: Any) -> None:
        declaration = wb["Declaration"]
        declaration.insert_rows(12, amount=2)
        declaration["B12"] = "Company Website:"
        declaration["D12"] = "https://example.com"
        declaration["J3"] = "Revision 6.6\nJune 1, 2026"
        smelters = wb["Smelter List"]
        smelters.insert_rows(2)
        smelters["Q4"] = "Revision 6.6\nJune 1, 2026"

    spec = CmrtSpec(language="en", include_l_sheet=False)
    spec.comments = {"Q8": {"Gold": "all reported"}}
    d = read_workbook(_reshape(build_cmrt(spec), change))
    assert (d.template.family, d.template.version) == (Family.CMRT, "6.6")
    assert d.company.unique_id == "123456789"
    assert d.cells["company.unique_id"] == "Declaration!D14"
    assert d.company.effective_date == dt.date(2025, 5, 2)
    assert d.cells["company.effective_date"] == "Declaration!D24"
    assert d.answers["Q8"] == dict.fromkeys(d.minerals, "Yes")
    assert d.answer_comments["Q8"]["Gold"] == "all reported"
    assert d.cells["answers.Q1.Tantalum"] == "Declaration!D28"
    assert d.company_questions["B"].comment == "https://www.example.com/policy"
    assert d.cells["company_questions.B.comment"] == "Declaration!G79"
    assert [s.row for s in d.smelters] == [6, 7, 8, 9, 10]
    assert d.warnings == ()


def test_sheets_from_different_versions_are_flagged() -> None:
    def change(wb: Any) -> None:
        wb["Smelter List"]["Q3"] = "Revision 6.22\nMay 27, 2022"

    d = read_workbook(_reshape(build_cmrt(CmrtSpec(version="6.5")), change))
    assert d.template.version == "6.5"
    assert [(w.code, w.sheet, w.cell) for w in d.warnings] == [("version_mismatch", "Smelter List", "Q3")]


def test_hyperlink_behind_the_policy_comment() -> None:
    spec = CmrtSpec(company_comments={"B": "Our policy"}, company_links={"B": "https://example.com/policy.pdf"})
    d = read_workbook(build_cmrt(spec))
    assert d.company_questions["B"].comment == "Our policy"
    assert d.company_questions["B"].link == "https://example.com/policy.pdf"
    assert d.company_questions["A"].link is None


def test_labels_repeated_below_the_footer_are_not_read() -> None:
    """2.x keeps a visible-in-some-files translation block and the scope list below the copyright footer."""

    def change(wb: Any) -> None:
        ws = wb["Declaration"]
        ws["B120"] = "1) Is any 3TG intentionally added or used in the product(s)?"
        ws["B121"] = "Tantalum"
        ws["D121"] = "No"
        ws["B126"], ws["D126"] = "A. Company Level", "Nonsense"

    d = read_workbook(_reshape(build_cmrt(CmrtSpec(language="en")), change))
    assert d.answers["Q1"]["Tantalum"] == "Yes"
    assert d.company_questions["A"].answer == "Yes"
    assert d.cells["company_questions.A.answer"] == "Declaration!D75"
