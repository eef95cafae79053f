"""``cmrt.email_identity.message_digest`` (hashes the body where it lies, one ``translate`` for CRLF) names every
e-mail as the function before it did: the same digests on real replies and on random bytes full of CR, LF, blank
lines, folded lines and trace fields. Stored digests (``messages.raw_sha256``) stay valid."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.policy import SMTP

from hypothesis import given, settings
from hypothesis import strategies as st

from cmrt.email_identity import message_digest
from mail.prepare import raw_keys
from store import messages as message_repo
from tests.conftest import corpus_path

XLSX = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETURNED = ("CMRT_6.4_CentralGlass.xlsx", "CMRT_6.4_Honeywell.xlsx", "CMRT_6.4_JX.xlsx")

_TRACE = re.compile(
    rb"^(received|return-path|delivered-to|x-original-to|envelope-to|x-envelope-to|authentication-results|"
    rb"received-spf|arc-[a-z-]+|x-spam[a-z-]*|x-virus[a-z-]*|x-rspamd[a-z-]*|x-ms-exchange-[a-z-]*|x-uid|status|"
    rb"x-status|x-keywords|content-length|lines)\s*:",
    re.IGNORECASE,
)


def reference_digest(raw: bytes) -> str:
    """The function as it was before (store.messages, up to 2026-12): the reference the new one must equal."""
    data = raw.replace(b"\r\n", b"\n")
    head, sep, body = data.partition(b"\n\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = bool(_TRACE.match(line))
        if not dropping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + sep + body.rstrip(b"\n")).hexdigest()


def _reply(workbook: bytes, name: str) -> bytes:
    msg = EmailMessage()
    msg["Received"] = "from mx.supplier.example by mx.buyer.example; Tue, 1 Dec 2026 10:00:00 +0000"
    msg["Return-Path"] = "<wang@supplier.example>"
    msg["From"] = "Wang Wei <wang@supplier.example>"
    msg["To"] = "cmrt@buyer.example"
    msg["Subject"] = "Re: CMRT 2025"
    msg["Message-ID"] = "<reply-1@supplier.example>"
    msg.set_content("Please find our CMRT attached.\n\nBest regards\n\n\n")
    msg.add_attachment(workbook, maintype="application", subtype=XLSX, filename=name)
    return msg.as_bytes(policy=SMTP)  # CRLF, as IMAP hands it over


def test_real_replies_give_the_same_digest_as_before() -> None:
    for name in RETURNED:
        raw = _reply(corpus_path("returned", name).read_bytes(), name)
        assert b"\r\n" in raw
        for variant in (raw, raw.replace(b"\r\n", b"\n"), raw + b"\r\n\r\n", raw.replace(b"\r\n", b"\n", 3),
                        raw + b"\rtrailing lone CR"):  # fmt: skip
            assert message_digest(variant) == reference_digest(variant), name
        assert message_repo.message_digest is message_digest  # the store keys by the same function
        assert raw_keys(raw).digest == reference_digest(raw) and raw_keys(raw).sha256 == hashlib.sha256(raw).hexdigest()


PIECES = [b"\r", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b" ", b"\t", b"a", b"Subject: x", b"Received: by mx",
          b"X-Spam-Score: 1", b"return-path:<a@b>", b"ARC-Seal: i=1", b"Lines : 3", b":", b"\x00", b"\xff"]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_random_bytes_give_the_same_digest_as_before(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert message_digest(raw) == reference_digest(raw)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_the_same_digest_as_before(raw: bytes) -> None:
    assert message_digest(raw) == reference_digest(raw)


def test_edges() -> None:
    for raw in (b"", b"\n", b"\n\n", b"\r\n\r\n", b"\n\n\n", b"a\n\n", b"a\r\n\r\nb\r\n\r\n", b"\r\r\n\n",
                b"Received: x\n y\nA: b\n\nbody\n", b"A: b\r\n\r\n\rbody\r"):  # fmt: skip
        assert message_digest(raw) == reference_digest(raw), raw
