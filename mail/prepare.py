"""Take an inbound e-mail apart in one call: parse it (``mail.classify.parse_inbound``) and extract its attachments
(``mail.attachments.extract_attachments``).

This is the CPU-heavy half of handling an e-mail (some 90 ms for a 2 MB reply with a workbook: the MIME parse, the
base64 decode, the zip sniffing), so the inbound pipeline runs it in a reader worker process
(``cmrt.workbook.isolation.call_isolated``), where it holds neither the bot's interpreter lock nor its memory. The
message comes back without the raw bytes, which the caller already holds (``with_raw`` puts them back), and with the
two digests the store keys the raw bytes by (``RawKeys``), so the bot's main thread hashes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib

from cmrt.email_identity import message_digest
from mail.attachments import AttachmentLimits, Extracted, extract_attachments
from mail.classify import InboundMessage, parse_inbound


@dataclasses.dataclass(frozen=True)
class RawKeys:
    """What the store keys an e-mail's raw bytes by, computed where the e-mail is taken apart (a cache: the store
    computes them itself when they are missing)."""

    digest: str  # ``cmrt.email_identity.message_digest``: with the Message-ID, the e-mail's identity
    sha256: str  # the plain SHA-256: the key of its blob


def raw_keys(raw: bytes) -> RawKeys:
    return RawKeys(message_digest(raw), hashlib.sha256(raw).hexdigest())


def take_apart(raw: bytes, limits: AttachmentLimits) -> tuple[InboundMessage, Extracted, RawKeys]:
    """The parsed e-mail (its ``raw`` left empty), its attachments and the keys of its raw bytes."""
    message = parse_inbound(raw)
    extracted = extract_attachments(message.msg, limits)
    return dataclasses.replace(message, raw=b""), extracted, raw_keys(raw)


def with_raw(message: InboundMessage, raw: bytes) -> InboundMessage:
    """``message`` as ``parse_inbound(raw)`` gives it: with its raw bytes."""
    return message if message.raw is raw else dataclasses.replace(message, raw=raw)
