"""Outbound e-mails: Jinja2 templates (plain text + HTML, autoescaped) rendered into RFC 5322 messages.

Templates live in ``mail/templates`` as ``<kind>.subject.j2``, ``<kind>.txt.j2`` and ``<kind>.html.j2`` for the
kinds ``request``, ``reminder``, ``clarification``, ``acknowledgment``, ``acceptance``, ``already_received`` and
``answer`` (the team's answer to a supplier's question: ``answer_text`` as the team typed it), rendered in the
supplier's language with the English text below (``MailTemplates.render``; docs/mail.md).
A directory given as ``override_dir`` (config ``[outreach] templates_dir``) is searched first, so a team can replace
any single file. HTML templates are autoescaped; undefined variables raise (``MailTemplates.check()`` renders every
kind in every language once at start-up).

Variables every template gets: ``supplier_name``, ``contact_name``, ``campaign_year``, ``due_date``, ``token``,
``sender_name``, ``sender_company``, ``min_version``, ``attachment_name(s)``, ``families``, ``received_families``,
``still_expected``, ``reminder_number``,
``clarification_text``, ``grade``, ``score``, ``show_grade``, ``points`` (``section`` correct/explain, ``check``,
``message``, ``minerals``, ``locations``; ``handlers.findings.supplier_points``), ``accepted``, ``filenames``,
``problems``, ``received_at``, ``note``, ``answer_text``, ``question_subject`` -- missing ones default to empty.

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
from markupsafe import Markup

from cmrt.languages import ENGLISH, LANGUAGES, UnknownLanguage, normalise
from cmrt.review.supplier_texts import supplier_text
from mail import i18n
from mail.headers import (
    HeaderInjectionError,
    message_ids,
    parse_address,
    safe_header_text,
    subject_with_token,
)

KINDS = ("request", "reminder", "clarification", "acknowledgment", "acceptance", "already_received", "answer")
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
    "attachment_names": (),
    "families": ("CMRT",),
    "received_families": (),  # a partly returned request: the templates that came back (reminders)
    "still_expected": (),  # ... and those still missing (acknowledgments)
    "reminder_number": 1,
    "clarification_text": "",
    "grade": None,
    "score": None,
    "show_grade": False,
    "points": (),
    "accepted": False,
    "filenames": (),
    "answer_text": "",
    "question_subject": "",
    "problems": (),
    "received_at": None,
    "note": "",
    "followup": False,
}

# What each template family asks about: its full name and the minerals (message ids; translated in the catalogues)
FAMILIES: dict[str, tuple[str, str]] = {
    "CMRT": ("Conflict Minerals Reporting Template (CMRT)", "tin, tantalum, tungsten and gold (3TG)"),
    "EMRT": ("Extended Minerals Reporting Template (EMRT)",
             "cobalt, copper, graphite, lithium, mica and nickel"),
    "CRT": ("Cobalt Reporting Template (CRT)", "cobalt"),
    "AMRT": ("Additional Minerals Reporting Template (AMRT)",
             "the additional minerals the template names (such as aluminium, antimony, chromium and zinc)"),
}  # fmt: skip
POINT_WITH_MINERALS = "%(minerals)s: %(text)s"  # a check's supplier sentence and the minerals it concerns
RMI_PAGES = {"CMRT": "cmrt", "EMRT": "emrt", "CRT": "crt", "AMRT": "amrt"}


class TemplateError(ValueError):
    """A mail template is missing or broken (for an operator: which file, what is wrong)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class MailTemplates:
    """The e-mail templates, rendered in the supplier's language with the English text below it.

    ``render(kind, context, language="de")``: the subject is ``"<German> / <English>"``; the plain text and the HTML
    hold the German letter, then the English one, then the reference line in both languages. English suppliers get
    the English letter alone. Templates use gettext (``{{ _("...") }}``, ``{% trans %}``); the catalogues are
    ``mail/locale/<language>.po`` (``mail.i18n``).
    """

    def __init__(self, override_dir: str | pathlib.Path | None = None, *, show_grade: bool = False) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir:
            path = pathlib.Path(override_dir)
            if not path.is_dir():
                raise TemplateError(f"mail template directory not found: {path}")
            loaders.append(jinja2.FileSystemLoader(str(path)))
        loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
        self._loader = jinja2.ChoiceLoader(loaders)
        self.show_grade = show_grade
        self._envs: dict[str, jinja2.Environment] = {}
        self.env = self._environment(ENGLISH)

    def _environment(self, language: str) -> jinja2.Environment:
        env = self._envs.get(language)
        if env is not None:
            return env
        env = jinja2.Environment(
            loader=self._loader,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
        env.globals["lang"] = language
        env.filters["date"] = lambda value: i18n.format_date(value, language)
        env.filters["minerals"] = lambda names: i18n.join_list([i18n.mineral(n, language) for n in names], language)
        env.filters["join_list"] = lambda items: i18n.join_list(items, language)
        env.filters["para"] = lambda text: i18n.paragraph(str(text), language)
        env.filters["point"] = lambda point: point_text(point, language)
        env.filters["sentence"] = _sentence
        env.filters["family_name"] = lambda family: i18n.gettext(language, FAMILIES.get(family, FAMILIES["CMRT"])[0])
        env.filters["family_minerals"] = lambda family: i18n.gettext(
            language, FAMILIES.get(family, FAMILIES["CMRT"])[1])
        env.globals["rmi_page"] = lambda family: (
            f"https://www.responsiblemineralsinitiative.org/reporting-templates/{RMI_PAGES.get(family, 'cmrt')}/")
        env.globals["starts_with_greeting"] = i18n.starts_with_greeting
        self._envs[language] = env
        return env

    def render(self, kind: str, context: Mapping[str, Any], language: str = ENGLISH) -> Rendered:
        if kind not in KINDS:
            raise TemplateError(f"unknown e-mail kind {kind!r} (expected one of {', '.join(KINDS)})")
        try:
            language = normalise(language or ENGLISH)
        except UnknownLanguage as exc:
            raise TemplateError(str(exc)) from None
        ctx = {**DEFAULTS, "show_grade": self.show_grade, **context}
        ctx["families"] = tuple(ctx.get("families") or ("CMRT",))
        languages = [language, ENGLISH] if language != ENGLISH else [ENGLISH]
        try:
            subjects = [safe_header_text(self._environment(lang).get_template(f"{kind}.subject.j2").render(ctx))
                        for lang in languages]
            subject = safe_header_text(" / ".join(dict.fromkeys(subjects)))
            texts = [self._environment(lang).get_template(f"{kind}.txt.j2").render(ctx).strip("\n")
                     for lang in languages]
            footer = [self._environment(lang).get_template("_footer.txt.j2").render(ctx).strip("\n")
                      for lang in languages]
            separator = f"\n\n{'-' * 8} English {'-' * 8}\n\n"
            footer_text = "\n".join(dict.fromkeys(f for f in footer if f))
            text = separator.join(texts) + (f"\n\n{footer_text}" if footer_text else "") + "\n"
            try:
                bodies = [(lang, Markup(self._environment(lang).get_template(f"{kind}.html.j2").render(ctx).strip()))
                          for lang in languages]
            except jinja2.TemplateNotFound:
                html = None
            else:
                footers = [Markup(self._environment(lang).get_template("_footer.html.j2").render(ctx).strip())
                           for lang in languages]
                html = self._environment(ENGLISH).get_template("_base.html.j2").render(
                    {**ctx, "subject": subject, "bodies": bodies, "footers": list(dict.fromkeys(footers)),
                     "language": language})
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"mail template missing: {exc.name}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"mail template {kind!r} failed: {exc}") from exc
        return Rendered(subject=subject, text=text, html=html)

    def check(self) -> None:
        """Render every kind in every language with sample values; raises ``TemplateError`` naming the broken file."""
        sample = {
            **DEFAULTS,
            "supplier_name": "Example Supplier",
            "campaign_year": 2025,
            "token": "ABCDEFGH",
            "sender_company": "Example Corp",
            "points": [{"section": "correct", "check": "mineral.answer_missing", "message": "m",
                        "minerals": ["Tin"], "locations": ["Declaration E24"]}],
        }
        for kind in KINDS:
            for language in LANGUAGES:
                self.render(kind, sample, language)


def _sentence(text: object) -> str:
    """Sentence case: the first letter upper-case, the rest as written."""
    value = str(text or "").strip()
    return value[:1].upper() + value[1:]


def point_text(point: Mapping[str, Any], language: str) -> str:
    """One point of a supplier e-mail, without its location: English, the finding's own message (its minerals
    already collapsed into one list); other languages, the same detail in that language (its ``phrase``), or for a
    finding stored without one (an older review), the check's supplier sentence and the minerals concerned."""
    if language == ENGLISH:
        return _sentence(point.get("message", ""))
    phrase = point.get("phrase")
    if isinstance(phrase, Mapping):  # the finding's own detail, as a key and parameters (cmrt.review.texts)
        return _sentence(i18n.review_text(language, phrase, [str(m) for m in point.get("minerals") or () if m]))
    check = str(point.get("check") or "")
    english = supplier_text(check)
    if english is None:  # an unknown check (a newer catalogue): the English message, it is all we have
        return _sentence(point.get("message", ""))
    text = i18n.gettext(language, english, check)
    minerals = [str(m) for m in point.get("minerals") or () if m]
    if minerals:
        names = i18n.join_list([i18n.mineral(m, language) for m in minerals], language)
        text = i18n.gettext(language, POINT_WITH_MINERALS) % {"text": text, "minerals": names}
    return text


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
    cc_addresses: Sequence[str] = ()
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
    if mail.cc_addresses:
        msg["Cc"] = [parse_address(a) for a in mail.cc_addresses]
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


def catalogue_messages() -> list[tuple[str | None, str]]:
    """Every (context, message id) the e-mails use: the templates' ``_()`` calls, the template families, the
    minerals and each check's supplier sentence. Each ``.po`` must translate all of them (the completeness test)."""
    from cmrt.review.supplier_texts import SUPPLIER_TEXTS

    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    found: dict[tuple[str | None, str], None] = {}
    for path in sorted(PACKAGE_TEMPLATES.glob("*.j2")):
        source = path.read_text(encoding="utf-8")
        for _line, function, message in env.extract_translations(source):  # type: ignore[attr-defined]
            first = message[0] if isinstance(message, tuple) else message
            if function in ("_", "gettext") and isinstance(first, str):
                found[(None, first)] = None
    for name, minerals in FAMILIES.values():
        found[(None, name)] = None
        found[(None, minerals)] = None
    found[(None, POINT_WITH_MINERALS)] = None
    for name in i18n.MINERALS:
        found[("mineral", name)] = None
    for check, text in SUPPLIER_TEXTS.items():
        found[(check, text)] = None
    for key in sorted(i18n.review_keys()):
        found[(i18n.REVIEW_CONTEXT, key)] = None
    return list(found)
