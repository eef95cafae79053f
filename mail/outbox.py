"""The outbox: every e-mail is recorded under an idempotency key before it is sent; nothing is sent twice.

Protocol, per e-mail (``OutboxRecord``):

1. ``enqueue`` stores the finished message bytes under the idempotency key (state ``pending``). Enqueueing the
   same key again returns the existing record: the caller may retry blindly.
2. ``deliver_due`` picks records that are ``pending`` or ``failed_temporary`` and due. It opens the SMTP
   transaction (MAIL, RCPT) and, right before DATA, moves the record ``pending -> sending`` with a
   compare-and-set (``OutboxRepository.transition``), committed. Only the process that wins the CAS sends.
3. After ``250`` the record becomes ``sent``; a 4xx/lost connection makes it ``failed_temporary`` with a capped,
   jittered ``next_attempt_at``; a 5xx makes it ``failed_permanent`` and calls ``on_permanent`` (the caller marks
   the contact as bouncing and tells the team).

Crash analysis: a crash before step 2's CAS leaves ``pending`` -> sent once after restart. A crash after the CAS
leaves ``sending``: the DATA may or may not have reached the server. ``recover()`` (run at start-up, before
``deliver_due``) never resends those blindly: it asks ``reconcile(message_id)`` (for example a search of the
bot's Sent folder) and otherwise marks them ``uncertain`` and reports them, so a person decides. The window is
the few milliseconds of one DATA command. Duplicates are therefore impossible; a crash inside DATA can at worst
leave one e-mail waiting for a human decision.

The repository is a small protocol so this module stays free of the database; ``handlers.mail_store`` maps it
onto the ``outbox`` table. The states and kinds are the store's enums (``store.states.OutboxState``,
``OutboxKind``: the values the table holds), imported rather than copied. ``step`` hooks exist for crash-injection
tests.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from mail.smtp import Backoff, BeforeData, BudgetLimiter, RateLimiter, SendResult, SendStatus, SmtpSender
from store.states import OutboxKind, OutboxState

log = logging.getLogger("cmbot.mail.outbox")


READY = (OutboxState.PENDING, OutboxState.FAILED_TEMPORARY)


@dataclass(frozen=True)
class OutboxRecord:
    key: str
    kind: OutboxKind
    to_address: str
    mail_from: str
    message_id: str
    raw: bytes
    request_id: int | None = None
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    sent_at: dt.datetime | None = None


class OutboxRepository(Protocol):
    def add(self, record: OutboxRecord) -> tuple[OutboxRecord, bool]:
        """Insert (committed) unless the key exists; returns (the stored record, whether it was new)."""

    def get(self, key: str) -> OutboxRecord | None: ...

    def due(self, now: dt.datetime, limit: int) -> list[OutboxRecord]:
        """Records in READY states whose ``next_attempt_at`` is empty or <= now, oldest first."""

    def in_state(self, state: OutboxState) -> list[OutboxRecord]: ...

    def transition(
        self, key: str, from_states: Sequence[OutboxState], to_state: OutboxState, *, attempts: int | None = None,
        next_attempt_at: dt.datetime | None = None, last_error: str | None = None, sent_at: dt.datetime | None = None,
    ) -> bool:
        """Compare-and-set, committed: True if the record was in one of ``from_states`` and is now ``to_state``."""


@dataclass(frozen=True)
class Delivery:
    record: OutboxRecord
    result: SendResult


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 8  # transient failures before the e-mail counts as failed permanently
    quick_retries: int = 2  # immediate retries inside one deliver call (greylisting)
    quick_backoff: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=5.0))
    backoff: Backoff = field(default_factory=lambda: Backoff(base=60.0, factor=2.0, cap=3600.0))


class Sender(Protocol):
    """What the outbox sends through: ``mail.smtp.SmtpSender``, or ``mail.maildir_out.MaildirSender``."""

    def send(
        self, raw: bytes, *, mail_from: str, rcpt_to: Sequence[str], before_data: BeforeData | None = None
    ) -> SendResult: ...


class Outbox:
    def __init__(
        self,
        repo: OutboxRepository,
        sender: Sender | SmtpSender,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], None] | None = None,
        rate_limiter: RateLimiter | None = None,
        policy: OutboxPolicy | None = None,
        on_permanent: Callable[[OutboxRecord, SendResult], None] | None = None,
        on_sent: Callable[[OutboxRecord], None] | None = None,
        reconcile: Callable[[str], bool | None] | None = None,
        step: Callable[[str, OutboxRecord], None] | None = None,
        rng: random.Random | None = None,
        kind_limiters: Mapping[str, RateLimiter | BudgetLimiter] | None = None,
    ) -> None:
        """``kind_limiters``: a rate budget of their own for some kinds (acknowledgments), so they neither use up
        nor wait for ``rate_limiter`` (requests, reminders); a record of such a kind over its budget waits for the
        next ``deliver_due`` instead of blocking the others."""
        import time

        self.repo = repo
        self.sender = sender
        self.clock = clock
        self.sleep = sleep or time.sleep
        self.rate_limiter = rate_limiter
        self.policy = policy or OutboxPolicy()
        self.on_permanent = on_permanent
        self.on_sent = on_sent
        self.reconcile = reconcile
        self.step = step or (lambda _name, _record: None)
        self.rng = rng or random.Random()
        self.kind_limiters = dict(kind_limiters or {})

    def limiter_for(self, kind: str) -> RateLimiter | BudgetLimiter | None:
        return self.kind_limiters.get(str(kind), self.rate_limiter)

    def enqueue(self, record: OutboxRecord) -> OutboxRecord:
        stored, created = self.repo.add(record)
        self.recorded(stored, created)
        return stored

    def recorded(self, stored: OutboxRecord, created: bool) -> None:
        """``stored`` is committed (by ``enqueue``, or by the caller's unit of work that recorded it with the
        state change causing it: ``handlers.outreach_mail``)."""
        if created:
            self.step("recorded", stored)
        else:
            log.debug("outbox key %s already recorded (state %s)", stored.key, stored.state)

    def recover(self) -> list[OutboxRecord]:
        """Settle records left ``sending`` by a crash; returns those marked ``uncertain`` (tell the team)."""
        uncertain: list[OutboxRecord] = []
        for record in self.repo.in_state(OutboxState.SENDING):
            verdict = self.reconcile(record.message_id) if self.reconcile else None
            if verdict is True:
                self.repo.transition(record.key, [OutboxState.SENDING], OutboxState.SENT, sent_at=self.clock())
                log.info("outbox %s: found as sent after a crash", record.key)
            elif verdict is False:
                self.repo.transition(record.key, [OutboxState.SENDING], OutboxState.PENDING)
                log.info("outbox %s: not sent before the crash; will send", record.key)
            else:
                self.repo.transition(
                    record.key,
                    [OutboxState.SENDING],
                    OutboxState.UNCERTAIN,
                    last_error="the bot stopped while this e-mail was being handed to the mail server",
                )
                uncertain.append(replace(record, state=OutboxState.UNCERTAIN))
                log.warning("outbox %s: delivery uncertain after a crash; not resending", record.key)
        return uncertain

    def release(self, key: str, *, resend: bool) -> bool:
        """A person settled an ``uncertain`` record: ``resend`` queues it again, otherwise it counts as sent."""
        if resend:
            return self.repo.transition(key, [OutboxState.UNCERTAIN], OutboxState.PENDING, last_error="")
        return self.repo.transition(key, [OutboxState.UNCERTAIN], OutboxState.SENT, sent_at=self.clock())

    def deliver_due(self, limit: int = 50, *, stop: threading.Event | None = None) -> list[Delivery]:
        """Send what is due. ``stop`` (shutdown) ends the pass between e-mails and cuts every wait short (rate
        limit, quick retries): what is not sent stays due for the next start."""
        out: list[Delivery] = []
        for record in self.repo.due(self.clock(), limit):
            if stop is not None and stop.is_set():
                break
            own = self.kind_limiters.get(str(record.kind))
            if own is not None and not own.try_acquire():
                continue  # over its own budget: a later round sends it
            delivery = self.deliver(record, limited=own is None, stop=stop)
            if delivery is not None:
                out.append(delivery)
        return out

    def send_now(self, key: str, *, block: bool = True) -> Delivery | None:
        """Send one record now. With ``block=False`` it is left to ``deliver_due`` when the rate limit is used up
        (returns None), so an interactive caller never waits for the limiter."""
        record = self.repo.get(key)
        return self.send_record(record, block=block) if record is not None else None

    def send_record(self, record: OutboxRecord, *, block: bool = True) -> Delivery | None:
        """``send_now`` of a record the caller just read or recorded (committed): no second read."""
        if record.state not in READY:
            return None
        limiter = self.limiter_for(record.kind)
        if not block and limiter is not None and not limiter.try_acquire():
            return None
        return self.deliver(record, limited=block)

    def deliver(
        self, record: OutboxRecord, *, limited: bool = True, stop: threading.Event | None = None
    ) -> Delivery | None:
        """Try one record (with a few quick retries for 4xx); None if another worker had claimed it, or if ``stop``
        was set while it waited (the record is left as it was)."""
        result: SendResult | None = None
        attempts = record.attempts
        limiter = self.limiter_for(record.kind)
        for quick in range(self.policy.quick_retries + 1):
            if limiter is not None and (limited or quick > 0):
                limiter.wait(stop)
            if stop is not None and stop.is_set():
                return Delivery(record, result) if result is not None else None
            claimed = False

            def claim(current: OutboxRecord = record, n: int = attempts + 1) -> bool:
                nonlocal claimed
                claimed = self.repo.transition(current.key, READY, OutboxState.SENDING, attempts=n)
                if claimed:
                    self.step("claimed", current)
                return claimed

            result = self.sender.send(
                record.raw, mail_from=record.mail_from, rcpt_to=envelope_recipients(record), before_data=claim
            )
            if claimed:
                self.step("data_sent", record)
            elif result.status is SendStatus.TRANSIENT and result.detail == "not claimed":
                return None
            attempts += 1
            if result.status is SendStatus.SENT:
                now = self.clock()
                self.repo.transition(record.key, [OutboxState.SENDING], OutboxState.SENT, sent_at=now, last_error="")
                sent = replace(record, state=OutboxState.SENT, attempts=attempts, sent_at=now)
                self.step("sent", sent)
                if self.on_sent is not None:
                    self.on_sent(sent)
                return Delivery(sent, result)
            from_states = [OutboxState.SENDING] if claimed else list(READY)
            if result.status is SendStatus.PERMANENT or attempts >= self.policy.max_attempts:
                self.repo.transition(
                    record.key,
                    from_states,
                    OutboxState.FAILED_PERMANENT,
                    attempts=attempts,
                    last_error=f"{result.code or ''} {result.detail}".strip(),
                )
                failed = replace(record, state=OutboxState.FAILED_PERMANENT, attempts=attempts)
                log.warning("outbox %s failed permanently: %s %s", record.key, result.code, result.detail)
                if self.on_permanent is not None:
                    self.on_permanent(failed, result)
                return Delivery(failed, result)
            next_at = self.clock() + dt.timedelta(seconds=self.policy.backoff.delay(attempts, self.rng))
            self.repo.transition(
                record.key,
                from_states,
                OutboxState.FAILED_TEMPORARY,
                attempts=attempts,
                next_attempt_at=next_at,
                last_error=f"{result.code or ''} {result.detail}".strip(),
            )
            record = replace(record, state=OutboxState.FAILED_TEMPORARY, attempts=attempts, next_attempt_at=next_at)
            if quick < self.policy.quick_retries:
                delay = self.policy.quick_backoff.delay(quick, self.rng)
                if stop is not None:
                    if stop.wait(delay):
                        break
                else:
                    self.sleep(delay)
        assert result is not None
        log.info("outbox %s: transient failure, next attempt at %s", record.key, record.next_attempt_at)
        return Delivery(record, result)


def envelope_recipients(record: OutboxRecord) -> list[str]:
    """Who the SMTP envelope names: ``to_address`` first, then every other To and Cc address of the stored message
    (the supplier's other contacts in CC get their copy)."""
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses

    headers = BytesHeaderParser().parsebytes(record.raw)
    found = [record.to_address.lower()]
    for _name, address in getaddresses([str(v) for key in ("To", "Cc") for v in headers.get_all(key, [])]):
        address = address.strip().lower()
        if address and "@" in address and address not in found:
            found.append(address)
    return found
