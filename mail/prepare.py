"""Take an inbound e-mail apart in one call: parse it (``mail.classify.parse_inbound``) and extract its attachments
(``mail.attachments.extract_attachments``).

This is the CPU-heavy half of handling an e-mail (some 90 ms for a 2 MB reply with a workbook: the MIME parse, the
base64 decode, the zip sniffing), so the inbound pipeline runs it in a reader worker process
(``cmrt.workbook.isolation.call_isolated``), where it holds neither the bot's interpreter lock nor its memory. The
message comes back without the raw bytes, which the caller already holds (``with_raw`` puts them back).
"""

from __future__ import annotations

import dataclasses

from mail.attachments import AttachmentLimits, Extracted, extract_attachments
from mail.classify import InboundMessage, parse_inbound


def take_apart(raw: bytes, limits: AttachmentLimits) -> tuple[InboundMessage, Extracted]:
    """The parsed e-mail (its ``raw`` left empty) and its attachments."""
    message = parse_inbound(raw)
    extracted = extract_attachments(message.msg, limits)
    return dataclasses.replace(message, raw=b""), extracted


def with_raw(message: InboundMessage, raw: bytes) -> InboundMessage:
    """``message`` as ``parse_inbound(raw)`` gives it: with its raw bytes."""
    return message if message.raw is raw else dataclasses.replace(message, raw=raw)
