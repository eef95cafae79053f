"""The full local demo of the loop (``cmrt-bot demo``): the real commands, handlers and adapters, all on one machine.

Nothing here re-implements the loop: the demo writes a configuration (SQLite store in the folder, Maildir inbound,
``[mail] outbound = "maildir"`` so every e-mail becomes an ``.eml`` file), then drives the same code the running
bot uses: ``upgrade_database`` (``cmrt-bot init``), ``suppliers import``, ``campaign create``, the outreach
``Ticker`` with the mail loop from ``bot.mail_wiring.build``, the ``MaildirSource`` feeding the
``InboundProcessor`` (read, review, store, acknowledge or ask for clarification), and the figures of
``cmrt-bot status`` and ``cmrt-bot report``. Only the suppliers are simulated: their answers are e-mails built
here (threaded under the request, token in the subject) with factory-built workbooks, dropped into the inbound
Maildir as a mail server would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import mailbox
import os
import pathlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bot.commands._common import CommandError, settings_from, upgrade_database
from bot.config import Settings
from cmrt.workbook.factory import CmrtSpec, build_cmrt
from store import Database

MARKER = ".cmrt-demo"
CONFIG_NAME = "cmrt-bot.toml"
OLD_DEMO_FILES = {"CMRT_6.5_Example_Components.xlsx"}  # what the earlier `cmrt-bot demo` wrote
BOT_ADDRESS = "compliance@buyer.example"
REMINDER_AFTER = dt.timedelta(days=14)

CONFIG = f"""# Written by `cmrt-bot demo`: everything stays in this folder (no SMTP server, no IMAP, no Slack).
[store]
url = "sqlite:///cmrt-bot.db"

[mail]
inbound = "maildir"                 # replies are read from this Maildir
maildir_path = "inbox"
outbound = "maildir"                # every e-mail the bot sends is written here as an .eml file (new/)
outbound_maildir_path = "outbox"

[outreach]
from_address = "{BOT_ADDRESS}"
from_name = "Supplier Compliance (demo)"
company_name = "Example Buyer Corp."
template_path = "RMI_CMRT_6.5_blank.xlsx"
reminder_cadence = ["14d", "28d"]
max_emails_per_hour = 0

[schedule]
timezone = "UTC"
business_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
quiet_hours = []
"""

SUPPLIERS_CSV = """supplier_id,name,contact_email,contact_name,tier,tags
S-001,Example Capacitors GmbH,alex@capacitors.example,Alex Example,direct,demo
S-002,Sample Connectors Ltd.,jo@connectors.example,Jo Sample,direct,demo
S-003,Demo Alloys Inc.,chris@alloys.example,Chris Demo,indirect,demo
S-004,Broken Address Co.,not-an-address,Nobody,direct,demo
"""


@dataclass(frozen=True)
class SentMail:
    path: pathlib.Path
    to: str
    subject: str
    message_id: str
    token: str | None
    attachments: tuple[str, ...]


def prepare_folder(folder: pathlib.Path) -> None:
    """Refuse a folder that is not the demo's; empty the demo's so every run starts clean."""
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder} exists and is not a folder", 2)
    if folder.is_dir():
        names = {p.name for p in folder.iterdir()}
        if names and MARKER not in names and not names <= OLD_DEMO_FILES:
            raise CommandError(
                f"{folder} is not empty and was not made by `cmrt-bot demo`: choose another with --dir PATH", 2
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `cmrt-bot demo`; removed and rebuilt on every run\n", encoding="utf-8")


def blank_template() -> bytes:
    """An empty CMRT 6.5 as the request's attachment (the RMI's file is not redistributed with this package)."""
    spec = CmrtSpec(
        company_name=None, scope=None, unique_id=None, unique_id_authority=None, address=None, contact_name=None,
        contact_email=None, contact_phone=None, authorizer_name=None, authorizer_title=None, authorizer_email=None,
        authorizer_phone=None, effective_date=None, answers={}, company_answers={}, company_comments={},
        smelters=[],
    )
    return build_cmrt(spec)


def supplier_workbook(name: str, contact: str, email_address: str, *, defects: bool) -> bytes:
    spec = CmrtSpec(company_name=name, contact_name=contact, contact_email=email_address)
    spec.authorizer_name = contact
    spec.authorizer_email = email_address
    if defects:
        spec.contact_email = f"{email_address}, backup@connectors.example"  # two addresses in one cell
    return build_cmrt(spec)


def read_outbox(folder: pathlib.Path) -> list[SentMail]:
    out: list[SentMail] = []
    for path in sorted((folder / "new").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        names = tuple(p.get_filename() or "" for p in msg.iter_attachments())
        out.append(
            SentMail(path, str(msg["To"] or ""), str(msg["Subject"] or ""), str(msg["Message-ID"] or ""),
                     str(msg["X-CMBot-Token"]) if msg["X-CMBot-Token"] else None, names)
        )
    return out


def supplier_reply(request: SentMail, sender: str, text: str, workbook: bytes, filename: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = BOT_ADDRESS
    msg["Subject"] = "RE: " + request.subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=sender.split("@", 1)[1])
    msg["In-Reply-To"] = request.message_id
    msg["References"] = request.message_id
    msg.set_content(text)
    msg.add_attachment(
        workbook, maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=filename,
    )
    return msg.as_bytes()


class Narrator:
    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.step = 0

    def heading(self, text: str) -> None:
        self.step += 1
        self.write(f"\n== Step {self.step}: {text}")

    def line(self, text: str) -> None:
        self.write(f"   {text}")


def run_loop(folder: pathlib.Path, *, fresh: bool = True, write: Callable[[str], None] = print) -> int:
    """The whole loop in ``folder``; ``fresh=False`` when the caller has already run ``prepare_folder``."""
    saved = os.environ.pop("CMRT_STORE_URL", None)  # the demo's database is the one in its folder, never another
    try:
        return _run_loop(folder, fresh, write)
    finally:
        if saved is not None:
            os.environ["CMRT_STORE_URL"] = saved


def _run_loop(folder: pathlib.Path, fresh: bool, write: Callable[[str], None]) -> int:
    from bot.commands import campaign as campaign_cmd
    from bot.commands import suppliers as suppliers_cmd

    say = Narrator(write)
    folder = folder.resolve()
    if fresh:
        prepare_folder(folder)
    config = folder / CONFIG_NAME
    config.write_text(CONFIG, encoding="utf-8")
    (folder / "RMI_CMRT_6.5_blank.xlsx").write_bytes(blank_template())
    roster = folder / "suppliers.csv"
    roster.write_text(SUPPLIERS_CSV, encoding="utf-8")
    args = argparse.Namespace(config=str(config))
    settings = settings_from(args)

    say.heading(f"configuration and database in {folder}")
    say.line(f"{CONFIG_NAME}: SQLite store, replies read from inbox/, e-mails written to outbox/new/ as .eml")
    _, after = upgrade_database(settings.store.url, failure="cannot create the demo database")
    say.line(f"database created (schema {', '.join(after) or 'current'}), as `cmrt-bot init` does")

    say.heading("import the supplier list (suppliers.csv), as `cmrt-bot suppliers import` does")
    suppliers_cmd.do_import(argparse.Namespace(config=str(config), file=str(roster)))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    year = now.year - 1
    due = (now + dt.timedelta(days=60)).date()
    say.heading(f"create the {year} campaign, as `cmrt-bot campaign create` does")
    campaign_cmd.do_create(
        argparse.Namespace(config=str(config), year=year, due=due, scope="company", suppliers="all",
                           family="CMRT", min_version=None, checks=[])
    )
    return _mail_loop(folder, settings, say, now, year)


def _mail_loop(folder: pathlib.Path, s: Settings, say: Narrator, now: dt.datetime, year: int) -> int:
    import zoneinfo

    from bot import mail_wiring
    from bot.commands.status import build_report as status_report
    from bot.commands.status import print_report
    from bot.scheduling import outreach_config
    from cmrt.reporting.text import render
    from handlers.report import build_report
    from handlers.ticks import Ticker
    from mail.maildir import MaildirSource
    from store import campaigns

    db = Database(s.store.url)
    try:
        parts = mail_wiring.build(s, db)
        outbox = folder / "outbox"
        config = outreach_config(s)

        say.heading(f"outreach tick at {now:%Y-%m-%d %H:%M} UTC: the initial requests go out")
        report = Ticker(db, parts.outbound, config, clock=lambda: now).tick()
        sent = read_outbox(outbox)
        say.line(f"{_actions(db, report.keys)}; {len(sent)} e-mail(s) written to {outbox / 'new'}:")
        for m in sent:
            say.line(f"  to {m.to}: {m.subject!r}, attached: {', '.join(m.attachments) or 'nothing'}")

        say.heading("two suppliers answer (simulated), the third stays silent")
        by_to = {m.to: m for m in sent}
        replies = [
            ("alex@capacitors.example", "Example Capacitors GmbH", "Alex Example", False),
            ("jo@connectors.example", "Sample Connectors Ltd.", "Jo Sample", True),
        ]
        inbox = mailbox.Maildir(str(folder / "inbox"), factory=None, create=True)
        for address, company, contact, defects in replies:
            request = next((m for t, m in by_to.items() if address in t), None)
            if request is None:
                say.line(f"  no request was sent to {address}: skipped")
                continue
            workbook = supplier_workbook(company, contact, address, defects=defects)
            filename = f"CMRT_{company.split()[0]}_{year}.xlsx"
            text = f"Hello,\n\nplease find our CMRT attached.\n\n{contact}\n{company}\n"
            inbox.add(supplier_reply(request, address, text, workbook, filename))
            what = "with a defect (two addresses in the contact e-mail cell)" if defects else "a clean workbook"
            say.line(f"  {company} replies to {request.message_id}: {filename}, {what}")
        before = {m.path for m in sent}
        handled = MaildirSource(folder / "inbox", parts.inbound).sync()
        say.line(f"the inbox (inbox/) was read: {handled} message(s) stored, read and reviewed")
        _print_reviews(db, say)
        for m in read_outbox(outbox):
            if m.path not in before:
                say.line(f"  answer to {m.to}: {m.subject!r}")

        later = now + REMINDER_AFTER + dt.timedelta(hours=1)
        say.heading(f"outreach tick at {later:%Y-%m-%d %H:%M} UTC (14 days on): reminder and follow-up")
        before = {m.path for m in read_outbox(outbox)}
        report = Ticker(db, parts.outbound, config, clock=lambda: later).tick()
        for m in read_outbox(outbox):
            if m.path not in before:
                say.line(f"  to {m.to}: {m.subject!r}")
        say.line(_actions(db, report.keys))

        say.heading("where the campaign stands (`cmrt-bot status`)")
        today = later.astimezone(zoneinfo.ZoneInfo(s.schedule.timezone)).date()
        with db.session() as session:
            campaign = campaigns.latest(session)
            status = status_report(session, campaign, s, later)
        print_report(status)
        say.heading("the report figures and smelter summary (`cmrt-bot report`)")
        with db.session() as session:
            campaign = campaigns.latest(session)
            assert campaign is not None
            report_text = render(build_report(session, campaign, today=today, now=later), "txt")
        for line in report_text.splitlines():
            say.write(line)
    finally:
        db.dispose()
    cfg = folder / CONFIG_NAME
    say.heading("where to look")
    say.line(f"e-mails the bot sent (open with any mail program): {outbox / 'new'}/*.eml")
    say.line(f"replies it read: {folder / 'inbox' / '.Processed'}; database: {folder / 'cmrt-bot.db'}")
    say.line(f"cmrt-bot --config {cfg} status | plan | report")
    return 0


def _print_reviews(db: Database, say: Narrator) -> None:
    import sqlalchemy as sa

    from store.models import Request, Review, Supplier

    with db.session() as session:
        rows = session.execute(
            sa.select(Supplier.name, Request.state).join(Request, Request.supplier_id == Supplier.id)
            .order_by(Supplier.external_id)
        ).all()
        reviews = {
            name: review
            for name, review in session.execute(
                sa.select(Supplier.name, Review).join(Request, Request.supplier_id == Supplier.id)
                .join(Review, Review.request_id == Request.id).order_by(Review.id)
            ).all()
        }
        for name, state in rows:
            review = reviews.get(name)
            graded = f"; review: {review.grade}, score {review.score:.0f}/100" if review is not None else ""
            say.line(f"  {name}: request now {getattr(state, 'value', state)}{graded}")
            for finding in (review.findings if review is not None else []):
                where = f"{finding.get('sheet')}!{finding.get('cell')}" if finding.get("cell") else ""
                say.line(f"    [{finding.get('severity')}] {where}: {finding.get('message')}")


def _actions(db: Database, keys: list[str]) -> str:
    """'3 action(s) done: reminder 1, ...' for the outreach actions a tick carried out."""
    import sqlalchemy as sa

    from store.models import OutreachAction

    with db.session() as session:
        kinds = session.scalars(sa.select(OutreachAction.kind).where(OutreachAction.key.in_(keys))).all()
    counts: dict[str, int] = {}
    for kind in kinds:
        name = str(getattr(kind, "value", kind)).replace("_", " ")
        counts[name] = counts.get(name, 0) + 1
    note = " (the digest is for Slack, which the demo leaves off)" if "digest" in counts else ""
    return f"{len(keys)} action(s) done: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none") + note
