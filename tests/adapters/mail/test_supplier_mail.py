"""Supplier e-mails through the real outbox (SQLite and PostgreSQL, delivered as .eml): a German supplier's request is
German with the English text below and copies its CC contacts (envelope too); a reminder attaches the blank template
again; an acknowledgment answers the colleague who sent the workbook with the primary contact in CC, lists defects
under "please correct" and risk answers under "please confirm or explain", collapsed across minerals, without grade
or score; accepting in Slack e-mails the supplier; an EMRT campaign's request asks about the EMRT minerals and
attaches the blank EMRT."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import pathlib
from email.message import EmailMessage

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
FINDINGS = [
    {"check": "mineral.answer_missing", "severity": "clarify", "sheet": "Declaration", "cell": f"{c}24",
     "mineral": m, "message": f"question 2 is not answered for {m}"}
    for c, m in (("E", "Tin"), ("F", "Tantalum"), ("G", "Tungsten"))
] + [
    {"check": "mineral.covered_countries", "severity": "high_risk", "sheet": "Declaration", "cell": "G25",
     "mineral": "Tungsten", "message": "question 3 says Tungsten is sourced from the DRC or an adjoining country"},
    {"check": "smelter.duplicate", "severity": "info", "sheet": "Smelter List", "row": 12, "message": "dup"},
    {"check": "smelter.conformance_expired", "severity": "info", "audience": "team", "message": "internal"},
]  # fmt: skip


def _setup(db: Database, tmp_path: pathlib.Path, family: str = "CMRT") -> tuple[MailOutreach, pathlib.Path, int, int]:
    with db.session() as s:
        supplier, _ = suppliers.upsert(s, suppliers.SupplierData(
            "S1", "Müller Metallwerk GmbH", "anna@mueller.example", contact_name="Anna Schmidt",
            cc_emails=("einkauf@mueller.example",), language="de"))  # fmt: skip
        s.flush()
        campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier])
        campaign.template_family = family
        s.flush()
        (request,) = campaign.requests
        cid, rid = campaign.id, request.id
    cmrt, emrt = tmp_path / "CMRT_blank.xlsx", tmp_path / "EMRT_blank.xlsx"
    cmrt.write_bytes(b"PK cmrt"), emrt.write_bytes(b"PK emrt")
    out = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(db, mail_from=BOT), MaildirSender(out))
    mail = MailOutreach(db, outbox, templates=MailTemplates(), sender=SenderIdentity(BOT, "Buyer Corp", "Pat Doe"),
                        blank_template=cmrt, blank_templates={"EMRT": emrt}, language="en")  # fmt: skip
    return mail, out, cid, rid


def _sent(out: pathlib.Path) -> list[tuple[EmailMessage, str]]:
    found = []
    for path in sorted((out / "new").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        raw = path.read_bytes()
        found.append((email.message_from_bytes(raw, policy=email.policy.default), raw.decode("utf-8", "replace")))
    return found  # type: ignore[return-value]


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_german_supplier_and_its_contacts(store_db: Database, tmp_path: pathlib.Path) -> None:
    mail, out, cid, rid = _setup(store_db, tmp_path)
    assert mail.send_request(rid, key=keys.initial_request(cid, rid)).accepted
    with store_db.session() as s:
        request = request_repo.get(s, rid)
        assert request is not None
        request_repo.transition(s, request, RequestState.SENT, now=NOW)
    (request_mail, raw), = _sent(out)
    assert str(request_mail["Subject"]).startswith("Buyer Corp: Anfrage zu Ihrem CMRT 2025 – Müller Metallwerk GmbH / "
                                                   "Buyer Corp: Request for your CMRT 2025")
    assert request_mail["To"].addresses[0].addr_spec == "anna@mueller.example"
    assert [a.addr_spec for a in request_mail["Cc"].addresses] == ["einkauf@mueller.example"]
    assert "Delivered-To: einkauf@mueller.example" in raw  # the envelope names the CC contact too
    text = _text(request_mail)
    assert text.index("Guten Tag Anna Schmidt,") < text.index("-------- English --------") < text.index(
        "Dear Anna Schmidt,")
    assert "2026-03-31 (31. März 2026)" in text and "2026-03-31 (March 31, 2026)" in text
    assert [p.get_filename() for p in request_mail.iter_attachments()] == ["CMRT_blank.xlsx"]

    # a reminder attaches the blank template again
    assert mail.send_reminder(rid, key=keys.reminder(cid, rid, 1), number=1).accepted
    reminder = _sent(out)[-1][0]
    assert str(reminder["Subject"]).startswith("Erinnerung: CMRT 2025 für Müller Metallwerk GmbH")
    assert [p.get_filename() for p in reminder.iter_attachments()] == ["CMRT_blank.xlsx"]

    # a colleague sends the workbook: the acknowledgment answers the colleague, the contacts in CC
    assert mail.send_acknowledgment(
        rid, key="ack:<x@mueller.example>", reply_to_message_id="<x@mueller.example>",
        to_address="Kollege@Mueller.example", filenames=["CMRT_2025.xlsx"], grade="needs_clarification", score=62,
        findings=FINDINGS).accepted  # fmt: skip
    ack, raw = _sent(out)[-1]
    assert ack["To"].addresses[0].addr_spec == "kollege@mueller.example"
    assert [a.addr_spec for a in ack["Cc"].addresses] == ["anna@mueller.example", "einkauf@mueller.example"]
    assert "Delivered-To: anna@mueller.example" in raw
    assert ack["In-Reply-To"] == "<x@mueller.example>"
    text = _text(ack)
    german, english = text.split("-------- English --------")
    assert "Sehr geehrte Damen und Herren," in german  # not Anna: the colleague wrote
    assert "Zinn, Tantal und Wolfram: Eine Frage ist nicht beantwortet. [Declaration E24, F24, G24]" in german
    assert "Wolfram: Laut Ihrer Antwort stammt das Mineral aus der DR Kongo" in german
    correct, explain = english.split("Please confirm or explain")
    assert "1. Question 2 is not answered for Tin, Tantalum and Tungsten [Declaration E24, F24, G24]" in correct
    assert "DRC" not in correct and "1. Question 3 says Tungsten is sourced from the DRC" in explain
    assert "dup" not in text and "internal" not in text  # info and team findings stay internal
    assert "62" not in text and "needs clarification" not in text  # no internal grade or score

    # the team accepts in Slack (handlers.slack.operations.accept): the supplier is told
    assert SlackOutreach(mail).send_acceptance(rid, actor="U1").queued
    assert SlackOutreach(mail).send_acceptance(rid, actor="U1").detail == "already sent"  # once per acceptance
    accepted = _sent(out)[-1][0]
    assert str(accepted["Subject"]).startswith("Akzeptiert: CMRT 2025")
    assert "Es ist nichts weiter zu tun." in _text(accepted)
    assert not SlackOutreach(mail, notify_on_accept=False).send_acceptance(rid, actor="U1").queued


def test_an_emrt_campaign_asks_about_its_minerals(store_db: Database, tmp_path: pathlib.Path) -> None:
    mail, out, cid, rid = _setup(store_db, tmp_path, family="EMRT")
    with store_db.session() as s:
        supplier = suppliers.get_by_external_id(s, "S1")
        assert supplier is not None
        suppliers.set_language(supplier, None)  # the default language: English only
    assert mail.send_request(rid, key=keys.initial_request(cid, rid)).accepted
    (request_mail, _raw), = _sent(out)
    text = " ".join(_text(request_mail).split())
    assert str(request_mail["Subject"]).startswith("Buyer Corp: Request for your EMRT 2025")
    assert "cobalt, copper, graphite, lithium, mica and nickel" in text and "3TG" not in text
    assert "Extended Minerals Reporting Template (EMRT)" in text and "English" not in text
    assert [p.get_filename() for p in request_mail.iter_attachments()] == ["EMRT_blank.xlsx"]
