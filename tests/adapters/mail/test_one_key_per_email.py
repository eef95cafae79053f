"""The scheduler and a person in Slack name the same reminder with the same key (``cmrt.outreach.keys``): when both
ask for reminder *n* of a request (the bot stopped after sending it, before counting it), one e-mail goes out."""

from __future__ import annotations

import datetime as dt
import pathlib

from cmrt.outreach import keys
from cmrt.outreach.states import RequestState
from handlers.mail_store import StoreOutboxRepository
from handlers.outreach_mail import MailOutreach, SenderIdentity, SlackOutreach
from mail.compose import MailTemplates
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox
from store import Database, campaigns, suppliers
from store import requests as request_repo

BOT = "bot@buyer.test"
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


def test_a_scheduled_reminder_and_the_same_one_from_slack_are_one_email(
    store_db: Database, tmp_path: pathlib.Path
) -> None:
    with store_db.session() as s:
        supplier, _ = suppliers.upsert(s, suppliers.SupplierData("S1", "Supplier 1", "anna@supplier.test"))
        s.flush()
        campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier])
        s.flush()
        (request,) = campaign.requests
        request_repo.transition(s, request, RequestState.SENT, now=NOW - dt.timedelta(days=15))
        cid, rid = campaign.id, request.id
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(store_db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(store_db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"))

    # the scheduler sends reminder 1 under its action's key; the bot stops before the request counts it
    assert mail.send_reminder(rid, key=keys.reminder(cid, rid, 1), number=1).detail == "sent"
    # a person presses Remind in Slack: reminder 1 again, by the same name
    result = SlackOutreach(mail).send_reminder(rid, actor="U1")
    assert (result.queued, result.detail) == (True, "already sent")
    assert len(list((out / "new").glob("*.eml"))) == 1
    with store_db.session() as s:
        request = request_repo.get(s, rid)
        assert request is not None and (request.state, request.reminder_count) == (RequestState.REMINDED, 1)
