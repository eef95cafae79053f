"""The request life cycle: ``RequestState`` and the moves between states, named once for every package.

The life cycle is explicit: ``ALLOWED_TRANSITIONS`` lists every move, and ``check_transition`` refuses the rest
with ``InvalidTransition``. Staying in ``reminded`` (another reminder) and ``responded`` (another workbook) is
allowed; ``closed`` is final. The store keeps the state as its string value (``store.models.Request.state``); the
policy, the handlers and the commands import the enum and the state sets from here.
"""

from __future__ import annotations

from enum import StrEnum


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


RS = RequestState

ALLOWED_TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RS.NOT_SENT: frozenset({RS.SENT, RS.RESPONDED, RS.EXEMPT, RS.CLOSED}),
    RS.SENT: frozenset({RS.REMINDED, RS.RESPONDED, RS.ESCALATED, RS.EXEMPT, RS.CLOSED}),
    RS.REMINDED: frozenset({RS.REMINDED, RS.RESPONDED, RS.ESCALATED, RS.EXEMPT, RS.CLOSED}),
    RS.ESCALATED: frozenset({RS.REMINDED, RS.RESPONDED, RS.ACCEPTED, RS.EXEMPT, RS.CLOSED}),
    RS.RESPONDED: frozenset(
        {RS.RESPONDED, RS.ACCEPTED, RS.CLARIFICATION_REQUESTED, RS.ESCALATED, RS.EXEMPT, RS.CLOSED}
    ),
    RS.CLARIFICATION_REQUESTED: frozenset(
        {RS.CLARIFICATION_REQUESTED, RS.REMINDED, RS.RESPONDED, RS.ESCALATED, RS.ACCEPTED, RS.EXEMPT, RS.CLOSED}
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
    {RS.SENT, RS.REMINDED, RS.ESCALATED, RS.RESPONDED, RS.CLARIFICATION_REQUESTED, RS.ACCEPTED}
)
# The team has decided (accepted, closed, exempted): nothing more is expected from the supplier, nothing is overdue.
DECIDED_STATES: frozenset[RequestState] = frozenset({RS.ACCEPTED, RS.CLOSED, RS.EXEMPT})


class InvalidTransition(ValueError):
    """A request was asked to move to a state its current state does not allow."""

    def __init__(self, current: RequestState, target: RequestState) -> None:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "none (final state)"
        super().__init__(f"a request in state {current.value!r} cannot become {target.value!r} (allowed: {allowed})")
        self.current = current
        self.target = target


def check_transition(current: RequestState, target: RequestState) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(current, target)
