"""``cmrt.outreach.replies``: the worst grade of a reply and where it takes the request."""

from __future__ import annotations

import pytest

from cmrt.outreach.replies import GRADE_ORDER, after_review, worst_grade
from cmrt.outreach.states import ALLOWED_TRANSITIONS, RequestState
from cmrt.review import Grade

RS = RequestState


def test_worst_grade_follows_the_order_and_none_when_nothing_was_read() -> None:
    assert worst_grade([]) is None
    assert worst_grade([Grade.ACCEPTED]) is Grade.ACCEPTED
    assert worst_grade([Grade.ACCEPTED, Grade.NEEDS_CLARIFICATION]) is Grade.NEEDS_CLARIFICATION
    assert worst_grade([Grade.HIGH_RISK, Grade.NEEDS_CLARIFICATION]) is Grade.HIGH_RISK
    assert worst_grade([Grade.REJECTED, Grade.HIGH_RISK, Grade.ACCEPTED]) is Grade.REJECTED  # rejected is worst
    assert set(GRADE_ORDER) == set(Grade)


@pytest.mark.parametrize(
    ("worst", "state", "stop_chasing", "escalate"),
    [
        (Grade.ACCEPTED, RS.ACCEPTED, True, False),
        (Grade.NEEDS_CLARIFICATION, RS.CLARIFICATION_REQUESTED, False, False),
        (Grade.REJECTED, RS.CLARIFICATION_REQUESTED, False, False),
        (Grade.HIGH_RISK, RS.ESCALATED, True, True),
        (None, RS.CLARIFICATION_REQUESTED, False, False),
    ],
)
def test_after_review(worst: Grade | None, state: RequestState, stop_chasing: bool, escalate: bool) -> None:
    decision = after_review(worst)
    assert (decision.state, decision.stop_chasing, decision.escalate) == (state, stop_chasing, escalate)
    assert decision.state in ALLOWED_TRANSITIONS[RS.RESPONDED]  # reachable from responded, where a reply puts it
    assert decision.reason == ("workbook unreadable" if worst is None else f"review grade {worst.value}")
