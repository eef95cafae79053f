"""handlers.findings.supplier_points: headings, collapsing across minerals, information kept internal."""

from __future__ import annotations

from handlers.findings import supplier_points


def test_points() -> None:
    findings = [
        {"check": "mineral.answer_missing", "severity": "clarify", "sheet": "Declaration", "cell": "E24",
         "mineral": "Tin", "message": "question 2 is not answered for Tin"},
        {"check": "mineral.answer_missing", "severity": "clarify", "sheet": "Declaration", "cell": "F24",
         "mineral": "Tantalum", "message": "question 2 is not answered for Tantalum"},
        {"check": "mineral.answer_missing", "severity": "clarify", "sheet": "Declaration", "cell": "E25",
         "mineral": "Tin", "message": "question 3 is not answered for Tin"},
        {"check": "mineral.cahra", "severity": "high_risk", "sheet": "Declaration", "cell": "H26", "mineral": "Gold",
         "message": "question 4 says Gold is sourced from conflict-affected and high-risk areas"},
        {"check": "smelter.duplicate", "severity": "info", "message": "listed twice"},
        {"check": "smelter.reaudit_pending", "severity": "info", "audience": "team", "message": "internal"},
        {"message": "an older finding without its check", "location": "Declaration D8"},
    ]  # fmt: skip
    assert supplier_points(findings) == [
        {"section": "correct", "check": "mineral.answer_missing", "minerals": ["Tin", "Tantalum"],
         "message": "question 2 is not answered for Tin and Tantalum", "locations": ["Declaration E24, F24"]},
        {"section": "correct", "check": "mineral.answer_missing", "minerals": ["Tin"],
         "message": "question 3 is not answered for Tin", "locations": ["Declaration E25"]},
        {"section": "explain", "check": "mineral.cahra", "minerals": ["Gold"],
         "message": "question 4 says Gold is sourced from conflict-affected and high-risk areas",
         "locations": ["Declaration H26"]},
        {"section": "correct", "check": "", "minerals": [], "message": "an older finding without its check",
         "locations": ["Declaration D8"]},
    ]  # fmt: skip
