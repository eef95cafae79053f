"""Compare a filled workbook with its blank template, part by part, on the raw XML.

Used by the writer's tests and by the roll-up's integration test: everything but the filled cells must be the
template's own bytes (sheets, hidden sheets, defined names, data validations with the x14 extension lists,
conditional formats, styles, protection, drawings), every template formula must still be there unless a person
would have typed over it, and the workbook must ask for a full recalculation on open.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from cmrt.rollup.xlsx import sheet_parts

_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>.*?</f>)", re.S)
_ROW = re.compile(rb"<row\b[^>]*>")


@dataclass
class Comparison:
    problems: list[str] = field(default_factory=list)
    changed: dict[str, set[str]] = field(default_factory=dict)  # sheet -> cells whose content changed
    formulas_removed: dict[str, set[str]] = field(default_factory=dict)  # sheet -> cells typed over a formula
    calc_chain_removed: set[tuple[str, str]] = field(default_factory=set)


_ROW_XML = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CHAIN_ENTRY = re.compile(rb'<c r="([A-Z]+\d+)"(?: i="(\d+)")?[^>]*/>')


def _row_xml(xml: bytes) -> dict[bytes, bytes]:
    start, end = xml.index(b"<sheetData"), xml.index(b"</sheetData>")
    return {re.search(rb'\br="(\d+)"', m.group(0)).group(1): m.group(0)  # type: ignore[union-attr]
            for m in _ROW_XML.finditer(xml, start, end)}  # fmt: skip


def _cells(xml: bytes) -> dict[str, tuple[dict[bytes, bytes], bytes | None, bytes]]:
    out = {}
    for match in _CELL.finditer(xml):
        tag = match.group(0).split(b">", 1)[0]
        attrs = dict(_ATTR.findall(tag))
        formula = _FORMULA.search(match.group(0))
        out[attrs[b"r"].decode()] = (attrs, formula.group(0) if formula else None, match.group(0))
    return out


def _rows(xml: bytes) -> list[bytes]:
    start, end = xml.index(b"<sheetData"), xml.index(b"</sheetData>")
    return [re.sub(rb' spans="[^"]*"', b"", tag) for tag in _ROW.findall(xml, start, end)]


def _chain(xml: bytes) -> list[tuple[str, str]]:
    out, current = [], ""
    for ref, sheet in _CHAIN_ENTRY.findall(xml):
        current = sheet.decode() or current
        out.append((current, ref.decode()))
    return out


def compare(template: bytes, output: bytes) -> Comparison:
    result = Comparison()
    before, after = zipfile.ZipFile(io.BytesIO(template)), zipfile.ZipFile(io.BytesIO(output))
    if before.namelist() != after.namelist():
        result.problems.append(f"parts differ: {sorted(set(before.namelist()) ^ set(after.namelist()))}")
        return result
    sheets = {part: name for name, (part, _) in sheet_parts(before).items()}
    ids = {sheet_id: name for name, (_, sheet_id) in sheet_parts(before).items()}
    for name in before.namelist():
        old, new = before.read(name), after.read(name)
        if name == "xl/workbook.xml":
            if b'fullCalcOnLoad="1"' not in new:
                result.problems.append("workbook.xml does not ask for a full recalculation on load")
            if re.sub(rb' fullCalcOnLoad="1"', b"", new) != re.sub(rb' fullCalcOnLoad="[^"]*"', b"", old):
                result.problems.append("workbook.xml changed beyond calcPr fullCalcOnLoad")
            continue
        if old == new:
            continue
        if name == "xl/calcChain.xml":
            kept, original = _chain(new), _chain(old)
            kept_set = set(kept)
            if [entry for entry in original if entry in kept_set] != kept:
                result.problems.append("calcChain.xml: entries added or reordered")
            result.calc_chain_removed = {(ids.get(i, i), ref) for i, ref in set(original) - set(kept)}
            continue
        if name not in sheets:
            result.problems.append(f"{name} changed")
            continue
        sheet = sheets[name]
        head, tail = old.index(b"<sheetData"), old.index(b"</sheetData>")
        if new[:head] != old[:head] or new[new.index(b"</sheetData>") :] != old[tail:]:
            result.problems.append(f"{sheet}: XML outside the cell data changed (validations, formats, protection)")
        if _rows(new) != _rows(old):
            result.problems.append(f"{sheet}: row definitions changed")
        rows_old, rows_new = _row_xml(old), _row_xml(new)
        differing = [n for n in rows_old.keys() | rows_new.keys() if rows_old.get(n) != rows_new.get(n)]
        cells_old = _cells(b"".join(rows_old.get(n, b"") for n in differing))
        cells_new = _cells(b"".join(rows_new.get(n, b"") for n in differing))
        for ref in sorted(set(cells_old) - set(cells_new)):
            result.problems.append(f"{sheet}!{ref}: cell removed")
        for ref, (attrs, formula, xml) in cells_new.items():
            if ref not in cells_old:
                result.changed.setdefault(sheet, set()).add(ref)
                continue
            old_attrs, old_formula, old_xml = cells_old[ref]
            if xml == old_xml:
                continue
            result.changed.setdefault(sheet, set()).add(ref)
            if attrs.get(b"s") != old_attrs.get(b"s"):
                result.problems.append(f"{sheet}!{ref}: style changed")
            if old_formula is not None and formula is None:
                result.formulas_removed.setdefault(sheet, set()).add(ref)
            elif old_formula != formula:
                result.problems.append(f"{sheet}!{ref}: formula changed")
    removed = {(s, r) for s, refs in result.formulas_removed.items() for r in refs}
    if not result.calc_chain_removed <= removed:
        result.problems.append(f"calcChain.xml lost formula cells: {sorted(result.calc_chain_removed - removed)}")
    return result


def counts(data: bytes) -> dict[str, int]:
    """How many validations, conditional formats, protections, defined names ... the workbook holds."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    text = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    tags = (b"<dataValidation ", b"<x14:dataValidation ", b"<conditionalFormatting", b"<x14:conditionalFormatting",
            b"<sheetProtection", b"<workbookProtection", b"<definedName ", b"<mergeCell ", b"<hyperlink ",
            b'state="hidden"', b"<f>", b"<f ")  # fmt: skip
    return {tag.decode(): text.count(tag) for tag in tags}
