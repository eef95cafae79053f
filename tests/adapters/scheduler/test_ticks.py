"""The scheduler tick against the real store (SQLite and PostgreSQL), a recording mail loop and notifier."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cmrt.outreach import DigestFrequency, OutreachConfig, ScheduleConfig
from cmrt.outreach.states import RequestState
from handlers.ticks import MailResult, Ticker
from store import Database, campaigns, requests, suppliers
from store import actions as action_repo

START = dt.datetime(2025, 1, 6, 10, 0, tzinfo=dt.UTC)  # a Monday


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class RecordingMail:
    """Behaves like the outbox: an e-mail per key, a repeated key is a no-op."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []
        self.fail_next = 0

    def _send(self, kind: str, request_id: int, key: str) -> MailResult:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("SMTP server unreachable")
        if key not in {k for _, _, k in self.sent}:
            self.sent.append((kind, request_id, key))
        return MailResult(accepted=True)

    def send_request(self, request_id: int, *, key: str) -> MailResult:
        return self._send("request", request_id, key)

    def send_reminder(self, request_id: int, *, key: str, number: int) -> MailResult:
        return self._send(f"reminder{number}", request_id, key)

    def send_clarification_followup(self, request_id: int, *, key: str, number: int) -> MailResult:
        return self._send(f"followup{number}", request_id, key)


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.events.append((name, args, kwargs))  # type: ignore[arg-type]

        return record


def seed(db: Database, n: int = 3, due: dt.date = dt.date(2025, 3, 31)) -> int:
    with db.session() as s:
        made = []
        for i in range(n):
            sup, _ = suppliers.upsert(
                s, suppliers.SupplierData(external_id=f"S{i:03d}", name=f"Supplier {i}", contact_email=f"c{i}@x.test")
            )
            made.append(sup)
        s.flush()
        campaign = campaigns.create(s, year=2025, due_date=due, suppliers=made)
        campaign.created_at = START - dt.timedelta(hours=1)
        return campaign.id


CONFIG = OutreachConfig(
    reminder_cadence=(dt.timedelta(days=14), dt.timedelta(days=28)),
    escalate_after_reminders=2,
    escalate_grace=dt.timedelta(days=7),
    escalate_days_before_due=0,
    escalate_at_due=True,
    digest=DigestFrequency.OFF,
    schedule=ScheduleConfig(timezone="UTC"),
)


def test_requests_reminders_escalation_and_no_repeats(store_db: Database) -> None:
    seed(store_db)
    clock, mail, notifier = Clock(START), RecordingMail(), RecordingNotifier()
    ticker = Ticker(store_db, mail, CONFIG, notifier=notifier, clock=clock)
    report = ticker.tick()
    assert report.done == 3
    assert [k for k, _, _ in mail.sent] == ["request"] * 3
    assert ticker.tick().done == 0
    with store_db.session() as s:
        states = {r.state for r in requests.for_campaign(s, 1)}
    assert states == {RequestState.SENT}

    # a reply arrives for the first supplier: it is no longer chased
    with store_db.session() as s:
        first = requests.for_campaign(s, 1)[0]
        requests.transition(s, first, RequestState.RESPONDED, now=START + dt.timedelta(days=3))
        first_id = first.id

    for day in range(1, 60):
        clock.now = START + dt.timedelta(days=day)
        ticker.tick()
    reminders = [(k, rid) for k, rid, _ in mail.sent if k.startswith("reminder")]
    assert len(reminders) == 4 and first_id not in {rid for _, rid in reminders}
    names = [e[0] for e in notifier.events]
    assert names.count("request_sent") == 3
    assert names.count("reminder_sent") == 4
    assert names.count("escalation") == 2
    with store_db.session() as s:
        chased = [r for r in requests.for_campaign(s, 1) if r.id != first_id]
        assert all(r.state == RequestState.ESCALATED and r.reminder_count == 2 for r in chased)
    keys = [k for _, _, k in mail.sent]
    assert len(keys) == len(set(keys))


def test_a_crash_between_claim_and_send_runs_the_action_once_later(store_db: Database) -> None:
    seed(store_db, n=2)
    clock, mail = Clock(START), RecordingMail()
    ticker = Ticker(store_db, mail, CONFIG, clock=clock)
    mail.fail_next = 1  # the first e-mail fails after its key was recorded
    report = ticker.tick()
    assert report.failed == 1 and report.done == 1
    with store_db.session() as s:
        assert len(action_repo.pending(s)) == 1
    report = ticker.tick()
    assert report.resumed == 1 and report.done == 1
    assert sorted(k for _, _, k in mail.sent) == ["c1:r1:request", "c1:r2:request"]
    with store_db.session() as s:
        assert action_repo.pending(s) == []


def test_an_action_recorded_by_another_process_is_not_repeated(store_db: Database) -> None:
    seed(store_db, n=1)
    with store_db.session() as s:
        row = action_repo.claim(
            s, key="c1:r1:request", kind="initial_request", campaign_id=1, request_id=1, due_at=START, reason="x"
        )
        assert row is not None
        action_repo.finish(row, now=START)
    mail = RecordingMail()
    Ticker(store_db, mail, CONFIG, clock=Clock(START)).tick()
    assert mail.sent == []


def test_stop_finishes_the_action_in_hand_and_no_more(store_db: Database) -> None:
    seed(store_db, n=5)
    mail = RecordingMail()
    ticker = Ticker(store_db, mail, CONFIG, clock=Clock(START))
    original = mail.send_request

    def send_then_stop(request_id: int, *, key: str) -> MailResult:
        result = original(request_id, key=key)
        ticker.stop.set()
        return result

    mail.send_request = send_then_stop  # type: ignore[method-assign]
    ticker.tick()
    assert len(mail.sent) == 1
    with store_db.session() as s:
        assert action_repo.pending(s) == []


@pytest.mark.parametrize("permanent", [True, False])
def test_refused_email(store_db: Database, permanent: bool) -> None:
    seed(store_db, n=1)

    class Refusing(RecordingMail):
        def send_request(self, request_id: int, *, key: str) -> MailResult:
            return MailResult(accepted=False, detail="no active contact", permanent=permanent)

    notifier = RecordingNotifier()
    Ticker(store_db, Refusing(), CONFIG, notifier=notifier, clock=Clock(START)).tick()
    with store_db.session() as s:
        row = action_repo.get(s, "c1:r1:request")
        assert row is not None
        assert row.state == ("failed" if permanent else "pending")
        assert requests.get(s, 1).state == RequestState.NOT_SENT  # type: ignore[union-attr]
    assert [e[0] for e in notifier.events] == (["team_alert"] if permanent else [])


def test_a_crash_after_the_send_completes_the_action_without_a_second_email(
    store_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store_db, n=1)
    mail = RecordingMail()
    ticker = Ticker(store_db, mail, CONFIG, clock=Clock(START))
    original = Ticker._finish

    def crash(self: Ticker, job: Any, *, state: str, error: str | None) -> None:
        raise KeyboardInterrupt  # the process dies between the send and the bookkeeping

    monkeypatch.setattr(Ticker, "_finish", crash)
    with pytest.raises(KeyboardInterrupt):
        ticker.tick()
    monkeypatch.setattr(Ticker, "_finish", original)
    restarted = Ticker(store_db, mail, CONFIG, clock=Clock(START + dt.timedelta(minutes=5)))
    report = restarted.tick()
    assert report.resumed == 1
    assert [k for _, _, k in mail.sent] == ["c1:r1:request"]  # the outbox key made the repeat a no-op
    with store_db.session() as s:
        assert requests.get(s, 1).state == RequestState.SENT  # type: ignore[union-attr]
        assert action_repo.pending(s) == []


def test_a_pending_reminder_for_a_supplier_who_answered_meanwhile_is_cancelled(store_db: Database) -> None:
    seed(store_db, n=1)
    mail = RecordingMail()
    clock = Clock(START)
    ticker = Ticker(store_db, mail, CONFIG, clock=clock)
    ticker.tick()
    clock.now = START + dt.timedelta(days=14)
    mail.fail_next = 1  # the reminder's key is recorded, then the process dies before sending
    ticker.tick()
    with store_db.session() as s:
        req = requests.get(s, 1)
        assert req is not None
        requests.transition(s, req, RequestState.RESPONDED, now=clock.now)
    clock.now += dt.timedelta(hours=1)
    report = ticker.tick()
    assert report.resumed == 0
    assert [k for _, _, k in mail.sent] == ["c1:r1:request"]
    with store_db.session() as s:
        row = action_repo.get(s, "c1:r1:reminder:1")
        assert row is not None and row.state == "cancelled"


def test_the_tick_keeps_next_due_at_current(store_db: Database) -> None:
    seed(store_db, n=2)
    clock = Clock(START)
    ticker = Ticker(store_db, RecordingMail(), CONFIG, clock=clock)
    ticker.tick()  # the requests go out
    clock.now = START + dt.timedelta(minutes=1)
    ticker.tick()  # the next tick stores when each request is looked at again
    with store_db.session() as s:
        assert [r.next_due_at for r in requests.for_campaign(s, 1)] == [START + dt.timedelta(days=14)] * 2
        first = requests.for_campaign(s, 1)[0]
        requests.transition(s, first, RequestState.RESPONDED, now=clock.now)
    clock.now += dt.timedelta(minutes=1)
    ticker.tick()
    with store_db.session() as s:
        assert [r.next_due_at for r in requests.for_campaign(s, 1)] == [None, START + dt.timedelta(days=14)]
        assert [r.id for r in requests.due(s, START + dt.timedelta(days=15))] == [2]


def test_a_reply_that_arrives_during_a_tick_stops_the_rest_of_it(store_db: Database) -> None:
    seed(store_db, n=2)
    clock = Clock(START)
    mail = RecordingMail()
    ticker = Ticker(store_db, mail, CONFIG, clock=clock)
    ticker.tick()
    original = mail.send_reminder

    def reminder_then_reply(request_id: int, *, key: str, number: int) -> MailResult:
        result = original(request_id, key=key, number=number)
        with store_db.session() as s:  # meanwhile, the inbox records supplier 2's workbook
            other = requests.get(s, 2)
            assert other is not None
            requests.transition(s, other, RequestState.RESPONDED, now=clock.now)
        return result

    mail.send_reminder = reminder_then_reply  # type: ignore[method-assign]
    clock.now = START + dt.timedelta(days=14)
    report = ticker.tick()
    assert [k for _, _, k in mail.sent] == ["c1:r1:request", "c1:r2:request", "c1:r1:reminder:1"]
    assert report.skipped == 1


def test_the_digest_goes_out_once_per_business_day(store_db: Database) -> None:
    from dataclasses import replace

    seed(store_db, n=1)
    posted: list[tuple[int, dt.datetime]] = []
    clock = Clock(START)
    config = replace(CONFIG, digest=DigestFrequency.DAILY)
    ticker = Ticker(
        store_db,
        RecordingMail(),
        config,
        clock=clock,
        digest=lambda campaign_id: posted.append((campaign_id, clock.now)),
    )
    for hour in range(0, 24 * 7, 1):  # a week, hourly ticks, from Monday 10:00
        clock.now = START + dt.timedelta(hours=hour)
        ticker.tick()
    # Monday's 09:00 slot (the campaign opened at 09:00) goes at the first tick, then 09:00 on business days only
    assert [at.strftime("%a %H") for _, at in posted] == ["Mon 10", "Tue 09", "Wed 09", "Thu 09", "Fri 09", "Mon 09"]
    assert {cid for cid, _ in posted} == {1}
