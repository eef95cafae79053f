"""SMTP out: STARTTLS / implicit TLS / plain, optional login, a typed result, retries and a rate limit.

``SmtpSender.send`` never raises for SMTP or network trouble; it returns a ``SendResult``:

* ``SENT`` -- the server accepted the message (``250`` after DATA);
* ``TRANSIENT`` -- 4xx replies, dropped connections, timeouts: try again later;
* ``PERMANENT`` -- 5xx replies; ``recipient_fault`` tells whether the recipient address was refused (mark the
  contact as bouncing) or something else was (bad credentials, message refused: tell the team).

``send_with_retry`` retries TRANSIENT results with capped exponential back-off plus jitter (a few quick retries
for a greylisting 451; the outbox schedules longer waits). ``RateLimiter`` spaces messages out
(``per_minute``), shared by everything that sends.
"""

from __future__ import annotations

import logging
import random
import smtplib
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger("cmbot.mail.smtp")


class Security(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"  # implicit TLS (port 465)
    NONE = "none"  # loopback relays only


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand e-mails over: the ``[smtp]`` keys with the password read (``bot/`` builds it)."""

    host: str
    port: int = 587
    security: Security = Security.STARTTLS
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ca_file: str | None = None
    local_hostname: str | None = None


BeforeData = Callable[[], bool]  # runs after RCPT, before DATA; False abandons the transaction (see ``send``)


class SendStatus(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    code: int | None = None
    detail: str = ""
    recipient_fault: bool = False
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is SendStatus.SENT


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _by_code(code: int | None, detail: str, *, recipient_fault: bool = False) -> SendResult:
    if code is not None and 500 <= code < 600:
        return SendResult(SendStatus.PERMANENT, code, detail, recipient_fault=recipient_fault)
    return SendResult(SendStatus.TRANSIENT, code, detail, recipient_fault=False)


class SmtpSender:
    def __init__(self, server: SmtpServer, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.server = server
        self._ssl = ssl_context

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=self.server.ca_file)
        return self._ssl

    def _connect(self) -> smtplib.SMTP:
        s = self.server
        client: smtplib.SMTP
        if s.security is Security.TLS:
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=self.ssl_context(), local_hostname=s.local_hostname
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout, local_hostname=s.local_hostname)
        try:
            client.ehlo()
            if s.security is Security.STARTTLS:
                client.starttls(context=self.ssl_context())
                client.ehlo()
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            _close(client)
            raise
        return client

    def send(
        self, raw: bytes, *, mail_from: str, rcpt_to: Sequence[str], before_data: BeforeData | None = None
    ) -> SendResult:
        """Send ``raw`` to ``rcpt_to``. ``before_data`` runs after every RCPT was accepted and before DATA; when it
        returns False the transaction is abandoned (``TRANSIENT``, detail "not claimed") and nothing is sent."""
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            return _by_code(exc.smtp_code, f"login refused: {_text(exc.smtp_error)}")
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, _text(exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult(SendStatus.TRANSIENT, None, f"cannot connect to {self.server.host}: {exc}")
        try:
            return self._transaction(client, raw, mail_from, rcpt_to, before_data)
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, _text(exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult(SendStatus.TRANSIENT, None, f"connection lost: {exc}")
        finally:
            _close(client)

    def _transaction(
        self,
        client: smtplib.SMTP,
        raw: bytes,
        mail_from: str,
        rcpt_to: Sequence[str],
        before_data: BeforeData | None,
    ) -> SendResult:
        code, resp = client.mail(mail_from)
        if code != 250:
            client.rset()
            return _by_code(code, f"sender refused: {_text(resp)}")
        refused: dict[str, tuple[int, str]] = {}
        for rcpt in rcpt_to:
            code, resp = client.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = (code, _text(resp))
        if refused:
            client.rset()
            codes = [c for c, _ in refused.values()]
            first = next(iter(refused.values()))
            permanent = all(500 <= c < 600 for c in codes)
            status = SendStatus.PERMANENT if permanent else SendStatus.TRANSIENT
            return SendResult(status, first[0], f"recipient refused: {first[1]}", permanent, refused)
        if before_data is not None and not before_data():
            client.rset()
            return SendResult(SendStatus.TRANSIENT, None, "not claimed")
        code, resp = client.data(raw)
        if code != 250:
            return _by_code(code, f"message refused: {_text(resp)}")
        return SendResult(SendStatus.SENT, code, _text(resp))

    def check(self) -> None:
        """Connect and log in once (start-up check); raises ``OSError``/``smtplib.SMTPException`` on failure."""
        client = self._connect()
        _close(client)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except Exception:
        try:
            client.close()
        except Exception:
            log.debug("closing the SMTP connection failed", exc_info=True)


@dataclass(frozen=True)
class Backoff:
    """Capped exponential back-off with jitter: ``uniform(*jitter) * min(cap, base * factor**n)`` for attempt ``n``
    (0 first). The default jitter spreads retries below the cap; the supervisor's restarts spread above it."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: tuple[float, float] = (0.5, 1.0)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap, self.base * self.factor ** max(0, attempt))
        return raw * (rng or random).uniform(*self.jitter)


def send_with_retry(
    sender: SmtpSender,
    raw: bytes,
    *,
    mail_from: str,
    rcpt_to: Sequence[str],
    attempts: int = 3,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
    before_data: BeforeData | None = None,
    rng: random.Random | None = None,
) -> SendResult:
    """Send, retrying TRANSIENT results up to ``attempts`` times in total; PERMANENT and SENT return at once."""
    backoff = backoff or Backoff(base=1.0, cap=30.0)
    result = SendResult(SendStatus.TRANSIENT, None, "not tried")
    for attempt in range(max(1, attempts)):
        result = sender.send(raw, mail_from=mail_from, rcpt_to=rcpt_to, before_data=before_data)
        if result.status is not SendStatus.TRANSIENT or result.detail == "not claimed":
            return result
        if attempt + 1 < attempts:
            delay = backoff.delay(attempt, rng)
            log.info("SMTP transient failure (%s %s); retry in %.1fs", result.code, result.detail, delay)
            sleep(delay)
    return result


class BudgetLimiter:
    """At most ``count`` sends in any ``period`` seconds (a sliding window, thread-safe): a burst within the budget
    goes at once, nothing waits until the budget is used up. ``count <= 0`` disables it. The acknowledgments' own
    budget (``[outreach] max_acks_per_hour``)."""

    def __init__(
        self,
        count: int,
        period: float = 3600.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.count, self.period = count, period
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def _free_at(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - self.period:
            self._sent.popleft()
        return now if len(self._sent) < self.count else self._sent[0] + self.period

    def try_acquire(self) -> bool:
        if self.count <= 0:
            return True
        with self._lock:
            now = self._clock()
            if self._free_at(now) > now:
                return False
            self._sent.append(now)
            return True

    def wait(self, stop: threading.Event | None = None) -> float:
        """Block until the budget has room; ``stop`` ends the wait at once (shutdown), as for ``RateLimiter``."""
        if self.count <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            start = self._free_at(now)
            self._sent.append(start)
        return _pause(start - now, stop, self._sleep)


def _pause(waited: float, stop: threading.Event | None, sleep: Callable[[float], None]) -> float:
    """Wait ``waited`` seconds (at once over when ``stop`` is set); returns ``waited``."""
    if waited > 0:
        if stop is not None:
            stop.wait(waited)
        else:
            sleep(waited)
    return waited


class RateLimiter:
    """At most ``per_minute`` sends per minute, spaced evenly (thread-safe); ``per_minute <= 0`` disables it."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the next slot if it is free now (never blocks)."""
        if self.interval <= 0:
            return True
        with self._lock:
            now = self._clock()
            if self._next > now:
                return False
            self._next = now + self.interval
            return True

    def wait(self, stop: threading.Event | None = None) -> float:
        """Block until the next send is allowed; returns the seconds waited. With ``stop``, the wait ends as soon
        as it is set (shutdown): the caller checks it and sends nothing."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        return _pause(start - now, stop, self._sleep)
