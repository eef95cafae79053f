"""Year over year: the same supplier's declarations for two campaigns, built with the workbook factory.

2024 (accepted): company level, tin from the covered countries (Q3 = Yes), gold CAHRA unknown (Q4 = Unknown),
a policy URL, five smelters. 2025: product level, tin Q3 = No, gold Q4 = No with no new gold smelter, the tin
smelter dropped, no policy URL, policy question A now No.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cmrt.changes import compare
from cmrt.declaration import Declaration
from cmrt.review import CHECKS_BY_ID, Grade, Severity, review
from cmrt.review.adhoc import context_for
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory import CmrtSpec, ProductSpec, build_cmrt, default_answers

TODAY = dt.date(2026, 3, 1)


def _read(**changes: Any) -> Declaration:
    spec = CmrtSpec()
    for key, value in changes.items():
        setattr(spec, key, value)
    return read_workbook(build_cmrt(spec), limits=ReadLimits(isolated=False))


def _answers(**per_question: dict[str, str]) -> dict[str, dict[str, Any]]:
    answers = default_answers()
    for key, values in per_question.items():
        answers[key].update(values)
    return answers


def _pair() -> tuple[Declaration, Declaration]:
    previous = _read(effective_date=dt.date(2025, 4, 1), answers=_answers(Q3={"Tin": "Yes"}, Q4={"Gold": "Unknown"}))
    smelters = [s for s in CmrtSpec().smelters if s.metal != "Tin"]
    current = _read(scope="B. Product (or List of Products)", products=[ProductSpec("PN-100", "Connector")],
                    answers=_answers(Q3={"Tin": "No"}, Q4={"Gold": "No"}), smelters=smelters,
                    company_comments={}, company_answers={**CmrtSpec().company_answers, "A": "No"})  # fmt: skip
    return previous, current


def test_compare_two_campaigns_of_one_supplier() -> None:
    previous, current = _pair()
    changes = compare(previous, current)
    assert changes.added == {}
    assert [(metal, [str(k) for k in keys]) for metal, keys in changes.dropped.items()] == [
        ("Tin", ["Minsur (CID001182)"])
    ]
    flips = {(f.key, f.mineral): (f.before, f.after) for f in changes.flips}
    assert flips[("Q3", "Tin")] == ("Yes", "No") and flips[("Q4", "Gold")] == ("Unknown", "No")
    assert flips[("A", None)] == ("Yes", "No")
    assert {(f.key, f.mineral) for f in changes.origin_flips()} == {("Q3", "Tin"), ("Q4", "Gold")}
    assert (changes.scope_before, changes.scope_after) == ("A. Company", "B. Product (or List of Products)")
    assert changes.policy_url_gone == "https://www.example.com/policy"


def test_the_review_shows_what_changed_since_the_last_accepted_declaration() -> None:
    previous, current = _pair()
    result = review(current, context_for(today=TODAY, previous=previous, previous_label="2024"))
    history = [(f.check, f.severity, f.cell) for f in result.findings if f.check.startswith("history.")]
    assert history == [
        ("history.smelters_changed", Severity.INFO, None),
        ("history.origin_flipped", Severity.CLARIFY, "D39"),  # Q3 tin: Yes -> No
        ("history.origin_flipped", Severity.CLARIFY, "D46"),  # Q4 gold: Unknown -> No, no new gold smelter
        ("history.answer_changed", Severity.INFO, "D75"),  # policy A: Yes -> No
        ("history.scope_changed", Severity.INFO, "D9"),
        ("history.policy_url_gone", Severity.INFO, "G77"),
    ]
    messages = [f.message for f in result.findings if f.check.startswith("history.")]
    assert messages[0] == "Tin smelters since the 2024 declaration: 1 dropped (Minsur (CID001182))"
    assert messages[1].startswith("question 3 (covered countries) for Tin said 'Yes' in the 2024 declaration and "
                                  "says No now; 1 Tin smelter was dropped")
    assert result.grade is Grade.NEEDS_CLARIFICATION


def test_unknown_to_no_with_a_new_smelter_is_only_noted() -> None:
    previous = _read(answers=_answers(Q4={"Gold": "Unknown"}))
    spec = CmrtSpec()
    extra = [*spec.smelters, type(spec.smelters[0])("Gold", "Metalor Technologies S.A.", country="SWITZERLAND",
                                                    smelter_id="CID001153", id_input="CID001153")]  # fmt: skip
    current = _read(smelters=extra)
    result = review(current, context_for(today=TODAY, previous=previous))
    history = [(f.check, f.message) for f in result.findings if f.check.startswith("history.")]
    assert [check for check, _ in history] == ["history.smelters_changed", "history.answer_changed"]
    assert history[1][1] == "question 4 changed since the previous declaration: Gold: 'Unknown' -> 'No'"


def test_history_checks_are_configurable_and_silent_without_a_previous_declaration() -> None:
    previous, current = _pair()
    quiet = review(current, context_for(today=TODAY, previous=previous,
                                        overrides={"history.origin_flipped": "info"}))  # fmt: skip
    assert {f.severity for f in quiet.findings if f.check.startswith("history.")} == {Severity.INFO}
    alone = review(current, context_for(today=TODAY))
    assert not [f for f in alone.findings if f.check.startswith("history.")]
    assert all(CHECKS_BY_ID[c].needs == "previous" for c in CHECKS_BY_ID if c.startswith("history."))


def test_a_stored_declaration_is_compared_as_read() -> None:
    previous, current = _pair()
    stored = Declaration.from_json(previous.to_json())
    assert stored == previous
    assert compare(stored, current) == compare(previous, current)
