"""Attachments of an inbound e-mail: workbooks (.xlsx/.xlsm/.xls, also inside .zip) and everything else.

``extract_attachments(msg, limits)`` walks every MIME part (forwarded messages included) and returns
``Extracted``: the workbooks to read (several per e-mail are normal), the other attachments (PDF, images, ...;
recorded and flagged to the team) and ``problems`` -- plain sentences for the team and the supplier (too big,
a damaged zip, too many files). File types are recognised by content (OOXML zip with ``xl/``, OLE compound file)
as well as by name, because suppliers' mail programs send ``application/octet-stream`` and odd names. Encrypted
OOXML workbooks are OLE compound files too; they are passed on as workbooks (the reader decrypts or explains).
File names are sanitised (no paths, no control characters, a sane length).
"""

from __future__ import annotations

import hashlib
import io
import pathlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from cmrt.workbook.container import OLE_MAGIC

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
ZIP_MAGIC = b"PK\x03\x04"
_UNSAFE = re.compile(r"[^\w.\-() ]+", re.UNICODE)


@dataclass(frozen=True)
class AttachmentLimits:
    max_attachment_bytes: int = 25 * 1024 * 1024  # one decoded attachment
    max_total_bytes: int = 60 * 1024 * 1024  # everything extracted from one e-mail
    max_workbooks: int = 20
    max_zip_members: int = 200
    max_zip_uncompressed: int = 100 * 1024 * 1024  # zip-bomb guard
    max_zip_ratio: int = 200  # uncompressed / compressed per member


@dataclass(frozen=True)
class FoundAttachment:
    filename: str  # sanitised
    content: bytes
    content_type: str | None
    sha256: str
    is_workbook: bool
    source: str = "attachment"  # or "zip:<outer name>"
    encrypted: bool = False  # OLE container named .xlsx/.xlsm: password-protected OOXML

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class Extracted:
    workbooks: list[FoundAttachment] = field(default_factory=list)
    others: list[FoundAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def has_workbook(self) -> bool:
        return bool(self.workbooks)


def sanitize_filename(name: str | None, default: str = "attachment") -> str:
    """A file name safe to show and store: last path component, no control/odd characters, at most 120 chars."""
    if not name:
        return default
    text = unicodedata.normalize("NFC", str(name))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _UNSAFE.sub("_", text).strip(" .")
    text = re.sub(r"_+", "_", text)
    if not text:
        return default
    if len(text) > 120:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else text[:120]
    return text


def sniff_kind(data: bytes, filename: str) -> str | None:
    """ "xlsx"/"xlsm"/"xls"/"zip" by content, or None for anything else."""
    ext = pathlib.PurePath(filename.lower()).suffix
    if data.startswith(OLE_MAGIC):
        # legacy .xls, or an encrypted OOXML workbook (always an OLE container); other OLE (.doc, .msg) is not ours
        if ext in WORKBOOK_EXTENSIONS or ext == "":
            return ext.lstrip(".") or "xls"
        return None
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsm" if ext == ".xlsm" or "xl/vbaProject.bin" in names else "xlsx"
        if "[Content_Types].xml" in names:
            return None  # .docx / .pptx
        return "zip"
    return None


def _named(filename: str, kind: str) -> str:
    ext = "." + kind
    return filename if filename.lower().endswith(ext) else f"{pathlib.PurePath(filename).stem or 'workbook'}{ext}"


def _found(data: bytes, name: str, ctype: str | None, kind: str | None, source: str) -> FoundAttachment:
    is_wb = kind in ("xlsx", "xlsm", "xls")
    encrypted = is_wb and data.startswith(OLE_MAGIC) and name.lower().endswith((".xlsx", ".xlsm"))
    if is_wb and kind is not None:
        name = _named(name, kind)
    return FoundAttachment(
        filename=name,
        content=data,
        content_type=ctype,
        sha256=hashlib.sha256(data).hexdigest(),
        is_workbook=is_wb,
        source=source,
        encrypted=encrypted,
    )


def _is_attachment(part: Message) -> bool:
    if part.is_multipart():
        return False
    disposition = (part.get_content_disposition() or "").lower()
    ctype = part.get_content_type()
    if disposition == "inline" and ctype.startswith("image/"):
        return False  # logos in HTML signatures
    if disposition == "attachment" or part.get_filename():
        return True
    return disposition != "inline" and not ctype.startswith("text/") and ctype != "message/delivery-status"


def extract_attachments(msg: EmailMessage | Message, limits: AttachmentLimits | None = None) -> Extracted:
    limits = limits or AttachmentLimits()
    out = Extracted()
    total = 0
    seen: set[str] = set()
    for part in msg.walk():
        if not _is_attachment(part):
            continue
        name = sanitize_filename(part.get_filename(), default="attachment")
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        if not isinstance(payload, bytes) or not payload:
            continue
        if len(payload) > limits.max_attachment_bytes:
            out.problems.append(f"{name}: {len(payload) // 1024 // 1024} MB is over the size limit; not read")
            continue
        total += len(payload)
        if total > limits.max_total_bytes:
            out.problems.append(f"{name}: the e-mail's attachments are over the total size limit; not read")
            continue
        kind = sniff_kind(payload, name)
        if kind == "zip":
            _unzip(payload, name, limits, out, seen)
            continue
        found = _found(payload, name, part.get_content_type(), kind, "attachment")
        _add(out, found, seen, limits)
    return out


def _add(out: Extracted, found: FoundAttachment, seen: set[str], limits: AttachmentLimits) -> None:
    if found.sha256 in seen:
        return  # the same file twice in one e-mail (e.g. attached and zipped)
    seen.add(found.sha256)
    if found.is_workbook:
        if len(out.workbooks) >= limits.max_workbooks:
            out.problems.append(f"{found.filename}: more than {limits.max_workbooks} workbooks in one e-mail; not read")
            return
        out.workbooks.append(found)
    else:
        out.others.append(found)


def _unzip(data: bytes, outer: str, limits: AttachmentLimits, out: Extracted, seen: set[str]) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        out.problems.append(f"{outer}: the zip file is damaged and could not be opened")
        return
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        if len(members) > limits.max_zip_members:
            out.problems.append(
                f"{outer}: {len(members)} files in the zip is more than the {limits.max_zip_members} we read"
            )
            return
        budget = limits.max_zip_uncompressed
        for member in members:
            name = sanitize_filename(member.filename)
            if member.flag_bits & 0x1:
                out.problems.append(f"{outer}: {name} is encrypted inside the zip; please send it unzipped")
                continue
            if member.file_size > limits.max_attachment_bytes or member.file_size > budget:
                out.problems.append(f"{outer}: {name} is too large when unpacked; not read")
                continue
            if member.compress_size and member.file_size / member.compress_size > limits.max_zip_ratio:
                out.problems.append(f"{outer}: {name} is suspiciously compressed; not read")
                continue
            try:
                content = zf.read(member)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                out.problems.append(f"{outer}: {name} could not be unpacked ({exc.__class__.__name__})")
                continue
            budget -= len(content)
            kind = sniff_kind(content, name)
            if kind == "zip":
                out.others.append(_found(content, name, "application/zip", None, f"zip:{outer}"))
                out.problems.append(f"{outer}: {name} is a zip inside a zip; not unpacked")
                continue
            _add(out, _found(content, name, None, kind, f"zip:{outer}"), seen, limits)


def find_attachment(msg: EmailMessage | Message, sha256: str, size: int) -> bytes | None:
    """The bytes of the attachment (or zip member) of ``msg`` whose SHA-256 is ``sha256``, as ``extract_attachments``
    found them when the e-mail arrived; None when ``msg`` holds no such file. Only zip members of exactly ``size``
    bytes are unpacked, so a zip bomb next to the file is never opened. Every leaf part is looked at (the digest
    decides, not the part's headers)."""
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            continue
        if not isinstance(payload, bytes) or not payload:
            continue
        if len(payload) == size and hashlib.sha256(payload).hexdigest() == sha256:
            return payload
        if payload.startswith(ZIP_MAGIC):
            found = _zip_member(payload, sha256, size)
            if found is not None:
                return found
    return None


def _zip_member(data: bytes, sha256: str, size: int) -> bytes | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.infolist():
                if member.is_dir() or member.file_size != size or member.flag_bits & 0x1:
                    continue
                content = zf.read(member)  # stops at file_size: a lying header fails its CRC check
                if hashlib.sha256(content).hexdigest() == sha256:
                    return content
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None
