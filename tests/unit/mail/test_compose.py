from __future__ import annotations

import datetime as dt
import email
import email.policy
import pathlib

import pytest

from mail.compose import Attachment, MailTemplates, OutgoingEmail, TemplateError, build_message, to_bytes
from mail.headers import (
    HeaderInjectionError,
    find_token,
    references_for_reply,
    stable_message_id,
    token_from_message_ids,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _mail(**kw: object) -> OutgoingEmail:
    base: dict[str, object] = {
        "to_address": "anna@supplier.test",
        "from_address": "compliance@buyer.test",
        "subject": "CMRT request",
        "text": "hello",
        "message_id": stable_message_id("request:1", "buyer.test", "ABCDEFGH"),
        "token": "ABCDEFGH",
    }
    base.update(kw)
    return OutgoingEmail(**base)  # type: ignore[arg-type]


def test_request_renders_text_and_escaped_html() -> None:
    templates = MailTemplates()
    rendered = templates.render(
        "request",
        {"supplier_name": "<b>Evil</b> & Co", "campaign_year": 2025, "token": "ABCDEFGH", "sender_company": "Buyer"},
    )
    assert "<b>Evil</b> & Co" in rendered.text
    assert rendered.html is not None
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in rendered.html
    assert "<b>Evil</b>" not in rendered.html
    templates.check()


def test_override_directory_wins(tmp_path: pathlib.Path) -> None:
    (tmp_path / "reminder.subject.j2").write_text("Custom reminder for {{ supplier_name }}")
    rendered = MailTemplates(tmp_path).render("reminder", {"supplier_name": "X"})
    assert rendered.subject == "Custom reminder for X"
    with pytest.raises(TemplateError):
        MailTemplates(tmp_path).render("nonsense", {})


def test_built_message_headers_threading_and_attachment() -> None:
    parent = "<cmbot.ABCDEFGH.1234@buyer.test>"
    msg = build_message(
        _mail(
            in_reply_to=parent,
            references=references_for_reply(parent, ["<root@buyer.test>"]),
            html="<p>hello</p>",
            attachments=[Attachment("RMI_CMRT_6.5.xlsx", b"PK\x03\x04data")],
        ),
        date=NOW,
    )
    parsed = email.message_from_bytes(to_bytes(msg), policy=email.policy.default)
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert find_token(str(parsed["Subject"])) == "ABCDEFGH"
    assert parsed["In-Reply-To"] == parent
    assert parsed["References"] == f"<root@buyer.test> {parent}"
    assert token_from_message_ids([str(parsed["Message-ID"])]) == "ABCDEFGH"
    names = [p.get_filename() for p in parsed.iter_attachments()]
    assert names == ["RMI_CMRT_6.5.xlsx"]


def test_message_id_is_stable() -> None:
    assert stable_message_id("k", "buyer.test") == stable_message_id("k", "buyer.test")
    assert stable_message_id("k", "buyer.test") != stable_message_id("k2", "buyer.test")


@pytest.mark.parametrize(
    "field,value",
    [
        ("to_address", "anna@supplier.test\r\nBcc: victim@else.test"),
        ("to_address", "anna@supplier.test, victim@else.test"),
        ("from_address", "x@y.test\nX-Evil: 1"),
    ],
)
def test_header_injection_in_addresses_is_refused(field: str, value: str) -> None:
    with pytest.raises(HeaderInjectionError):
        build_message(_mail(**{field: value}), date=NOW)


def test_header_injection_in_names_and_subject_is_neutralised() -> None:
    msg = build_message(_mail(subject="Hi\r\nBcc: victim@else.test", to_name="Anna\r\nBcc: victim@else.test"), date=NOW)
    raw = to_bytes(msg)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert len(parsed["To"].addresses) == 1
    assert parsed["To"].addresses[0].addr_spec == "anna@supplier.test"
    assert b"\r\nBcc:" not in raw


def test_plain_text_keeps_its_line_breaks_around_inline_conditions() -> None:
    """An ``{% endif %}`` at the end of a line must not swallow the line break (the env trims blocks), and no
    sentence is glued to a condition ("or later,for")."""
    templates = MailTemplates()
    rendered = templates.render(
        "request", {"supplier_name": "Acme", "campaign_year": 2025, "min_version": "6.01", "contact_name": "Jo"}
    )
    assert "We need template version 6.01 or later." in rendered.text
    assert "later,for" not in rendered.text and "later,for" not in (rendered.html or "")
    points = [
        {"section": "correct", "check": "company.email_invalid", "message": "first problem",
         "locations": ["Declaration D16"]},
        {"section": "correct", "check": "", "message": "second problem", "locations": []},
    ]
    ack = templates.render(
        "acknowledgment",
        {"contact_name": "Jo", "filenames": ["f.xlsx"], "grade": "needs clarification", "score": 95,
         "points": points, "sender_name": "Team"},
    ).text  # fmt: skip
    lines = ack.splitlines()
    assert "  1. First problem [Declaration D16]" in lines
    assert "  2. Second problem" in lines
    assert "Kind regards," in lines
