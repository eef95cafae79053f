"""What is due for whom: the pure outreach policy (initial requests, reminders, escalations, digests)."""

from __future__ import annotations

from cmrt.outreach.calendar import NaiveDatetimeError, WorkingCalendar
from cmrt.outreach.config import DigestFrequency, OutreachConfig, ScheduleConfig
from cmrt.outreach.keys import request_key
from cmrt.outreach.model import Action, ActionKind, CampaignView, EscalationTrigger, Held, Plan, RequestView
from cmrt.outreach.policy import plan
from cmrt.outreach.states import (
    ALLOWED_TRANSITIONS,
    CHASED_STATES,
    CONTACTED_STATES,
    DECIDED_STATES,
    SETTLED_STATES,
    InvalidTransition,
    RequestState,
    check_transition,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CHASED_STATES",
    "CONTACTED_STATES",
    "DECIDED_STATES",
    "SETTLED_STATES",
    "Action",
    "ActionKind",
    "CampaignView",
    "DigestFrequency",
    "EscalationTrigger",
    "Held",
    "InvalidTransition",
    "NaiveDatetimeError",
    "OutreachConfig",
    "Plan",
    "RequestState",
    "RequestView",
    "ScheduleConfig",
    "WorkingCalendar",
    "check_transition",
    "plan",
    "request_key",
]
