"""Old workbooks and odd cached values, built with the fixture factory: Excel 95 containers, CMRT 1.00,
and Checker counts that cannot be counts."""

from __future__ import annotations

import pytest

from cmrt.workbook import ReadLimits, WorkbookError, read_workbook
from cmrt.workbook.factory import build_cmrt
from cmrt.workbook.factory_legacy import build_excel95

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
