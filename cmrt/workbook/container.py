"""Open a file as a workbook: sniff the container by magic bytes, decrypt, check a zip before inflating it.

Bytes go in; a :class:`Container` comes out (the plain workbook bytes, the kind ``xlsx`` or ``xls``, and the
small facts calamine does not expose: the 1904 date system and the hidden rows of the Declaration).
"""

from __future__ import annotations

import io
import logging
import re
import struct
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from cmrt.workbook.errors import ReadLimits, WorkbookError

log = logging.getLogger("cmbot.cmrt.workbook")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
DEFAULT_PASSWORD = "VelvetSweatshop"

# What a non-workbook file probably is, for the analyst's message.
_OTHER_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "an RTF document"),
)

_XML_HEAD = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class Deadline:
    """A wall-clock budget, checked between steps (``check`` raises ``timeout``)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise WorkbookError("timeout", "Reading the workbook took longer than allowed; it was stopped.")


@dataclass
class Container:
    data: bytes
    kind: str  # "xlsx" or "xls"
    encrypted: bool = False
    date1904: bool = False
    hidden_rows: dict[str, frozenset[int]] = field(default_factory=dict)
    links: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> cell -> http(s) hyperlink target
    sheet_parts: dict[str, str] = field(default_factory=dict)


def describe_other(data: bytes) -> str | None:
    for magic, what in _OTHER_MAGICS:
        if data.startswith(magic):
            return what
    head = data[:512].lstrip()
    if head[:5].lower() in (b"<html", b"<!doc"):
        return "an HTML page"
    if head.startswith(b"<?xml"):
        return "an XML file (perhaps an Excel 2003 XML export)"
    return None


def open_container(
    data: bytes, limits: ReadLimits, passwords: Sequence[str], deadline: Deadline, *, _depth: int = 0
) -> Container:
    if len(data) > limits.max_file_bytes:
        raise WorkbookError(
            "too_large",
            f"The file is {len(data) / 1e6:.1f} MB; the reader accepts at most {limits.max_file_bytes / 1e6:.1f} MB.",
        )
    if not data:
        raise WorkbookError("not_a_workbook", "The file is empty.")
    if data.startswith(ZIP_MAGICS):
        try:
            return _open_zip(data, limits, deadline)
        except WorkbookError:
            raise
        except Exception as exc:  # zlib.error, struct.error and friends from a damaged archive
            log.debug("zip container damaged: %r", exc)
            raise WorkbookError("corrupt", "The workbook is damaged or truncated and cannot be read.") from None
    if data.startswith(OLE_MAGIC):
        if _depth:
            raise WorkbookError("corrupt", "The decrypted workbook is damaged.")
        return _open_ole(data, limits, passwords, deadline)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise WorkbookError(
            "unsupported",
            "The file is an Excel 2003 XML spreadsheet; ask the supplier to save the template as .xlsx and resend it.",
        )
    what = describe_other(data)
    if what:
        raise WorkbookError("not_a_workbook", f"The file is {what}, not an Excel workbook.")
    raise WorkbookError("not_a_workbook", "The file is not an Excel workbook (.xlsx, .xlsm or .xls).")


def _open_ole(data: bytes, limits: ReadLimits, passwords: Sequence[str], deadline: Deadline) -> Container:
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError

    if _is_excel95(data):
        raise WorkbookError(
            "unsupported",
            "The file is an Excel 95 (or older) workbook, which the reader does not support; ask the supplier to"
            " open it in a current Excel, save it as .xlsx and resend it.",
        )
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = bool(office.is_encrypted())
    except FileFormatError as exc:
        log.debug("OLE file not recognised: %s", exc)
        raise WorkbookError("not_a_workbook", "The file is an Office container but not an Excel workbook.") from None
    except Exception as exc:  # msoffcrypto and olefile raise many kinds on damaged input
        log.debug("OLE file damaged: %r", exc)
        raise WorkbookError("corrupt", "The file looks like an old Excel (.xls) file but is damaged.") from None
    kind_name = type(office).__name__
    if kind_name not in ("Xls97File", "OOXMLFile"):
        raise WorkbookError("not_a_workbook", "The file is an Office document (Word or PowerPoint), not a workbook.")
    if not encrypted:
        if kind_name == "OOXMLFile":
            raise WorkbookError("corrupt", "The file is an Office container without a readable workbook.")
        return Container(data=data, kind="xls", date1904=xls_date1904(data))
    candidates = [DEFAULT_PASSWORD, *[p for p in passwords if p and p != DEFAULT_PASSWORD]]
    for password in candidates:
        deadline.check()
        try:
            office = msoffcrypto.OfficeFile(io.BytesIO(data))
            office.load_key(password=password)
            out = io.BytesIO()
            office.decrypt(out)
        except (InvalidKeyError, DecryptionError):
            continue
        except Exception as exc:  # damaged encryption headers
            log.debug("decryption failed: %r", exc)
            continue
        plain = out.getvalue()
        log.info(
            "workbook decrypted (%s)", "default password" if password == DEFAULT_PASSWORD else "configured password"
        )
        if plain.startswith(ZIP_MAGICS):
            try:
                container = _open_zip(plain, limits, deadline)
            except WorkbookError:
                raise
            except Exception as exc:
                log.debug("decrypted zip damaged: %r", exc)
                raise WorkbookError("corrupt", "The workbook was decrypted but its content is damaged.") from None
        elif plain.startswith(OLE_MAGIC):
            container = Container(data=plain, kind="xls", date1904=xls_date1904(plain))
        else:
            raise WorkbookError("corrupt", "The workbook was decrypted but its content is damaged.")
        container.encrypted = True
        return container
    raise WorkbookError(
        "encrypted_unknown_password",
        "The workbook is protected with a password to open. Ask the supplier to send it without a password"
        " (or configure the password).",
    )


def _is_excel95(data: bytes) -> bool:
    """An OLE file whose workbook stream is ``Book`` (Excel 5.0/95, BIFF5), not ``Workbook`` (Excel 97+)."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return bool(ole.exists("Book")) and not ole.exists("Workbook")
    except Exception as exc:  # a damaged container: msoffcrypto reports it next
        log.debug("OLE directory unreadable: %r", exc)
        return False


def xls_date1904(data: bytes) -> bool:
    """The 1904 date system of an Excel 97+ ``.xls``: the DATEMODE record (0x0022) of the workbook globals."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream = ole.openstream("Workbook").read()
    except Exception as exc:  # the epoch is a nicety; calamine reports real dates already converted
        log.debug("xls date mode unknown: %r", exc)
        return False
    offset = 0
    while offset + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, offset)
        if kind == 0x0022 and size >= 2:
            return struct.unpack_from("<H", stream, offset + 4)[0] == 1
        if kind == 0x000A:  # EOF of the globals substream
            return False
        offset += 4 + size
    return False


def _open_zip(data: bytes, limits: ReadLimits, deadline: Deadline) -> Container:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise WorkbookError("corrupt", "The workbook is damaged or truncated (its zip structure is broken).") from None
    if len(infos) > limits.max_zip_entries:
        raise WorkbookError("zip_bomb", f"The workbook has {len(infos)} parts; templates have about 100.")
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise WorkbookError("unsupported", "The workbook is a binary .xlsb file; save it as .xlsx and resend it.")
        if "word/document.xml" in names:
            raise WorkbookError("not_a_workbook", "The file is a Word document, not an Excel workbook.")
        if "content.xml" in names and "mimetype" in names:
            raise WorkbookError(
                "unsupported",
                "The file is an OpenDocument spreadsheet (.ods); ask the supplier to save the template as .xlsx"
                " and resend it.",
            )
        if "ppt/presentation.xml" in names:
            raise WorkbookError("not_a_workbook", "The file is a PowerPoint presentation, not an Excel workbook.")
        raise WorkbookError("not_a_workbook", "The file is a zip archive but not an Excel workbook.")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > limits.max_compression_ratio:
            raise WorkbookError(
                "zip_bomb", f"Part {info.filename} expands {ratio:.0f} times; the workbook was not opened."
            )
    if total > limits.max_uncompressed_bytes:
        raise WorkbookError(
            "zip_bomb",
            f"The workbook expands to {total / 1e6:.0f} MB; the reader accepts at most"
            f" {limits.max_uncompressed_bytes / 1e6:.0f} MB.",
        )
    container = Container(data=data, kind="xlsx")
    try:
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                _check_xml_head(archive, info, limits)
        deadline.check()
        _read_workbook_facts(archive, container, limits)
    except zipfile.BadZipFile:
        raise WorkbookError("corrupt", "The workbook is damaged or truncated (a part fails its checksum).") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError, KeyError) as exc:
        log.debug("zip part unreadable: %r", exc)
        raise WorkbookError("corrupt", "The workbook is damaged or truncated.") from None
    return container


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    with archive.open(info) as handle:
        return handle.read(cap)


def _check_xml_head(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> None:
    """Refuse DOCTYPE/ENTITY declarations: they can only appear before the root element."""
    head = _read_bounded(archive, info, min(_XML_HEAD, limits.max_uncompressed_bytes))
    root = _ROOT_START.search(head)
    prolog = head if root is None else head[: root.start()]
    if _DOCTYPE.search(prolog):
        raise WorkbookError(
            "unsafe_xml",
            f"The workbook part {info.filename} declares a DOCTYPE or entities, which Excel never writes;"
            " it was not opened.",
        )
    if root is None and len(head) >= _XML_HEAD:
        raise WorkbookError("unsafe_xml", f"The workbook part {info.filename} has no XML root element.")


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*\"(1|true)\"", re.IGNORECASE)


def _attrs(tag: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in _ATTR.findall(tag):
        out[key.decode("ascii", "replace").split(":")[-1]] = value.decode("utf-8", "replace")
    return out


def _read_workbook_facts(archive: zipfile.ZipFile, container: Container, limits: ReadLimits) -> None:
    """The 1904 flag, the sheet name → part map and the Declaration's hidden rows (calamine exposes none)."""
    workbook = _read_bounded(archive, archive.getinfo("xl/workbook.xml"), 4 * 1024 * 1024)
    container.date1904 = bool(_DATE1904.search(workbook))
    rel_targets: dict[str, str] = {}
    try:
        rels = _read_bounded(archive, archive.getinfo("xl/_rels/workbook.xml.rels"), 4 * 1024 * 1024)
    except KeyError:
        rels = b""
    for tag in _REL_TAG.findall(rels):
        attrs = _attrs(tag)
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        rel_targets[attrs.get("Id", "")] = target
    for tag in _SHEET_TAG.findall(workbook):
        attrs = _attrs(tag)
        name, rid = attrs.get("name"), attrs.get("id")
        if name and rid in rel_targets:
            container.sheet_parts[_unescape(name)] = rel_targets[rid]
    part = container.sheet_parts.get("Declaration")
    if part and part in archive.NameToInfo:
        xml = _read_bounded(archive, archive.getinfo(part), limits.max_uncompressed_bytes)
        hidden = set()
        for tag in _ROW_TAG.findall(xml):
            attrs = _attrs(tag)
            if attrs.get("hidden") in ("1", "true") and attrs.get("r", "").isdigit():
                hidden.add(int(attrs["r"]))
        container.hidden_rows["Declaration"] = frozenset(hidden)
        container.links["Declaration"] = _web_links(archive, part, xml)


_HYPERLINK_TAG = re.compile(rb"<(?:\w+:)?hyperlink\b[^>]*>")


def _web_links(archive: zipfile.ZipFile, part: str, xml: bytes) -> dict[str, str]:
    """Cell -> http(s) target of the sheet's external hyperlinks (mailto: links are left out: personal data)."""
    tags = [_attrs(tag) for tag in _HYPERLINK_TAG.findall(xml)]
    tags = [tag for tag in tags if tag.get("id") and tag.get("ref")]
    if not tags:
        return {}
    folder, _, name = part.rpartition("/")
    rels_name = f"{folder}/_rels/{name}.rels"
    if rels_name not in archive.NameToInfo:
        return {}
    targets = {}
    for rel in _REL_TAG.findall(_read_bounded(archive, archive.getinfo(rels_name), 4 * 1024 * 1024)):
        attrs = _attrs(rel)
        target = _unescape(attrs.get("Target", ""))
        if target.lower().startswith(("http://", "https://")):
            targets[attrs.get("Id", "")] = target
    return {tag["ref"].split(":")[0]: targets[tag["id"]] for tag in tags if tag["id"] in targets}


def _unescape(text: str) -> str:
    return (
        text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
    )
