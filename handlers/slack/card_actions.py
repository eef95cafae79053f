"""Which buttons a supplier card offers: one table from the request's situation to its actions.

A card shows what makes sense now, nothing else: *Accept* only once a returned workbook was reviewed, *Reply* only
when the supplier asked a question, *Change address* when the address bounces. ``situation`` reads the request
(state, review, bouncing contact) into a ``Situation``; ``CARD_ACTIONS`` says what each one offers; ``BUTTONS``
how each action looks (label, action id, style, and the Block Kit ``confirm`` dialog where a press cannot be taken
back). ``tests/unit/slack/test_card_actions.py`` covers every request state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cmrt.outreach.states import RequestState

RS = RequestState


class Situation(StrEnum):
    NOT_SENT = "not_sent"  # the request has not gone out
    WAITING = "waiting"  # sent, no workbook yet (also: a correction was asked and nothing came back)
    RECEIVED = "received"  # a reply with a workbook that has no review (yet)
    REVIEWED = "reviewed"  # a reviewed workbook with findings: the team decides
    REVIEWED_CLEAN = "reviewed_clean"  # a reviewed workbook without findings
    CORRECTING = "correcting"  # reviewed, a correction was asked: waiting for the corrected workbook
    QUESTION = "question"  # the supplier asked a question (state awaiting_team)
    BOUNCED = "bounced"  # the address requests go to bounces
    DECIDED = "decided"  # accepted, exempt or closed: nothing to do


class CardAction(StrEnum):
    SEND_NOW = "send_now"
    EXEMPT = "exempt"
    REMIND = "remind"
    SNOOZE = "snooze"
    ACCEPT = "accept"
    CLARIFY = "clarify"
    FINDINGS = "findings"
    REPLY = "reply"
    RESUME = "resume"
    CHANGE_ADDRESS = "change_address"
    ASSIGN = "assign"


A = CardAction

#: The one table: what a supplier card offers in each situation (in this order).
CARD_ACTIONS: dict[Situation, tuple[CardAction, ...]] = {
    Situation.NOT_SENT: (A.SEND_NOW, A.EXEMPT),
    Situation.WAITING: (A.REMIND, A.SNOOZE, A.EXEMPT, A.ASSIGN),
    Situation.RECEIVED: (A.CLARIFY, A.EXEMPT, A.ASSIGN),
    Situation.REVIEWED: (A.ACCEPT, A.CLARIFY, A.FINDINGS, A.ASSIGN),
    Situation.REVIEWED_CLEAN: (A.ACCEPT, A.ASSIGN),
    Situation.CORRECTING: (A.REMIND, A.SNOOZE, A.ACCEPT, A.FINDINGS, A.ASSIGN),
    Situation.QUESTION: (A.REPLY, A.RESUME, A.ASSIGN),
    Situation.BOUNCED: (A.CHANGE_ADDRESS, A.EXEMPT),
    Situation.DECIDED: (),
}

DECIDED = frozenset({RS.ACCEPTED, RS.EXEMPT, RS.CLOSED})
#: States in which a bouncing address is what blocks the request (nothing came back yet).
BOUNCE_BLOCKS = frozenset({RS.NOT_SENT, RS.SENT, RS.REMINDED, RS.ESCALATED})


def situation(state: RequestState, *, reviewed: bool, findings: bool, bouncing: bool) -> Situation:
    """The card's situation: ``reviewed`` (a returned workbook was reviewed), ``findings`` (its latest review has
    findings), ``bouncing`` (the contact's address bounces)."""
    if state in DECIDED:
        return Situation.DECIDED
    if state == RS.AWAITING_TEAM:
        return Situation.QUESTION
    if bouncing and state in BOUNCE_BLOCKS and not reviewed:
        return Situation.BOUNCED
    if state == RS.NOT_SENT:
        return Situation.NOT_SENT
    if state == RS.CLARIFICATION_REQUESTED:
        return Situation.CORRECTING if reviewed else Situation.WAITING
    if state == RS.RESPONDED or (state == RS.ESCALATED and reviewed):
        if not reviewed:
            return Situation.RECEIVED
        return Situation.REVIEWED if findings else Situation.REVIEWED_CLEAN
    return Situation.WAITING  # sent, reminded, escalated for silence


@dataclass(frozen=True)
class Confirm:
    """A Block Kit ``confirm`` dialog (title ≤ 100, text ≤ 300, buttons ≤ 30 characters)."""

    title: str
    text: str
    confirm: str
    deny: str = "Cancel"
    danger: bool = False


@dataclass(frozen=True)
class ButtonSpec:
    label: str
    action_id: str
    style: str | None = None
    confirm: Confirm | None = None


A_SEND_NOW = "cmrt_send_now"
A_REMIND = "cmrt_remind"
A_CLARIFY = "cmrt_clarify"
A_ACCEPT = "cmrt_accept"
A_SNOOZE = "cmrt_snooze"
A_EXEMPT = "cmrt_exempt"
A_ASSIGN = "cmrt_assign"
A_FINDINGS = "cmrt_findings"
A_REPLY = "cmrt_reply"
A_RESUME = "cmrt_resume"
A_CHANGE_ADDRESS = "cmrt_change_address"

BUTTONS: dict[CardAction, ButtonSpec] = {
    A.SEND_NOW: ButtonSpec(
        "Send now", A_SEND_NOW, "primary",
        Confirm("Send the request now?", "The request e-mail goes to the supplier's contact now.", "Send"),
    ),
    A.EXEMPT: ButtonSpec(
        "Mark exempt", A_EXEMPT, "danger",
        Confirm("Mark this supplier exempt?", "The bot stops asking this supplier. You give the reason next; it is "
                "kept in the audit log and shown in the thread.", "Continue", danger=True),
    ),
    A.REMIND: ButtonSpec("Send reminder now", A_REMIND, "primary"),
    A.SNOOZE: ButtonSpec("Snooze…", A_SNOOZE),
    A.ACCEPT: ButtonSpec(
        "Accept", A_ACCEPT, "primary",
        Confirm("Accept this declaration?", "Accepting ends the chasing for this supplier. You give the reason "
                "next; it is kept in the audit log and shown in the thread.", "Continue"),
    ),
    A.CLARIFY: ButtonSpec("Ask for correction", A_CLARIFY),
    A.FINDINGS: ButtonSpec("All findings", A_FINDINGS),
    A.REPLY: ButtonSpec("Reply", A_REPLY, "primary"),
    A.RESUME: ButtonSpec(
        "Resume reminders", A_RESUME, None,
        Confirm("Resume the reminders?", "The bot goes back to chasing this supplier without answering the "
                "question.", "Resume"),
    ),
    A.CHANGE_ADDRESS: ButtonSpec("Change address", A_CHANGE_ADDRESS, "primary"),
    A.ASSIGN: ButtonSpec("Assign to me", A_ASSIGN),
}  # fmt: skip
