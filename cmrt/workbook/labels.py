"""The hidden ``L`` sheet: every label cell's text in every language, keyed by sheet name + cell address.

Reading labels through ``L`` makes the reader independent of the language the supplier selected: the cached
label text in ``Declaration!B8`` may be Chinese, but ``L`` maps ``DeclarationB8`` to "Company Name (*):".
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from cmrt.workbook.grid import Grid
from cmrt.workbook.values import clean_text, fold

#: Language header text in ``L`` row 1 (and the Declaration!D3 dropdown) → English name.
LANGUAGE_NAMES = {
    "english": "English",
    "中文 chinese": "Chinese",
    "chinese": "Chinese",
    "日本語 japanese": "Japanese",
    "japanese": "Japanese",
    "한국어 korean": "Korean",
    "korean": "Korean",
    "français": "French",
    "french": "French",
    "português": "Portuguese",
    "portuguese": "Portuguese",
    "portugese": "Portuguese",  # sic, CMRT 2.00-2.02
    "deutsch": "German",
    "german": "German",
    "español": "Spanish",
    "spanish": "Spanish",
    "italiano": "Italian",
    "italian": "Italian",
    "türkçe": "Turkish",
    "turkish": "Turkish",
}

#: Every mineral the templates know, in English (as printed by the templates, symbols removed).
MINERALS = (
    "Tantalum", "Tin", "Gold", "Tungsten", "Cobalt", "Mica", "Copper", "Graphite", "Lithium", "Nickel",
    "Aluminum", "Chromium", "Silver", "Zinc", "Iridium", "Lime", "Manganese", "Palladium", "Platinum",
    "Rare Earth Elements", "Rhodium", "Ruthenium", "Soda Ash", "Cadmium", "Lead", "Molybdenum", "Rhenium",
    "Selenium", "Tellurium",
)  # fmt: skip
_MINERAL_BY_FOLD = {m.casefold(): m for m in MINERALS}
_MINERAL_BY_FOLD.update({"aluminium": "Aluminum", "natural mica": "Mica"})
_SYMBOL = re.compile(r"\s*\((ta|sn|au|w|co)\)\s*", re.IGNORECASE)

# A few translations so that files without an ``L`` sheet (or with errors in it) still map the 3TG rows.
_BUILTIN_MINERAL_TEXTS = {
    "钽": "Tantalum", "锡": "Tin", "金": "Gold", "钨": "Tungsten", "钴": "Cobalt", "云母": "Mica",
    "タンタル": "Tantalum", "スズ": "Tin", "錫": "Tin", "タングステン": "Tungsten",
    "탄탈륨": "Tantalum", "주석": "Tin", "금": "Gold", "텅스텐": "Tungsten",
    "tantale": "Tantalum", "étain": "Tin", "or": "Gold", "tungstène": "Tungsten",
    "tantal": "Tantalum", "zinn": "Tin", "wolfram": "Tungsten",
    "estanho": "Tin", "ouro": "Gold", "tântalo": "Tantalum", "tungstênio": "Tungsten",
    "estaño": "Tin", "oro": "Gold", "tantalio": "Tantalum", "tungsteno": "Tungsten", "stagno": "Tin",
    "kalay": "Tin", "altın": "Gold",
}  # fmt: skip


def mineral_of(text: str | None) -> str | None:
    """The English mineral named by a label in English (``"Tantalum (Ta) (*)"``), else None."""
    if not text:
        return None
    key = fold(_SYMBOL.sub(" ", text))
    return _MINERAL_BY_FOLD.get(key) or _BUILTIN_MINERAL_TEXTS.get(key)


@dataclass
class Labels:
    """``key → English`` plus a reverse map from any language's text to the English text."""

    english: dict[str, str] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)  # English names, in L column order
    # (key, texts in every language) of the sheets the reader parses; folded into ``reverse`` on first use
    translations: list[tuple[str, list[str]]] = field(default_factory=list)
    _reverse: dict[str, str] | None = None
    _minerals: dict[str, str] | None = None

    @property
    def mineral_texts(self) -> dict[str, str]:
        """Folded mineral name in any language → English mineral (a small subset of ``reverse``)."""
        if self._minerals is None:
            self._minerals = {}
            for english, texts in self.translations:
                mineral = mineral_of(english)
                if mineral:
                    for text in texts:
                        self._minerals.setdefault(fold(_SYMBOL.sub(" ", text)), mineral)
        return self._minerals

    @property
    def reverse(self) -> dict[str, str]:
        """Folded text in any language → English text (built on first use: most files never need it)."""
        if self._reverse is None:
            self._reverse = {}
            for english, texts in self.translations:
                for text in texts:
                    self._reverse.setdefault(fold(text), english)
        return self._reverse

    @property
    def present(self) -> bool:
        return bool(self.english)

    def get(self, sheet: str, addr: str) -> str | None:
        return self.english.get(sheet + addr)

    def to_english(self, text: str | None) -> str | None:
        """The English text of a label cached in another language (None for ASCII text: already English)."""
        if not text or text.isascii():
            return None
        return self.reverse.get(fold(text))

    def mineral(self, text: str | None) -> str | None:
        """The English mineral for a label cached in any language."""
        direct = mineral_of(text)
        if direct or not text:
            return direct
        return self.mineral_texts.get(fold(_SYMBOL.sub(" ", text)))


_TRANSLATED_SHEETS = ("Declaration", "Smelter List", "Mine List", "Product List")


def read_labels(grid: Grid | None) -> Labels:
    labels = Labels()
    if grid is None or grid.nrows == 0:
        return labels
    header = grid.rows[0]
    english_col = None
    lang_cols: list[tuple[int, str]] = []
    for index, cell in enumerate(header):
        text = clean_text(cell)
        if not text:
            continue
        name = LANGUAGE_NAMES.get(fold(text))
        if name:
            lang_cols.append((index, name))
            if name == "English" and english_col is None:
                english_col = index
    if english_col is None:
        english_col = 3 if len(header) > 3 else None  # column D, as in every known version
    if english_col is None:
        return labels
    labels.languages = [name for _, name in lang_cols]
    for row in grid.rows[1:]:
        if not row or english_col >= len(row):
            continue
        key = row[0]
        if not isinstance(key, str) or not key.strip():
            # column A is "=B2&C2": rebuild the key when a tool saved the file without cached values
            sheet, cell = row[1], row[2] if len(row) > 2 else None
            key = f"{sheet}{cell}" if isinstance(sheet, str) and isinstance(cell, str) and sheet and cell else None
        english = clean_text(row[english_col])
        if key is None or not english:
            continue
        key = key.strip()
        labels.english[key] = english
        if key.startswith(_TRANSLATED_SHEETS):
            texts = [row[index] for index, _ in lang_cols if index < len(row)]
            labels.translations.append((english, [t for t in texts if isinstance(t, str) and t.strip()]))
    return labels


def is_translation_header(cells: list[Any]) -> bool:
    """The header row of a translation table kept inside a sheet (CMRT 2.00-2.02: "English", "Chinese", ...)."""
    texts = [value.strip() for value in cells if isinstance(value, str) and value.strip()]
    return any(a == "English" and b == "Chinese" for a, b in itertools.pairwise(texts))


def data_end(grid: Grid) -> int:
    """The first row after a sheet's data area: the copyright footer or an in-sheet translation table."""
    for row, cells in grid.iter_rows():
        if any(isinstance(v, str) and v.lstrip().startswith("©") for v in cells[:3]):
            return row
        if "English" in cells and is_translation_header(cells):  # the membership test runs at C speed
            return row
    return grid.nrows + 1


def sheet_translations(grid: Grid) -> list[tuple[str, list[str]]]:
    """(English text, the same text in the other languages) from the translation tables a CMRT 2.00-2.02 sheet
    keeps below its form. The tables only tell what a label cached in another language says; their cells are
    never data."""
    out: list[tuple[str, list[str]]] = []
    groups: list[tuple[int, int]] = []  # (column of English, number of language columns), 0-based
    for _, cells in grid.iter_rows():
        for start, value in enumerate(cells):
            if not (isinstance(value, str) and value.strip() == "English") or any(s == start for s, _ in groups):
                continue
            width = 0
            while start + width < len(cells) and isinstance(cells[start + width], str) and \
                    fold(cells[start + width]) in LANGUAGE_NAMES:  # fmt: skip
                width += 1
            if width > 1:
                groups.append((start, width))
                break
        for start, width in groups:
            english = clean_text(cells[start]) if start < len(cells) else None
            if not english or fold(english) in LANGUAGE_NAMES:
                continue
            texts = [v for v in cells[start + 1 : start + width] if isinstance(v, str) and v.strip()]
            if texts:
                out.append((english, texts))
    return out


def language_name(text: str | None) -> str | None:
    if not text:
        return None
    return LANGUAGE_NAMES.get(fold(text), text)
