"""Delivery-status notifications (RFC 3464) as mail servers write them, for the bounce tests."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser


def dsn(
    *,
    failed: str,
    to: str = "compliance@buyer.test",
    delivered_to: str | None = None,
    original_message_id: str | None = None,
    headers_part: str = "text/rfc822-headers",
    sender: str = "MAILER-DAEMON@mx.supplier.test",
) -> bytes:
    """A DSN for ``failed``; the returned headers carry ``original_message_id`` (or none at all)."""
    returned = (
        "From: Supplier Compliance <compliance@buyer.test>\r\n"
        f"To: {failed}\r\nSubject: Conflict minerals request [CMRT-ABCDEFGH]\r\n"
        + (f"Message-ID: {original_message_id}\r\n" if original_message_id else "")
    )
    if headers_part == "message/rfc822":
        returned += "Content-Type: text/plain\r\n\r\nDear supplier, ...\r\n"
    envelope = f"Return-Path: <>\r\nDelivered-To: {delivered_to}\r\n" if delivered_to else "Return-Path: <>\r\n"
    text = (
        f"{envelope}From: Mail Delivery System <{sender}>\r\nTo: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.supplier.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\r\n\r\n'
        "--BOUNDARY\r\nContent-Type: text/plain\r\n\r\n"
        f"Your message could not be delivered to {failed}.\r\n\r\n"
        "--BOUNDARY\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.supplier.test\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--BOUNDARY\r\nContent-Type: {headers_part}\r\n\r\n{returned}\r\n"
        "--BOUNDARY--\r\n"
    )
    return text.encode()


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message
