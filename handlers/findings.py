"""Stored review findings (``Finding.to_json`` dicts) as a supplier may see them: one definition for the
acknowledgment, the follow-up e-mails, and the new findings the team sends after a review made again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cmrt.review import Severity
from cmrt.review.model import TEAM

Finding = Mapping[str, Any]


def supplier_facing(findings: Sequence[Finding]) -> list[Finding]:
    """The findings a supplier may be told about: not ``info``, not information for the team."""
    return [f for f in findings if f.get("severity") != Severity.INFO.value and f.get("audience") != TEAM]


def finding_key(f: Finding) -> tuple[Any, ...]:
    """What makes two findings the same point (the message may change with a list's date)."""
    return (f.get("check"), f.get("severity"), f.get("sheet"), f.get("cell"), f.get("row"), f.get("mineral"))


def location(f: Finding) -> str | None:
    """``Smelter List F7``, ``Smelter List row 12``, ``Declaration`` or None."""
    cell = f.get("cell") or (f"row {f['row']}" if f.get("row") else None)
    where = " ".join(str(x) for x in (f.get("sheet"), cell) if x)
    return where or None


def findings_text(findings: Sequence[Finding]) -> str:
    """Numbered lines naming sheet and cell, as the clarification e-mails list them."""
    lines = []
    for n, f in enumerate(findings, start=1):
        where = location(f)
        lines.append(f"{n}. {where + ': ' if where else ''}{f.get('message', '')}")
    return "\n".join(lines)


def still_standing(told: Sequence[Finding], latest: Sequence[Finding]) -> list[Finding]:
    """The supplier-facing findings the supplier was told about that the latest review still finds (a review made
    again may have withdrawn some, and its new ones are not sent until the team decides)."""
    current = {finding_key(f) for f in latest}
    return [f for f in supplier_facing(told) if finding_key(f) in current]
