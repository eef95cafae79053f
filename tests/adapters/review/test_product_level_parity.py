"""A product-level CMRT 6.4 that lists a product name without its product number: RMI's own Checker counts one
required field missing (Product List B6), so the review must not accept it."""

from __future__ import annotations

import datetime as dt

from cmrt.review import Grade, checker_remaining, review
from cmrt.review.adhoc import context_for
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory import ProductSpec, build_cmrt


def test_a_product_name_without_its_number_is_a_missing_required_field() -> None:
    data = build_cmrt(version="6.4", scope="B. Product (or List of Products)",
                      products=[ProductSpec("", "Sputtering target")], checker_remaining=1)  # fmt: skip
    declaration = read_workbook(data, limits=ReadLimits(isolated=False))
    result = review(declaration, context_for(today=dt.date(2026, 8, 22), workbook=data))
    assert declaration.checker_remaining == 1
    assert checker_remaining(result) >= 1
    assert result.grade is not Grade.ACCEPTED
    (finding,) = [f for f in result.findings if f.check == "scope.product_list_empty"]
    assert (finding.sheet, finding.cell) == ("Product List", "B6")
