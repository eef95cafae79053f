from __future__ import annotations

import pytest

from mail.attachments import AttachmentLimits, extract_attachments, find_attachment, sanitize_filename
from mail.classify import parse_inbound
from tests.unit.mail.helpers import XLSX, inbound, small_xlsx, zip_of

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _extract(attachments: list[tuple[str, bytes, str]], limits: AttachmentLimits | None = None):  # type: ignore[no-untyped-def]
    return extract_attachments(parse_inbound(inbound(attachments=attachments)).msg, limits)


def test_several_workbooks_and_other_files() -> None:
    got = _extract(
        [
            ("a.xlsx", small_xlsx("A"), XLSX),
            ("b.xls", OLE, "application/vnd.ms-excel"),
            ("policy.pdf", b"%PDF-1.4 ...", "application/pdf"),
        ]
    )
    assert [w.filename for w in got.workbooks] == ["a.xlsx", "b.xls"]
    assert [o.filename for o in got.others] == ["policy.pdf"]
    assert not got.problems


def test_zip_with_workbooks_and_octet_stream_without_extension() -> None:
    archive = zip_of({"cmrt/one.xlsx": small_xlsx("1"), "two.xlsm": small_xlsx("2"), "__MACOSX/._one.xlsx": b"x"})
    got = _extract([("cmrts.zip", archive, "application/zip"), ("noname", small_xlsx("3"), "application/octet-stream")])
    names = sorted(w.filename for w in got.workbooks)
    assert names == ["noname.xlsx", "one.xlsx", "two.xlsm"]
    assert {w.source for w in got.workbooks} == {"zip:cmrts.zip", "attachment"}


def test_encrypted_ooxml_is_a_workbook_marked_encrypted() -> None:
    got = _extract([("locked.xlsx", OLE, XLSX)])
    assert len(got.workbooks) == 1 and got.workbooks[0].encrypted


def test_limits_and_damaged_zip() -> None:
    got = _extract(
        [("big.xlsx", small_xlsx() + b"\x00" * 2000, XLSX), ("bad.zip", b"PK\x03\x04garbage", "application/zip")],
        AttachmentLimits(max_attachment_bytes=1000),
    )
    assert not got.workbooks
    assert any("big.xlsx" in p and "size limit" in p for p in got.problems)


def test_same_file_twice_is_kept_once() -> None:
    data = small_xlsx()
    got = _extract([("a.xlsx", data, XLSX), ("z.zip", zip_of({"a.xlsx": data}), "application/zip")])
    assert len(got.workbooks) == 1


def test_every_extracted_file_is_found_again_by_its_digest() -> None:
    """What a submission keeps (sha256, size) is enough to take the same bytes out of the stored e-mail again."""
    bomb = b"\x00" * 5_000_000  # another zip member: never unpacked while looking for the workbook
    archive = zip_of({"cmrt/one.xlsx": small_xlsx("1"), "zeros.bin": bomb})
    msg = parse_inbound(inbound(attachments=[
        ("cmrts.zip", archive, "application/zip"), ("two.xlsx", small_xlsx("2"), XLSX),
        ("policy.pdf", b"%PDF-1.4 ...", "application/pdf"),
    ])).msg  # fmt: skip
    got = extract_attachments(msg)
    found = [*got.workbooks, *got.others]
    assert sorted(f.filename for f in found) == ["one.xlsx", "policy.pdf", "two.xlsx"]  # zeros.bin: refused
    for item in found:
        assert find_attachment(msg, item.sha256, item.size) == item.content
    one = next(w for w in got.workbooks if w.filename == "one.xlsx")
    assert find_attachment(msg, one.sha256, one.size + 1) is None  # the size must match too
    assert find_attachment(msg, "0" * 64, one.size) is None


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\CMRT 6.5.xlsx", "CMRT 6.5.xlsx"),
        ("a\r\nb.xlsx", "ab.xlsx"),
        ("...", "attachment"),
        (None, "attachment"),
        ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
    ],
)
def test_sanitize_filename(name: str | None, expected: str) -> None:
    assert sanitize_filename(name) == expected
