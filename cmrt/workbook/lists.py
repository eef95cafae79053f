"""The Smelter List, Mine List and Product List sheets: header row found by text, columns mapped by header.

Formula columns a non-recalculating tool left without cached values are resolved against the workbook's own
``Smelter Look-up`` sheet (by the CID typed in column A, or by metal + look-up name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from cmrt.declaration import MineRow, ProductRow, SmelterRow, Warning_
from cmrt.workbook.grid import Grid, col_letter
from cmrt.workbook.labels import Labels, is_translation_header, mineral_of
from cmrt.workbook.values import clean_text, normalise_answer

_P = re.IGNORECASE

# The address, contact and comment columns the Smelter List and the Mine List share, in the templates' order.
_SITE_AND_CONTACT: tuple[tuple[str, str], ...] = (
    ("street", r"Street"),
    ("city", r"City"),
    ("state", r"State\s*/\s*Province(?!\s*Code)"),
    ("contact_name", r"Contact Name"),
    ("contact_email", r"Contact Email"),
    ("next_steps", r"next steps"),
    ("comments", r"^Comments"),
)

SMELTER_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _P))
    for name, pattern in (
        ("id_input", r"Identification Number Input"),
        ("metal", r"^Metal\b"),
        ("lookup", r"Smelter Look-?up|Smelter Reference List"),
        ("recycled", r"100\s*%.*recycled|feedstock"),
        ("mine_names", r"^Name of Mine"),
        ("mine_countries", r"Location \(Country\) of Mine|Country\) of Mine"),
        ("country", r"Smelter Country|Facility Location:\s*Country"),
        ("id_source", r"Source of Smelter Identification"),
        ("smelter_id", r"^Smelter (Identification|ID)\b(?!.*Input)"),
        *_SITE_AND_CONTACT,
        ("name", r"^(Standard )?Smelter Names?\b"),
        ("standard_name", r"^Standard Smelter Name$"),
    )
)

MINE_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _P))
    for name, pattern in (
        ("metal", r"^Metal\b"),
        ("smelter_name", r"Name of Smelter"),
        ("mine_name", r"Mine Facility \(Site\) Name|^Mine (Facility )?Name"),
        ("id_source", r"Source of Mine"),
        ("mine_id", r"Mine Identification"),
        ("country", r"Country"),
        *_SITE_AND_CONTACT,
    )
)

PRODUCT_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _P))
    for name, pattern in (
        ("requester_number", r"^Requester.*(Number|No)"),
        ("requester_name", r"^Requester.*Name"),
        ("number", r"(Product|Item) (or Item )?Number|Product Number"),
        ("name", r"(Product|Item) (Name|Description)|Product or Item Description"),
        ("comment", r"^Comments?"),
    )
)


@dataclass
class ListResult:
    rows: list[Any] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)
    header_row: int | None = None  # the row of the column headers; data starts below it
    sheet: str = ""  # the sheet's name as the workbook spells it


def _header_text(grid: Grid, labels: Labels, row: int, col: int) -> str | None:
    keyed = labels.get(grid.name, f"{col_letter(col)}{row}")
    if keyed:
        return keyed
    cached = grid.text(row, col)
    return (labels.to_english(cached) or cached) if cached else None


def _find_header(
    grid: Grid, labels: Labels, patterns: tuple[tuple[str, re.Pattern[str]], ...], anchors: set[str]
) -> tuple[int, dict[str, int]] | None:
    for row in range(1, min(grid.nrows, 8) + 1):
        width = len(grid.rows[row - 1])
        mapping: dict[str, int] = {}
        for col in range(1, min(width, 40) + 1):
            text = _header_text(grid, labels, row, col)
            if not text:
                continue
            text = text.strip()
            for name, pattern in patterns:
                if name not in mapping and pattern.search(text):
                    mapping[name] = col
                    break
        if anchors <= mapping.keys() and len(mapping) >= min(3, len(patterns)):
            return row, mapping
    return None


_BLANK = frozenset({"", 0, "0", "#N/A"})  # 0 == 0.0, so floats match too


def _is_footer(cells: list[Any]) -> bool:
    """The copyright line that ends a list, or (CMRT 2.00-2.02) the translation table kept below the list."""
    if any(isinstance(value, str) and value.lstrip().startswith("©") for value in cells[:4]):
        return True
    return is_translation_header(cells)


def _read_rows(
    grid: Grid,
    header_row: int,
    mapping: dict[str, int],
    build: Callable[[int, dict[str, str | None]], Any],
    keys: tuple[str, ...],
    max_rows: int,
    check: Callable[[], None],
) -> list[Any]:
    out: list[Any] = []
    last = min(grid.nrows, header_row + max_rows)
    key_cols = [mapping[key] - 1 for key in keys if key in mapping]
    low, high = (min(key_cols), max(key_cols) + 1) if key_cols else (0, 0)
    for row in range(header_row + 1, last + 1):
        if (row & 1023) == 0:
            check()
        cells = grid.rows[row - 1]
        if _BLANK.issuperset(cells[low:high]):
            continue  # fast path (C speed): the thousands of untouched template rows
        if _is_footer(cells):
            break
        values = {name: clean_text(cells[col - 1]) if col <= len(cells) else None for name, col in mapping.items()}
        if not any(values.get(key) for key in keys):
            continue
        out.append(build(row, values))
    return out


_SMELTER_FIELDS = {f.name for f in fields(SmelterRow)} - {"row"}


def fixed_smelter_columns(version: tuple[int, ...]) -> dict[str, int]:
    """Smelter List columns by position (header row 4), for files whose header labels are unreadable."""
    if version and version < (2, 2):
        names = ["metal", "lookup", "name", "country", "street", "city", "state", "contact_name", "contact_email",
                 "next_steps", "mine_names", "mine_countries", "comments"]  # fmt: skip
    elif version and version < (3,):
        names = ["metal", "lookup", "name", "country", "smelter_id", "street", "city", "state", "contact_name",
                 "contact_email", "next_steps", "mine_names", "mine_countries", "comments"]  # fmt: skip
    else:
        names = ["metal", "lookup", "name", "country", "smelter_id", "id_source", "street", "city", "state",
                 "contact_name", "contact_email", "next_steps", "mine_names", "mine_countries", "recycled",
                 "comments"]  # fmt: skip
    mapping = {name: index for index, name in enumerate(names, start=2)}
    if not version or version >= (4, 1):
        mapping["id_input"] = 1
    return mapping


_FIELD_TEXT = {"mine_names": "mine names", "mine_countries": "mine countries", "id_input": "ids typed",
               "smelter_id": "smelter ids", "id_source": "id sources", "contact_name": "contact names",
               "contact_email": "contact e-mails", "next_steps": "next steps", "recycled": "recycled answers",
               "lookup": "look-up values", "name": "smelter names"}  # fmt: skip


def _place_unmatched_columns(
    grid: Grid, found: tuple[int, dict[str, int]], fixed: dict[str, int], warnings: list[Warning_], max_rows: int
) -> None:
    """A header row was found, but some columns of the version's layout hold data under a header that matched
    nothing (unreadable or unknown text). When every matched column sits where the version puts it, those columns
    are read at their fixed positions; otherwise (a shifted layout) they cannot be placed. Either way the reader
    says which columns."""
    header_row, mapping = found
    used = set(mapping.values())
    last = min(grid.nrows, header_row + max_rows)
    unmatched = [
        col for col in range(1, max(fixed.values(), default=0) + 1)
        if col not in used and any(grid.text(row, col) for row in range(header_row + 1, last + 1))
    ]  # fmt: skip
    if not unmatched:
        return
    first = f"{col_letter(unmatched[0])}{header_row}"
    if all(fixed[name] == col for name, col in mapping.items() if name in fixed):
        placed = {name: col for name, col in fixed.items() if col in unmatched and name not in mapping}
        if placed:
            mapping.update(placed)
            columns = ", ".join(col_letter(col) for col in sorted(placed.values()))
            what = ", ".join(_FIELD_TEXT.get(name, name) for name in sorted(placed, key=placed.__getitem__))
            warnings.append(Warning_(
                "smelter_columns_fallback",
                f"The Smelter List headers of columns {columns} could not be read; those columns ({what}) were"
                " taken from the template version's fixed positions.",
                grid.name, first,
            ))  # fmt: skip
        unmatched = [col for col in unmatched if col not in placed.values()]
    if unmatched:
        columns = ", ".join(col_letter(col) for col in unmatched)
        warnings.append(Warning_(
            "smelter_columns_unread",
            f"The Smelter List columns {columns} hold data under headers the reader does not recognise, and they"
            " cannot be placed by the template version's layout; that data was not read.",
            grid.name, f"{col_letter(unmatched[0])}{header_row}",
        ))  # fmt: skip


def read_smelters(
    grid: Grid,
    labels: Labels,
    lookup: Callable[[], LookupTable | None],
    max_rows: int,
    check: Callable[[], None],
    version: tuple[int, ...] = (),
) -> ListResult:
    result = ListResult()
    found = _find_header(grid, labels, SMELTER_HEADERS, {"metal"})
    if found is None:
        result.warnings.append(
            Warning_(
                "smelter_header_unreadable",
                "The Smelter List header labels could not be read; columns were taken from their fixed positions.",
                grid.name,
                "B4",
            )
        )
        found = (4, fixed_smelter_columns(version))
    else:
        _place_unmatched_columns(grid, found, fixed_smelter_columns(version), result.warnings, max_rows)
    header_row, mapping = found
    result.header_row, result.sheet = header_row, grid.name
    result.columns = {name: col_letter(col) for name, col in mapping.items() if name in _SMELTER_FIELDS}

    def build(row: int, v: dict[str, str | None]) -> SmelterRow:
        metal = v.get("metal")
        return SmelterRow(
            row=row,
            metal=mineral_of(metal) or metal,
            lookup=v.get("lookup"),
            name=v.get("name"),
            country=v.get("country"),
            smelter_id=v.get("smelter_id"),
            id_source=v.get("id_source"),
            street=v.get("street"),
            city=v.get("city"),
            state=v.get("state"),
            contact_name=v.get("contact_name"),
            contact_email=v.get("contact_email"),
            next_steps=v.get("next_steps"),
            mine_names=v.get("mine_names"),
            mine_countries=v.get("mine_countries"),
            recycled=normalise_answer(v.get("recycled")),
            comments=v.get("comments"),
            id_input=v.get("id_input"),
            standard_name=v.get("standard_name"),
        )

    keys = ("metal", "lookup", "name", "smelter_id", "id_input")
    rows: list[SmelterRow] = _read_rows(grid, header_row, mapping, build, keys, max_rows, check)
    unresolved = [r for r in rows if (r.id_input or r.lookup) and not r.smelter_id and not r.country]
    if unresolved:
        table = lookup()
        if table is not None:
            rows = [table.resolve(r, result.warnings, grid.name, mapping) if r in unresolved else r for r in rows]
    result.rows = rows
    return result


def read_mines(grid: Grid, labels: Labels, max_rows: int, check: Callable[[], None]) -> ListResult:
    result = ListResult()
    found = _find_header(grid, labels, MINE_HEADERS, {"metal", "mine_name"})
    if found is None:
        return result
    header_row, mapping = found
    result.header_row, result.sheet = header_row, grid.name
    result.columns = {name: col_letter(col) for name, col in mapping.items()}

    def build(row: int, v: dict[str, str | None]) -> MineRow:
        metal = v.get("metal")
        return MineRow(row=row, **{**{k: v.get(k) for k in mapping}, "metal": mineral_of(metal) or metal})

    result.rows = _read_rows(grid, header_row, mapping, build, ("metal", "mine_name", "mine_id"), max_rows, check)
    return result


def read_products(grid: Grid, labels: Labels, max_rows: int, check: Callable[[], None]) -> ListResult:
    result = ListResult()
    found = _find_header(grid, labels, PRODUCT_HEADERS, {"number"})
    if found is None:
        found = (5, {"number": 2, "name": 3, "comment": 4})
    header_row, mapping = found
    result.header_row, result.sheet = header_row, grid.name
    result.columns = {name: col_letter(col) for name, col in mapping.items()}

    def build(row: int, v: dict[str, str | None]) -> ProductRow:
        return ProductRow(row=row, **{k: v.get(k) for k in mapping})

    result.rows = _read_rows(grid, header_row, mapping, build, ("number", "name"), max_rows, check)
    return result


@dataclass
class LookupEntry:
    metal: str | None
    alias: str | None
    name: str | None
    country: str | None
    smelter_id: str | None
    source: str | None
    street: str | None
    city: str | None
    state: str | None


@dataclass
class LookupTable:
    by_id: dict[str, LookupEntry]
    by_alias: dict[tuple[str, str], LookupEntry]

    def resolve(self, row: SmelterRow, warnings: list[Warning_], sheet: str, mapping: dict[str, int]) -> SmelterRow:
        entry = None
        if row.id_input:
            entry = self.by_id.get(row.id_input.strip().upper())
        if entry is None and row.lookup and row.metal:
            entry = self.by_alias.get((row.metal.casefold(), row.lookup.casefold()))
        if entry is None:
            return row
        col = col_letter(mapping.get("smelter_id", mapping.get("lookup", 1)))
        warnings.append(
            Warning_(
                "smelter_resolved_from_lookup",
                "The smelter columns had no cached values (the file was saved without recalculation);"
                " they were filled from the workbook's Smelter Look-up sheet.",
                sheet,
                f"{col}{row.row}",
            )
        )
        return replace(
            row,
            metal=row.metal or entry.metal,
            lookup=row.lookup or entry.alias,
            standard_name=row.standard_name or entry.name,
            country=row.country or entry.country,
            smelter_id=row.smelter_id or entry.smelter_id,
            id_source=row.id_source or entry.source,
            street=row.street or entry.street,
            city=row.city or entry.city,
            state=row.state or entry.state,
        )


def read_lookup(grid: Grid) -> LookupTable | None:
    """``Smelter Look-up``: header row 4 (A Metal, B alias, C standard name, D country, E ID, F source, G-I)."""
    header = None
    for row in range(1, min(grid.nrows, 8) + 1):
        first = clean_text(grid.value(row, 1))
        if first and first.casefold().startswith("metal"):
            header = row
            break
        if first and mineral_of(first):  # the header label has no cached value: data starts here
            header = row - 1
            break
    if header is None:
        return None
    by_id: dict[str, LookupEntry] = {}
    by_alias: dict[tuple[str, str], LookupEntry] = {}
    for row in range(header + 1, grid.nrows + 1):
        cells = [clean_text(grid.value(row, col)) for col in range(1, 10)]
        metal, alias = cells[0], cells[1]
        if not metal:
            continue
        entry = LookupEntry(mineral_of(metal) or metal, alias, cells[2], cells[3], cells[4], cells[5], *cells[6:9])
        if entry.smelter_id and entry.smelter_id.upper().startswith("CID"):
            by_id.setdefault(entry.smelter_id.upper(), entry)
        if alias:
            by_alias.setdefault(((entry.metal or "").casefold(), alias.casefold()), entry)
    return LookupTable(by_id, by_alias)
