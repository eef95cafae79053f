"""What is due for whom: the pure outreach policy (initial requests, reminders, escalations, digests)."""

from __future__ import annotations

from cmrt.outreach.calendar import NaiveDatetimeError, WorkingCalendar
from cmrt.outreach.model import (
    CHASED_STATES,
    SETTLED_STATES,
    Action,
    ActionKind,
    CampaignView,
    DigestFrequency,
    EscalationTrigger,
    Held,
    OutreachConfig,
    Plan,
    RequestState,
    RequestView,
    ScheduleConfig,
)
from cmrt.outreach.policy import plan, request_key

__all__ = [
    "CHASED_STATES",
    "SETTLED_STATES",
    "Action",
    "ActionKind",
    "CampaignView",
    "DigestFrequency",
    "EscalationTrigger",
    "Held",
    "NaiveDatetimeError",
    "OutreachConfig",
    "Plan",
    "RequestState",
    "RequestView",
    "ScheduleConfig",
    "WorkingCalendar",
    "plan",
    "request_key",
]
