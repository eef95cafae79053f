"""A separate process that records and sends one e-mail through the outbox, optionally SIGKILLing itself at a step.

python -m tests.adapters.mail.outbox_worker DB_URL HOST PORT TO KEY CRASH_AT RECONCILE
CRASH_AT: recorded | claimed | data_sent | sent | none. RECONCILE: none | imap:<port>:<password>.
Prints the record's final state.
"""

from __future__ import annotations

import os
import signal
import sys
from email.message import EmailMessage

from handlers.mail_store import StoreOutboxRepository
from mail.headers import stable_message_id
from mail.imap import ImapMailbox, find_message_id
from mail.outbox import Outbox, OutboxRecord
from mail.smtp import Security, SmtpSender, SmtpServer
from store import Database


def main() -> None:
    db_url, host, port, to, key, crash_at, reconcile_spec = sys.argv[1:8]
    db = Database(db_url)
    repo = StoreOutboxRepository(db, mail_from="bot@example.test")

    def step(name: str, _record: OutboxRecord) -> None:
        if name == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    reconcile = None
    if reconcile_spec.startswith("imap:"):
        _, imap_port, password = reconcile_spec.split(":", 2)
        settings = ImapMailbox(host=host, port=int(imap_port), security=Security.NONE, username=to, password=password)

        def reconcile(message_id: str) -> bool | None:
            return find_message_id(settings, "INBOX", message_id)

    sender = SmtpSender(SmtpServer(host=host, port=int(port), security=Security.NONE, timeout=10))
    outbox = Outbox(repo, sender, step=step, reconcile=reconcile, sleep=lambda _s: None)
    outbox.recover()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bot@example.test", to, f"crash test {key}"
    msg["Message-ID"] = stable_message_id(key, "example.test")
    msg.set_content("once only")
    outbox.enqueue(
        OutboxRecord(key=key, kind="request", to_address=to, mail_from="bot@example.test",
                     message_id=msg["Message-ID"], raw=msg.as_bytes())
    )  # fmt: skip
    outbox.deliver_due()
    record = repo.get(key)
    print(record.state.value if record else "missing")


if __name__ == "__main__":
    main()
