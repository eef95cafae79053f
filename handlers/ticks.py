"""The scheduler tick: load the due state, ask the pure policy what is due, run each action exactly once.

Per action: ``claim`` (its idempotency key is committed as ``pending`` before anything leaves the process), then
execute (the e-mail goes through the mail loop's outbox under the same key, so a repeat is a no-op; team
notifications go through the ``Notifier``), then ``finish`` in one unit of work with the request's state change.
A crash between the steps leaves a ``pending`` row that the next tick executes again: nothing is sent twice,
nothing that fell due is missed (it runs once, late). The tick stops between actions when ``stop`` is set, so a
shutdown finishes the action in hand and no more.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from cmrt.outreach import Action, ActionKind, EscalationTrigger, OutreachConfig, keys
from cmrt.outreach.states import SETTLED_STATES, RequestState
from handlers.notify import Notifier, NullNotifier
from handlers.outreach_state import missing_families, plan_campaigns, record_reminder, store_next_due
from store import actions, audit
from store import requests as request_repo
from store.engine import SessionSource
from store.models import OutreachAction

log = logging.getLogger("cmbot.scheduler")

MAX_ATTEMPTS = 8  # an action that fails this often is given up and raised to the team


@dataclass(frozen=True)
class MailResult:
    """What the mail loop did with an e-mail: ``accepted`` (recorded in the outbox or sent) or refused."""

    accepted: bool
    detail: str = ""
    permanent: bool = False  # refused for good (no active contact, 5xx): do not retry


class OutboundMail(Protocol):
    """The mail loop's outbound API. Each call records the e-mail in the outbox under ``key`` before sending, so
    calling it again with the same key never sends a second e-mail."""

    def send_request(self, request_id: int, *, key: str) -> MailResult: ...

    def send_reminder(self, request_id: int, *, key: str, number: int) -> MailResult: ...

    def send_clarification_followup(self, request_id: int, *, key: str, number: int) -> MailResult: ...


@dataclass
class TickReport:
    planned: int = 0
    done: int = 0
    resumed: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0
    keys: list[str] = field(default_factory=list)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Ticker:
    def __init__(
        self,
        db: SessionSource,
        mail: OutboundMail,
        config: OutreachConfig,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        stop: threading.Event | None = None,
        digest: Callable[[int], None] | None = None,
    ) -> None:
        self.db = db
        self.mail = mail
        self.config = config
        self.notifier = notifier or NullNotifier()
        self.clock = clock
        self.stop = stop or threading.Event()
        self.digest = digest
        self._lock = threading.Lock()  # one tick at a time in this process

    def tick(self) -> TickReport:
        report = TickReport()
        if not self._lock.acquire(blocking=False):
            log.info("tick skipped: the previous tick is still running")
            return report
        try:
            self._resume_pending(report)
            now = self.clock()
            with self.db.session() as session:
                plans = plan_campaigns(session, self.config, now)
                for campaign_plan in plans:
                    store_next_due(session, campaign_plan.next_due_changes)
            for campaign_plan in plans:
                report.held += len(campaign_plan.plan.held)
                for action in campaign_plan.plan.actions:
                    if self.stop.is_set():
                        return report
                    report.planned += 1
                    self._run_new(action, report)
            return report
        finally:
            self._lock.release()

    # -- one action -------------------------------------------------------------------------------------------
    def _run_new(self, action: Action, report: TickReport) -> None:
        now = self.clock()
        with self.db.session() as session:
            if self._no_longer_wanted(session, _Job.from_action(action)):  # a reply arrived during this tick
                report.skipped += 1
                return
            row = actions.claim(
                session,
                key=action.key,
                kind=action.kind.value,
                campaign_id=action.campaign_id,
                request_id=action.request_id,
                due_at=action.due_at,
                reason=action.reason,
                now=now,
            )
            if row is None:
                report.skipped += 1
                return
            for key in action.supersedes:
                actions.claim(
                    session,
                    key=key,
                    kind=action.kind.value,
                    campaign_id=action.campaign_id,
                    request_id=action.request_id,
                    due_at=action.due_at,
                    reason=f"superseded by {action.key}",
                    now=now,
                    state=actions.SUPERSEDED,
                )
        log.info("action %s: %s", action.key, action.reason)
        self._execute(_Job.from_action(action), report)

    def _resume_pending(self, report: TickReport) -> None:
        with self.db.session() as session:
            jobs = []
            for row in actions.pending(session):
                job = _Job.from_row(row)
                if self._no_longer_wanted(session, job):
                    log.info("action %s left pending is no longer wanted (the supplier answered): cancelled", job.key)
                    actions.finish(row, now=self.clock(), state=actions.CANCELLED, error="the supplier answered")
                else:
                    jobs.append(job)
        for job in jobs:
            if self.stop.is_set():
                return
            log.info("resuming action %s left pending", job.key)
            report.resumed += 1
            self._execute(job, report)

    @staticmethod
    def _no_longer_wanted(session: Session, job: _Job) -> bool:
        """A chasing action left pending by a crash, for a supplier who has answered since."""
        if job.kind not in (ActionKind.REMINDER, ActionKind.ESCALATION, ActionKind.CLARIFICATION_FOLLOWUP):
            return False
        request = request_repo.get(session, job.request_id) if job.request_id is not None else None
        if request is None:
            return True
        state = RequestState(request.state)
        if state in (RequestState.EXEMPT, RequestState.CLOSED, RequestState.AWAITING_TEAM):
            return True
        if job.kind != ActionKind.CLARIFICATION_FOLLOWUP and missing_families(session, request):
            return False  # partly returned: the templates still missing are chased whatever the state
        if state in SETTLED_STATES:  # answered
            return True
        return job.kind == ActionKind.REMINDER and request.responded_at is not None

    def _execute(self, job: _Job, report: TickReport) -> None:
        try:
            result = self._perform(job)
        except Exception as exc:
            log.exception("action %s failed; it stays pending and is retried", job.key)
            self._failed(job, f"{type(exc).__name__}: {exc}", report)
            return
        if result is not None and not result.accepted:
            if not result.permanent:
                self._failed(job, result.detail or "the mail loop refused the e-mail", report)
                return
            self._finish(job, state=actions.FAILED, error=result.detail)
            report.failed += 1
            self.notifier.team_alert(
                f"Could not send the {job.kind.value.replace('_', ' ')}: {result.detail}", request_id=job.request_id
            )
            return
        self._finish(job, state=actions.DONE, error=None)
        report.done += 1
        report.keys.append(job.key)
        self._notify(job)

    def _perform(self, job: _Job) -> MailResult | None:
        if job.kind == ActionKind.INITIAL_REQUEST and job.request_id is not None:
            return self.mail.send_request(job.request_id, key=job.key)
        if job.kind == ActionKind.REMINDER and job.request_id is not None:
            return self.mail.send_reminder(job.request_id, key=job.key, number=job.sequence)
        if job.kind == ActionKind.CLARIFICATION_FOLLOWUP and job.request_id is not None:
            return self.mail.send_clarification_followup(job.request_id, key=job.key, number=job.sequence)
        return None

    def _notify(self, job: _Job) -> None:
        if job.kind == ActionKind.INITIAL_REQUEST and job.request_id is not None:
            self.notifier.request_sent(job.request_id)
        elif job.kind == ActionKind.REMINDER and job.request_id is not None:
            self.notifier.reminder_sent(job.request_id, number=job.sequence)
        elif job.kind == ActionKind.ESCALATION and job.request_id is not None:
            self.notifier.escalation(job.request_id, reason=job.reason.removeprefix("escalate to the team: "))
        elif job.kind == ActionKind.DIGEST:
            if self.digest is not None:
                self.digest(job.campaign_id)  # posts the figures and the chart
            else:
                self.notifier.team_alert(f"Campaign digest: {job.reason}")

    def _failed(self, job: _Job, error: str, report: TickReport) -> None:
        report.failed += 1
        with self.db.session() as session:
            row = actions.get(session, job.key)
            if row is None:
                return
            actions.record_attempt_failed(row, error)
            if row.attempts >= MAX_ATTEMPTS:
                actions.finish(row, now=self.clock(), state=actions.FAILED, error=error)
                gave_up = True
            else:
                gave_up = False
        if gave_up:
            self.notifier.team_alert(
                f"Gave up on {job.kind.value.replace('_', ' ')} after {MAX_ATTEMPTS} attempts: {error}",
                request_id=job.request_id,
            )

    def _finish(self, job: _Job, *, state: str, error: str | None) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = actions.get(session, job.key)
            if row is None or row.state != actions.PENDING:
                return
            if state == actions.DONE and job.request_id is not None:
                self._apply_state(session, job, now)
            actions.finish(row, now=now, state=state, error=error)

    @staticmethod
    def _apply_state(session: Session, job: _Job, now: dt.datetime) -> None:
        """The request's state change for a completed action (idempotent: the mail loop may have made it)."""
        request = request_repo.get(session, job.request_id) if job.request_id is not None else None
        if request is None:
            return
        state = RequestState(request.state)
        if job.kind == ActionKind.INITIAL_REQUEST:
            if state == RequestState.NOT_SENT:
                request_repo.transition(session, request, RequestState.SENT, now=now, reason=job.reason)
        elif job.kind == ActionKind.REMINDER:
            record_reminder(session, request, job.sequence, now=now, reason=job.reason)
        elif job.kind == ActionKind.ESCALATION:
            if state in (RequestState.SENT, RequestState.REMINDED):
                request_repo.transition(session, request, RequestState.ESCALATED, now=now, reason=job.reason)
            else:  # already escalated, or waiting for a corrected workbook: count it, keep the state
                request.escalation_count += 1
                request.escalated_at = now
                audit.record(
                    session,
                    audit.SYSTEM,
                    "request.escalation",
                    "request",
                    request.id,
                    {"reason": job.reason, "key": job.key},
                    at=now,
                )
        elif job.kind == ActionKind.CLARIFICATION_FOLLOWUP:
            audit.record(
                session,
                audit.SYSTEM,
                "request.clarification_followup",
                "request",
                request.id,
                {"number": job.sequence, "key": job.key},
                at=now,
            )


@dataclass(frozen=True)
class _Job:
    key: str
    kind: ActionKind
    campaign_id: int
    request_id: int | None
    sequence: int
    reason: str
    trigger: EscalationTrigger | None = None

    @classmethod
    def from_action(cls, action: Action) -> _Job:
        return cls(
            key=action.key,
            kind=action.kind,
            campaign_id=action.campaign_id,
            request_id=action.request_id,
            sequence=action.sequence,
            reason=action.reason,
            trigger=action.trigger,
        )

    @classmethod
    def from_row(cls, row: OutreachAction) -> _Job:
        kind = ActionKind(row.kind)
        sequence = keys.sequence(row.key) if kind in (ActionKind.REMINDER, ActionKind.CLARIFICATION_FOLLOWUP) else 0
        return cls(
            key=row.key,
            kind=kind,
            campaign_id=row.campaign_id,
            request_id=row.request_id,
            sequence=sequence,
            reason=row.reason,
        )
