"""Outbound into a local Maildir: every e-mail becomes an ``.eml`` file instead of an SMTP transaction.

``MaildirSender(path)`` presents the same interface as ``mail.smtp.SmtpSender`` to ``mail.outbox.Outbox``:
``send(raw, mail_from=..., rcpt_to=..., before_data=...) -> SendResult`` (never raises for file-system trouble)
and ``check()``. Used by ``[mail] outbound = "maildir"`` (the demo, dry runs, tests): nothing leaves the machine,
and any mail client that reads a Maildir (or any program that opens ``.eml`` files) shows what would have been sent.

Delivery follows the Maildir rule: the message is written into ``tmp/``, flushed, then renamed into ``new/``, so a
reader never sees half a file. ``Return-Path`` and ``Delivered-To`` headers are put in front, as a local delivery
agent does, so the envelope stays visible. ``before_data`` (the outbox's claim) runs right before the write; when
it returns False nothing is written (``TRANSIENT``, detail "not claimed"), exactly as with SMTP.
"""

from __future__ import annotations

import itertools
import logging
import os
import pathlib
import socket
import threading
import time
from collections.abc import Sequence

from mail.smtp import BeforeData, SendResult, SendStatus

log = logging.getLogger("cmbot.mail.maildir_out")

_counter = itertools.count(1)
_lock = threading.Lock()


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


class MaildirSender:
    def __init__(self, path: str | pathlib.Path) -> None:
        self.path = pathlib.Path(path)

    def _ensure(self) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)

    def _unique(self) -> str:
        with _lock:
            n = next(_counter)
        return f"{time.time_ns()}.P{os.getpid()}Q{n}.{_safe(socket.gethostname()) or 'localhost'}"

    def send(
        self, raw: bytes, *, mail_from: str, rcpt_to: Sequence[str], before_data: BeforeData | None = None
    ) -> SendResult:
        """Write ``raw`` (one file for all of ``rcpt_to``) into ``new/`` as ``<unique>.eml``."""
        if not rcpt_to:
            return SendResult(SendStatus.PERMANENT, None, "no recipient", recipient_fault=True)
        bad = [r for r in rcpt_to if "@" not in r or any(c in r for c in "\r\n<>")]
        if bad:
            refused = {r: (550, "not an e-mail address") for r in bad}
            return SendResult(SendStatus.PERMANENT, 550, "recipient refused: not an e-mail address", True, refused)
        try:
            self._ensure()
        except OSError as exc:
            return SendResult(SendStatus.TRANSIENT, None, f"cannot use the outbound Maildir {self.path}: {exc}")
        if before_data is not None and not before_data():
            return SendResult(SendStatus.TRANSIENT, None, "not claimed")
        envelope = f"Return-Path: <{mail_from}>\r\n" + "".join(f"Delivered-To: {r}\r\n" for r in rcpt_to)
        name = self._unique() + ".eml"
        tmp = self.path / "tmp" / name
        try:
            with open(tmp, "xb") as fh:
                fh.write(envelope.encode("ascii", "replace") + raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / "new" / name)
        except OSError as exc:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                log.debug("removing %s failed", tmp, exc_info=True)
            return SendResult(SendStatus.TRANSIENT, None, f"writing into the outbound Maildir failed: {exc}")
        log.info("e-mail written to the outbound Maildir as %s", name)
        return SendResult(SendStatus.SENT, 250, f"delivered to {self.path / 'new' / name}")

    def check(self) -> None:
        """Start-up check: the Maildir exists (created when missing) and is writable; raises ``OSError``."""
        self._ensure()
        if not os.access(self.path / "new", os.W_OK):
            raise PermissionError(f"cannot write into {self.path / 'new'}")
