"""ImapWatcher against the harness's Dovecot: fetch, move, checkpoint, IDLE wake-up, reconnect after a restart."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mail.imap import Disposition, FetchedMessage, ImapMailbox, ImapWatcher, MemoryCheckpoints, connect
from mail.smtp import Backoff, Security
from tests.harness.fixtures import MailHarness
from tests.unit.mail.helpers import inbound

pytestmark = pytest.mark.mailserver


class Recorder:
    def __init__(self, decide: Callable[[FetchedMessage], Disposition] | None = None) -> None:
        self.seen: list[FetchedMessage] = []
        self.decide = decide or (lambda _m: Disposition.PROCESSED)
        self.event = threading.Event()

    def __call__(self, message: FetchedMessage) -> Disposition:
        self.seen.append(message)
        self.event.set()
        return self.decide(message)

    def subjects(self) -> list[str]:
        return [m.raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0].strip().decode() for m in self.seen]


def _settings(h: MailHarness, user: str, password: str, **kw: object) -> ImapMailbox:
    return ImapMailbox(
        host=h.host, port=h.imaps_port, security=Security.TLS, ca_file=str(h.ca_path), username=user,
        password=password, timeout=10, idle_renew=30, backoff=Backoff(base=0.2, factor=2, cap=1.0), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_sync_moves_and_checkpoints(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    user, password = mail_user
    for n in range(3):
        mail_harness.append(user, inbound(subject=f"m{n}", to=user))
    recorder = Recorder(lambda m: Disposition.QUARANTINE if b"Subject: m1" in m.raw else Disposition.PROCESSED)
    checkpoints = MemoryCheckpoints()
    watcher = ImapWatcher(_settings(mail_harness, user, password), recorder, checkpoints)
    assert watcher.run_once() == 3
    assert recorder.subjects() == ["m0", "m1", "m2"]
    assert mail_harness.folder_uids(user, "INBOX") == []
    assert len(mail_harness.folder_uids(user, "Processed")) == 2
    assert len(mail_harness.folder_uids(user, "Quarantine")) == 1
    uidvalidity, last_uid = checkpoints.data["INBOX"]
    assert last_uid == recorder.seen[-1].uid and uidvalidity == recorder.seen[-1].uidvalidity
    assert watcher.run_once() == 0


def test_checkpoint_skips_seen_uids_and_uidvalidity_change_rescans(
    mail_harness: MailHarness, mail_user: tuple[str, str]
) -> None:
    user, password = mail_user
    uid = mail_harness.append(user, inbound(subject="kept", to=user))
    checkpoints = MemoryCheckpoints()
    client = mail_harness.imap(user)
    uidvalidity = int(client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"])
    client.logout()
    checkpoints.save("INBOX", uidvalidity, uid)  # already handled: left alone
    recorder = Recorder()
    assert ImapWatcher(_settings(mail_harness, user, password), recorder, checkpoints).run_once() == 0
    checkpoints.save("INBOX", uidvalidity + 1000, uid + 1000)  # the folder was recreated: rescan everything
    assert ImapWatcher(_settings(mail_harness, user, password), recorder, checkpoints).run_once() == 1


def test_idle_wakes_up_on_new_mail(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    """Mail that lands while the watcher is in IDLE is handled long before the IDLE renewal (600 s here), so only
    the server's notification can have woken it (no timing assertion: a loaded machine only makes it slower)."""
    user, password = mail_user
    settings = dataclasses.replace(_settings(mail_harness, user, password), idle_renew=600.0)
    idling = threading.Event()

    def connect_fn() -> Any:
        client = connect(settings)
        real_idle = client.idle

        def idle() -> None:
            real_idle()
            idling.set()  # the server confirmed IDLE

        client.idle = idle
        return client

    recorder = Recorder()
    watcher = ImapWatcher(settings, recorder, MemoryCheckpoints(), connect_fn=connect_fn)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert idling.wait(20), "the watcher did not enter IDLE"
        mail_harness.append(user, inbound(subject="wake up", to=user))
        assert recorder.event.wait(60), "IDLE did not wake up"
        assert recorder.subjects() == ["wake up"]
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_failing_handler_is_retried_then_quarantined(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    user, password = mail_user
    mail_harness.append(user, inbound(subject="poison", to=user))
    mail_harness.append(user, inbound(subject="fine", to=user))
    calls: list[str] = []
    errors: list[str] = []

    def handler(message: FetchedMessage) -> Disposition:
        calls.append("poison" if b"poison" in message.raw else "fine")
        if b"poison" in message.raw:
            raise ValueError("cannot handle this one")
        return Disposition.PROCESSED

    settings = _settings(mail_harness, user, password, max_handler_failures=3)
    watcher = ImapWatcher(settings, handler, MemoryCheckpoints(), on_error=errors.append)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert _wait(lambda: "fine" in calls, 10)
    finally:
        stop.set()
        thread.join(10)
    assert calls == ["poison", "poison", "poison", "fine"]
    assert len(mail_harness.folder_uids(user, "Quarantine")) == 1
    assert errors and "Quarantine" in errors[-1]


def test_dovecot_restart_during_idle_loses_nothing(own_mail_harness: MailHarness) -> None:
    h = own_mail_harness  # this session's own instance: restarting it disturbs no other test run
    user, password = h.new_user()
    recorder = Recorder()
    watcher = ImapWatcher(_settings(h, user, password), recorder, MemoryCheckpoints())
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert _wait(lambda: watcher.client is not None, 30)
        h.append(user, inbound(subject="before", to=user))
        assert _wait(lambda: "before" in recorder.subjects(), 30)
        h.append(user, inbound(subject="just before the restart", to=user))
        h.restart_dovecot()
        h.append(user, inbound(subject="after the restart", to=user))
        tag = uuid.uuid4().hex[:6]
        import smtplib

        with smtplib.SMTP(h.host, h.smtp_port, timeout=10) as smtp:
            smtp.sendmail("bot@example.test", [user], inbound(subject=f"via smtp {tag}", to=user))
        expected = {"before", "just before the restart", "after the restart", f"via smtp {tag}"}
        # a message handled just before the restart cut the connection is handed over again after it (the
        # handler is idempotent by Message-ID): wait for every message, not for a count of calls
        assert _wait(lambda: set(recorder.subjects()) >= expected, 90), recorder.subjects()
    finally:
        stop.set()
        thread.join(10)
    assert set(recorder.subjects()) == expected
    assert watcher.reconnects >= 1
    assert h.folder_uids(user, "INBOX") == []


def test_mail_landing_during_a_quiet_pass_does_not_wait_for_the_idle_renewal(
    mail_harness: MailHarness, mail_user: tuple[str, str]
) -> None:
    """Mail that lands after a pass's previous command is not in that pass's SEARCH result, only announced in the
    reply; IDLE does not announce it again. The watcher must see the announcement and sync once more."""
    user, password = mail_user
    mail_harness.append(user, inbound(subject="first", to=user))
    settings = dataclasses.replace(_settings(mail_harness, user, password), idle_renew=600.0)
    searches: list[int] = []

    def connect_fn() -> Any:
        client = connect(settings)
        real_search = client.search

        def search(criteria: Any = "ALL", charset: str | None = None) -> Any:
            searches.append(1)
            if len(searches) == 2:  # the pass after "first" was handled: mail lands just before its SEARCH
                mail_harness.append(user, inbound(subject="during the quiet pass", to=user))
            return real_search(criteria, charset)

        client.search = search
        return client

    recorder = Recorder()
    watcher = ImapWatcher(settings, recorder, MemoryCheckpoints(), connect_fn=connect_fn)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert _wait(lambda: len(recorder.seen) >= 2, 20), recorder.subjects()  # well before the 600 s renewal
    finally:
        stop.set()
        thread.join(10)
    assert recorder.subjects() == ["first", "during the quiet pass"]


def test_starttls_and_plain_connections(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    user, password = mail_user
    mail_harness.append(user, inbound(subject="one", to=user))
    for security in (Security.STARTTLS, Security.NONE):
        recorder = Recorder()
        settings = ImapMailbox(
            host=mail_harness.host, port=mail_harness.imap_port, security=security,
            ca_file=str(mail_harness.ca_path), username=user, password=password, timeout=10,
        )  # fmt: skip
        watcher = ImapWatcher(settings, recorder, MemoryCheckpoints())
        assert watcher.run_once() == (1 if security is Security.STARTTLS else 0)


def test_oversized_message_is_set_aside_without_download(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    user, password = mail_user
    mail_harness.append(user, inbound(subject="huge", to=user, body="x" * 50_000))
    mail_harness.append(user, inbound(subject="small", to=user))
    recorder = Recorder()
    errors: list[str] = []
    settings = _settings(mail_harness, user, password, max_message_bytes=20_000)
    assert ImapWatcher(settings, recorder, MemoryCheckpoints(), on_error=errors.append).run_once() == 1
    assert recorder.subjects() == ["small"]
    assert len(mail_harness.folder_uids(user, "Quarantine")) == 1
    assert errors and "limit" in errors[0]


def test_a_batch_checkpoint_never_passes_a_message_not_yet_handled(
    mail_harness: MailHarness, mail_user: tuple[str, str]
) -> None:
    """One batch: a small message whose handler fails, an oversized one set aside, another small one. The failure
    ends the pass; the checkpoint stays below the failed message (the set-aside one above it does not move it on),
    so the next pass handles it and the last one, with one checkpoint at the end of the batch."""
    user, password = mail_user
    mail_harness.append(user, inbound(subject="first", to=user))
    mail_harness.append(user, inbound(subject="huge", to=user, body="x" * 50_000))
    mail_harness.append(user, inbound(subject="last", to=user))
    failing = [True]

    def decide(message: FetchedMessage) -> Disposition:
        if failing[0]:
            failing[0] = False
            raise RuntimeError("the store is down")
        return Disposition.PROCESSED

    recorder = Recorder(decide)
    checkpoints = MemoryCheckpoints()
    settings = _settings(mail_harness, user, password, max_message_bytes=20_000, batch_size=10)
    with pytest.raises(RuntimeError):
        ImapWatcher(settings, recorder, checkpoints).run_once()
    assert "INBOX" not in checkpoints.data  # nothing below "first" was settled
    assert ImapWatcher(settings, recorder, checkpoints).run_once() == 2
    assert recorder.subjects() == ["first", "first", "last"]
    assert checkpoints.data["INBOX"][1] == recorder.seen[-1].uid
    assert len(mail_harness.folder_uids(user, "Processed")) == 2
    assert len(mail_harness.folder_uids(user, "Quarantine")) == 1


def test_polling_fallback_without_idle(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    user, password = mail_user
    recorder = Recorder()
    watcher = ImapWatcher(_settings(mail_harness, user, password, use_idle=False, poll_interval=0.3), recorder,
                          MemoryCheckpoints())  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert _wait(lambda: watcher.client is not None, 5)
        mail_harness.append(user, inbound(subject="polled", to=user))
        assert recorder.event.wait(5)
    finally:
        stop.set()
        thread.join(10)
    assert recorder.subjects() == ["polled"]


def test_mail_arriving_while_another_is_handled_is_not_left_for_the_idle_renewal(
    mail_harness: MailHarness, mail_user: tuple[str, str]
) -> None:
    """The server announces a new message (``* N EXISTS``) in its reply to whatever command runs at the time; one
    that lands while the watcher is handling another is announced during that pass, not later in IDLE. The
    watcher must look again before it idles, or the message waits for the IDLE renewal (minutes)."""
    user, password = mail_user

    def deliver_another(message: FetchedMessage) -> Disposition:
        if b"Subject: first" in message.raw:
            mail_harness.append(user, inbound(subject="second", to=user))
            time.sleep(0.6)  # past Dovecot's 0.5 s change batching, so the MOVE reply carries the news
        return Disposition.PROCESSED

    recorder = Recorder(deliver_another)
    watcher = ImapWatcher(_settings(mail_harness, user, password), recorder, MemoryCheckpoints())
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert _wait(lambda: watcher.client is not None, 5)
        mail_harness.append(user, inbound(subject="first", to=user))
        assert _wait(lambda: "second" in recorder.subjects(), 8), recorder.subjects()  # idle_renew is 30 s
    finally:
        stop.set()
        thread.join(10)
    assert recorder.subjects() == ["first", "second"]


def test_batches_stream_in_order_and_stop_ends_the_pass_after_the_message_in_hand(
    mail_harness: MailHarness, mail_user: tuple[str, str]
) -> None:
    """[imap] fetch_batch: 7 messages in batches of 3 (the next batch downloads while one is handled) arrive in
    order, each moved and checkpointed; a stop set during the third message ends the pass there: the rest stays
    in INBOX above the checkpoint for the next pass, nothing is skipped."""
    user, password = mail_user
    for n in range(7):
        mail_harness.append(user, inbound(subject=f"s{n}", to=user))
    stop = threading.Event()

    def decide(message: FetchedMessage) -> Disposition:
        if b"Subject: s2" in message.raw:
            stop.set()
        return Disposition.PROCESSED

    recorder = Recorder(decide)
    checkpoints = MemoryCheckpoints()
    watcher = ImapWatcher(_settings(mail_harness, user, password, batch_size=3), recorder, checkpoints)
    watcher.open()
    try:
        assert watcher.sync(stop) == 3
    finally:
        watcher.close()
    assert recorder.subjects() == ["s0", "s1", "s2"]
    assert len(mail_harness.folder_uids(user, "INBOX")) == 4
    assert checkpoints.data["INBOX"][1] == recorder.seen[-1].uid
    assert watcher.run_once() == 4
    assert recorder.subjects() == [f"s{n}" for n in range(7)]
    assert mail_harness.folder_uids(user, "INBOX") == []
    assert len(mail_harness.folder_uids(user, "Processed")) == 7
