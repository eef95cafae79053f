"""MaildirSource: the same handler contract on a local Maildir, messages moved (never deleted)."""

from __future__ import annotations

import mailbox
import pathlib

from mail.imap import Disposition, FetchedMessage
from mail.maildir import MaildirSource
from tests.unit.mail.helpers import inbound


def test_maildir_source_moves_processed_and_quarantined(tmp_path: pathlib.Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for n in range(3):
        box.add(inbound(subject=f"m{n}"))
    seen: list[bytes] = []

    def handler(message: FetchedMessage) -> Disposition:
        seen.append(message.raw)
        return Disposition.QUARANTINE if b"Subject: m1" in message.raw else Disposition.PROCESSED

    source = MaildirSource(tmp_path / "Maildir", handler)
    assert source.sync() == 3
    assert len(seen) == 3
    assert len(box) == 0
    assert len(box.get_folder("Processed")) == 2
    assert len(box.get_folder("Quarantine")) == 1
    assert source.sync() == 0
