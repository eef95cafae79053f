"""Inbound from a Maildir (on-premise mail hosts, the demo): the same handler contract as the IMAP watcher.

``MaildirSource(path, handler)``: every message in ``new/`` and ``cur/`` of the Maildir is handed to ``handler``
(raw bytes; ``FetchedMessage.folder`` is the Maildir path, ``uid`` a running number), then moved into the
Maildir++ subfolder ``.Processed`` or ``.Quarantine`` (created when missing). Nothing is deleted: the message is
written to the subfolder before it leaves the inbox. ``poll(stop, interval)`` repeats ``sync()``.
"""

from __future__ import annotations

import logging
import mailbox
import pathlib
import threading

from mail.imap import Disposition, FetchedMessage, Handler

log = logging.getLogger("cmbot.mail.maildir")


class MaildirSource:
    def __init__(
        self,
        path: str | pathlib.Path,
        handler: Handler,
        *,
        processed_folder: str = "Processed",
        quarantine_folder: str = "Quarantine",
        create: bool = True,
    ) -> None:
        self.path = pathlib.Path(path)
        self.handler = handler
        self.box = mailbox.Maildir(str(self.path), factory=None, create=create)
        self.folders = {
            Disposition.PROCESSED: self._folder(processed_folder),
            Disposition.QUARANTINE: self._folder(quarantine_folder),
        }
        self.handled = 0

    def _folder(self, name: str) -> mailbox.Maildir:
        try:
            return self.box.get_folder(name)
        except mailbox.NoSuchMailboxError:
            return self.box.add_folder(name)

    def sync(self) -> int:
        count = 0
        keys = sorted(self.box.iterkeys())  # unique names start with the delivery time
        for key in keys:
            try:
                raw = self.box.get_bytes(key)
            except KeyError:  # taken by another process meanwhile
                continue
            disposition = self.handler(FetchedMessage(str(self.path), 0, self.handled + 1, raw))
            msg = self.box.get_message(key)
            self.folders[disposition].add(msg)
            self.box.discard(key)
            self.handled += 1
            count += 1
        return count

    def poll(self, stop: threading.Event, interval: float = 10.0) -> None:
        while not stop.is_set():
            try:
                self.sync()
            except OSError:
                log.exception("reading the Maildir %s failed; retrying", self.path)
            stop.wait(interval)
