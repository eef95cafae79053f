"""Read ahead: take the e-mails of a fetched batch apart and read their workbooks in the reader pool while the
pipeline records earlier ones.

The IMAP watcher hands each batch to ``submit`` as soon as it is downloaded. At most ``window`` e-mails (as many as the
workers) are taken apart ahead of the pipeline, the next one starting as the pipeline takes one, so memory stays flat
whatever the batch size. ``workers`` helper threads each send one e-mail at a time to a reader process
(``cmrt.workbook.isolation.call_isolated`` of ``mail.prepare.take_apart``: the MIME parse, the attachments' decoding
and the raw bytes' digests, the work ``store_raw`` and ``classify_message`` would do, outside the bot's interpreter
lock); each workbook found goes to ``workers`` reader threads, each waiting on a reader process of its own
(``cmrt.workbook.isolation``: isolated, with the memory and time caps). The pipeline then takes the parsed e-mail
(``take``) and each reading (``read``, by the workbook's sha256) instead of doing the work itself; whatever is not
ready yet it waits for, whatever is missing (another source, a different file, a worker that failed) it does itself.
Nothing here writes to the store: the steps still store the raw bytes first and record everything, in order. A
batch's leftovers are dropped when the next batch is submitted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from cmrt.declaration import Declaration
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.isolation import ReadInterrupted, call_isolated
from mail.attachments import AttachmentLimits, Extracted
from mail.classify import InboundMessage
from mail.imap import FetchedMessage
from mail.prepare import RawKeys, take_apart, with_raw

log = logging.getLogger("cmbot.mail.inbound")


@dataclass(frozen=True)
class Prepared:
    raw: bytes
    message: InboundMessage
    extracted: Extracted
    keys: RawKeys | None = None  # the digests ``store_raw`` keys the raw bytes by (None: it computes them)


class ReadAhead:
    def __init__(
        self,
        *,
        workers: int,
        attachment_limits: AttachmentLimits,
        read_limits: ReadLimits | None,
        passwords: Sequence[str],
    ) -> None:
        self.attachment_limits = attachment_limits
        self.read_limits = read_limits
        self.passwords = tuple(passwords)
        self._parsers = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="read-ahead-parse")
        self._readers = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="read-ahead-read")
        self.window = max(1, workers)  # e-mails taken apart ahead of the pipeline at most (memory stays flat)
        self._lock = threading.Lock()
        self._waiting: deque[FetchedMessage] = deque()  # submitted, not started yet
        self._prepared: dict[tuple[str | None, int | None], Future[Prepared]] = {}
        self._reads: dict[str, Future[Declaration]] = {}
        self._closed = False  # close() until the next submit: an e-mail parsed meanwhile starts no reading
        self.taken = 0  # e-mails the pipeline took parsed from here
        self.read_ahead = 0  # workbooks whose reading the pipeline took from here

    # -- the watcher's side ---------------------------------------------------------------------------------
    def submit(self, messages: Sequence[FetchedMessage]) -> None:
        """Start on a freshly downloaded batch (what is left of the previous one is dropped): the first ``window``
        e-mails now, each further one when the pipeline takes one."""
        with self._lock:
            self._drop()
            self._closed = False
            self._waiting = deque(messages)
            for _ in range(self.window):
                self._start_next()

    def _start_next(self) -> None:
        if self._waiting:
            message = self._waiting.popleft()
            self._prepared[(message.folder, message.uid)] = self._parsers.submit(self._prepare, message.raw)

    def close(self) -> None:
        """Drop everything not started (shutdown, or the inbox stopping); a later ``submit`` starts again."""
        with self._lock:
            self._drop()
            self._closed = True

    def _drop(self) -> None:
        for prepared in self._prepared.values():
            prepared.cancel()
        for reading in self._reads.values():
            reading.cancel()
        self._prepared, self._reads, self._waiting = {}, {}, deque()

    def _prepare(self, raw: bytes) -> Prepared:
        limits = self.read_limits or ReadLimits()
        if limits.isolated:  # in a reader process: the parse holds neither our interpreter lock nor our memory
            message, extracted, keys = call_isolated(
                take_apart, raw, self.attachment_limits,
                memory_bytes=limits.max_memory_bytes, timeout_seconds=limits.timeout_seconds,
            )  # fmt: skip
        else:
            message, extracted, keys = take_apart(raw, self.attachment_limits)
        for wb in extracted.workbooks:
            with self._lock:
                if self._closed or wb.sha256 in self._reads:  # closed: the pipeline reads it, if it ever asks
                    continue
                self._reads[wb.sha256] = self._readers.submit(
                    read_workbook, wb.content, filename=wb.filename, limits=self.read_limits, passwords=self.passwords
                )
        return Prepared(raw, with_raw(message, raw), extracted, keys)

    # -- the pipeline's side --------------------------------------------------------------------------------
    def take(self, raw: bytes, folder: str | None, uid: int | None) -> Prepared | None:
        """The parsed e-mail and its attachments, when this very e-mail was submitted and parsed without error.
        ``ReadInterrupted`` when shutdown stopped the worker parsing it (the mailbox keeps the e-mail)."""
        with self._lock:
            future = self._prepared.pop((folder, uid), None)
            if future is None:  # not started (the pipeline went past the window): it is parsed by the pipeline
                self._waiting = deque(m for m in self._waiting if (m.folder, m.uid) != (folder, uid))
            self._start_next()
        if future is None or future.cancelled():
            return None
        try:
            prepared = future.result()
        except ReadInterrupted:
            raise
        except Exception:  # the pipeline parses it again and handles the error in its own way
            return None
        if prepared.raw is not raw:
            return None
        self.taken += 1
        return prepared

    def read(self, content: bytes, *, filename: str | None, sha256: str | None = None) -> Declaration:
        """``read_workbook`` of this workbook (``sha256``: its digest, when known): the reading started ahead when
        there is one, else read now."""
        digest = sha256 or hashlib.sha256(content).hexdigest()
        with self._lock:
            future = self._reads.pop(digest, None)
        if future is not None and not future.cancelled():
            self.read_ahead += 1
            return future.result()  # WorkbookError and ReadInterrupted as read_workbook raises them
        return read_workbook(content, filename=filename, limits=self.read_limits, passwords=self.passwords)
