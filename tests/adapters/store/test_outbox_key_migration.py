"""Migration 0003 rewrites the outbox keys of e-mails sent from Slack into the one key format, on SQLite and
PostgreSQL, so an installation upgraded mid-campaign never sends a reminder (or a clarification) twice.

The rows are written with plain SQL into the schema of revision 0002, as the previous release left them."""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib

import sqlalchemy as sa

from cmrt.outreach import keys
from handlers import mailroom
from handlers.mail_store import StoreOutboxRepository
from handlers.outreach_mail import MailOutreach, SenderIdentity, SlackOutreach
from mail.compose import MailTemplates
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox
from store import Database, head_revisions, make_engine, upgrade
from store.models import OutboxItem
from store.states import OutboxState

BOT = "bot@buyer.test"
TEXT = "Please fill in the smelter list."
OLD_DIGEST = hashlib.sha256(TEXT.strip().encode("utf-8")).hexdigest()[:16]  # as the Slack path hashed it
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
CID = 1
BEFORE = "0002"  # the revision before the key rewrite
R0, R1, R2 = 1, 2, 3


def _t(name: str, *columns: tuple[str, sa.types.TypeEngine[object]]) -> sa.TableClause:
    return sa.table(name, *(sa.column(n, t) for n, t in columns))


STAMPS = (("created_at", sa.DateTime(timezone=True)), ("updated_at", sa.DateTime(timezone=True)))
SUPPLIERS = _t("suppliers", ("id", sa.Integer()), ("external_id", sa.String()), ("name", sa.String()),
               ("tier", sa.String()), ("email_domains", sa.JSON()), ("tags", sa.JSON()), *STAMPS)
CONTACTS = _t("contacts", ("id", sa.Integer()), ("supplier_id", sa.Integer()), ("email", sa.String()),
              ("state", sa.String()), *STAMPS)
CAMPAIGNS = _t("campaigns", ("id", sa.Integer()), ("year", sa.Integer()), ("template_family", sa.String()),
               ("scope", sa.String()), ("due_date", sa.Date()), ("state", sa.String()),
               ("supplier_filter", sa.String()), ("review_overrides", sa.JSON()), ("created_by", sa.String()),
               *STAMPS)
REQUESTS = _t("requests", ("id", sa.Integer()), ("campaign_id", sa.Integer()), ("supplier_id", sa.Integer()),
              ("state", sa.String()), ("token", sa.String()), ("reminder_count", sa.Integer()),
              ("escalation_count", sa.Integer()), ("sent_at", sa.DateTime(timezone=True)), *STAMPS)
OUTBOX = _t("outbox", ("id", sa.Integer()), ("idempotency_key", sa.String()), ("kind", sa.String()),
            ("request_id", sa.Integer()), ("to_address", sa.String()), ("message_id", sa.String()),
            ("message_bytes", sa.LargeBinary()), ("state", sa.String()), ("attempts", sa.Integer()),
            ("created_at", sa.DateTime(timezone=True)))  # fmt: skip

OLD_ROWS = {  # key -> (kind, state)
    f"request-{R0}:reminder-2": ("reminder", "sent"),  # sent from Slack before the upgrade
    f"request-{R0}:clarification-{OLD_DIGEST}": ("clarification", "sent"),
    f"request-{R1}:reminder-1": ("reminder", "uncertain"),  # waiting for a person's decision
    f"request-{R2}:reminder-1": ("reminder", "sent"),  # recorded under both names already
    f"c{CID}:r{R2}:reminder:1": ("reminder", "sent"),
    "request-9999:reminder-1": ("reminder", "sent"),  # its request is gone
    f"c{CID}:r{R0}:request": ("request", "sent"),
    "ack:<reply-1@supplier.test>": ("acknowledgment", "pending"),
}


def _seed_before(url: str) -> None:
    upgrade(url, BEFORE)
    stamps = {"created_at": NOW, "updated_at": NOW}
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for n in range(3):
                conn.execute(sa.insert(SUPPLIERS).values(
                    id=n + 1, external_id=f"S{n}", name=f"Supplier {n}", tier="direct", email_domains=[], tags=[],
                    **stamps))  # fmt: skip
                conn.execute(sa.insert(CONTACTS).values(
                    id=n + 1, supplier_id=n + 1, email=f"c{n}@supplier.test", state="active", **stamps))  # fmt: skip
            conn.execute(sa.insert(CAMPAIGNS).values(
                id=CID, year=2025, template_family="CMRT", scope="company", due_date=dt.date(2026, 3, 31),
                state="active", supplier_filter="all", review_overrides={}, created_by="system", **stamps))  # fmt: skip
            for rid in (R0, R1, R2):
                conn.execute(sa.insert(REQUESTS).values(
                    id=rid, campaign_id=CID, supplier_id=rid, state="reminded", token=f"TOKEN{rid}AB",
                    reminder_count=1, escalation_count=0, sent_at=NOW - dt.timedelta(days=30), **stamps))  # fmt: skip
            for n, (key, (kind, state)) in enumerate(OLD_ROWS.items()):
                conn.execute(sa.insert(OUTBOX).values(
                    id=n + 1, idempotency_key=key, kind=kind, request_id=R0, to_address="c0@supplier.test",
                    message_id=f"<old-{n}@buyer.test>", message_bytes=b"raw", state=state, attempts=1,
                    created_at=NOW))  # fmt: skip
        if engine.dialect.name == "postgresql":  # rows were given ids: move the sequences past them
            with engine.begin() as conn:
                for table in ("suppliers", "contacts", "campaigns", "requests", "outbox"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)")
    finally:
        engine.dispose()


def _keys(url: str) -> dict[str, OutboxState]:
    with Database(url) as db, db.session() as s:
        return {item.idempotency_key: item.state for item in s.scalars(sa.select(OutboxItem))}


def test_upgrade_rewrites_the_old_keys_and_leaves_the_rest(store_url: str) -> None:
    _seed_before(store_url)
    upgrade(store_url)
    expected = {
        keys.reminder(CID, R0, 2): OutboxState.SENT,
        keys.clarification(CID, R0, TEXT): OutboxState.SENT,
        keys.reminder(CID, R1, 1): OutboxState.UNCERTAIN,
        f"request-{R2}:reminder-1": OutboxState.SENT,  # the new name was taken: both stay as they were
        keys.reminder(CID, R2, 1): OutboxState.SENT,
        "request-9999:reminder-1": OutboxState.SENT,
        keys.initial_request(CID, R0): OutboxState.SENT,
        keys.acknowledgment("<reply-1@supplier.test>"): OutboxState.PENDING,
    }
    assert _keys(store_url) == expected
    assert upgrade(store_url) == (head_revisions(), head_revisions())
    assert _keys(store_url) == expected


def test_a_reminder_recorded_before_the_upgrade_is_not_sent_again(store_url: str, tmp_path: pathlib.Path) -> None:
    _seed_before(store_url)
    upgrade(store_url)
    out = tmp_path / "outbox"
    with Database(store_url) as db:
        outbox = Outbox(StoreOutboxRepository(db, mail_from=BOT), MaildirSender(out))
        mail = MailOutreach(db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"))
        # the scheduler's reminder 2 is the reminder 2 a person sent from Slack before the upgrade
        assert mail.send_reminder(R0, key=keys.reminder(CID, R0, 2), number=2).detail == "already sent"
        # the same clarification asked for again from Slack is the one already sent
        result = SlackOutreach(mail).send_clarification(R0, body=TEXT, actor="U1")
        assert (result.queued, result.detail) == (True, "already sent")
        # a reminder that was never recorded does go out: the check above is not vacuous
        assert mail.send_reminder(R0, key=keys.reminder(CID, R0, 3), number=3).detail == "sent"
    assert len(list((out / "new").glob("*.eml"))) == 1


def test_an_alert_posted_before_the_upgrade_still_settles_its_email(store_url: str, tmp_path: pathlib.Path) -> None:
    """The *Count as sent* button (or `cmrt-bot mail release KEY`) of an older alert carries the earlier key."""
    _seed_before(store_url)
    upgrade(store_url)
    with Database(store_url) as db:
        outbox = Outbox(StoreOutboxRepository(db, mail_from=BOT), MaildirSender(tmp_path / "outbox"))
        result = mailroom.release(db, outbox, f"request-{R1}:reminder-1", resend=False, actor="U1")
        assert result.ok, result.text
        assert outbox.repo.get(keys.reminder(CID, R1, 1)).state is OutboxState.SENT  # type: ignore[union-attr]
        gone = mailroom.release(db, outbox, "request-9999:reminder-1", resend=False, actor="U1")
        assert not gone.ok  # not uncertain, and its request does not exist: nothing to settle
