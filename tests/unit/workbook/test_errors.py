"""Bad input gets a typed WorkbookError with an analyst-readable message: never a traceback, never a hang."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from cmrt.workbook import ERROR_CODES, ReadLimits, WorkbookError, read_workbook
from cmrt.workbook.factory import build_cmrt

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(2000)


def _error(data: bytes, **kwargs: object) -> WorkbookError:
    with pytest.raises(WorkbookError) as info:
        read_workbook(data, **kwargs)  # type: ignore[arg-type]
    error = info.value
    assert error.code in ERROR_CODES
    assert error.message and "Traceback" not in error.message
    return error


def _rezip(data: bytes, change: dict[str, bytes], *, add: dict[str, bytes] | None = None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change.get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def test_jpeg_renamed_xls() -> None:
    error = _error(JPEG, filename="invalid_cmrt.xls")
    assert error.code == "not_a_workbook"
    assert "JPEG" in error.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_a_workbook"),
        (b"%PDF-1.7\n", "not_a_workbook"),
        (b"Name,Value\nA,1\n", "not_a_workbook"),
        (b"<html><body>Sign in</body></html>", "not_a_workbook"),
        (b"PK\x03\x04" + bytes(100), "corrupt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "corrupt"),
    ],
)
def test_other_files(data: bytes, code: str) -> None:
    assert _error(data).code == code


def test_truncated_workbook() -> None:
    data = build_cmrt()
    assert _error(data[: len(data) // 2]).code == "corrupt"


def test_word_document_in_a_zip() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    error = _error(out.getvalue())
    assert error.code == "not_a_workbook" and "Word" in error.message


def test_workbook_that_is_not_a_template() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Just a spreadsheet"
    out = io.BytesIO()
    wb.save(out)
    assert _error(out.getvalue()).code == "not_a_template"


def test_zip_bomb_by_ratio() -> None:
    bomb = _rezip(build_cmrt(), {}, add={"xl/media/image9.bin": bytes(30_000_000)})
    assert len(bomb) < 1_000_000
    error = _error(bomb)
    assert error.code == "zip_bomb"


def test_zip_bomb_by_total_size() -> None:
    error = _error(build_cmrt(), limits=ReadLimits(max_uncompressed_bytes=50_000))
    assert error.code == "zip_bomb"


def test_too_many_parts() -> None:
    assert _error(build_cmrt(), limits=ReadLimits(max_zip_entries=5)).code == "zip_bomb"


def test_lying_size_header_is_refused() -> None:
    data = bytearray(build_cmrt())
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet4.xml")  # the Declaration
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    pos = 0
    while (pos := bytes(data).find(b"PK\x01\x02", pos)) >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == b"xl/worksheets/sheet4.xml":
            struct.pack_into("<I", data, pos + 24, 100)
        pos += 4
    assert _error(bytes(data)).code == "corrupt"


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/sharedStrings.xml", "[Content_Types].xml"])
def test_xml_entity_expansion_is_refused(part: str) -> None:
    data = build_cmrt()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    original = zipfile.ZipFile(io.BytesIO(data)).read(part) if part in names else b"<sst/>"
    body = original.split(b"?>", 1)[-1]
    evil = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' + body
    )
    error = _error(_rezip(data, {part: evil}) if part in names else _rezip(data, {}, add={part: evil}))
    assert error.code == "unsafe_xml"
    assert part in error.message


def test_oversized_file() -> None:
    assert _error(build_cmrt(), limits=ReadLimits(max_file_bytes=10_000)).code == "too_large"
    huge = b"PK\x03\x04" + bytes(ReadLimits().max_file_bytes)
    error = _error(huge)
    assert error.code == "too_large" and "MB" in error.message


def test_timeout_is_a_typed_error() -> None:
    assert _error(build_cmrt(), limits=ReadLimits(timeout_seconds=0)).code == "timeout"


def _encrypt(data: bytes, password: str) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def test_encrypted_with_default_password_is_read() -> None:
    d = read_workbook(_encrypt(build_cmrt(), "VelvetSweatshop"))
    assert d.company.name == "Example Metals Ltd."
    assert any(w.code == "encrypted" for w in d.warnings)


def test_encrypted_with_unknown_password() -> None:
    encrypted = _encrypt(build_cmrt(), "s3cret")
    error = _error(encrypted)
    assert error.code == "encrypted_unknown_password"
    assert "password" in error.message
    assert read_workbook(encrypted, passwords=["wrong", "s3cret"]).company.name == "Example Metals Ltd."


def test_error_has_code_and_message() -> None:
    error = WorkbookError("corrupt")
    assert error.code == "corrupt" and error.message == ERROR_CODES["corrupt"] and str(error) == error.message


def test_non_bytes_input_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        read_workbook("file.xlsx")  # type: ignore[arg-type]


def test_other_spreadsheet_formats_are_unsupported_with_advice() -> None:
    xml2003 = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )
    error = _error(xml2003)
    assert error.code == "unsupported" and ".xlsx" in error.message
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    error = _error(out.getvalue())
    assert error.code == "unsupported" and "OpenDocument" in error.message


def test_a_sheet_claiming_billions_of_cells_does_not_take_the_process_down() -> None:
    """calamine would allocate 512 GB for this 5 KB file and abort the process; the worker absorbs it."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Declaration"
    ws["D2"] = "Conflict Minerals Reporting Template (CMRT)"
    ws["XFD1048576"] = "far away"
    out = io.BytesIO()
    wb.save(out)
    error = _error(out.getvalue())
    assert error.code == "corrupt" and "billions of cells" in error.message
    assert read_workbook(build_cmrt()).company.name == "Example Metals Ltd."  # a fresh worker took over


def test_in_process_reading_is_available_without_isolation() -> None:
    d = read_workbook(build_cmrt(), limits=ReadLimits(isolated=False))
    assert d.company.name == "Example Metals Ltd."


def test_worker_and_in_process_give_the_same_declaration() -> None:
    data = build_cmrt()
    assert read_workbook(data) == read_workbook(data, limits=ReadLimits(isolated=False))
