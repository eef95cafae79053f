from __future__ import annotations

import pytest

from mail.attachments import extract_attachments
from mail.classify import Kind, classify, parse_inbound
from tests.unit.mail.helpers import XLSX, inbound, small_xlsx


def _kind(raw: bytes) -> Kind:
    message = parse_inbound(raw)
    return classify(message, has_workbook=extract_attachments(message.msg).has_workbook).kind


@pytest.mark.parametrize(
    "headers,subject",
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: CMRT"),
        ({"X-Autoreply": "yes"}, "Re: CMRT"),
        ({"Precedence": "bulk"}, "Re: CMRT"),
        ({}, "Automatic reply: CMRT request"),
        ({}, "Out of Office: CMRT request"),
        ({}, "Abwesenheitsnotiz: CMRT"),
    ],
)
def test_auto_replies(headers: dict[str, str], subject: str) -> None:
    assert _kind(inbound(headers=headers, subject=subject, body="I am away until Monday.")) is Kind.AUTO_REPLY


def test_auto_submitted_no_and_suppress_header_are_not_auto_replies() -> None:
    raw = inbound(headers={"Auto-Submitted": "no", "X-Auto-Response-Suppress": "All"}, body="What is a CMRT?")
    assert _kind(raw) is Kind.QUESTION


def test_machine_mail_with_workbook_is_a_reply() -> None:
    raw = inbound(headers={"Auto-Submitted": "auto-generated"}, attachments=[("c.xlsx", small_xlsx(), XLSX)])
    message = parse_inbound(raw)
    result = classify(message, has_workbook=True)
    assert result.kind is Kind.REPLY_WITH_WORKBOOK and result.machine


def _dsn(action: str = "failed", status: str = "5.1.1") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.buyer.test\r\n"
        "To: bot@example.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.buyer.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.buyer.test\r\n\r\n"
        f"Final-Recipient: rfc822; gone@supplier.test\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: bot@example.test\r\nTo: gone@supplier.test\r\nSubject: CMRT request\r\n\r\n"
        "--B--\r\n"
    ).encode()


def test_dsn_is_a_bounce_with_the_failed_address() -> None:
    message = parse_inbound(_dsn())
    result = classify(message, has_workbook=False)
    assert result.kind is Kind.BOUNCE
    assert "gone@supplier.test" in result.failed_addresses
    assert not result.temporary


def test_delayed_dsn_is_temporary() -> None:
    result = classify(parse_inbound(_dsn("delayed", "4.4.7")), has_workbook=False)
    assert result.kind is Kind.BOUNCE and result.temporary


def test_link_to_published_cmrt_but_not_the_quoted_template_link() -> None:
    body = "Our CMRT is published at https://supplier.test/compliance/CMRT_2025.xlsx\n\n> Dear supplier"
    assert _kind(inbound(body=body)) is Kind.REPLY_WITH_LINK
    quoted = (
        "Who should fill this in?\n\nOn Mon, 2 Mar 2026, Buyer wrote:\n"
        "> https://www.responsiblemineralsinitiative.org/reporting-templates/cmrt/\n"
    )
    assert _kind(inbound(body=quoted)) is Kind.QUESTION


def test_workbook_reply_and_question() -> None:
    assert _kind(inbound(attachments=[("c.xlsx", small_xlsx(), XLSX)])) is Kind.REPLY_WITH_WORKBOOK
    assert _kind(inbound(body="Do you need one per product?")) is Kind.QUESTION
