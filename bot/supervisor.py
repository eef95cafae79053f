"""Keep the bot's components running: heartbeats, restarts with capped back-off and jitter, alerts.

A ``Component`` is anything with ``start()`` (connect and begin; raise when it cannot), ``healthy()`` and
``stop(timeout)``. The ``Supervisor`` starts them all, checks them every ``check_every`` seconds, writes one
heartbeat row per component, and restarts a failed one after a back-off (``restart_backoff``: 1 s doubling to
5 min, plus up to 30 % jitter; reset after a success) while the others keep running. When one has been down longer than
``alert_after`` the team is told once in Slack, and again when it recovers. ``ThreadComponent`` turns a blocking
loop ``target(stop_event)`` into a component.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from handlers.notify import Notifier, NullNotifier
from mail.smtp import Backoff
from store import runtime
from store.engine import SessionSource

log = logging.getLogger("cmbot.supervisor")


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def healthy(self) -> bool: ...

    def stop(self, timeout: float) -> None: ...


def restart_backoff(cap: float = 300.0) -> Backoff:
    """Restarts: 1 s doubling up to ``cap``, plus up to 30 % jitter."""
    return Backoff(base=1.0, factor=2.0, cap=cap, jitter=(1.0, 1.3))


def bounded_call(fn: Callable[[], object], seconds: float, what: str) -> bool:
    """``fn()`` in a daemon thread, waited for at most ``seconds``: True when it returned (or raised: logged) in time.

    The shutdown path's steps (a component's stop, a closer, the last heartbeat) run through it, so none of them
    can hold the process past its stop budget, whatever it waits on inside (a socket, a lock, a database busy
    timeout, a join). One that overruns is logged and left behind; being a daemon thread it never holds the exit."""
    done = threading.Event()

    def _run() -> None:
        try:
            fn()
        except Exception:
            log.warning("%s failed", what, exc_info=True)
        finally:
            done.set()

    threading.Thread(target=_run, name=f"bounded: {what}", daemon=True).start()
    if done.wait(max(0.0, seconds)):
        return True
    log.warning("%s did not finish within %.1f s: going on without it", what, seconds)
    return False


class ThreadComponent:
    """A blocking loop ``target(stop)`` in a thread; it is healthy while the thread runs."""

    def __init__(
        self,
        name: str,
        target: Callable[[threading.Event], None],
        on_stop: Callable[[], None] | None = None,
        describe: Callable[[], str | None] | None = None,
    ):
        self.name = name
        self.target = target
        self.on_stop = on_stop
        self._describe = describe
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop = threading.Event()
        self.error = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.target(self._stop)
        except BaseException as exc:
            self.error = exc
            log.exception("component %s failed: %s", self.name, exc)

    def healthy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def describe(self) -> str | None:
        return self._describe() if self._describe is not None else None

    def stop(self, timeout: float) -> None:
        """Set the stop event, ask ``on_stop`` to cut the loop's waits short, join the thread: all within
        ``timeout`` seconds (``on_stop`` included: it may close a connection the loop is blocked on)."""
        end = time.monotonic() + timeout
        self._stop.set()
        if self.on_stop is not None:
            bounded_call(self.on_stop, timeout, f"component {self.name}: asking it to stop")
        if self._thread is not None:
            self._thread.join(max(0.0, end - time.monotonic()))
            if self._thread.is_alive():
                log.warning("component %s did not stop within %.1f s", self.name, timeout)


@dataclass
class _Slot:
    component: Component
    state: str = "starting"
    failures: int = 0
    down_since: float | None = None
    retry_at: float = 0.0
    alerted: bool = False
    detail: str | None = None
    started_at: dt.datetime | None = None
    started_mono: float = 0.0


@dataclass
class Supervisor:
    components: list[Component]
    db: SessionSource
    notifier: Notifier = field(default_factory=NullNotifier)
    backoff: Backoff = field(default_factory=restart_backoff)
    check_every: float = 1.0
    heartbeat_every: float = 5.0
    alert_after: float = 60.0
    stable_after: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.slots = [_Slot(c) for c in self.components]
        self._last_beat = 0.0

    # -- life cycle -------------------------------------------------------------------------------------------
    def start_all(self) -> None:
        for slot in self.slots:
            self._start(slot)
        self.beat(force=True)

    def run(self, stop: threading.Event) -> None:
        self.start_all()
        while not stop.wait(self.check_every):
            self.check()

    def check(self) -> None:
        now = self.monotonic()
        for slot in self.slots:
            if slot.state == "running" and slot.component.healthy():
                self._settle(slot)
            elif slot.state == "running":
                error = getattr(slot.component, "error", None)
                self._down(slot, f"stopped unexpectedly{f': {error}' if error else ''}")
                try:
                    slot.component.stop(2.0)
                except Exception:
                    log.warning("component %s: error while stopping it", slot.component.name, exc_info=True)
            if slot.state == "restarting" and now >= slot.retry_at:
                self._start(slot)
            down_for = now - slot.down_since if slot.down_since is not None else 0.0
            if slot.state == "restarting" and not slot.alerted and down_for >= self.alert_after:
                slot.alerted = True
                self.notifier.team_alert(
                    f":warning: cmrt-bot: the {slot.component.name} component has been down for {int(down_for)} s "
                    f"and keeps failing ({slot.detail}). The rest of the bot is running; it keeps retrying."
                )
        self.beat()

    def stop_all(self, deadline: float) -> None:
        """Stop every component (in reverse order), then write the last heartbeats, within ``deadline`` seconds in
        total: each step gets what is left of it (``bounded_call``), so one that blocks (past the timeout it was
        given, or on something it does not bound) costs its share, never the process's stop."""
        end = time.monotonic() + deadline
        for slot in reversed(self.slots):
            name = slot.component.name
            left = max(end - time.monotonic(), 0.1)
            began = time.monotonic()
            bounded_call(functools.partial(slot.component.stop, left), left, f"stopping component {name}")
            log.debug("component %s stopped in %.2f s", name, time.monotonic() - began)
            slot.state = "stopped"
        bounded_call(lambda: self.beat(force=True), max(end - time.monotonic(), 0.1), "the last heartbeat")

    # -- internals --------------------------------------------------------------------------------------------
    def _start(self, slot: _Slot) -> None:
        name = slot.component.name
        try:
            slot.component.start()
        except Exception as exc:
            log.warning("component %s could not start: %s", name, exc)
            self._down(slot, f"{type(exc).__name__}: {exc}")
            return
        if slot.failures:
            log.info("component %s started again after %d failure(s)", name, slot.failures)
        slot.state = "running"
        slot.started_mono = self.monotonic()
        slot.started_at = dt.datetime.now(dt.UTC)

    def _settle(self, slot: _Slot) -> None:
        """A restarted component that stayed up for ``stable_after`` seconds counts as recovered."""
        if slot.failures and self.monotonic() - slot.started_mono >= self.stable_after:
            if slot.alerted:
                self.notifier.team_alert(
                    f":white_check_mark: cmrt-bot: the {slot.component.name} component is running again."
                )
            slot.failures, slot.down_since, slot.alerted, slot.detail = 0, None, False, None

    def _down(self, slot: _Slot, detail: str) -> None:
        now = self.monotonic()
        slot.failures += 1
        slot.detail = detail[:500]
        slot.down_since = slot.down_since if slot.down_since is not None else now
        delay = self.backoff.delay(slot.failures - 1, self.rng)
        slot.retry_at = now + delay
        slot.state = "restarting"
        log.warning(
            "component %s is down (%s); restart %d in %.1f s", slot.component.name, detail, slot.failures, delay
        )

    def beat(self, force: bool = False) -> None:
        now = self.monotonic()
        if not force and now - self._last_beat < self.heartbeat_every:
            return
        self._last_beat = now
        try:
            with self.db.session() as session:
                for slot in self.slots:
                    detail = slot.detail
                    if slot.state == "restarting":
                        detail = f"{slot.failures} failure(s); {slot.detail}"
                    elif slot.state == "running" and callable(getattr(slot.component, "describe", None)):
                        try:
                            detail = slot.component.describe()  # type: ignore[attr-defined]
                        except Exception:
                            detail = None
                    runtime.beat(session, slot.component.name, state=slot.state, detail=detail)
        except Exception as exc:
            log.warning("could not write heartbeats: %s", exc)

    def states(self) -> dict[str, str]:
        return {slot.component.name: slot.state for slot in self.slots}
