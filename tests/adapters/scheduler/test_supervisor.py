"""The supervisor on a fake clock: restarts with back-off, others keep running, the team is told, heartbeats."""

from __future__ import annotations

import random

from bot.supervisor import Supervisor
from mail.smtp import Backoff
from store import Database, runtime


class Flaky:
    def __init__(self, name: str, fail_starts: int = 0) -> None:
        self.name = name
        self.fail_starts = fail_starts
        self.starts = 0
        self.stops = 0
        self.alive = False

    def start(self) -> None:
        self.starts += 1
        if self.fail_starts:
            self.fail_starts -= 1
            raise ConnectionError("IMAP server unreachable")
        self.alive = True

    def healthy(self) -> bool:
        return self.alive

    def stop(self, timeout: float) -> None:
        self.stops += 1
        self.alive = False


class Alerts:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.texts.append(text)

    def __getattr__(self, name: str) -> object:
        return lambda *a, **k: None


def test_restart_with_backoff_alert_and_recovery(store_db: Database) -> None:
    now = [0.0]
    inbox, slack = Flaky("inbox", fail_starts=6), Flaky("slack")
    alerts = Alerts()
    sup = Supervisor(
        [inbox, slack],
        store_db,
        notifier=alerts,  # type: ignore[arg-type]
        backoff=Backoff(base=1.0, factor=2.0, cap=8.0, jitter=(1.0, 1.0)),
        alert_after=20.0,
        stable_after=5.0,
        heartbeat_every=0.0,
        rng=random.Random(1),
        monotonic=lambda: now[0],
    )
    sup.start_all()
    assert sup.states() == {"inbox": "restarting", "slack": "running"}
    starts_at: list[float] = []
    while now[0] < 60:
        now[0] += 0.5
        before = inbox.starts
        sup.check()
        if inbox.starts != before:
            starts_at.append(now[0])
    # delays 1, 2, 4, 8, 8, 8 (capped) after each failure, then it stays up
    gaps = [round(b - a, 1) for a, b in zip([0.0, *starts_at], starts_at, strict=False)]
    assert gaps[:6] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert inbox.starts == 7 and sup.states()["inbox"] == "running"
    assert slack.starts == 1 and slack.stops == 0  # the other component kept running
    assert len([t for t in alerts.texts if "inbox component has been down" in t]) == 1
    assert any("inbox component is running again" in t for t in alerts.texts)
    with store_db.session() as s:
        beats = {hb.component: hb.state for hb in runtime.heartbeats(s)}
    assert beats == {"inbox": "running", "slack": "running"}


def test_a_component_that_dies_is_restarted(store_db: Database) -> None:
    now = [0.0]
    comp = Flaky("scheduler")
    sup = Supervisor(
        [comp], store_db, backoff=Backoff(base=1.0, jitter=(1.0, 1.0)), heartbeat_every=0.0, monotonic=lambda: now[0]
    )
    sup.start_all()
    comp.alive = False  # it crashed
    now[0] = 1.0
    sup.check()
    assert sup.states() == {"scheduler": "restarting"}
    with store_db.session() as s:
        (hb,) = runtime.heartbeats(s)
        assert hb.state == "restarting" and "1 failure" in (hb.detail or "")
    now[0] = 2.5
    sup.check()
    assert sup.states() == {"scheduler": "running"} and comp.starts == 2
    sup.stop_all(1.0)
    with store_db.session() as s:
        assert runtime.heartbeats(s)[0].state == "stopped"


def test_liveness_for_status(store_db: Database) -> None:
    import datetime as dt

    from handlers.liveness import liveness
    from handlers.status import component_lines, components

    now = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    with store_db.session() as s:
        runtime.beat(s, "scheduler", now=now - dt.timedelta(seconds=5))
        runtime.beat(s, "inbox", state="restarting", detail="2 failure(s); ConnectionError", now=now)
        runtime.beat(s, "slack", now=now - dt.timedelta(minutes=10))
        runtime.beat(s, "standby:42", state="standby", now=now - dt.timedelta(minutes=10))
    with store_db.session() as s:
        rows = {row.component: row for row in liveness(s, now)}
    assert set(rows) == {"scheduler", "inbox", "slack"}  # a standby that went away is not shown
    assert rows["scheduler"].alive and rows["scheduler"].state == "running"
    assert not rows["inbox"].alive and rows["inbox"].state == "restarting"
    assert not rows["slack"].alive and rows["slack"].state == "stale"
    with store_db.session() as s:
        text = "\n".join(component_lines(components(s, now, tick=dt.timedelta(seconds=1))))
    assert "ConnectionError" in text and "stale" in text and "NOT RESPONDING" in text


def test_stop_all_keeps_to_its_deadline_when_a_component_blocks(store_db: Database) -> None:
    """Issue 16: every component stops within the stop budget. A component whose stop blocks past the time it was
    given (here a ThreadComponent whose ``on_stop`` hangs, as a close on a stuck socket would) costs its share of
    the deadline, not the process's stop: the others are still stopped and the last heartbeats written."""
    import threading
    import time

    from bot.supervisor import ThreadComponent

    release = threading.Event()
    stuck = ThreadComponent("inbox", lambda stop: stop.wait(), on_stop=lambda: release.wait(60))
    later = Flaky("slack")
    sup = Supervisor([later, stuck], store_db, heartbeat_every=0.0)
    sup.start_all()
    try:
        began = time.monotonic()
        sup.stop_all(1.0)
        assert time.monotonic() - began < 2.0
        assert later.stops == 1 and sup.states() == {"slack": "stopped", "inbox": "stopped"}
        with store_db.session() as s:
            assert {hb.component: hb.state for hb in runtime.heartbeats(s)} == {"slack": "stopped", "inbox": "stopped"}
    finally:
        release.set()
