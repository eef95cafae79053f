"""Parse and classify an inbound e-mail: auto-reply, bounce/DSN, reply with workbook, with a link, or a question.

``parse_inbound(raw)`` gives an ``InboundMessage`` (headers decoded, the readable text, thread ids).
``classify(message, has_workbook=...)`` gives a ``Classification``:

* ``BOUNCE`` -- a delivery status notification or a bounce (RFC 3464 ``multipart/report``, flufl.bounce's
  detectors for the many non-standard formats, MAILER-DAEMON with an empty Return-Path); ``failed_addresses``
  and ``temporary`` tell which recipients failed and whether the failure is only a delay.
* ``AUTO_REPLY`` -- RFC 3834 ``Auto-Submitted`` other than ``no``, ``X-Autoreply``/``X-Autorespond``,
  ``Precedence: bulk/junk/list/auto_reply``, ``List-Id``/``List-Unsubscribe``, out-of-office subjects.
  ``X-Auto-Response-Suppress`` is NOT a sign (Outlook adds it to ordinary mail). A machine message that carries a
  workbook (supplier portals send them) is still a ``REPLY_WITH_WORKBOOK``: the workbook is what we asked for.
* ``REPLY_WITH_WORKBOOK`` / ``REPLY_WITH_LINK`` (a URL that looks like a published CMRT) / ``QUESTION`` (text only).
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum

from mail.headers import address_only, message_ids, safe_header_text

try:  # flufl.bounce has no type hints
    from flufl.bounce import all_failures
except ImportError:  # pragma: no cover - a declared dependency
    all_failures = None


class Kind(StrEnum):
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    REPLY_WITH_WORKBOOK = "reply_workbook"
    REPLY_WITH_LINK = "reply_link"
    QUESTION = "question"


@dataclass(frozen=True)
class InboundMessage:
    msg: EmailMessage
    raw: bytes
    message_id: str | None
    subject: str
    from_address: str | None
    to_addresses: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str  # the readable body (text/plain, or HTML stripped), capped

    @property
    def thread_ids(self) -> list[str]:
        """In-Reply-To first, then References newest first: the order to look them up in."""
        ids = list(self.in_reply_to)
        ids += [r for r in reversed(self.references) if r not in ids]
        return ids


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reasons: tuple[str, ...] = ()
    failed_addresses: tuple[str, ...] = ()
    temporary: bool = False
    links: tuple[str, ...] = ()
    machine: bool = False  # sent by a robot (auto-submitted headers), even when it carried a workbook


_OOO_SUBJECT = re.compile(
    r"^\s*(auto(matic|matische)?[\s-]*(reply|response|antwort|svar)|out of (the )?office|abwesenheit|"
    r"réponse automatique|risposta automatica|respuesta automática|autoreply|auto:|fuera de la oficina|"
    r"absence|vacation|urlaub)",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_CMRT_LINK = re.compile(r"(cmrt|conflict[-_ ]?mineral|rmi|\.xlsx?\b|\.xlsm\b|3tg|responsible[-_ ]?sourcing)", re.I)
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
MAX_TEXT = 100_000


def parse_inbound(raw: bytes) -> InboundMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    mid = message_ids(_header(msg, "Message-ID"))
    to = [a for a in (address_only(x) for x in _all_addresses(msg, "To") + _all_addresses(msg, "Cc")) if a]
    return InboundMessage(
        msg=msg,
        raw=raw,
        message_id=mid[0] if mid else None,
        subject=safe_header_text(_header(msg, "Subject"), limit=998),
        from_address=address_only(_header(msg, "From")),
        to_addresses=to,
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        text=body_text(msg)[:MAX_TEXT],
    )


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value) if value is not None else ""
    except Exception:  # the stdlib parser chokes on some malformed headers: use the raw value
        lowered = name.lower()
        raw = next((v for k, v in msg.raw_items() if k.lower() == lowered), None)
        return " ".join(str(raw).split()) if raw is not None else ""


def _all_addresses(msg: EmailMessage, name: str) -> list[str]:
    try:
        header = msg.get(name)
    except Exception:
        return []
    if header is None:
        return []
    addresses = getattr(header, "addresses", None)
    if addresses is None:
        return [str(header)]
    return [a.addr_spec for a in addresses if a.addr_spec]


def body_text(msg: EmailMessage) -> str:
    """text/plain parts (not attachments), or HTML with tags removed when there is no plain text."""
    plain: list[str] = []
    htmls: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        try:
            content = part.get_content()
        except Exception:
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        (plain if ctype == "text/plain" else htmls).append(str(content))
    if plain:
        return "\n".join(plain)
    return "\n".join(html.unescape(_TAGS.sub(" ", h)) for h in htmls)


def auto_reply_reasons(msg: EmailMessage, subject: str) -> list[str]:
    reasons: list[str] = []
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        reasons.append(f"Auto-Submitted: {auto}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if name in msg:
            reasons.append(name)
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        reasons.append(f"Precedence: {precedence}")
    for name in ("List-Id", "List-Unsubscribe"):
        if name in msg:
            reasons.append(name)
    if _OOO_SUBJECT.search(subject):
        reasons.append("out-of-office subject")
    return reasons


def bounce_info(msg: EmailMessage) -> tuple[list[str], list[str], list[str]]:
    """(reasons, permanent failures, temporary failures)."""
    reasons: list[str] = []
    permanent: set[str] = set()
    temporary: set[str] = set()
    ctype = msg.get_content_type()
    report_type = str(msg.get_param("report-type", "") or "").lower()
    if ctype == "multipart/report" and report_type == "delivery-status":
        reasons.append("delivery status notification (RFC 3464)")
        for part in msg.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            payload = part.get_payload()
            for block in payload if isinstance(payload, list) else []:
                if not hasattr(block, "get"):
                    continue
                try:
                    action = str(block.get("Action", "")).lower()
                    rcpt = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
                except Exception:  # a malformed status block: flufl.bounce below may still find the address
                    continue
                addr = rcpt.split(";", 1)[-1].strip().lower()
                if not addr:
                    continue
                if action == "failed":
                    permanent.add(addr)
                elif action == "delayed":
                    temporary.add(addr)
    if all_failures is not None and (reasons or _looks_like_bounce(msg)):
        try:
            temp, perm = all_failures(msg)
        except Exception:
            temp, perm = set(), set()
        permanent |= {_addr(a) for a in perm}
        temporary |= {_addr(a) for a in temp}
        if (perm or temp) and not reasons:
            reasons.append("bounce (flufl.bounce)")
    sender = (address_only(_header(msg, "From")) or "").split("@", 1)[0]
    return_path = _header(msg, "Return-Path").strip()
    if not reasons and sender in ("mailer-daemon", "postmaster") and return_path in ("<>", ""):
        reasons.append("from MAILER-DAEMON with an empty Return-Path")
    return reasons, sorted(a for a in permanent if a), sorted(a for a in temporary - permanent if a)


_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery (status|failure|has failed|notification)|failure notice|returned mail|"
    r"mail delivery (failed|subsystem)|non[- ]?remis|unzustellbar|nicht zustellbar|could not be delivered|"
    r"delivery failure|rejected|warning: could not send)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "bounce", "bounces")


def _looks_like_bounce(msg: EmailMessage) -> bool:
    """Cheap pre-check before flufl.bounce, which scans every body line (seconds on a message with a workbook)."""
    sender = (address_only(_header(msg, "From")) or "").split("@", 1)[0]
    if sender in _BOUNCE_SENDERS or _header(msg, "Return-Path").strip() == "<>":
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    return bool(_BOUNCE_SUBJECT.search(_header(msg, "Subject")))


def _addr(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.strip().strip("<>").lower()


_QUOTE_START = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}|"
    r"on .{0,200}wrote:|am .{0,200}schrieb .{0,200}:|le .{0,200}a écrit\s*:|from:\s.+|von:\s.+|de\s*:\s.+)\s*$",
    re.IGNORECASE,
)
_QUOTED_HTML = re.compile(r"<blockquote|<div[^>]+(?:gmail_quote|divRplyFwdMsg|OutlookMessageHeader)", re.I)
IGNORED_LINK_HOSTS = ("responsiblemineralsinitiative.org",)  # our own template link, quoted back


def strip_quoted(text: str) -> str:
    """The supplier's own words: drop ``>`` quoted lines and everything from "On ... wrote:" / "From:" on."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept)


def _blockquote_free_links(msg: EmailMessage) -> list[str]:
    links: list[str] = []
    for part in msg.walk():
        if part.get_content_type() == "text/html" and part.get_content_disposition() != "attachment":
            try:
                body = str(part.get_content())
            except Exception:
                continue
            body = _QUOTED_HTML.split(body, maxsplit=1)[0]
            links += re.findall(r"href=[\"'](https?://[^\"']+)", body, re.IGNORECASE)
    return links


def find_links(message: InboundMessage) -> list[str]:
    """Links that look like a published CMRT (in the supplier's own text, not in the quoted request)."""
    found: list[str] = []
    for url in _URL.findall(strip_quoted(message.text)) + _blockquote_free_links(message.msg):
        url = url.rstrip(".,;:")
        host = url.split("//", 1)[-1].split("/", 1)[0].lower()
        if any(host == h or host.endswith("." + h) for h in IGNORED_LINK_HOSTS):
            continue
        if _CMRT_LINK.search(url) and url not in found:
            found.append(url)
    return found


def classify(message: InboundMessage, *, has_workbook: bool) -> Classification:
    reasons, permanent, temporary = bounce_info(message.msg)
    if reasons:
        return Classification(
            Kind.BOUNCE,
            tuple(reasons),
            tuple(permanent or temporary),
            temporary=not permanent and bool(temporary),
            machine=True,
        )
    auto = auto_reply_reasons(message.msg, message.subject)
    if has_workbook:
        return Classification(Kind.REPLY_WITH_WORKBOOK, tuple(auto), machine=bool(auto))
    if auto:
        return Classification(Kind.AUTO_REPLY, tuple(auto), machine=True)
    links = find_links(message)
    if links:
        return Classification(Kind.REPLY_WITH_LINK, ("link to a published CMRT",), links=tuple(links))
    return Classification(Kind.QUESTION, ("no workbook attached",))


__all__ = [
    "Classification",
    "InboundMessage",
    "Kind",
    "body_text",
    "classify",
    "parse_inbound",
]
