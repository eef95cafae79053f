"""The product list of a product-level roll-up: a CSV or XLSX file (bytes in, products out).

Columns, matched by header case-insensitively: the product number (``number``, ``product number``,
``part number``, ``item number``, the template's own "Manufacturer's/Responder's Product Number"), the name
(``name``, ``product name``, ``description``) and a ``comment``. The number is required; every bad row is
reported at once (row numbers as a spreadsheet shows them) and nothing is written.
"""

from __future__ import annotations

import re

from cmrt.rollup.model import Product
from cmrt.roster import RosterError, read_table

_NUMBER = re.compile(r"(product|part|item|article)?\s*(number|no\.?|#|id)$|^number$|^sku$", re.I)
_NAME = re.compile(r"(product|item|part)?\s*(name|description)$", re.I)
_COMMENT = re.compile(r"^comments?$", re.I)
MAX_TEXT = 500


class ProductListError(ValueError):
    """The file cannot be used as a product list; ``problems`` names each bad row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _column(header: list[str], pattern: re.Pattern[str]) -> int | None:
    for index, title in enumerate(header):
        text = re.sub(r"\(\*\)|[’'`]s\b|manufacturer|responder|requester", " ", title, flags=re.I)
        if pattern.search(" ".join(text.split())):
            return index
    return None


def parse_products(data: bytes) -> list[Product]:
    try:
        rows = read_table(data)
    except RosterError as exc:
        raise ProductListError([str(exc)]) from None
    start = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise ProductListError(["the file is empty"])
    header = rows[start]
    number, name, comment = (_column(header, p) for p in (_NUMBER, _NAME, _COMMENT))
    if number is None:
        found = ", ".join(t for t in header if t.strip()) or "none"
        raise ProductListError([f"no product number column (the header row has: {found}; expected e.g. "
                                "'number', 'name', 'comment')"])  # fmt: skip
    products: list[Product] = []
    problems: list[str] = []
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not any(c.strip() for c in row):
            continue

        def cell(pos: int | None, row: list[str] = row) -> str | None:
            text = row[pos].strip() if pos is not None and pos < len(row) else ""
            return text[:MAX_TEXT] or None

        value = cell(number)
        if value is None:
            problems.append(f"row {index + 1}: no product number")
            continue
        products.append(Product(value, cell(name), cell(comment)))
    if problems:
        raise ProductListError(problems)
    if not products:
        raise ProductListError(["the file lists no products"])
    return products
