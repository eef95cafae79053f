"""Property tests: supplier text never changes a message's headers; any bytes are parsed and classified."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.attachments import extract_attachments
from mail.classify import classify, parse_inbound
from mail.compose import MailTemplates, OutgoingEmail, build_message, to_bytes
from mail.headers import stable_message_id

TEMPLATES = MailTemplates()
HEADERS = {"from", "to", "subject", "date", "message-id", "auto-submitted", "x-auto-response-suppress",
           "x-cmbot-token", "mime-version", "content-type"}  # fmt: skip
nasty = st.text(alphabet=st.sampled_from("ab <>@,;:\r\n\t\x00\x0b\u2028\u0085\"'=?Bcc:To:é中"), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(supplier=nasty, contact=nasty, subject=nasty)
def test_supplier_text_cannot_add_headers_or_recipients(supplier: str, contact: str, subject: str) -> None:
    rendered = TEMPLATES.render("reminder", {"supplier_name": supplier, "contact_name": contact, "token": "ABCDEFGH"})
    msg = build_message(
        OutgoingEmail(
            to_address="anna@supplier.test", to_name=contact, from_address="bot@buyer.test",
            subject=rendered.subject + subject, text=rendered.text, html=rendered.html,
            message_id=stable_message_id("k", "buyer.test", "ABCDEFGH"), token="ABCDEFGH",
        ),
        date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    parsed = email.message_from_bytes(to_bytes(msg), policy=email.policy.default)
    assert {k.lower() for k in parsed} <= HEADERS
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anna@supplier.test"]


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_parsed_and_classified(raw: bytes) -> None:
    message = parse_inbound(raw)
    extracted = extract_attachments(message.msg)
    classify(message, has_workbook=extracted.has_workbook)


header_names = st.sampled_from(["From", "To", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
                                "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "Precedence",
                                "Return-Path", "Reply-To", "MIME-Version"])  # fmt: skip
values = st.text(alphabet=st.sampled_from('abc<>@;="/ \t:multipartxlsbase64=?utf-8?B?Q'), max_size=40)


@settings(max_examples=200, deadline=None)
@given(headers=st.lists(st.tuples(header_names, values), max_size=10), body=st.binary(max_size=500))
def test_malformed_headers_and_mime_never_crash(headers: list[tuple[str, str]], body: bytes) -> None:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
    boundary = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/zip\r\n'
    for raw in (head + b"\r\n" + body, head + boundary + b"Content-Transfer-Encoding: base64\r\n\r\n" + body):
        message = parse_inbound(raw)
        extracted = extract_attachments(message.msg)
        classify(message, has_workbook=extracted.has_workbook)
