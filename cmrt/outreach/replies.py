"""What a reviewed reply does to its request: the worst grade of a reply's workbooks, and the request state it leads
to. Pure; ``handlers.inbound`` applies it (through the state machine of ``cmrt.outreach.states``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cmrt.outreach.states import RequestState
from cmrt.review import Grade

#: Grades from best to worst: a reply with several workbooks is judged by its worst one.
GRADE_ORDER: tuple[Grade, ...] = (Grade.ACCEPTED, Grade.NEEDS_CLARIFICATION, Grade.HIGH_RISK, Grade.REJECTED)

#: The state a request moves to after a reply whose worst workbook has this grade.
STATE_AFTER_GRADE: dict[Grade, RequestState] = {
    Grade.ACCEPTED: RequestState.ACCEPTED,
    Grade.NEEDS_CLARIFICATION: RequestState.CLARIFICATION_REQUESTED,
    Grade.REJECTED: RequestState.CLARIFICATION_REQUESTED,
    Grade.HIGH_RISK: RequestState.ESCALATED,
}

#: After these the bot stops chasing the supplier: the request's next due date is cleared.
UNCHASED_AFTER_REVIEW: frozenset[RequestState] = frozenset({RequestState.ACCEPTED, RequestState.ESCALATED})


def worst_grade(grades: Iterable[Grade]) -> Grade | None:
    """The worst of ``grades`` (``GRADE_ORDER``), or None when there is none (no workbook could be read)."""
    found = list(grades)
    return max(found, key=GRADE_ORDER.index) if found else None


@dataclass(frozen=True)
class AfterReview:
    """Where a reviewed reply takes its request."""

    state: RequestState
    reason: str  # recorded with the transition
    stop_chasing: bool  # clear the next due date (accepted, escalated)
    escalate: bool  # the team must decide (a high-risk point)


def after_review(worst: Grade | None) -> AfterReview:
    """The move after a reply's workbooks were reviewed; ``worst`` None: nothing was readable, so the supplier is
    asked for a readable file."""
    if worst is None:
        return AfterReview(RequestState.CLARIFICATION_REQUESTED, "workbook unreadable", False, False)
    state = STATE_AFTER_GRADE[worst]
    return AfterReview(state, f"review grade {worst.value}", state in UNCHASED_AFTER_REVIEW, worst is Grade.HIGH_RISK)
