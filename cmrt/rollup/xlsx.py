"""Fill cells of an .xlsx template by editing its sheet XML inside the zip, leaving every other byte alone.

Why not openpyxl: loading and saving RMI's CMRT 6.4 with openpyxl takes about 9 s and drops the extension-list
conditional formats (``x14:conditionalFormatting``), the drawings with RMI's logo, the custom sheet views, the
printer settings, the custom XML parts and the calculation chain, and rewrites every formula (``ca="1"`` lost).
Here only the ``<c>`` elements that receive a value change; every other part is copied as it is (see
docs/rollup.md for the measurements).

Two edits exist:

* ``Value``: what a person types. The cell becomes a constant (inline string, number or boolean) with its style
  kept; a formula it held is removed, and its entry in ``xl/calcChain.xml`` with it (Excel repairs a workbook
  whose calculation chain names a cell without a formula).
* ``Cached``: the cell keeps its formula and gets a new cached result (e.g. the Checker's count).

The workbook is told to recalculate everything when it is opened (``<calcPr fullCalcOnLoad="1"/>``), so the
template's own formulas (look-ups, the Checker) update in Excel and LibreOffice.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from cmrt.workbook.grid import col_index, col_letter


class TemplateWriteError(ValueError):
    """The template cannot take the edit (a missing sheet, a shared formula's anchor, a damaged part)."""


@dataclass(frozen=True)
class Value:
    """A constant typed into the cell: text, a number or a boolean."""

    value: str | int | float | bool


@dataclass(frozen=True)
class Cached:
    """A new cached result for a formula cell; the formula stays."""

    value: str | int | float | bool


Edit = Value | Cached

_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_ROW_START = re.compile(rb"<row\b[^>]*?(/?)>")
# a cell element with its column letters and row (the reference is looked up ahead, whatever the attribute order)
_CELL = re.compile(rb'<c\b(?=[^>]*?\br="([A-Z]{1,3})(\d+)")[^>]*?(?:/>|>.*?</c>)', re.S)
_CELL_START = re.compile(rb"<c\b[^>]*?(/?)>")
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>.*?</f>)", re.S)
_REF = re.compile(rb"^([A-Z]{1,3})(\d+)$")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_SHEET_TAG = re.compile(rb"<sheet\b[^>]*>")
_REL_TAG = re.compile(rb"<Relationship\b[^>]*>")
_CALC_PR = re.compile(rb"<calcPr\b([^>]*?)(/?)>")
# a calcChain entry with its r, i and l attributes (any order): ~60,000 of them in a CMRT
_CHAIN_ENTRY = re.compile(rb'<c\b(?=[^>]*\br="([^"]*)")(?:(?=[^>]*\bi="([^"]*)"))?(?:(?=[^>]*\bl="([^"]*)"))?[^>]*/>')


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(tag))


def _xml_text(text: str) -> str:
    """Text as an XML character run: escaped, without characters XML forbids, Excel's ``_xHHHH_`` escaped."""
    text = _ILLEGAL.sub("", text)
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: int | float) -> bytes:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)).encode()
    return repr(value).encode()


def _value_xml(ref: bytes, keep: bytes, value: str | int | float | bool) -> bytes:
    if isinstance(value, bool):
        return b'<c r="%s"%s t="b"><v>%d</v></c>' % (ref, keep, int(value))
    if isinstance(value, int | float):
        return b'<c r="%s"%s><v>%s</v></c>' % (ref, keep, _number(value))
    text = _xml_text(value)  # an inline string: never a formula, whatever it starts with (issue 11)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return b'<c r="%s"%s t="inlineStr"><is><t%s>%s</t></is></c>' % (ref, keep, space.encode(), text.encode())


def _cached_xml(ref: bytes, keep: bytes, formula: bytes, value: str | int | float | bool) -> bytes:
    if isinstance(value, bool):
        return b'<c r="%s"%s t="b">%s<v>%d</v></c>' % (ref, keep, formula, int(value))
    if isinstance(value, int | float):
        return b'<c r="%s"%s>%s<v>%s</v></c>' % (ref, keep, formula, _number(value))
    return b'<c r="%s"%s t="str">%s<v>%s</v></c>' % (ref, keep, formula, _xml_text(value).encode())


def _kept_attrs(start_tag: bytes) -> bytes:
    """The attributes a rewritten cell keeps: its style (and phonetic flag)."""
    attrs = _attrs(start_tag)
    return b"".join(b' %s="%s"' % (k, attrs[k]) for k in (b"s", b"ph") if k in attrs)


def _rewrite_cell(sheet: str, ref: bytes, cell: bytes | None, edit: Edit) -> tuple[bytes, bool]:
    """(new cell XML, whether a formula was removed)."""
    start = _CELL_START.match(cell) if cell else None
    keep = _kept_attrs(start.group(0)) if start else b""
    formula = _FORMULA.search(cell) if cell else None
    if isinstance(edit, Cached):
        if formula is None:
            raise TemplateWriteError(f"{sheet}!{ref.decode()} holds no formula to cache a value for")
        return _cached_xml(ref, keep, formula.group(0), edit.value), False
    if formula is not None:
        fattrs = _attrs(formula.group(0).split(b">", 1)[0])
        shared_range = fattrs.get(b"ref")
        if fattrs.get(b"t") in (b"shared", b"array") and shared_range and shared_range != ref:
            raise TemplateWriteError(
                f"{sheet}!{ref.decode()} anchors a formula shared with {shared_range.decode()}; it cannot be "
                "overwritten"
            )
    return _value_xml(ref, keep, edit.value), formula is not None


def _widen_spans(row_tag: bytes, columns: list[int]) -> bytes:
    attrs = _attrs(row_tag)
    spans = attrs.get(b"spans")
    if not spans or b":" not in spans:
        return row_tag
    low, high = (int(p) for p in spans.split(b":", 1))
    new_low, new_high = min([low, *columns]), max([high, *columns])
    if (new_low, new_high) == (low, high):
        return row_tag
    return row_tag.replace(b'spans="%s"' % spans, b'spans="%d:%d"' % (new_low, new_high), 1)


def _patch_row(sheet: str, row_tag: bytes, body: bytes, edits: dict[int, Edit], row: int) -> tuple[bytes, list[bytes]]:
    """One ``<row>`` element with its edited cells (missing cells inserted in column order)."""
    cells: list[tuple[int, bytes]] = []
    for match in _CELL.finditer(body):
        cells.append((col_index(match.group(1).decode()), match.group(0)))
    if body.count(b"<c ") + body.count(b"<c>") + body.count(b"<c/") != len(cells):
        raise TemplateWriteError(f"{sheet} row {row}: a cell without a usable reference")
    removed: list[bytes] = []
    by_column = dict(cells)
    for column, edit in edits.items():
        ref = f"{col_letter(column)}{row}".encode()
        new, dropped = _rewrite_cell(sheet, ref, by_column.get(column), edit)
        by_column[column] = new
        if dropped:
            removed.append(ref)
    ordered = b"".join(xml for _, xml in sorted(by_column.items()))
    tag = _widen_spans(row_tag, list(edits))
    if tag.endswith(b"/>"):
        tag = tag[:-2].rstrip() + b">"
    return tag + ordered + b"</row>", removed


def patch_sheet(sheet: str, xml: bytes, edits: Mapping[str, Edit]) -> tuple[bytes, list[bytes]]:
    """The sheet XML with ``edits`` (A1 reference -> edit) applied; also the references whose formula was removed."""
    by_row: dict[int, dict[int, Edit]] = {}
    for ref, edit in edits.items():
        parsed = _REF.match(ref.encode())
        if parsed is None:
            raise TemplateWriteError(f"{sheet}: {ref!r} is not a cell reference")
        by_row.setdefault(int(parsed.group(2)), {})[col_index(parsed.group(1).decode())] = edit
    open_at = xml.find(b"<sheetData")
    if open_at < 0:
        raise TemplateWriteError(f"{sheet}: the sheet has no cell data")
    head_end = xml.index(b">", open_at) + 1
    if xml[head_end - 2 : head_end] == b"/>":  # <sheetData/>: no rows at all
        xml = xml[: head_end - 2] + b"></sheetData>" + xml[head_end:]
        head_end -= 1
    data_end = xml.index(b"</sheetData>", head_end)
    pending = sorted(by_row)
    out: list[bytes] = [xml[:head_end]]
    removed: list[bytes] = []
    pos = head_end
    index = 0

    def new_row(number: int) -> bytes:
        row_xml, gone = _patch_row(sheet, b'<row r="%d">' % number, b"", by_row[number], number)
        removed.extend(gone)
        return row_xml

    while index < len(pending):
        match = _ROW_START.search(xml, pos, data_end)
        if match is None:
            break
        number = int(_attrs(match.group(0)).get(b"r", b"0") or 0)
        end = match.end() if match.group(1) else xml.index(b"</row>", match.end()) + len(b"</row>")
        while index < len(pending) and pending[index] < number:  # rows the template does not have yet
            out.append(xml[pos : match.start()])
            out.append(new_row(pending[index]))
            pos = match.start()
            index += 1
        if index < len(pending) and pending[index] == number:
            body = b"" if match.group(1) else xml[match.end() : end - len(b"</row>")]
            row_xml, gone = _patch_row(sheet, match.group(0), body, by_row[number], number)
            out.append(xml[pos : match.start()])
            out.append(row_xml)
            removed.extend(gone)
            index += 1
            pos = end
            continue
        out.append(xml[pos:end])
        pos = end
    out.append(xml[pos:data_end])
    for number in pending[index:]:
        out.append(new_row(number))
    out.append(xml[data_end:])
    return b"".join(out), removed


def prune_calc_chain(xml: bytes, removed: set[tuple[str, bytes]]) -> bytes:
    """``xl/calcChain.xml`` without the entries of cells that no longer hold a formula.

    An entry without ``i`` belongs to the sheet of the entry before it, so a kept entry that follows a removed
    one carrying the sheet id gets the id written out; a removed entry's new-level flag ``l`` moves on likewise."""
    if not removed:
        return xml
    out: list[bytes] = []
    pos = 0
    current = b""
    last_written = b""
    level_pending = False
    for match in _CHAIN_ENTRY.finditer(xml):
        ref, sheet, level = match.groups()
        current = sheet or current
        if (current.decode(), ref) in removed:
            out.append(xml[pos : match.start()])
            pos = match.end()
            level_pending = level_pending or level == b"1"
            continue
        if current != last_written or level_pending:
            tag = match.group(0)
            out.append(xml[pos : match.start()])
            pos = match.end()
            if sheet is None and current != last_written:
                tag = tag[:-2].rstrip() + b' i="%s"/>' % current
            if level_pending and level is None:
                tag = tag[:-2].rstrip() + b' l="1"/>'
            out.append(tag)
        level_pending = False
        last_written = current
    out.append(xml[pos:])
    return b"".join(out)


def request_full_calculation(workbook_xml: bytes) -> bytes:
    """``xl/workbook.xml`` with ``<calcPr fullCalcOnLoad="1"/>``: Excel recalculates every formula on open."""
    match = _CALC_PR.search(workbook_xml)
    if match is not None:
        tag = match.group(0)
        if b"fullCalcOnLoad=" in tag:
            new = re.sub(rb'fullCalcOnLoad="[^"]*"', b'fullCalcOnLoad="1"', tag)
        else:
            close = b"/>" if match.group(2) else b">"
            new = tag[: -len(close)].rstrip() + b' fullCalcOnLoad="1"' + close
        return workbook_xml[: match.start()] + new + workbook_xml[match.end() :]
    for anchor in (b"</definedNames>", b"</sheets>"):
        at = workbook_xml.find(anchor)
        if at >= 0:
            at += len(anchor)
            return workbook_xml[:at] + b'<calcPr fullCalcOnLoad="1"/>' + workbook_xml[at:]
    raise TemplateWriteError("xl/workbook.xml has no <sheets> element")


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Sheet name -> (part name in the zip, sheetId) from ``xl/workbook.xml`` and its relationships."""
    rels = archive.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for tag in _REL_TAG.findall(rels):
        attrs = _attrs(tag)
        target = attrs.get(b"Target", b"").decode()
        targets[attrs.get(b"Id", b"").decode()] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for tag in _SHEET_TAG.findall(archive.read("xl/workbook.xml")):
        attrs = {k.split(b":")[-1]: v for k, v in _attrs(tag).items()}
        rid = attrs.get(b"id", b"").decode()
        if rid in targets:
            out[html.unescape(attrs[b"name"].decode())] = (targets[rid], attrs.get(b"sheetId", b"").decode())
    return out


def fill(template: bytes, edits: Mapping[str, Mapping[str, Edit]], *, full_calc_on_load: bool = True) -> bytes:
    """A copy of ``template`` (the .xlsx bytes) with ``edits`` (sheet name -> A1 reference -> edit) applied."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(template))
        parts = sheet_parts(archive)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise TemplateWriteError(f"the template is not a readable .xlsx workbook ({exc})") from None
    replaced: dict[str, bytes] = {}
    removed: set[tuple[str, bytes]] = set()
    for sheet, cells in edits.items():
        if not cells:
            continue
        if sheet not in parts:
            raise TemplateWriteError(f"the template has no sheet {sheet!r}")
        part, sheet_id = parts[sheet]
        xml, gone = patch_sheet(sheet, archive.read(part), cells)
        replaced[part] = xml
        removed.update((sheet_id, ref) for ref in gone)
    if full_calc_on_load:
        replaced["xl/workbook.xml"] = request_full_calculation(archive.read("xl/workbook.xml"))
    if removed and "xl/calcChain.xml" in archive.NameToInfo:
        replaced["xl/calcChain.xml"] = prune_calc_chain(archive.read("xl/calcChain.xml"), removed)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in archive.infolist():
            data = replaced.get(info.filename)
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            target.writestr(copy, archive.read(info) if data is None else data)
    return out.getvalue()
