"""Liveness of the running bot's components, from their heartbeat rows (for ``cmrt-bot status``).

A component is *alive* when its last beat is younger than ``stale_after`` and its state is ``running``;
``restarting`` means the supervisor is retrying it with back-off; a beat older than ``stale_after`` means the
process is gone or hung (``stale``). Standby instances show up as ``standby:<pid>``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from store import runtime

DEFAULT_STALE_AFTER = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Liveness:
    component: str
    state: str  # running | restarting | stopped | standby | stale
    pid: int | None
    host: str | None
    beat_at: dt.datetime
    age_seconds: float
    detail: str | None

    @property
    def alive(self) -> bool:
        return self.state in ("running", "standby")

    def to_json(self) -> dict[str, object]:
        return {
            "component": self.component,
            "state": self.state,
            "alive": self.alive,
            "pid": self.pid,
            "host": self.host,
            "beat_at": self.beat_at.isoformat(),
            "age_seconds": round(self.age_seconds, 1),
            "detail": self.detail,
        }


def liveness(
    session: Session, now: dt.datetime | None = None, stale_after: dt.timedelta = DEFAULT_STALE_AFTER
) -> list[Liveness]:
    now = now or dt.datetime.now(dt.UTC)
    rows = []
    for hb in runtime.heartbeats(session):
        age = (now - hb.beat_at).total_seconds()
        state = hb.state
        if age > stale_after.total_seconds():
            if state == "standby":
                continue  # a standby that went away: not worth showing
            if state in ("running", "restarting"):
                state = "stale"
        rows.append(
            Liveness(
                component=hb.component,
                state=state,
                pid=hb.pid,
                host=hb.host,
                beat_at=hb.beat_at,
                age_seconds=age,
                detail=hb.detail,
            )
        )
    return rows
