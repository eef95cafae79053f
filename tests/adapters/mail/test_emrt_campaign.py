"""Issue 17 acceptance, an EMRT campaign from end to end: the request asks about the EMRT minerals and attaches the
blank EMRT; the supplier returns an EMRT (RMI's real template, filled in) by e-mail; it goes through the real
inbound path (stored, matched, read, reviewed against the campaign's family, acknowledged in the same words); the
figures count it per template family (``status --json`` ``families``)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import pathlib
import warnings

import openpyxl
import pytest

from cmrt.outreach import ActionKind, DigestFrequency, OutreachConfig, ScheduleConfig, keys
from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundProcessor
from handlers.mail_store import StoreOutboxRepository
from handlers.outreach_mail import MailOutreach, SenderIdentity
from handlers.outreach_state import plan_campaigns
from handlers.status import report_lines, status_report
from handlers.ticks import Ticker
from mail.compose import MailTemplates
from mail.headers import token_tag
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox
from store import Database, campaigns, suppliers
from store import figures as figure_repo
from store.models import Request, Review, Submission
from tests.conftest import corpus_path
from tests.unit.mail.helpers import XLSX, inbound

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

BOT = "bot@buyer.test"
CONTACT = "li@mica-works.test"
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


def _returned_emrt() -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "Conditional Formatting extension is not supported"
        wb = openpyxl.load_workbook(corpus_path("templates", "RMI_EMRT_2.1_zh.xlsx"))
    ws = wb["Declaration"]
    ws["D8"], ws["D16"], ws["E12"] = "Mica Works Ltd.", CONTACT, "(Delete Copper)"
    ws["D30"], ws["D31"] = "Yes", "No"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _mails(out: pathlib.Path) -> list[email.message.EmailMessage]:
    paths = sorted((out / "new").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]  # type: ignore[misc]


def test_an_emrt_campaign_asks_receives_reviews_and_counts_the_emrt(
    mail_db: Database, tmp_path: pathlib.Path
) -> None:
    with mail_db.session() as s:
        supplier, _ = suppliers.upsert(s, suppliers.SupplierData("S-9", "Mica Works Ltd.", CONTACT,
                                                                 contact_name="Li Wei"))  # fmt: skip
        s.flush()
        campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier],
                                    template_family="EMRT")  # fmt: skip
        s.flush()
        (request,) = campaign.requests
        cid, rid, token = campaign.id, request.id, request.token
    cmrt_blank, emrt_blank = tmp_path / "CMRT_blank.xlsx", tmp_path / "EMRT_2.1_blank.xlsx"
    cmrt_blank.write_bytes(b"PK cmrt"), emrt_blank.write_bytes(b"PK emrt")
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(mail_db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"),
                        blank_template=cmrt_blank, blank_templates={"EMRT": emrt_blank})  # fmt: skip

    # the request: EMRT minerals, the blank EMRT attached (not the CMRT)
    assert mail.send_request(rid, key=keys.initial_request(cid, rid)).accepted
    (request_mail,) = _mails(out)
    body = request_mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = " ".join(str(body.get_content()).split())
    assert "Request for your EMRT 2025" in str(request_mail["Subject"])
    assert "cobalt, copper, graphite, lithium, mica and nickel" in text and "3TG" not in text
    assert [p.get_filename() for p in request_mail.iter_attachments()] == ["EMRT_2.1_blank.xlsx"]

    # the supplier returns the EMRT: the real inbound path stores, matches, reads and reviews it
    raw = inbound(sender=CONTACT, subject=f"Re: EMRT {token_tag(token)}",
                  attachments=[("EMRT_Mica_Works.xlsx", _returned_emrt(), XLSX)])  # fmt: skip
    outcome = InboundProcessor(mail_db, outreach=mail).process(raw)
    assert outcome.request_id == rid
    with mail_db.session() as s:
        (submission,) = s.query(Submission).filter_by(request_id=rid).all()
        assert submission.detected_family == "EMRT"
        assert submission.declaration["template"] == {"family": "EMRT", "version": "2.1"}
        (review,) = s.query(Review).filter_by(submission_id=submission.id).all()
        checks = {f["check"] for f in review.findings}
        assert "template.wrong_family" not in checks  # an EMRT is what the campaign asked for
        assert s.get(Request, rid) is not None
    ack = _mails(out)[-1]
    assert str(ack["Subject"]).startswith("Received") and "EMRT" in str(ack["Subject"])
    assert [a.addr_spec for a in ack["To"].addresses] == [CONTACT]

    # the figures per template family: status --json "families" and figures.families, the lines name the EMRT
    with mail_db.session() as s:
        campaign = campaigns.get_by_year(s, 2025)
        assert campaign is not None
        figures = figure_repo.campaign_figures(s, campaign, NOW.date())
        status = status_report(s, campaign, timezone="UTC", tick=dt.timedelta(minutes=5), now=NOW)
    assert figures.responded == 1
    emrt = {"asked": 1, "surveyed": 1, "responded": 1, "response_rate": 1.0, "unasked": 0, "overdue": 0}
    assert figures.families == {"EMRT": emrt}
    assert status.data["families"] == {"EMRT": emrt} and status.data["figures"]["families"] == {"EMRT": emrt}
    assert "Responded per template: EMRT 1 of 1 (100.0 %)." in figures.lines()


def test_a_campaign_asking_for_cmrt_and_emrt_tracks_each_family(mail_db: Database, tmp_path: pathlib.Path) -> None:
    with mail_db.session() as s:
        supplier, _ = suppliers.upsert(s, suppliers.SupplierData("S-9", "Mica Works Ltd.", CONTACT))
        s.flush()
        campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier],
                                    template_family="CMRT,EMRT")  # fmt: skip
        s.flush()
        (request,) = campaign.requests
        cid, rid, token = campaign.id, request.id, request.token
    cmrt_blank, emrt_blank = tmp_path / "CMRT_blank.xlsx", tmp_path / "EMRT_blank.xlsx"
    cmrt_blank.write_bytes(b"PK cmrt"), emrt_blank.write_bytes(b"PK emrt")
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(mail_db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"),
                        blank_template=cmrt_blank, blank_templates={"EMRT": emrt_blank})  # fmt: skip
    assert mail.send_request(rid, key=keys.initial_request(cid, rid)).accepted
    (request_mail,) = _mails(out)
    assert [p.get_filename() for p in request_mail.iter_attachments()] == ["CMRT_blank.xlsx", "EMRT_blank.xlsx"]

    # the CMRT comes back first: the CMRT counts as responded, the EMRT is still awaited
    raw = inbound(sender=CONTACT, subject=f"Re: CMRT {token_tag(token)}",
                  attachments=[("CMRT.xlsx", build_cmrt(company_name="Mica Works Ltd."), XLSX)])  # fmt: skip
    assert InboundProcessor(mail_db, outreach=mail).process(raw).request_id == rid
    with mail_db.session() as s:
        (review,) = s.query(Review).all()
        assert "template.wrong_family" not in {f["check"] for f in review.findings}
        campaign = campaigns.get_by_year(s, 2025)
        assert campaign is not None and campaign.template_family == "CMRT,EMRT"
        figures = figure_repo.campaign_figures(s, campaign, NOW.date())
    assert figures.families == {
        "CMRT": {"asked": 1, "surveyed": 1, "responded": 1, "response_rate": 1.0, "unasked": 0, "overdue": 0},
        "EMRT": {"asked": 1, "surveyed": 1, "responded": 0, "response_rate": 0.0, "unasked": 0, "overdue": 0},
    }
    assert "Responded per template: CMRT 1 of 1 (100.0 %); EMRT 0 of 1 (0.0 %)." in figures.lines()


def _text(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def test_a_partly_returned_request_is_reminded_of_the_missing_template_only(
    mail_db: Database, tmp_path: pathlib.Path
) -> None:
    """Gap 1 of issue 17: CMRT,EMRT; the CMRT comes back (the acknowledgment says the EMRT is still expected), the
    reminder names and attaches the EMRT alone, the EMRT comes back, and then nothing more goes out."""
    with mail_db.session() as s:
        supplier, _ = suppliers.upsert(s, suppliers.SupplierData("S-9", "Mica Works Ltd.", CONTACT))
        s.flush()
        campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier],
                                    template_family="CMRT,EMRT")  # fmt: skip
        s.flush()
        (request,) = campaign.requests
        rid, token = request.id, request.token
    cmrt_blank, emrt_blank = tmp_path / "CMRT_blank.xlsx", tmp_path / "EMRT_blank.xlsx"
    cmrt_blank.write_bytes(b"PK cmrt"), emrt_blank.write_bytes(b"PK emrt")
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(mail_db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp"),
                        blank_template=cmrt_blank, blank_templates={"EMRT": emrt_blank})  # fmt: skip
    config = OutreachConfig(digest=DigestFrequency.OFF, escalate_days_before_due=0,
                            schedule=ScheduleConfig(timezone="UTC", quiet_hours=None))  # fmt: skip
    now = [NOW]
    ticker = Ticker(mail_db, mail, config, clock=lambda: now[0])
    assert ticker.tick().keys == [f"c{campaign.id}:r{rid}:request"]

    # the CMRT comes back: the acknowledgment says the EMRT is still expected
    raw = inbound(sender=CONTACT, subject=f"Re: CMRT {token_tag(token)}",
                  attachments=[("CMRT.xlsx", build_cmrt(company_name="Mica Works Ltd."), XLSX)])  # fmt: skip
    assert InboundProcessor(mail_db, outreach=mail).process(raw).request_id == rid
    ack = _text(_mails(out)[-1])
    assert "We are still waiting for the Extended Minerals Reporting Template (EMRT)" in ack
    with mail_db.session() as s:
        state_after_cmrt = s.get(Request, rid).state  # type: ignore[union-attr]

    # 14 days after the request: reminder 1 names the EMRT alone and attaches only its blank; the state stays
    now[0] = NOW + dt.timedelta(days=14)
    with mail_db.session() as s:
        (campaign_plan,) = plan_campaigns(s, config, now[0])
    (due,) = campaign_plan.plan.actions
    assert due.kind == ActionKind.REMINDER and "waiting for EMRT" in due.reason  # what `cmrt-bot plan` prints
    assert ticker.tick().keys == [f"c{campaign.id}:r{rid}:reminder:1"]
    reminder = _mails(out)[-1]
    assert str(reminder["Subject"]).startswith("Reminder: EMRT 2025")
    assert [p.get_filename() for p in reminder.iter_attachments()] == ["EMRT_blank.xlsx"]
    text = _text(reminder)
    assert "Thank you for the Conflict Minerals Reporting Template (CMRT) you sent." in text
    assert "We have not yet received the Extended Minerals Reporting Template (EMRT) for Mica Works Ltd." in text
    with mail_db.session() as s:
        req = s.get(Request, rid)
        assert req is not None and req.state == state_after_cmrt and req.reminder_count == 1
        figures = figure_repo.campaign_figures(s, campaigns.get_by_year(s, 2025), NOW.date())  # type: ignore[arg-type]
    assert figures.families["EMRT"]["responded"] == 0 and figures.families["CMRT"]["responded"] == 1

    # the EMRT comes back: the acknowledgment expects nothing more, and no reminder or escalation follows
    raw = inbound(sender=CONTACT, subject=f"Re: EMRT {token_tag(token)}",
                  attachments=[("EMRT_Mica_Works.xlsx", _returned_emrt(), XLSX)])  # fmt: skip
    assert InboundProcessor(mail_db, outreach=mail).process(raw).request_id == rid
    assert "still waiting" not in _text(_mails(out)[-1])
    sent = len(_mails(out))
    for days in (28, 35, 60, 80):  # the second reminder, the escalation after it, the due date (2026-03-31)
        now[0] = NOW + dt.timedelta(days=days)
        assert ticker.tick().keys == []
    assert len(_mails(out)) == sent
    with mail_db.session() as s:
        campaign = campaigns.get_by_year(s, 2025)
        assert campaign is not None
        figures = figure_repo.campaign_figures(s, campaign, now[0].date())
        status = status_report(s, campaign, timezone="UTC", tick=dt.timedelta(minutes=5), now=now[0])
    both = {"asked": 1, "surveyed": 1, "responded": 1, "response_rate": 1.0, "unasked": 0, "overdue": 0}
    assert figures.families == status.data["families"] == status.data["figures"]["families"] == {
        "CMRT": both, "EMRT": both}
    assert "Responded per template: CMRT 1 of 1 (100.0 %); EMRT 1 of 1 (100.0 %)." in figures.lines()
    assert "Responded per template: CMRT 1 of 1 (100.0 %); EMRT 1 of 1 (100.0 %)." in report_lines(status)
