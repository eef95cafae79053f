"""Old workbooks and odd cached values, built with the fixture factory: Excel 95 containers, CMRT 1.00,
and Checker counts that cannot be counts."""

from __future__ import annotations

import pytest

from cmrt.workbook import ReadLimits, WorkbookError, read_workbook
from cmrt.workbook.factory_legacy import build_excel95

IN_PROCESS = ReadLimits(isolated=False)


def test_excel_95_workbook_is_unsupported_with_a_plain_request() -> None:
    with pytest.raises(WorkbookError) as info:
        read_workbook(build_excel95(), filename="cmrt.xls", limits=IN_PROCESS)
    assert info.value.code == "unsupported"
    assert "Excel 95" in info.value.message and ".xlsx" in info.value.message
