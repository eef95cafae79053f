"""The outreach policy: given a campaign, its requests, the rules and ``now``, what is due and why.

A pure function. The scheduler tick loads the state, calls :func:`plan`, records each action's key and executes
it; ``cmrt-bot plan`` prints the same result. Rules, in order of precedence:

* A settled request (responded, accepted, exempt, closed) gets nothing. A response stops the chasing, also when
  the request was escalated afterwards (a high-risk review): the team decides then, not the cadence.
* A request waiting for the team (``awaiting_team``: the supplier asked a question) gets nothing either: what would
  be due for it (reminders, escalations, follow-ups of the state it goes back to) is *held*, with the reason, until
  the team answers it and resumes the chasing.
* A snoozed request gets nothing until ``snoozed_until``; what fell due meanwhile is held, then runs once.
* ``not_sent`` requests of an active campaign get the initial request, in batches (``batch_size`` e-mails per
  tick) under an hourly cap (``max_emails_per_hour``); follow-ups and reminders go before new requests.
* Reminder *n* is due ``reminder_cadence[n-1]`` after the request. A late reminder (the bot was down) keeps the
  cadence's spacing to the next one, so two reminders never go out back to back.
* Escalations (to the team, never to the supplier), each at most once per request: after
  ``escalate_after_reminders`` reminders plus ``escalate_grace``; ``escalate_days_before_due`` days before the
  due date; at the due date. When several fall due together only the most severe is sent and it records the
  others as done.
* A campaign asking for several templates (``CMRT,EMRT``) chases a partly returned request for the templates still
  missing (``cmrt.outreach.families``): whatever its state says of what came back (accepted, under clarification,
  escalated after the review), reminder *n* and the escalations fall due as for a silent supplier, and their
  reasons say what is awaited ("waiting for EMRT"). Only exempt and closed requests (and a question, a snooze) stop
  that.
* A clarification request is followed up ``clarification_followup`` after it was sent, then escalated after
  the last follow-up plus ``escalate_grace``. A corrected workbook (state ``responded``) ends it.
* The digest goes to the team daily (business days) or weekly at ``digest_time`` local time; a missed one is
  sent once, late, never several.
* Nothing is due outside business days or inside quiet hours (in the configured time zone): it is *held*, with
  the time it will run.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import replace

import cmrt.outreach.keys as keys
from cmrt.outreach.calendar import UTC, WorkingCalendar, require_aware
from cmrt.outreach.config import DigestFrequency, OutreachConfig
from cmrt.outreach.families import still_missing, waiting_for
from cmrt.outreach.model import Action, ActionKind, CampaignView, EscalationTrigger, Held, Plan, RequestView
from cmrt.outreach.states import CHASED_STATES, SETTLED_STATES, RequestState, resume_state

AWAITING_TEAM_REASON = "the supplier asked a question; waiting for the team to answer it or resume the reminders"

# Lower runs first when the e-mail budget is short.
_EMAIL_PRIORITY = {ActionKind.CLARIFICATION_FOLLOWUP: 0, ActionKind.REMINDER: 1, ActionKind.INITIAL_REQUEST: 2}
_TRIGGER_VALUES = {trigger: trigger.value for trigger in EscalationTrigger}  # the enum's .value is slow per call
_SEVERITY = {
    EscalationTrigger.DUE_DATE: 3,
    EscalationTrigger.BEFORE_DUE: 2,
    EscalationTrigger.AFTER_REMINDERS: 1,
    EscalationTrigger.CLARIFICATION_UNANSWERED: 1,
}


@functools.lru_cache(maxsize=256)
def _days(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        n = seconds // 86400
        return f"{n} day{'s' if n != 1 else ''}"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


class _Ctx:
    def __init__(self, campaign: CampaignView, config: OutreachConfig, now: dt.datetime) -> None:
        self.campaign = campaign
        self.config = config
        self.now = now
        self.cal = WorkingCalendar(config.schedule)
        # the due-date escalations are the same instants for every request: compute them once
        self.due_start: dt.datetime | None = None
        self.warn_at: dt.datetime | None = None
        due_date = campaign.due_date
        if due_date is not None:
            self.due_start = self.cal.start_of_day(due_date)
            if config.escalate_days_before_due > 0:
                self.warn_at = self.cal.start_of_day(due_date - dt.timedelta(days=config.escalate_days_before_due))
            self.warn_reason = (
                f"no response and the due date {due_date.isoformat()} is {config.escalate_days_before_due} day(s) away"
            )
            self.due_reason = f"the due date {due_date.isoformat()} has arrived without a response"
            # the same for a partly returned request (``cmrt.outreach.families``): "...; waiting for EMRT"
            self.warn_partial = f"the due date {due_date.isoformat()} is {config.escalate_days_before_due} day(s) away"
            self.due_partial = f"the due date {due_date.isoformat()} has arrived"
        self._texts: dict[dt.datetime, str] = {}  # requests sent in one batch share their instants: format each once

    def fmt(self, instant: dt.datetime) -> str:
        text = self._texts.get(instant)
        if text is None:
            local = self.cal.local(instant)
            text = self._texts[instant] = f"{local:%Y-%m-%d %H:%M} {self.config.schedule.timezone}"
        return text


def plan(
    campaign: CampaignView,
    requests: Iterable[RequestView],
    config: OutreachConfig,
    now: dt.datetime,
    *,
    recent_emails: int = 0,
) -> Plan:
    """Every action due at ``now`` for one campaign, with a reason each; plus what is due but held.

    ``recent_emails`` is the number of e-mails the bot sent in the hour before ``now`` (for the hourly cap).
    """
    now = require_aware(now).astimezone(UTC)
    if not campaign.active:
        return Plan(now=now, actions=())
    ctx = _Ctx(campaign, config, now)
    open_now = ctx.cal.is_open(now)
    reopen = None if open_now else ctx.cal.next_open(now)
    closed_reason = "" if open_now else ctx.cal.describe_closed(now)

    due: list[Action] = []
    held: list[Held] = []
    future: list[dt.datetime] = []

    def place(action: Action, snoozed_until: dt.datetime | None) -> dt.datetime:
        """File the action as due, held or future; returns when the scheduler should look at it."""
        if snoozed_until is not None and snoozed_until > now:
            if action.due_at <= now:
                held.append(_held(action, snoozed_until, f"snoozed until {ctx.fmt(snoozed_until)}"))
                return snoozed_until
            future.append(max(action.due_at, snoozed_until))
            return future[-1]
        if action.due_at > now:
            future.append(action.due_at)
        elif not open_now:
            held.append(_held(action, reopen, f"{closed_reason}; runs at {ctx.fmt(reopen)}" if reopen else ""))
            return reopen or action.due_at
        else:
            due.append(action)
        return action.due_at

    next_by_request: dict[int, dt.datetime | None] = {}
    for req in requests:
        if req.state == RequestState.AWAITING_TEAM:
            held.extend(_held(a, None, AWAITING_TEAM_REASON) for a in _awaiting_team(ctx, req))
            next_by_request[req.id] = None  # nothing until the team resumes (which sets the request due again)
            continue
        nearest: dt.datetime | None = None
        for action in _request_actions(ctx, req):
            at = place(action, req.snoozed_until)
            nearest = at if nearest is None or at < nearest else nearest
        next_by_request[req.id] = nearest
    digest = _digest_action(ctx)
    if digest is not None:
        place(digest, None)

    actions, over = _apply_email_budget(due, config, recent_emails)
    held.extend(over)
    next_at = ctx.cal.next_open(min(future)) if future else None
    return Plan(now=now, actions=tuple(actions), held=tuple(held), next_at=next_at, next_by_request=next_by_request)


def _held(action: Action, not_before: dt.datetime | None, reason: str) -> Held:
    return Held(
        kind=action.kind,
        key=action.key,
        request_id=action.request_id,
        supplier=action.supplier,
        due_at=action.due_at,
        not_before=not_before,
        reason=f"{action.reason} (held: {reason})",
    )


def _apply_email_budget(
    due: list[Action], config: OutreachConfig, recent_emails: int
) -> tuple[list[Action], list[Held]]:
    budget = max(config.batch_size, 0)
    limit_reason = f"batch of {config.batch_size} e-mails per tick is full"
    if config.max_emails_per_hour > 0:
        left = max(config.max_emails_per_hour - recent_emails, 0)
        if left < budget:
            budget = left
            limit_reason = f"hourly limit of {config.max_emails_per_hour} e-mails reached"
    emails = sorted(
        (a for a in due if a.kind.sends_email),
        key=lambda a: (_EMAIL_PRIORITY[a.kind], a.due_at, a.request_id or 0),
    )
    others = [a for a in due if not a.kind.sends_email]
    others.sort(key=lambda a: (a.kind != ActionKind.ESCALATION, a.due_at, a.request_id or 0))
    held = [_held(a, None, f"{limit_reason}; goes in a later tick") for a in emails[budget:]]
    return others + emails[:budget], held


def _request_actions(ctx: _Ctx, req: RequestView) -> list[Action]:
    if req.returned:
        missing = still_missing(ctx.campaign.families, req.returned)
        if missing:
            return _missing_family_actions(ctx, req, missing)
    if req.state in SETTLED_STATES:
        return []
    if req.state == RequestState.NOT_SENT:
        key = keys.initial_request(ctx.campaign.id, req.id)
        if key in req.done_keys:
            return []
        return [
            Action(
                kind=ActionKind.INITIAL_REQUEST,
                key=key,
                campaign_id=ctx.campaign.id,
                request_id=req.id,
                supplier=req.supplier,
                due_at=ctx.campaign.starts_at or ctx.now,
                reason=f"campaign {ctx.campaign.year} is open and the request has not been sent",
            )
        ]
    if req.state == RequestState.CLARIFICATION_REQUESTED:
        return _clarification_actions(ctx, req)
    if req.state in CHASED_STATES and req.sent_at is not None:
        if req.responded_at is not None and req.responded_at >= req.sent_at:
            return []  # answered (escalated after a high-risk review, say): the team decides, the bot does not chase
        actions = []
        reminder = _reminder_action(ctx, req)
        if reminder is not None:
            actions.append(reminder)
        actions.extend(_escalations(ctx, req))
        return actions
    return []


def _missing_family_actions(ctx: _Ctx, req: RequestView, missing: tuple[str, ...]) -> list[Action]:
    """A partly returned request: what its state asks for (a clarification round's follow-ups), then the reminder
    and the escalations for the templates still missing, on the request's own cadence."""
    if req.state in (RequestState.EXEMPT, RequestState.CLOSED) or req.sent_at is None:
        return []
    actions = _clarification_actions(ctx, req) if req.state == RequestState.CLARIFICATION_REQUESTED else []
    waiting = waiting_for(missing)
    reminder = _reminder_action(ctx, req, waiting)
    if reminder is not None:
        actions.append(reminder)
    actions.extend(_escalations(ctx, req, waiting))
    return actions


def _awaiting_team(ctx: _Ctx, req: RequestView) -> list[Action]:
    """What the request would get if it were chased again (the state it goes back to): shown as held."""
    back = replace(req, state=resume_state(req))
    return _request_actions(ctx, back)


def _reminder_action(ctx: _Ctx, req: RequestView, waiting: str = "") -> Action | None:
    cadence = ctx.config.reminder_cadence
    n = req.reminder_count + 1
    if req.sent_at is None or n > len(cadence):
        return None
    key = keys.reminder(ctx.campaign.id, req.id, n)
    if key in req.done_keys:
        return None
    due_at = req.sent_at + cadence[n - 1]
    reason = f"reminder {n} of {len(cadence)}: {waiting or 'no response'} {_days(cadence[n - 1])} after the request"
    if n >= 2 and req.last_reminder_at is not None:
        spaced = req.last_reminder_at + (cadence[n - 1] - cadence[n - 2])
        if spaced > due_at:
            if spaced - due_at > dt.timedelta(minutes=1):  # not just the tick's granularity
                reason += f" (spaced {_days(cadence[n - 1] - cadence[n - 2])} after the late reminder {n - 1})"
            due_at = spaced
    reason += f", sent {ctx.fmt(req.sent_at)}"
    return Action(
        kind=ActionKind.REMINDER,
        key=key,
        campaign_id=ctx.campaign.id,
        request_id=req.id,
        supplier=req.supplier,
        due_at=due_at,
        reason=reason,
        sequence=n,
    )


def _escalations(ctx: _Ctx, req: RequestView, waiting: str = "") -> list[Action]:
    """``waiting``: what a partly returned request still waits for ("waiting for EMRT"); "" for no response."""
    cfg = ctx.config
    found: list[tuple[EscalationTrigger, dt.datetime, str]] = []
    if cfg.escalate_after_reminders > 0 and req.reminder_count >= cfg.escalate_after_reminders:
        last = req.last_reminder_at or req.sent_at
        assert last is not None
        found.append(
            (
                EscalationTrigger.AFTER_REMINDERS,
                last + cfg.escalate_grace,
                f"{waiting or 'no response'} after {req.reminder_count} reminder(s); the last went out "
                f"{ctx.fmt(last)}",
            )
        )
    if ctx.warn_at is not None and req.sent_at is not None and req.sent_at < ctx.warn_at:
        found.append((EscalationTrigger.BEFORE_DUE, ctx.warn_at, f"{ctx.warn_partial}; {waiting}" if waiting else
                      ctx.warn_reason))  # fmt: skip
    if ctx.due_start is not None and cfg.escalate_at_due:
        found.append((EscalationTrigger.DUE_DATE, ctx.due_start, f"{ctx.due_partial}; {waiting}" if waiting else
                      ctx.due_reason))  # fmt: skip
    return _merge_escalations(ctx, req, found)


def _merge_escalations(
    ctx: _Ctx, req: RequestView, found: list[tuple[EscalationTrigger, dt.datetime, str]]
) -> list[Action]:
    named = {t: keys.escalation(ctx.campaign.id, req.id, _TRIGGER_VALUES[t]) for t, _, _ in found}  # once each

    def key(trigger: EscalationTrigger) -> str:
        return named[trigger]

    pending = [(t, at, why) for t, at, why in found if key(t) not in req.done_keys]
    now_due = [item for item in pending if item[1] <= ctx.now]
    later = [item for item in pending if item[1] > ctx.now]

    def escalation(trigger: EscalationTrigger, at: dt.datetime, why: str, supersedes: tuple[str, ...] = ()) -> Action:
        return Action(
            kind=ActionKind.ESCALATION,
            key=key(trigger),
            campaign_id=ctx.campaign.id,
            request_id=req.id,
            supplier=req.supplier,
            due_at=at,
            reason=f"escalate to the team: {why}",
            trigger=trigger,
            supersedes=supersedes,
        )

    actions: list[Action] = []
    if now_due:
        now_due.sort(key=lambda item: (_SEVERITY[item[0]], item[1]), reverse=True)
        trigger, at, why = now_due[0]
        actions.append(escalation(trigger, at, why, tuple(key(t) for t, _, _ in now_due[1:])))
    actions.extend(escalation(trigger, at, why) for trigger, at, why in later)
    return actions


def _clarification_actions(ctx: _Ctx, req: RequestView) -> list[Action]:
    asked = req.clarification_requested_at
    if asked is None:
        return []
    round_key = keys.clarification_round(ctx.campaign.id, req.id, asked)
    followups = ctx.config.clarification_followup
    prefix = keys.clarification_followups(round_key)
    done = sum(1 for key in req.done_keys if key.startswith(prefix))
    n = done + 1
    if n <= len(followups):
        return [
            Action(
                kind=ActionKind.CLARIFICATION_FOLLOWUP,
                key=keys.clarification_followup(round_key, n),
                campaign_id=ctx.campaign.id,
                request_id=req.id,
                supplier=req.supplier,
                due_at=asked + followups[n - 1],
                reason=(
                    f"follow-up {n} of {len(followups)}: no corrected workbook {_days(followups[n - 1])} after "
                    f"the clarification request of {ctx.fmt(asked)}"
                ),
                sequence=n,
            )
        ]
    key = keys.clarification_escalation(round_key)
    if key in req.done_keys:
        return []
    waited = (followups[-1] if followups else dt.timedelta(0)) + ctx.config.escalate_grace
    return [
        Action(
            kind=ActionKind.ESCALATION,
            key=key,
            campaign_id=ctx.campaign.id,
            request_id=req.id,
            supplier=req.supplier,
            due_at=asked + waited,
            reason=(
                f"escalate to the team: no corrected workbook {_days(waited)} after the clarification request of "
                f"{ctx.fmt(asked)} and {len(followups)} follow-up(s)"
            ),
            trigger=EscalationTrigger.CLARIFICATION_UNANSWERED,
        )
    ]


def digest_slot(ctx_cal: WorkingCalendar, config: OutreachConfig, now: dt.datetime) -> dt.date | None:
    """The local date of the latest digest slot at or before ``now`` (None when digests are off)."""
    if config.digest == DigestFrequency.OFF:
        return None
    today = ctx_cal.local(now).date()
    for back in range(0, 15):
        day = today - dt.timedelta(days=back)
        if config.digest == DigestFrequency.DAILY and not ctx_cal.is_working_day(day):
            continue
        if config.digest == DigestFrequency.WEEKLY and day.isoweekday() != config.digest_weekday:
            continue
        if ctx_cal.at_local(day, config.digest_time) <= now:
            return day
    return None


def _digest_action(ctx: _Ctx) -> Action | None:
    day = digest_slot(ctx.cal, ctx.config, ctx.now)
    if day is None:
        return None
    key = keys.digest(ctx.campaign.id, day)
    slot = ctx.cal.at_local(day, ctx.config.digest_time).astimezone(UTC)
    if key in ctx.campaign.done_keys or (ctx.campaign.opened_at is not None and slot < ctx.campaign.opened_at):
        return None
    # Only the latest slot counts: a digest missed while the bot was down is sent once, late.
    return Action(
        kind=ActionKind.DIGEST,
        key=key,
        campaign_id=ctx.campaign.id,
        request_id=None,
        supplier=None,
        due_at=slot,
        reason=f"{ctx.config.digest.value} digest for {day.isoformat()} (campaign {ctx.campaign.year})",
    )
