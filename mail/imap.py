"""Inbound over IMAP: IDLE with a polling fallback, reconnects with back-off, a checkpoint per folder.

``ImapWatcher(mailbox, handler, checkpoints)`` (``ImapMailbox``: the server, the account and the folders):

* ``run(stop)`` -- the daemon loop: connect (TLS / STARTTLS / plain), select the folder, ``sync()``, then wait
  for new mail with IDLE (re-issued every ``idle_renew`` seconds, and a full sync at least that often, so a
  missed notification costs minutes, not messages) or, without IDLE, poll every ``poll_interval`` seconds. Any
  connection problem (server restart, network, BYE) closes the connection and reconnects after a capped
  exponential back-off with jitter; the delay resets after a successful sync.
* ``sync()`` -- fetch every message above the checkpoint's last UID (all of them if UIDVALIDITY changed), oldest
  first, hand each one's raw bytes to ``handler`` (which stores it before anything else happens and returns a
  ``Disposition``), move it to the processed or quarantine folder (created when missing; MOVE, or COPY + UID
  EXPUNGE of those UIDs where MOVE is missing -- nothing is ever deleted), then save the checkpoint. Messages
  come ``batch_size`` at a time ([imap] fetch_batch), streamed: the next batch downloads while this one is
  handled, and a batch's moves (one command per target folder) and its one checkpoint follow its handling. A
  crash anywhere repeats at most the handling of one batch, which the handler makes idempotent (Message-ID and
  digest).
* A handler exception is an infrastructure problem (database down): the loop reconnects and tries again. After
  ``max_handler_failures`` failures on the same UID the message is moved to quarantine unhandled and reported
  (``on_error``), so one poisonous message cannot stop the inbox. A message over ``max_message_bytes`` is not
  downloaded at all: it is moved to quarantine on the server and reported.

``run_once()`` connects, syncs and disconnects (the ``mail fetch`` command, the benchmark). ``connect`` can be
replaced (a seam for tests of the loop itself).
"""

from __future__ import annotations

import imaplib
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mail.smtp import Backoff, Security

log = logging.getLogger("cmbot.mail.imap")

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    IMAPClientError,
    imaplib.IMAP4.error,
    OSError,
    socket.timeout,
    ssl.SSLError,
    ConnectionError,
)


@dataclass(frozen=True)
class ImapMailbox:
    """The watched mailbox: server, account (password read by ``bot/``), folders and the loop's timing."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int = 993
    security: Security = Security.TLS
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    ca_file: str | None = None
    timeout: float = 60.0
    use_idle: bool = True
    idle_renew: float = 300.0  # re-issue IDLE and sync at least this often (RFC 2177: under 29 minutes)
    poll_interval: float = 60.0  # without IDLE
    batch_size: int = 10  # [imap] fetch_batch
    backoff: Backoff = field(default_factory=lambda: Backoff(base=1.0, factor=2.0, cap=300.0))
    max_handler_failures: int = 3
    max_message_bytes: int = 80 * 1024 * 1024  # larger messages are set aside in quarantine, not downloaded


class Disposition(StrEnum):
    PROCESSED = "processed"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class FetchedMessage:
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes


class Checkpoints(Protocol):
    def load(self, folder: str) -> tuple[int, int] | None:
        """(uidvalidity, last_uid) or None."""

    def save(self, folder: str, uidvalidity: int, last_uid: int) -> None: ...


class MemoryCheckpoints:
    def __init__(self) -> None:
        self.data: dict[str, tuple[int, int]] = {}

    def load(self, folder: str) -> tuple[int, int] | None:
        return self.data.get(folder)

    def save(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        self.data[folder] = (uidvalidity, last_uid)


class ServerGone(ConnectionError):
    """The server said BYE or the connection dropped during IDLE."""


Handler = Callable[[FetchedMessage], Disposition]


def connect(mailbox: ImapMailbox, ssl_context: ssl.SSLContext | None = None) -> IMAPClient:
    ctx = ssl_context or ssl.create_default_context(cafile=mailbox.ca_file)
    if mailbox.security is Security.TLS:
        client = IMAPClient(mailbox.host, mailbox.port, ssl=True, ssl_context=ctx, timeout=mailbox.timeout)
    else:
        client = IMAPClient(mailbox.host, mailbox.port, ssl=False, timeout=mailbox.timeout)
        if mailbox.security is Security.STARTTLS:
            client.starttls(ctx)
    try:
        client.login(mailbox.username, mailbox.password)
    except BaseException:
        _logout(client)
        raise
    return client


def _logout(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            log.debug("closing the IMAP connection failed", exc_info=True)


class ImapWatcher:
    def __init__(
        self,
        mailbox: ImapMailbox,
        handler: Handler,
        checkpoints: Checkpoints,
        *,
        connect_fn: Callable[[], IMAPClient] | None = None,
        on_error: Callable[[str], None] | None = None,
        rng: random.Random | None = None,
        prefetch: Callable[[Sequence[FetchedMessage]], None] | None = None,
    ) -> None:
        """``prefetch``: told of each batch as soon as it is downloaded, before its messages go to ``handler`` one
        by one (the handler may start on them ahead, e.g. read their workbooks in parallel)."""
        self.mailbox = mailbox
        self.prefetch = prefetch
        self.handler = handler
        self.checkpoints = checkpoints
        self._connect = connect_fn or (lambda: connect(mailbox))
        self.on_error = on_error or (lambda _text: None)
        self.rng = rng or random.Random()
        self.client: IMAPClient | None = None
        self.failures: dict[tuple[int, int], int] = {}
        self.reconnects = 0
        self.handled = 0
        self.idle_supported = False
        self._move_supported = False

    # -- connection -----------------------------------------------------------------------------------------
    def open(self) -> IMAPClient:
        client = self._connect()
        try:
            return self._prepare(client)
        except BaseException:
            _logout(client)
            raise

    def _prepare(self, client: IMAPClient) -> IMAPClient:
        caps = {c.upper() for c in client.capabilities()}
        self.idle_supported = b"IDLE" in caps
        self._move_supported = b"MOVE" in caps
        for folder in (self.mailbox.processed_folder, self.mailbox.quarantine_folder):
            if not client.folder_exists(folder):
                try:
                    client.create_folder(folder)
                except IMAPClientError:
                    if not client.folder_exists(folder):  # created concurrently is fine
                        raise
        client.select_folder(self.mailbox.folder)
        self.client = client
        return client

    def close(self) -> None:
        client, self.client = self.client, None
        _logout(client)

    # -- one pass -------------------------------------------------------------------------------------------
    def sync(self, stop: threading.Event | None = None) -> int:
        """Handle every message above the checkpoint; returns how many were handled.

        Messages are downloaded ``batch_size`` at a time, and streamed: while the handler works through one batch
        a helper thread downloads the next on the same connection (the handler never touches the connection;
        the moves and checkpoints of a batch follow once that download is done), so fetching and handling
        overlap and at most two batches are held in memory. ``stop`` ends the pass after the message in hand."""
        client = self.client or self.open()
        folder = self.mailbox.folder
        status = client.folder_status(folder, ["UIDVALIDITY"])
        uidvalidity = int(status[b"UIDVALIDITY"])
        saved = self.checkpoints.load(folder)
        last_uid = 0
        if saved is not None:
            if saved[0] == uidvalidity:
                last_uid = saved[1]
            else:
                log.warning(
                    "UIDVALIDITY of %s changed (%s -> %s): rescanning the folder", folder, saved[0], uidvalidity
                )
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        size = max(1, self.mailbox.batch_size)
        batches = [uids[i : i + size] for i in range(0, len(uids), size)]
        count = 0
        limit = self.mailbox.max_message_bytes
        ahead: _Download | None = _Download.start(client, batches[0], limit) if batches else None
        for index in range(len(batches)):
            assert ahead is not None
            current = ahead.result()
            ahead = None
            for uid, bytes_ in current.too_large:
                self._set_aside(client, uid, bytes_)
            if index + 1 < len(batches) and not (stop is not None and stop.is_set()):
                ahead = _Download.start(client, batches[index + 1], limit)
            messages = [FetchedMessage(folder, uidvalidity, uid, current.raw.pop(uid, b"")) for uid in current.wanted]
            if self.prefetch is not None:
                self.prefetch([m for m in messages if m.uid in current.present])
            done: list[tuple[FetchedMessage, Disposition | None]] = []  # None: expunged by someone else
            try:
                for message in messages:
                    if stop is not None and stop.is_set():
                        break
                    if message.uid not in current.present:  # expunged by someone else meanwhile
                        done.append((message, None))
                        continue
                    done.append((message, self._dispose(message)))
            finally:
                if ahead is not None:
                    ahead.wait()  # the connection is ours again before anything is moved
                count += self._finish_batch(client, folder, uidvalidity, batches[index], current, done)
            if stop is not None and stop.is_set():
                break
        return count

    def _set_aside(self, client: IMAPClient, uid: int, size: int) -> None:
        """A message over ``max_message_bytes`` is not downloaded: it goes to quarantine on the server, untouched (the
        batch's checkpoint passes it)."""
        log.warning(
            "message UID %s is %d bytes, over the limit: moved to %s", uid, size, self.mailbox.quarantine_folder
        )
        self._move(client, [uid], self.mailbox.quarantine_folder)
        self.on_error(
            f"An inbound e-mail of {size / 1e6:.0f} MB is over the {self.mailbox.max_message_bytes / 1e6:.0f} MB "
            f"limit; it was not read and is in the {self.mailbox.quarantine_folder} folder on the mail server."
        )

    def _dispose(self, message: FetchedMessage) -> Disposition:
        """The handler's verdict; after ``max_handler_failures`` failures on one UID: quarantine, unhandled."""
        key = (message.uidvalidity, message.uid)
        try:
            disposition = self.handler(message)
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:
            self.failures[key] = self.failures.get(key, 0) + 1
            if self.failures[key] < self.mailbox.max_handler_failures:
                raise
            log.exception("message UID %s failed %s times: quarantined unhandled", message.uid, self.failures[key])
            self.on_error(
                f"An inbound e-mail (IMAP UID {message.uid}) could not be handled {self.failures[key]} times "
                f"({exc.__class__.__name__}); it was moved to {self.mailbox.quarantine_folder} for a person to check."
            )
            disposition = Disposition.QUARANTINE
        self.failures.pop(key, None)
        return disposition

    def _finish_batch(
        self,
        client: IMAPClient,
        folder: str,
        uidvalidity: int,
        uids: Sequence[int],
        batch: _Batch,
        done: Sequence[tuple[FetchedMessage, Disposition | None]],
    ) -> int:
        """Move a batch's handled messages to their folders (one MOVE per folder), then save the checkpoint once: at
        the last UID below which every message of the batch is settled (handled, set aside, or gone). A crash between
        the moves and the checkpoint repeats the handling of this batch, which the handler makes idempotent.
        Returns how many messages were handled."""
        targets: dict[str, list[int]] = {}
        for message, disposition in done:
            if disposition is None:
                continue
            target = (
                self.mailbox.processed_folder
                if disposition is Disposition.PROCESSED
                else self.mailbox.quarantine_folder
            )
            targets.setdefault(target, []).append(message.uid)
        for target, moved in targets.items():
            self._move(client, moved, target)
        handled = sum(len(moved) for moved in targets.values())
        self.handled += handled
        settled = {message.uid for message, _ in done} | {uid for uid, _ in batch.too_large}
        last = None
        for uid in uids:
            if uid not in settled:
                break
            last = uid
        if last is not None:
            self.checkpoints.save(folder, uidvalidity, last)
        return handled

    def _move(self, client: IMAPClient, uids: list[int], target: str) -> None:
        if self._move_supported:
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.add_flags(uids, [b"\\Deleted"])
        if b"UIDPLUS" in {c.upper() for c in client.capabilities()}:
            client.uid_expunge(uids)
        else:
            client.expunge()

    def run_once(self) -> int:
        try:
            self.open()
            return self.sync()
        finally:
            self.close()

    # -- the daemon loop ------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                self.open()
                self._sync_until_quiet(stop)
                attempt = 0
                while not stop.is_set():
                    if self.mailbox.use_idle and self.idle_supported:
                        self._idle_until_news(stop)
                    else:
                        stop.wait(self.mailbox.poll_interval)
                        assert self.client is not None
                        self.client.noop()
                    if stop.is_set():
                        break
                    self._sync_until_quiet(stop)
            except CONNECTION_ERRORS as exc:
                delay = self.mailbox.backoff.delay(attempt, self.rng)
                attempt += 1
                self.reconnects += 1
                log.warning("IMAP connection problem (%s: %s); reconnecting in %.1fs", type(exc).__name__, exc, delay)
                if attempt == 5:
                    self.on_error(f"The mailbox {self.mailbox.host} is unreachable ({type(exc).__name__}); retrying.")
                self.close()
                stop.wait(delay)
            except Exception as exc:
                delay = self.mailbox.backoff.delay(attempt, self.rng)
                attempt += 1
                log.exception("inbound handling failed; retrying in %.1fs", delay)
                if attempt == 3:
                    self.on_error(f"Inbound e-mail handling keeps failing ({type(exc).__name__}); retrying.")
                self.close()
                stop.wait(delay)
        self.close()

    def _sync_until_quiet(self, stop: threading.Event) -> None:
        """Sync until a pass finds nothing new and the server announced no new mail while it ran.

        A pass's SEARCH sees the folder as the server last showed it to this connection: mail that lands after
        the pass's previous command is not in the result, only announced (``* n EXISTS``) in the reply. imapclient
        keeps such announcements aside instead of returning them, and IDLE does not repeat them, so without
        looking the watcher would sleep in IDLE until its renewal with mail waiting. Any announcement during a
        pass therefore asks for one more pass."""
        while not stop.is_set():
            client = self.client or self.open()
            _take_announcements(client)  # those of earlier commands: this pass sees their mail
            if self.sync(stop):
                continue
            if not _take_announcements(client):
                return

    def _idle_until_news(self, stop: threading.Event) -> None:
        client = self.client
        assert client is not None
        client.idle()
        deadline = time.monotonic() + self.mailbox.idle_renew
        news = False
        try:
            while not stop.is_set() and time.monotonic() < deadline and not news:
                timeout = min(1.0, max(0.05, deadline - time.monotonic()))
                began = time.monotonic()
                responses: list[Any] = client.idle_check(timeout=timeout)
                if not responses and time.monotonic() - began < timeout * 0.5:
                    # imapclient swallows EOF and returns nothing early: the server went away
                    raise ServerGone("connection closed during IDLE")
                for item in responses:
                    if isinstance(item, tuple) and item and item[0] == b"BYE":
                        raise ServerGone("server said BYE")
                    if isinstance(item, tuple) and len(item) >= 2 and item[1] in (b"EXISTS", b"RECENT"):
                        news = True
        finally:
            try:
                client.idle_done()
            except CONNECTION_ERRORS as exc:
                raise ServerGone(f"connection lost leaving IDLE: {exc}") from exc


@dataclass
class _Batch:
    wanted: list[int] = field(default_factory=list)
    too_large: list[tuple[int, int]] = field(default_factory=list)  # (uid, size): set aside, not downloaded
    raw: dict[int, bytes] = field(default_factory=dict)
    present: set[int] = field(default_factory=set)


class _Download:
    """One batch's FETCH (sizes, then the bodies of those under the limit) in a helper thread."""

    def __init__(self, client: IMAPClient, uids: list[int], max_bytes: int) -> None:
        self.client, self.uids, self.max_bytes = client, uids, max_bytes
        self.batch = _Batch()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="imap-fetch", daemon=True)

    @classmethod
    def start(cls, client: IMAPClient, uids: list[int], max_bytes: int) -> _Download:
        download = cls(client, uids, max_bytes)
        download.thread.start()
        return download

    def _run(self) -> None:
        try:
            sizes = self.client.fetch(self.uids, ["RFC822.SIZE"])
            for uid in self.uids:
                size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
                if size > self.max_bytes:
                    self.batch.too_large.append((uid, size))
                else:
                    self.batch.wanted.append(uid)
            fetched = self.client.fetch(self.batch.wanted, ["BODY.PEEK[]"]) if self.batch.wanted else {}
            for uid in self.batch.wanted:
                data = fetched.get(uid)
                raw = data.get(b"BODY[]") if data else None
                if raw is not None:
                    self.batch.raw[uid] = bytes(raw)
                    self.batch.present.add(uid)
        except BaseException as exc:
            self.error = exc

    def wait(self) -> None:
        self.thread.join()

    def result(self) -> _Batch:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.batch


def _take_announcements(client: IMAPClient) -> bool:
    """Whether the server announced new mail (``* n EXISTS``) in a reply imapclient kept aside; forgets it.

    imapclient leaves the untagged replies it does not return in its imaplib connection, where imaplib's public
    ``IMAP4.response`` reads them; imapclient offers no other way to see them."""
    connection = getattr(client, "_imap", None)
    if not isinstance(connection, imaplib.IMAP4):
        return False  # cannot tell (not imapclient over imaplib): the IDLE renewal syncs again
    _typ, data = connection.response("EXISTS")
    return any(d is not None for d in data)


def find_message_id(mailbox: ImapMailbox, folder: str, message_id: str) -> bool | None:
    """Whether a message with this Message-ID is in ``folder`` (None when the server cannot be asked)."""
    try:
        client = connect(mailbox)
    except CONNECTION_ERRORS:
        return None
    try:
        if not client.folder_exists(folder):
            return False
        client.select_folder(folder, readonly=True)
        return bool(client.search(["HEADER", "Message-ID", message_id]))
    except CONNECTION_ERRORS:
        return None
    finally:
        _logout(client)
