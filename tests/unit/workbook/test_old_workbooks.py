"""Old workbooks and odd cached values, built with the fixture factory: Excel 95 containers, CMRT 1.00,
and Checker counts that cannot be counts."""

from __future__ import annotations

import datetime as dt

import pytest

from cmrt.declaration import Family, QuestionTopic
from cmrt.workbook import ReadLimits, WorkbookError, read_workbook
from cmrt.workbook.factory import build_cmrt
from cmrt.workbook.factory_legacy import build_cmrt_1, build_excel95

IN_PROCESS = ReadLimits(isolated=False)


def test_excel_95_workbook_is_unsupported_with_a_plain_request() -> None:
    with pytest.raises(WorkbookError) as info:
        read_workbook(build_excel95(), filename="cmrt.xls", limits=IN_PROCESS)
    assert info.value.code == "unsupported"
    assert "Excel 95" in info.value.message and ".xlsx" in info.value.message


@pytest.mark.parametrize("cached", [-5, -1, 2.5, "abc", "-3", True])
def test_impossible_checker_count_is_null(cached: object) -> None:
    d = read_workbook(build_cmrt(checker_remaining=cached), limits=IN_PROCESS)
    assert d.checker_remaining is None
    assert "checker_remaining" not in d.cells


@pytest.mark.parametrize(("cached", "count"), [(0, 0), (3, 3), (3.0, 3), ("7", 7), ("0", 0)])
def test_checker_count(cached: object, count: int) -> None:
    d = read_workbook(build_cmrt(checker_remaining=cached), limits=IN_PROCESS)
    assert d.checker_remaining == count


# ------------------------------------------------------------------------------------------------ CMRT 1.00
def test_cmrt_1_00_date_of_completion_is_read_from_its_day_month_and_year_cells() -> None:
    d = read_workbook(build_cmrt_1(day=15, month="July", year=2011), limits=IN_PROCESS)
    assert (d.template.family, d.template.version) == (Family.CMRT, "1")
    assert d.company.effective_date == dt.date(2011, 7, 15)
    assert d.cells["company.effective_date"] == "Declaration!E17"
    assert not [w for w in d.warnings if w.code.startswith("effective_date")]
    assert d.company.name == "Example Metals Ltd."
    assert (d.company.authorizer.name, d.company.contact.email) == ("Sam Example", "pat@example.com")
    assert d.question_topics == {
        "Q1": QuestionTopic.NECESSARY, "Q2": QuestionTopic.COVERED_COUNTRIES, "Q3": QuestionTopic.RECYCLED_SCRAP,
        "Q4": QuestionTopic.SMELTERS_IDENTIFIED, "Q5": QuestionTopic.SMELTERS_VALIDATED,
    }  # fmt: skip
    assert d.answers["Q1"] == dict.fromkeys(("Tantalum", "Tin", "Gold", "Tungsten"), "Yes")
    assert sorted(d.company_questions) == list("ABCDEFGHIJK")
    assert [(s.row, s.metal, s.name) for s in d.smelters] == [(6, "Gold", "Metalor Technologies S.A.")]


def test_blank_cmrt_1_00_has_no_date_and_no_date_warning() -> None:
    d = read_workbook(build_cmrt_1(day=None, month=None, year=None), limits=IN_PROCESS)
    assert d.company.effective_date is None and d.company.effective_date_raw is None
    assert not [w for w in d.warnings if w.code.startswith("effective_date")]


def test_cmrt_1_00_incomplete_date_is_kept_as_text_and_flagged() -> None:
    d = read_workbook(build_cmrt_1(day=31, month="February", year=2012), limits=IN_PROCESS)
    assert d.company.effective_date is None and d.company.effective_date_raw == "31 February 2012"
    assert [w.cell for w in d.warnings if w.code == "effective_date_unreadable"] == ["E17"]
