"""Mail loops: which inbound messages are never answered (pure; ``handlers`` decides what else happens).

A message is recorded, matched and reviewed as usual, but no acknowledgment ever goes back when it carries a sign
of a robot or a list: ``Precedence: bulk|junk|list``, ``List-Id``, ``X-Autoreply``, ``X-Auto-Response-Suppress``,
``Auto-Submitted`` other than ``no``, or an empty ``Return-Path`` (``<>``, the null sender of bounces and
auto-responders). The per-request daily cap (``[outreach] max_acks_per_request``), the "already received" rule
for an identical workbook and the acknowledgments' own rate budget are the other guards (``handlers.inbound``).
"""

from __future__ import annotations

from email.message import Message

_PRECEDENCE = {"bulk", "junk", "list"}


def _values(msg: Message, name: str) -> list[str]:
    lowered = name.lower()
    return [" ".join(str(v).split()) for k, v in msg.raw_items() if k.lower() == lowered]


def never_answer(msg: Message) -> tuple[str, ...]:
    """Why this message must never be answered (empty: it may be)."""
    reasons: list[str] = []
    if any(v.strip().lower() in _PRECEDENCE for v in _values(msg, "Precedence")):
        reasons.append("Precedence")
    for name in ("List-Id", "X-Autoreply", "X-Auto-Response-Suppress"):
        if _values(msg, name):
            reasons.append(name)
    if any(v.strip().lower() not in ("", "no") for v in _values(msg, "Auto-Submitted")):
        reasons.append("Auto-Submitted")
    if any(v.strip().strip("<>").strip() == "" for v in _values(msg, "Return-Path")):
        reasons.append("empty Return-Path")
    return tuple(reasons)
