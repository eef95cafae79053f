"""Outbound e-mails: Jinja2 templates (plain text + HTML, autoescaped) rendered into RFC 5322 messages.

Templates live in ``mail/templates`` as ``<kind>.subject.j2``, ``<kind>.txt.j2`` and ``<kind>.html.j2`` for the
kinds ``request``, ``reminder``, ``clarification``, ``acknowledgment`` and ``answer`` (the team's answer to a
supplier's question: ``answer_text`` as the team typed it, greeting included; no greeting of the template's own).
A directory given as ``override_dir`` (config ``[outreach] template_path``) is searched first, so a team can
replace any single file. HTML templates are autoescaped; undefined variables raise (``MailTemplates.check()``
renders every kind once at start-up).

Variables every template gets: ``supplier_name``, ``contact_name``, ``campaign_year``, ``due_date``, ``token``,
``sender_name``, ``sender_company``, ``min_version``, ``attachment_name``, ``reminder_number``,
``clarification_text``, ``grade``, ``score``, ``findings`` (objects with ``message``/``location``/``severity``),
``accepted``, ``filenames``, ``problems``, ``answer_text``, ``question_subject`` and ``subject`` (in the HTML
body) -- missing ones default to empty.

``build_message`` turns an ``OutgoingEmail`` into an ``EmailMessage``: From/To/Reply-To validated
(``HeaderInjectionError`` otherwise), the token in the subject, a stable Message-ID, In-Reply-To/References,
``Auto-Submitted: auto-generated`` (RFC 3834) and ``X-Auto-Response-Suppress`` so out-of-office robots stay quiet.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import mimetypes
import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import jinja2

from mail.headers import (
    HeaderInjectionError,
    message_ids,
    parse_address,
    safe_header_text,
    subject_with_token,
)

KINDS = ("request", "reminder", "clarification", "acknowledgment", "answer")
PACKAGE_TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
POLICY = email.policy.SMTP.clone(max_line_length=78)

DEFAULTS: dict[str, Any] = {
    "supplier_name": "",
    "contact_name": "",
    "campaign_year": "",
    "due_date": None,
    "token": "",
    "sender_name": "",
    "sender_company": "",
    "min_version": None,
    "attachment_name": None,
    "reminder_number": 1,
    "clarification_text": "",
    "grade": None,
    "score": None,
    "findings": (),
    "accepted": False,
    "filenames": (),
    "answer_text": "",
    "question_subject": "",
    "problems": (),
}


class TemplateError(ValueError):
    """A mail template is missing or broken (for an operator: which file, what is wrong)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class MailTemplates:
    def __init__(self, override_dir: str | pathlib.Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir:
            path = pathlib.Path(override_dir)
            if not path.is_dir():
                raise TemplateError(f"mail template directory not found: {path}")
            loaders.append(jinja2.FileSystemLoader(str(path)))
        loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, kind: str, context: Mapping[str, Any]) -> Rendered:
        if kind not in KINDS:
            raise TemplateError(f"unknown e-mail kind {kind!r} (expected one of {', '.join(KINDS)})")
        ctx = {**DEFAULTS, **context}
        try:
            subject = safe_header_text(self.env.get_template(f"{kind}.subject.j2").render(ctx))
            text = self.env.get_template(f"{kind}.txt.j2").render(ctx)
            try:
                html_template = self.env.get_template(f"{kind}.html.j2")
            except jinja2.TemplateNotFound:
                html = None
            else:
                html = html_template.render({**ctx, "subject": subject})
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"mail template missing: {exc.name}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"mail template {kind!r} failed: {exc}") from exc
        return Rendered(subject=subject, text=text, html=html)

    def check(self) -> None:
        """Render every kind with sample values; raises ``TemplateError`` naming the broken file."""
        sample = {
            **DEFAULTS,
            "supplier_name": "Example Supplier",
            "campaign_year": 2025,
            "token": "ABCDEFGH",
            "sender_company": "Example Corp",
            "findings": [{"message": "m", "location": "Declaration!D8", "severity": "clarify"}],
        }
        for kind in KINDS:
            self.render(kind, sample)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class OutgoingEmail:
    """Everything needed to build one e-mail; supplier-provided strings are sanitised by ``build_message``."""

    to_address: str
    from_address: str
    subject: str
    text: str
    message_id: str
    html: str | None = None
    to_name: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    token: str | None = None
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    attachments: Sequence[Attachment] = ()
    extra_headers: Mapping[str, str] = field(default_factory=dict)


def build_message(mail: OutgoingEmail, *, date: dt.datetime) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = parse_address(mail.from_address, display_name=mail.from_name)
    msg["To"] = parse_address(mail.to_address, display_name=mail.to_name)
    if mail.reply_to:
        msg["Reply-To"] = parse_address(mail.reply_to)
    msg["Subject"] = subject_with_token(mail.subject, mail.token)
    msg["Date"] = format_datetime(date if date.tzinfo else date.replace(tzinfo=dt.UTC))
    own_ids = message_ids(mail.message_id)
    if len(own_ids) != 1:
        raise HeaderInjectionError(f"not a Message-ID: {mail.message_id!r}")
    msg["Message-ID"] = own_ids[0]
    if mail.in_reply_to:
        parent = message_ids(mail.in_reply_to)
        if parent:
            msg["In-Reply-To"] = parent[0]
    refs = [r for ref in mail.references for r in message_ids(ref)]
    if refs:
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    if mail.token:
        msg["X-CMBot-Token"] = safe_header_text(mail.token, limit=32)
    for name, value in mail.extra_headers.items():
        if not name.replace("-", "").isalnum():
            raise HeaderInjectionError(f"not a header name: {name!r}")
        msg[name] = safe_header_text(value)
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if mail.html:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for att in mail.attachments:
        ctype = att.content_type or mimetypes.guess_type(att.filename)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(
            att.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=safe_header_text(att.filename, limit=120),
        )
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=POLICY)
