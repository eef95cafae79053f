"""The request life cycle: ``RequestState`` and the moves between states, named once for every package.

The life cycle is explicit: ``ALLOWED_TRANSITIONS`` lists every move, and ``check_transition`` refuses the rest
with ``InvalidTransition``. Staying in ``reminded`` (another reminder) and ``responded`` (another workbook) is
allowed; ``closed`` is final. A supplier's question (a reply without a workbook) moves a chased request to
``awaiting_team``: the bot stops chasing until the team answers it and says so, or resumes the reminders
(``resume_state`` says where it goes back to). *Accept* needs a reviewed workbook: ``check_transition`` refuses it
otherwise (``reviewed``), from any state. The store keeps the state as its string value
(``store.models.Request.state``); the policy, the handlers and the commands import the enum and the state sets
from here.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol


class RequestState(StrEnum):
    NOT_SENT = "not_sent"
    SENT = "sent"
    REMINDED = "reminded"
    RESPONDED = "responded"
    ACCEPTED = "accepted"
    CLARIFICATION_REQUESTED = "clarification_requested"
    ESCALATED = "escalated"
    EXEMPT = "exempt"
    CLOSED = "closed"
    AWAITING_TEAM = "awaiting_team"  # the supplier asked a question; the team answers before the bot chases again


RS = RequestState

ALLOWED_TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RS.NOT_SENT: frozenset({RS.SENT, RS.RESPONDED, RS.AWAITING_TEAM, RS.EXEMPT, RS.CLOSED}),
    RS.SENT: frozenset({RS.REMINDED, RS.RESPONDED, RS.ESCALATED, RS.AWAITING_TEAM, RS.EXEMPT, RS.CLOSED}),
    RS.REMINDED: frozenset({RS.REMINDED, RS.RESPONDED, RS.ESCALATED, RS.AWAITING_TEAM, RS.EXEMPT, RS.CLOSED}),
    RS.ESCALATED: frozenset({RS.REMINDED, RS.RESPONDED, RS.ACCEPTED, RS.AWAITING_TEAM, RS.EXEMPT, RS.CLOSED}),
    RS.RESPONDED: frozenset(
        {RS.RESPONDED, RS.ACCEPTED, RS.CLARIFICATION_REQUESTED, RS.ESCALATED, RS.EXEMPT, RS.CLOSED}
    ),
    RS.CLARIFICATION_REQUESTED: frozenset(
        {
            RS.CLARIFICATION_REQUESTED,
            RS.REMINDED,
            RS.RESPONDED,
            RS.ESCALATED,
            RS.ACCEPTED,
            RS.AWAITING_TEAM,
            RS.EXEMPT,
            RS.CLOSED,
        }
    ),
    # Resuming (the team answered, or pressed *Resume reminders*) goes back to the chased state the request had.
    RS.AWAITING_TEAM: frozenset(
        {
            RS.AWAITING_TEAM,
            RS.NOT_SENT,
            RS.SENT,
            RS.REMINDED,
            RS.ESCALATED,
            RS.CLARIFICATION_REQUESTED,
            RS.RESPONDED,
            RS.ACCEPTED,
            RS.EXEMPT,
            RS.CLOSED,
        }
    ),
    RS.ACCEPTED: frozenset({RS.RESPONDED, RS.CLOSED}),
    RS.EXEMPT: frozenset({RS.NOT_SENT, RS.CLOSED}),
    RS.CLOSED: frozenset(),
}

# Sent and not answered: the bot keeps chasing the supplier (reminders, due-date escalations).
CHASED_STATES: frozenset[RequestState] = frozenset({RS.SENT, RS.REMINDED, RS.ESCALATED})
# A response, a decision or an exemption: the bot leaves the supplier alone.
SETTLED_STATES: frozenset[RequestState] = frozenset({RS.RESPONDED, RS.ACCEPTED, RS.EXEMPT, RS.CLOSED})
# The request went out (or the supplier answered): every state but not_sent, exempt and closed (a request can be
# closed without ever being sent). The campaign figures (``cmrt.figures``) count "surveyed" with it.
CONTACTED_STATES: frozenset[RequestState] = frozenset(
    {RS.SENT, RS.REMINDED, RS.ESCALATED, RS.RESPONDED, RS.CLARIFICATION_REQUESTED, RS.ACCEPTED, RS.AWAITING_TEAM}
)
# The supplier asked a question: nothing goes to them until the team answers or resumes (the policy holds it).
WAITING_FOR_TEAM_STATES: frozenset[RequestState] = frozenset({RS.AWAITING_TEAM})
# The team has decided (accepted, closed, exempted): nothing more is expected from the supplier, nothing is overdue.
DECIDED_STATES: frozenset[RequestState] = frozenset({RS.ACCEPTED, RS.CLOSED, RS.EXEMPT})


class InvalidTransition(ValueError):
    """A request was asked to move to a state its current state does not allow."""

    def __init__(self, current: RequestState, target: RequestState, why: str | None = None) -> None:
        if why is None:
            allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "none (final state)"
            why = f"allowed: {allowed}"
        super().__init__(f"a request in state {current.value!r} cannot become {target.value!r} ({why})")
        self.current = current
        self.target = target
        self.why = why


NO_REVIEW = "no returned workbook was reviewed"


def check_transition(current: RequestState, target: RequestState, *, reviewed: bool = False) -> None:
    """Refuse a move ``ALLOWED_TRANSITIONS`` does not list, and *accept* unless a returned workbook was reviewed
    (``reviewed``: the request has a review; ``store.requests.transition`` looks it up)."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    if target == RS.ACCEPTED and current != RS.ACCEPTED and not reviewed:
        raise InvalidTransition(current, target, NO_REVIEW)


class ResumeFacts(Protocol):
    """What ``resume_state`` looks at (a store ``Request`` or the policy's ``RequestView``)."""

    @property
    def sent_at(self) -> dt.datetime | None: ...
    @property
    def reminder_count(self) -> int: ...
    @property
    def responded_at(self) -> dt.datetime | None: ...
    @property
    def clarification_requested_at(self) -> dt.datetime | None: ...
    @property
    def escalated_at(self) -> dt.datetime | None: ...


def resume_state(request: ResumeFacts) -> RequestState:
    """Where a request waiting for the team goes back to when the chasing resumes: clarification requested (a
    workbook came and a correction was asked), escalated, reminded, sent, or not sent (the supplier wrote before
    the request went out: it goes out then)."""
    if request.sent_at is None:
        return RS.NOT_SENT
    if request.clarification_requested_at is not None and request.responded_at is not None:
        return RS.CLARIFICATION_REQUESTED
    if request.escalated_at is not None:
        return RS.ESCALATED
    if request.reminder_count > 0:
        return RS.REMINDED
    return RS.SENT
