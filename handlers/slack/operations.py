"""What the team's buttons and commands do to a supplier request; each step audited with the Slack user id.

Every function returns an ``Outcome`` whose ``text`` is safe mrkdwn for the acting user. State changes follow
``cmrt.outreach.states.ALLOWED_TRANSITIONS``; a refused move is explained, never raised. E-mail goes through the
``Outreach`` (the mail loop's outbox), which is idempotent per request and step and, once the e-mail is recorded,
moves the request to reminded / clarification requested and posts the thread update itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cmrt.outreach.states import (
    CHASED_STATES,
    NO_REVIEW,
    InvalidTransition,
    RequestState,
    check_transition,
    resume_state,
)
from handlers.slack.deps import ChatOps
from handlers.slack.guard import audit
from handlers.slack.notifier import SlackNotifier
from handlers.slack.text import code, esc
from store import requests
from store import suppliers as supplier_repo
from store.models import Request

log = logging.getLogger("cmbot.slack.ops")

REMINDABLE = CHASED_STATES | {RequestState.CLARIFICATION_REQUESTED}
CLARIFIABLE = frozenset({RequestState.RESPONDED, RequestState.CLARIFICATION_REQUESTED, RequestState.ESCALATED})
FINAL = frozenset({RequestState.CLOSED})


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str
    request_id: int | None = None


def _announce(ops: ChatOps, request_id: int, mrkdwn: str, plain: str) -> None:
    """A threaded update for the team: mrkdwn (with the actor's mention) when the notifier is Slack's."""
    if isinstance(ops.notifier, SlackNotifier):
        ops.notifier.note(request_id, mrkdwn)
    else:
        ops.notifier.team_alert(plain, request_id=request_id)


def _name(request: Request) -> str:
    return f"*{esc(request.supplier.name)}* ({esc(request.supplier.external_id)})"


GONE = Outcome(False, "That supplier request no longer exists.")


def _named(session: Session, request_id: int) -> tuple[Request, str, RequestState] | None:
    """The request, its supplier's display name and its state; None when the request is gone."""
    request = session.get(Request, request_id)
    if request is None:
        return None
    return request, _name(request), RequestState(request.state)


def _in_state(
    session: Session, request_id: int, allowed: Collection[RequestState], refusal: str, *, tag: bool = True
) -> tuple[Request, str, RequestState] | Outcome:
    """The request, its name and state when its state is ``allowed``; else the Outcome that says why not (``tag``:
    the refusal names the request)."""
    found = _named(session, request_id)
    if found is None:
        return GONE
    _, name, state = found
    if state not in allowed:
        return Outcome(False, f"{name} is {_state_text(state)}; {refusal}", request_id if tag else None)
    return found


def _quoted(text: str) -> str:
    """Text as a mrkdwn block quote, each line escaped."""
    return "\n".join(f">{esc(line, empty='')}" for line in text.splitlines())


def _state_text(state: RequestState) -> str:
    return state.value.replace("_", " ")


def remind(ops: ChatOps, request_id: int, actor: str) -> Outcome:
    now = ops.clock()
    with ops.db.session() as session:
        found = _in_state(session, request_id, REMINDABLE, "there is nothing to remind them of.")
        if isinstance(found, Outcome):
            return found
        request, name, state = found
        last = request.last_reminder_at or request.sent_at
        if request.last_reminder_at is not None and now - request.last_reminder_at < ops.min_manual_reminder_gap:
            when = request.last_reminder_at.strftime("%Y-%m-%d %H:%M UTC")
            return Outcome(False, f"{name} was already reminded at {when}; not sending another one yet.", request_id)
        audit(
            session,
            actor=actor,
            action="slack_reminder_requested",
            request_id=request_id,
            details={"state": state.value, "last": last.isoformat() if last else None},
            at=now,
        )
    result = ops.outreach.send_reminder(request_id, actor=actor)
    if not result.queued:
        return Outcome(False, f"No reminder sent to {name}: {esc(result.detail)}", request_id)
    return Outcome(True, f"Reminder to {name} is on its way.", request_id)


def clarify(ops: ChatOps, request_id: int, body: str, actor: str) -> Outcome:
    now = ops.clock()
    body = body.strip()
    with ops.db.session() as session:
        found = _in_state(session, request_id, CLARIFIABLE, "a clarification needs a returned workbook.", tag=False)
        if isinstance(found, Outcome):
            return found
        name = found[1]
        if not body:
            return Outcome(False, "The clarification e-mail is empty; nothing was sent.", request_id)
        audit(
            session,
            actor=actor,
            action="slack_clarification_requested",
            request_id=request_id,
            details={"chars": len(body)},
            at=now,
        )
    result = ops.outreach.send_clarification(request_id, body=body, actor=actor)
    if not result.queued:
        return Outcome(False, f"No clarification sent to {name}: {esc(result.detail)}", request_id)
    return Outcome(True, f"Clarification request to {name} is on its way.", request_id)


def _transition(ops: ChatOps, request_id: int, actor: str, target: RequestState, reason: str | None) -> Outcome:
    now = ops.clock()
    with ops.db.session() as session:
        found = _named(session, request_id)
        if found is None:
            return GONE
        request, name, state = found
        supplier = request.supplier.name
        if state == target:
            return Outcome(True, f"{name} is already {_state_text(target)}.", request_id)
        try:
            check_transition(state, target, reviewed=requests.has_review(session, request_id))
        except InvalidTransition as refused:
            why = " (no returned workbook was reviewed)" if refused.why == NO_REVIEW else ""
            return Outcome(
                False, f"{name} is {_state_text(state)} and cannot be marked {_state_text(target)}{why}.", request_id
            )
        requests.transition(session, request, target, actor=actor, now=now, reason=reason)
        request.next_due_at = None
    note = f" Reason: {esc(reason)}" if reason else ""
    who = f"<@{actor}>"
    _announce(
        ops,
        request_id,
        f"{name} marked *{_state_text(target)}* by {who}.{note}",
        f"{supplier} marked {_state_text(target)} by {actor}." + (f" Reason: {reason}" if reason else ""),
    )
    return Outcome(True, f"{name} is now {_state_text(target)}.{note}", request_id)


def accept(ops: ChatOps, request_id: int, actor: str, reason: str | None) -> Outcome:
    """*Accept*: refused without a reason (the reason is audited and shown in the thread); the supplier is e-mailed
    that nothing more is due (``[outreach] notify_on_accept``, when the outreach offers ``send_acceptance``)."""
    reason = (reason or "").strip()
    if not reason:
        return Outcome(False, "Accepting needs a reason; nothing was changed.", request_id)
    outcome = _transition(ops, request_id, actor, RequestState.ACCEPTED, reason)
    send = getattr(ops.outreach, "send_acceptance", None)
    if outcome.ok and send is not None and "already" not in outcome.text:
        result = send(request_id, actor=actor)
        if result.queued:
            return Outcome(True, f"{outcome.text} The supplier is told by e-mail.", request_id)
    return outcome


def exempt(ops: ChatOps, request_id: int, actor: str, reason: str | None) -> Outcome:
    """*Mark exempt*: refused without a reason (the reason is audited and shown in the thread)."""
    reason = (reason or "").strip()
    if not reason:
        return Outcome(False, "Marking exempt needs a reason; nothing was changed.", request_id)
    return _transition(ops, request_id, actor, RequestState.EXEMPT, reason)


def send_now(ops: ChatOps, request_id: int, actor: str) -> Outcome:
    """*Send now*: the initial request goes out at once (instead of with the next batch)."""
    with ops.db.session() as session:
        found = _named(session, request_id)
        if found is None:
            return GONE
        _, name, state = found
        if state != RequestState.NOT_SENT:
            return Outcome(False, f"{name} is {_state_text(state)}; the request went out already.", request_id)
        audit(session, actor=actor, action="slack_send_now", request_id=request_id, details={}, at=ops.clock())
    result = ops.outreach.send_request(request_id, actor=actor)
    if not result.queued:
        return Outcome(False, f"No request sent to {name}: {esc(result.detail)}", request_id)
    return Outcome(True, f"The request to {name} is on its way.", request_id)


def resume(ops: ChatOps, request_id: int, actor: str, *, answered: bool = False) -> Outcome:
    """*Resume reminders*: a request waiting for the team goes back to the chased state it had."""
    now = ops.clock()
    with ops.db.session() as session:
        found = _in_state(session, request_id, {RequestState.AWAITING_TEAM}, "there is no question waiting.")
        if isinstance(found, Outcome):
            return found
        request, name, _ = found
        supplier = request.supplier.name
        target = resume_state(request)
        requests.transition(session, request, target, actor=actor, now=now, details={"answered": answered})
        request.next_due_at = now  # the scheduler plans what is due again
    _announce(
        ops, request_id, f":arrow_forward: Reminders for {name} resumed by <@{actor}>.",
        f"Reminders for {supplier} resumed by {actor}.",
    )  # fmt: skip
    return Outcome(True, f"Reminders for {name} are resumed ({_state_text(target)}).", request_id)


def answer(ops: ChatOps, request_id: int, body: str, actor: str, *, resume_after: bool = False) -> Outcome:
    """*Reply*: the team's words go to the supplier by e-mail in the question's thread; the request keeps waiting
    for the team unless ``resume_after`` (the team said the chasing goes on)."""
    now = ops.clock()
    body = body.strip()
    with ops.db.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, supplier = _name(request), request.supplier.name
        if not body:
            return Outcome(False, "The answer is empty; nothing was sent.", request_id)
        audit(session, actor=actor, action="slack_answer_requested", request_id=request_id,
              details={"chars": len(body), "resume": resume_after}, at=now)  # fmt: skip
    result = ops.outreach.send_answer(request_id, body=body, actor=actor)
    if not result.queued:
        return Outcome(False, f"No answer sent to {name}: {esc(result.detail)}", request_id)
    _announce(
        ops, request_id, f":outbox_tray: Answer to the question sent by <@{actor}>.\n{_quoted(body[:1000])}",
        f"Answer to {supplier}'s question sent by {actor}.",
    )  # fmt: skip
    if resume_after:
        resumed = resume(ops, request_id, actor, answered=True)
        return Outcome(True, f"Answer to {name} is on its way. {resumed.text}", request_id)
    return Outcome(True, f"Answer to {name} is on its way; reminders stay paused until you resume them.", request_id)


def change_address(ops: ChatOps, request_id: int, actor: str, address: str) -> Outcome:
    """*Change address*: the bouncing contact's address is replaced (the contact is active again)."""
    now = ops.clock()
    address = address.strip().lower()
    if "@" not in address or any(c.isspace() for c in address) or len(address) > 254:
        return Outcome(False, "That is not an e-mail address; nothing was changed.", request_id)
    with ops.db.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, supplier = _name(request), request.supplier.name
        contact = supplier_repo.primary_contact(request.supplier)
        if contact is None:
            return Outcome(False, f"{name} has no contact to change.", request_id)
        previous = contact.email
        # the new address replaces the one requests went to; the supplier's other addressed contacts stay; the old
        # contact is kept inactive (its replies still match), and e-mails refused for it are sent again
        others = [c.email for c in supplier_repo.active_contacts(request.supplier) if not c.cc and c is not contact]
        supplier_repo.change_contacts(session, request.supplier, [address, *[o for o in others if o != address]],
                                      actor=actor)  # fmt: skip
        request.next_due_at = now
        audit(session, actor=actor, action="slack_address_changed", request_id=request_id,
              details={"contact_id": contact.id}, at=now)  # fmt: skip
    _announce(
        ops, request_id, f":email: Address of {name} changed by <@{actor}> (was `{code(previous)}`).",
        f"Address of {supplier} changed by {actor}.",
    )  # fmt: skip
    return Outcome(True, f"{name} now gets e-mail at `{code(address)}`.", request_id)


def snooze(ops: ChatOps, request_id: int, actor: str, days: int) -> Outcome:
    if days not in ops.snooze_choices:
        return Outcome(False, f"Snooze for {days} days is not offered.")
    now = ops.clock()
    until = now + dt.timedelta(days=days)
    with ops.db.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, supplier = _name(request), request.supplier.name
        if RequestState(request.state) in FINAL:
            return Outcome(False, f"{name} is closed; there is nothing to snooze.", request_id)
        request.snoozed_until = until
        audit(session, actor=actor, action="slack_snoozed", request_id=request_id, details={"days": days}, at=now)
    day = until.strftime("%Y-%m-%d")
    _announce(
        ops, request_id, f"{name} snoozed until {day} by <@{actor}>.", f"{supplier} snoozed until {day} by {actor}."
    )
    return Outcome(True, f"{name} is snoozed until {day}: no reminders or escalations before then.", request_id)


def assign(ops: ChatOps, request_id: int, actor: str) -> Outcome:
    now = ops.clock()
    with ops.db.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, previous, supplier = _name(request), request.assignee, request.supplier.name
        if previous == actor:
            return Outcome(True, f"{name} is already assigned to you.", request_id)
        request.assignee = actor
        audit(
            session,
            actor=actor,
            action="slack_assigned",
            request_id=request_id,
            details={"assignee": actor, "previous": previous},
            at=now,
        )
    _announce(ops, request_id, f"{name} assigned to <@{actor}>.", f"{supplier} assigned to {actor}.")
    return Outcome(True, f"{name} is now assigned to you.", request_id)
