"""What the team's buttons and commands do to a supplier request; each step audited with the Slack user id.

Every function returns an ``Outcome`` whose ``text`` is safe mrkdwn for the acting user. State changes follow
``cmrt.outreach.states.ALLOWED_TRANSITIONS``; a refused move is explained, never raised. E-mail goes through the
``Outreach`` (the mail loop's outbox), which is idempotent per request and step and, once the e-mail is recorded,
moves the request to reminded / clarification requested and posts the thread update itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from cmrt.outreach.states import CHASED_STATES, InvalidTransition, RequestState, check_transition
from handlers.slack.deps import ChatOps
from handlers.slack.guard import audit
from handlers.slack.notifier import SlackNotifier
from handlers.slack.text import esc
from store import requests
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


def _state_text(state: RequestState) -> str:
    return state.value.replace("_", " ")


def remind(ops: ChatOps, request_id: int, actor: str) -> Outcome:
    now = ops.clock()
    with ops.db.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, state = _name(request), RequestState(request.state)
        if state not in REMINDABLE:
            return Outcome(False, f"{name} is {_state_text(state)}; there is nothing to remind them of.", request_id)
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
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, state = _name(request), RequestState(request.state)
        if state not in CLARIFIABLE:
            return Outcome(False, f"{name} is {_state_text(state)}; a clarification needs a returned workbook.")
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
        request = session.get(Request, request_id)
        if request is None:
            return Outcome(False, "That supplier request no longer exists.")
        name, state, supplier = _name(request), RequestState(request.state), request.supplier.name
        if state == target:
            return Outcome(True, f"{name} is already {_state_text(target)}.", request_id)
        try:
            check_transition(state, target)
        except InvalidTransition:
            return Outcome(False, f"{name} is {_state_text(state)} and cannot be marked {_state_text(target)}.")
        requests.transition(session, request, target, actor=actor, now=now, reason=reason)
        request.next_due_at = None
    note = f" Exception: {esc(reason)}" if reason else ""
    who = f"<@{actor}>"
    _announce(
        ops,
        request_id,
        f"{name} marked *{_state_text(target)}* by {who}.{note}",
        f"{supplier} marked {_state_text(target)} by {actor}." + (f" Exception: {reason}" if reason else ""),
    )
    return Outcome(True, f"{name} is now {_state_text(target)}.{note}", request_id)


def accept(ops: ChatOps, request_id: int, actor: str, reason: str | None = None) -> Outcome:
    return _transition(ops, request_id, actor, RequestState.ACCEPTED, (reason or "").strip() or None)


def exempt(ops: ChatOps, request_id: int, actor: str, reason: str | None = None) -> Outcome:
    return _transition(ops, request_id, actor, RequestState.EXEMPT, (reason or "").strip() or None)


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
