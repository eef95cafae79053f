"""Enumerations stored in the database and the request state machine.

The request life cycle (``RequestState``) is explicit: ``ALLOWED_TRANSITIONS`` lists every move, and
``check_transition`` refuses the rest with ``InvalidTransition``. Staying in ``reminded`` (another reminder) and
``responded`` (another workbook) is allowed; ``closed`` is final.
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"


class ContactState(StrEnum):
    ACTIVE = "active"
    BOUNCING = "bouncing"  # a delivery failed; the team is told and may fix the address
    INACTIVE = "inactive"  # removed by an operator or replaced by a newer import


class CampaignState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


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

# States in which the bot keeps chasing the supplier (reminders, escalation).
AWAITING_SUPPLIER: frozenset[RequestState] = frozenset({RS.SENT, RS.REMINDED, RS.ESCALATED})
# States that count as "the supplier answered" for the response rate.
ANSWERED: frozenset[RequestState] = frozenset({RS.RESPONDED, RS.ACCEPTED, RS.CLARIFICATION_REQUESTED})


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


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MessageState(StrEnum):
    RECEIVED = "received"  # stored raw, not yet handled
    PROCESSED = "processed"
    QUARANTINED = "quarantined"  # could not be handled; kept for a person to look at
    SENT = "sent"  # outbound, handed to the SMTP server


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED_TEMPORARY = "failed_temporary"
    FAILED_PERMANENT = "failed_permanent"
    UNCERTAIN = "uncertain"  # the bot stopped during SMTP DATA: not resent automatically, a person decides


class OutboxKind(StrEnum):
    REQUEST = "request"
    REMINDER = "reminder"
    CLARIFICATION = "clarification"
    ACKNOWLEDGMENT = "acknowledgment"
    FOLLOW_UP = "follow_up"
    OTHER = "other"


class SmelterListKind(StrEnum):
    CONFORMANT = "conformant"
    ACTIVE = "active"
    REFERENCE = "reference"
    REVISIONS = "revisions"
