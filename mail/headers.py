"""Header hygiene and threading identifiers: request tokens, stable Message-IDs, safe header values.

Request tokens are made by the store (``store.campaigns.new_token``); this module puts them into subjects and
Message-IDs and finds them again in replies.

Supplier-provided text (company names, contact names, subjects we quote back) ends up in headers. Every such
value goes through ``safe_header_text`` (control characters and line breaks become spaces, length capped) and every
address through ``parse_address`` (exactly one syntactically valid address, no line breaks), so nothing a
supplier typed can add a header or a recipient.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr

# "[CMRT-R7K2QX9M]" in subjects; tolerant of case, spaces and a missing bracket when suppliers edit the subject
_TOKEN_RE = re.compile(r"\[\s*(?:CMRT|REF)[\s#:\-]*([A-Z2-9]{6,16})\s*\]", re.IGNORECASE)
_BODY_TOKEN_RE = re.compile(r"\b(?:Reference|Ref\.?|Referenz|Référence)\s*[:#]\s*([A-Z2-9]{6,16})\b", re.IGNORECASE)
_MSGID_TOKEN_RE = re.compile(r"<cmbot\.([A-Z2-9]{6,16})\.[0-9a-f]+@", re.IGNORECASE)
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")

MAX_HEADER_TEXT = 200


class HeaderInjectionError(ValueError):
    """An address or header value that would change the message's structure (line breaks, several addresses)."""


def token_tag(token: str) -> str:
    return f"[CMRT-{token}]"


def subject_with_token(subject: str, token: str | None) -> str:
    subject = safe_header_text(subject, limit=MAX_HEADER_TEXT)
    if not token or find_token(subject) == token.upper():
        return subject
    return f"{subject} {token_tag(token)}"


def find_token(text: str | None) -> str | None:
    """The request token in a subject (``[CMRT-XXXX]``), or None."""
    if not text:
        return None
    match = _TOKEN_RE.search(text)
    return match.group(1).upper() if match else None


def find_body_token(text: str | None) -> str | None:
    """The token quoted in a body ("Reference: R7K2QX9M"), or None."""
    if not text:
        return None
    match = _BODY_TOKEN_RE.search(text)
    return match.group(1).upper() if match else None


def token_from_message_ids(ids: list[str]) -> str | None:
    """Our Message-IDs embed the request token; a reply's In-Reply-To/References carry it back."""
    for mid in ids:
        match = _MSGID_TOKEN_RE.search(mid)
        if match:
            return match.group(1).upper()
    return None


def stable_message_id(idempotency_key: str, domain: str, token: str | None = None) -> str:
    """The same key always gives the same Message-ID, so a re-sent e-mail is recognisably the same e-mail."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:24]
    domain = _clean_domain(domain)
    tok = f"{token.upper()}." if token else "x."
    return f"<cmbot.{tok}{digest}@{domain}>"


def _clean_domain(domain: str) -> str:
    domain = domain.strip().lower().rsplit("@", 1)[-1]
    if not re.fullmatch(r"[a-z0-9.-]{1,253}", domain):
        raise HeaderInjectionError(f"not a usable Message-ID domain: {domain!r}")
    return domain


def message_ids(value: str | None) -> list[str]:
    """All ``<...>`` ids in a Message-ID / In-Reply-To / References value, in order, without duplicates."""
    if not value:
        return []
    seen: list[str] = []
    for mid in _MSGID_RE.findall(str(value)):
        if mid not in seen:
            seen.append(mid)
    return seen


def references_for_reply(parent_message_id: str | None, parent_references: list[str] | None = None) -> list[str]:
    """References for a follow-up: the parent's references plus the parent itself (RFC 5322 3.6.4), capped."""
    refs = [r for r in (parent_references or []) if _MSGID_RE.fullmatch(r)]
    if parent_message_id and _MSGID_RE.fullmatch(parent_message_id) and parent_message_id not in refs:
        refs.append(parent_message_id)
    # keep the first (thread root) and the last 19: long chains make headers huge
    return refs if len(refs) <= 20 else [refs[0], *refs[-19:]]


def safe_header_text(value: object, *, limit: int = MAX_HEADER_TEXT) -> str:
    """Text that is safe in a header: no control characters or line breaks, whitespace collapsed, capped."""
    text = unicodedata.normalize("NFC", str(value if value is not None else ""))
    text = _CONTROL_RE.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def parse_address(value: str, *, display_name: str | None = None) -> Address:
    """Exactly one valid address (optionally with a display name), or ``HeaderInjectionError``."""
    if value is None or _CONTROL_RE.search(value):
        raise HeaderInjectionError("an e-mail address must not contain line breaks or control characters")
    pairs = getaddresses([value])
    if len(pairs) != 1 or not pairs[0][1] or "," in value or ";" in value:
        raise HeaderInjectionError(f"expected exactly one e-mail address, got {value!r}")
    name, addr = pairs[0]
    local, sep, domain = addr.rpartition("@")
    if not sep or not local or not domain or " " in addr or not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        raise HeaderInjectionError(f"not a valid e-mail address: {value!r}")
    name = safe_header_text(display_name if display_name is not None else name, limit=120)
    try:
        return Address(display_name=name, username=local, domain=domain.lower())
    except (ValueError, IndexError) as exc:
        raise HeaderInjectionError(f"not a valid e-mail address: {value!r}") from exc


def address_only(value: str | None) -> str | None:
    """The bare lower-case address of a From/To value, or None."""
    if not value:
        return None
    addr = parseaddr(str(value))[1].strip().lower()
    return addr if "@" in addr else None


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().lower() or None
