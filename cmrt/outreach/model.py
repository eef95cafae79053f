"""Plain data in and out of the outreach policy: the campaign and its requests as the policy sees them, and the
plan it returns (the policy's rules are ``cmrt.outreach.config``).

Everything here is frozen, hashable where it matters, and free of I/O. Datetimes are timezone-aware (the store
keeps UTC); ``dt.date`` values (the campaign's due date) are read in the configured local time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from cmrt.outreach.states import RequestState


class ActionKind(StrEnum):
    INITIAL_REQUEST = "initial_request"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    CLARIFICATION_FOLLOWUP = "clarification_followup"
    DIGEST = "digest"

    @property
    def sends_email(self) -> bool:
        return self in (ActionKind.INITIAL_REQUEST, ActionKind.REMINDER, ActionKind.CLARIFICATION_FOLLOWUP)


class EscalationTrigger(StrEnum):
    AFTER_REMINDERS = "after_reminders"
    BEFORE_DUE = "before_due"
    DUE_DATE = "due_date"
    CLARIFICATION_UNANSWERED = "clarification_unanswered"


@dataclass(frozen=True)
class CampaignView:
    id: int
    year: int
    due_date: dt.date | None
    active: bool = True
    starts_at: dt.datetime | None = None  # initial requests wait until then; None = as soon as it is active
    opened_at: dt.datetime | None = None  # when the campaign was created; no digest for a slot before it
    done_keys: frozenset[str] = frozenset()  # campaign-level action keys already recorded (digests)
    families: tuple[str, ...] = ("CMRT",)  # the template families asked for ("CMRT", "EMRT"), in order


@dataclass(frozen=True)
class RequestView:
    """One supplier request and the part of its history the policy needs."""

    id: int
    supplier: str  # a label for people reading a plan: supplier id or company name (never a person's data)
    state: RequestState
    sent_at: dt.datetime | None = None
    reminder_count: int = 0
    last_reminder_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    snoozed_until: dt.datetime | None = None
    clarification_requested_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None  # a workbook arrived (the state may since be ``escalated``: high risk)
    next_due_at: dt.datetime | None = None  # as stored; the tick refreshes it from the plan
    done_keys: frozenset[str] = frozenset()  # action keys already recorded for this request (pending or done)
    returned: frozenset[str] = frozenset()  # the families of the read workbooks it received (cmrt.outreach.families)


@dataclass(frozen=True)
class Action:
    """Something due now, with its idempotency key and the reason a person can read."""

    kind: ActionKind
    key: str
    campaign_id: int
    request_id: int | None
    supplier: str | None
    due_at: dt.datetime
    reason: str
    sequence: int = 0  # reminder / follow-up number
    trigger: EscalationTrigger | None = None
    supersedes: tuple[str, ...] = ()  # keys this action makes pointless; record them done with it

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "campaign_id": self.campaign_id,
            "request_id": self.request_id,
            "supplier": self.supplier,
            "due_at": self.due_at.isoformat(),
            "reason": self.reason,
            "sequence": self.sequence,
            "trigger": self.trigger.value if self.trigger else None,
            "supersedes": list(self.supersedes),
        }


@dataclass(frozen=True)
class Held:
    """Due, but not now: quiet hours, a non-business day, a snooze or the rate limit holds it back."""

    kind: ActionKind
    key: str
    request_id: int | None
    supplier: str | None
    due_at: dt.datetime
    not_before: dt.datetime | None  # None when it waits for capacity (rate limit, batch size)
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "request_id": self.request_id,
            "supplier": self.supplier,
            "due_at": self.due_at.isoformat(),
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Plan:
    now: dt.datetime
    actions: tuple[Action, ...]
    held: tuple[Held, ...] = ()
    next_at: dt.datetime | None = None  # the earliest time something not yet due falls due
    # request id -> when its next action falls due (None: nothing more is planned for it)
    next_by_request: dict[int, dt.datetime | None] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, object]:
        return {
            "now": self.now.isoformat(),
            "actions": [a.to_json() for a in self.actions],
            "held": [h.to_json() for h in self.held],
            "next_at": self.next_at.isoformat() if self.next_at else None,
        }
