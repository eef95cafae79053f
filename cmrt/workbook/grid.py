"""A sheet as a plain grid of cached values, addressed the Excel way (1-based rows, column letters)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cmrt.workbook.values import clean_text


def col_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """A → 1, AA → 27."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index


@dataclass
class Grid:
    name: str
    rows: list[list[Any]]
    hidden_rows: frozenset[int] = field(default_factory=frozenset)
    links: dict[str, str] = field(default_factory=dict)  # "G77" -> "https://..." (external hyperlinks)

    @property
    def nrows(self) -> int:
        return len(self.rows)

    def value(self, row: int, col: int) -> Any:
        if row < 1 or col < 1 or row > len(self.rows):
            return None
        cells = self.rows[row - 1]
        if col > len(cells):
            return None
        value = cells[col - 1]
        return None if value == "" else value

    def at(self, addr: str) -> Any:
        letters = "".join(ch for ch in addr if ch.isalpha())
        digits = "".join(ch for ch in addr if ch.isdigit())
        return self.value(int(digits), col_index(letters))

    def text(self, row: int, col: int) -> str | None:
        return clean_text(self.value(row, col))

    def ref(self, row: int, col: int) -> str:
        return f"{self.name}!{col_letter(col)}{row}"

    def iter_rows(self, start: int = 1) -> Iterator[tuple[int, list[Any]]]:
        for index in range(start - 1, len(self.rows)):
            yield index + 1, self.rows[index]
