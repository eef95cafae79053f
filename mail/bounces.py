"""Bounces that prove themselves: VERP envelope senders and the check of a delivery-status notification.

Every e-mail the bot sends goes out with its own envelope sender (``MAIL FROM``), ``<local>+<token>@<domain>``
built from ``[mail] bounce_address`` (default: ``[outreach] from_address``) and a random token the outbox keeps
for that e-mail (VERP). A mail server that cannot deliver it returns the report to exactly that address, so the
report names the e-mail it is about. ``verify_bounce`` decides whether a bounce counts:

1. ``verp`` -- the report was delivered to one of our VERP addresses (``Delivered-To``, ``X-Original-To``,
   ``Envelope-To``, ``X-Envelope-To``, ``To``) whose token belongs to an e-mail we sent; or
2. ``message_id`` -- the headers of the returned e-mail (the ``message/rfc822``, ``message/rfc822-headers`` or
   ``text/rfc822-headers`` part of the report) carry the Message-ID of an e-mail we sent.

Anything else is *unverified*: a report from a random sender that names neither is shown to the team as an
unverified bounce and changes no contact. A verified report may mark only the recipient of the e-mail it names
(not whatever addresses its text lists). Pure: the lookup of sent e-mails is a small protocol (``SentLookup``),
implemented over the store by ``handlers.mail_store.StoreSentLookup``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, HeaderParser
from typing import Protocol

from mail.headers import message_ids

#: Headers a receiving server records the envelope recipient in (Postfix, Exim, qmail, Dovecot LDA, Sieve).
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "X-Delivered-To", "To")
_RETURNED_HEADER_TYPES = ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers")
_TOKEN = re.compile(r"^[a-z0-9]{8,64}$")
_ADDRESS = re.compile(r"[\w.+=-]+@[\w.-]+")


@dataclass(frozen=True)
class SentMail:
    """An e-mail the bot sent (an outbox record): what a verified bounce is about."""

    message_id: str
    to_address: str
    request_id: int | None = None


class SentLookup(Protocol):
    def by_envelope_token(self, token: str) -> SentMail | None:
        """The e-mail sent with this VERP token, or None."""

    def by_message_id(self, message_id: str) -> SentMail | None:
        """The e-mail sent with this Message-ID (``<...>``), or None."""


@dataclass(frozen=True)
class BounceVerdict:
    verified: bool
    method: str  # "verp" | "message_id" | "none"
    sent: SentMail | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        """The contact addresses a verified bounce may mark: the recipient of the e-mail it names."""
        return (self.sent.to_address.lower(),) if self.verified and self.sent is not None else ()


UNVERIFIED = BounceVerdict(False, "none")


def new_envelope_token() -> str:
    """A random token for one e-mail's envelope sender (16 lower-case hex digits: 64 bits, never guessed)."""
    return secrets.token_hex(8)


def verp_address(base: str, token: str | None) -> str:
    """``local+token@domain`` from ``base`` (``local@domain``); ``base`` itself without a token."""
    if not token or "@" not in base:
        return base
    local, domain = base.rsplit("@", 1)
    local = local.split("+", 1)[0]
    return f"{local}+{token}@{domain}"


def verp_token(address: str, base: str) -> str | None:
    """The token of ``address`` when it is a VERP address built from ``base`` (case-insensitive), else None."""
    if "@" not in base or "@" not in address:
        return None
    local, domain = base.lower().rsplit("@", 1)
    local = local.split("+", 1)[0]
    got_local, got_domain = address.strip().strip("<>").lower().rsplit("@", 1)
    if got_domain != domain or not got_local.startswith(local + "+"):
        return None
    token = got_local[len(local) + 1 :]
    return token if _TOKEN.match(token) else None


def envelope_recipients(msg: Message) -> list[str]:
    """Every address in the headers a receiving server records the envelope recipient in, lower-cased."""
    out: list[str] = []
    for name in ENVELOPE_HEADERS:
        for value in msg.get_all(name, []) or []:
            out += [a.lower() for a in _ADDRESS.findall(str(value))]
    return list(dict.fromkeys(out))


def returned_message_ids(msg: Message) -> list[str]:
    """The Message-IDs in the headers of the returned e-mail inside a bounce (its rfc822 / headers part)."""
    found: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in _RETURNED_HEADER_TYPES:
            continue
        headers: Message | None = None
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            headers = payload[0]  # message/rfc822 (and message/rfc822-headers as Python parses it)
        else:
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                headers = BytesHeaderParser().parsebytes(raw)
            elif isinstance(payload, str):
                headers = HeaderParser().parsestr(payload)
        if headers is None:
            continue
        for value in headers.get_all("Message-ID", []) or []:
            found += message_ids(str(value))
    return list(dict.fromkeys(found))


def verify_bounce(
    msg: EmailMessage | Message, sent: SentLookup, *, bounce_bases: Sequence[str | None] = ()
) -> BounceVerdict:
    """Whether a bounce names an e-mail the bot sent (see the module doc); ``bounce_bases``: the addresses VERP
    addresses are built from (``[mail] bounce_address``, the bot's own addresses)."""
    bases = [b for b in bounce_bases if b]
    for address in envelope_recipients(msg):
        for base in bases:
            token = verp_token(address, base)
            found = sent.by_envelope_token(token) if token else None
            if found is not None:
                return BounceVerdict(True, "verp", found)
    for mid in returned_message_ids(msg):
        found = sent.by_message_id(mid)
        if found is not None:
            return BounceVerdict(True, "message_id", found)
    return UNVERIFIED

