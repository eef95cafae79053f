"""Stored review findings (``Finding.to_json`` dicts) as a supplier may see them: one definition for the
acknowledgment, the follow-up e-mails, and the new findings the team sends after a review made again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cmrt.review import Severity
from cmrt.review.model import TEAM
from cmrt.review.supplier_texts import section

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


def supplier_points(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """The points of a supplier e-mail (``mail.compose`` ``points``), from stored findings: information and team
    findings left out; each under its heading (``section``: *correct* or *explain*, ``cmrt.review.supplier_texts``);
    the same finding for several minerals collapsed into one point ("question 2 is not answered for Tin, Tantalum
    and Tungsten") listing every cell, with the detail as a key and parameters (``phrase``, for the supplier's
    language). A finding without a check id (an older caller) is a *correct* point as is.
    """
    points: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in findings:
        check = str(f.get("check") or "")
        where = section(check, str(f.get("severity") or Severity.CLARIFY.value), f.get("audience")) if check else (
            "correct")
        if where is None:
            continue
        message = str(f.get("message") or "")
        mineral = str(f.get("mineral") or "")
        pattern = message.replace(mineral, "\x00") if mineral and mineral in message else message
        key = (where, check, pattern, f.get("sheet"), f.get("file"))
        point = points.get(key)
        if point is None:
            point = points[key] = {"section": where, "check": check, "pattern": pattern, "minerals": [],
                                   "cells": [], "sheet": f.get("sheet"), "location": f.get("location"),
                                   "phrase": f.get("phrase")}  # fmt: skip
        if (mineral and mineral not in point["minerals"] and "\x00" in pattern) or (mineral and not point["minerals"]):
            point["minerals"].append(mineral)
        cell = f.get("cell") or (f"row {f['row']}" if f.get("row") else None)
        if cell and cell not in point["cells"]:
            point["cells"].append(cell)
    out = []
    for point in points.values():
        minerals = point["minerals"]
        message = point["pattern"].replace("\x00", _english_list(minerals)) if "\x00" in point["pattern"] else (
            point["pattern"])
        if point["cells"]:
            cells = ", ".join(point["cells"])
            locations = [f"{point['sheet']} {cells}" if point["sheet"] else cells]
        elif point["sheet"] or point["location"]:
            locations = [str(point["sheet"] or point["location"])]
        else:
            locations = []
        out.append({"section": point["section"], "check": point["check"], "message": message, "minerals": minerals,
                    "locations": locations} | ({"phrase": point["phrase"]} if point["phrase"] else {}))  # fmt: skip
    return out


def _english_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
