"""A tiny in-memory world that applies the policy's actions like the scheduler tick does, on a fixed clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from cmrt.outreach import (
    Action,
    ActionKind,
    CampaignView,
    OutreachConfig,
    Plan,
    RequestState,
    RequestView,
    plan,
)

UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Executed:
    at: dt.datetime
    action: Action


@dataclass
class World:
    campaign: CampaignView
    config: OutreachConfig
    requests: dict[int, RequestView] = field(default_factory=dict)
    log: list[Executed] = field(default_factory=list)
    email_times: list[dt.datetime] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        config: OutreachConfig,
        n: int = 1,
        due: dt.date | None = None,
        state: RequestState = RequestState.NOT_SENT,
        opened: dt.datetime | None = None,
    ) -> World:
        world = cls(CampaignView(id=1, year=2025, due_date=due, opened_at=opened), config)
        for i in range(1, n + 1):
            world.requests[i] = RequestView(id=i, supplier=f"S{i:04d}", state=state)
        return world

    def plan(self, now: dt.datetime) -> Plan:
        recent = sum(1 for t in self.email_times if now - dt.timedelta(hours=1) < t <= now)
        return plan(self.campaign, self.requests.values(), self.config, now, recent_emails=recent)

    def tick(self, now: dt.datetime) -> list[Action]:
        result = self.plan(now)
        for action in result.actions:
            self.apply(action, now)
        return list(result.actions)

    def apply(self, action: Action, now: dt.datetime) -> None:
        self.log.append(Executed(now, action))
        if action.kind.sends_email:
            self.email_times.append(now)
        if action.request_id is None:
            self.campaign = replace(self.campaign, done_keys=self.campaign.done_keys | {action.key})
            return
        req = self.requests[action.request_id]
        keys = req.done_keys | {action.key, *action.supersedes}
        if action.kind == ActionKind.INITIAL_REQUEST:
            req = replace(req, state=RequestState.SENT, sent_at=now)
        elif action.kind == ActionKind.REMINDER:
            state = RequestState.ESCALATED if req.state == RequestState.ESCALATED else RequestState.REMINDED
            req = replace(req, state=state, reminder_count=req.reminder_count + 1, last_reminder_at=now)
        elif action.kind == ActionKind.ESCALATION and req.state != RequestState.CLARIFICATION_REQUESTED:
            req = replace(req, state=RequestState.ESCALATED, escalated_at=req.escalated_at or now)
        self.requests[action.request_id] = replace(req, done_keys=keys)

    def run(self, start: dt.datetime, end: dt.datetime, step: dt.timedelta = dt.timedelta(minutes=15)) -> None:
        now = start
        while now <= end:
            self.tick(now)
            now += step

    def set(self, request_id: int, **changes: object) -> None:
        self.requests[request_id] = replace(self.requests[request_id], **changes)  # type: ignore[arg-type]

    def executed(self, kind: ActionKind | None = None, request_id: int | None = None) -> list[Executed]:
        return [
            e
            for e in self.log
            if (kind is None or e.action.kind == kind) and (request_id is None or e.action.request_id == request_id)
        ]
