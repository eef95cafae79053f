"""The full local demo of the loop (``cmrt-bot demo``): the real commands, handlers and adapters, all on one machine.

Nothing here re-implements the loop: the demo writes a configuration (SQLite store in the folder, Maildir inbound,
``[mail] outbound = "maildir"`` so every e-mail becomes an ``.eml`` file), then drives the same code the running
bot uses: ``upgrade_database`` (``cmrt-bot init``), ``suppliers import``, ``campaign create``, the outreach
``Ticker`` with the mail loop from ``bot.mail_wiring.build``, the ``MaildirSource`` feeding the
``InboundProcessor`` (read, review, store, acknowledge or ask for clarification), and the figures of
``cmrt-bot status`` and ``cmrt-bot report``. Only the suppliers are simulated (``handlers.demo``: their answers,
threaded under the request with factory-built workbooks, dropped into the inbound Maildir as a mail server would).
This module writes the demo's folder and configuration and narrates the steps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import mailbox
import os
import pathlib
import shutil
from collections.abc import Callable

from bot.commands._common import CommandError, settings_from, upgrade_database
from bot.config import Settings
from handlers.demo import (
    SUPPLIERS_CSV,
    actions_done,
    blank_template,
    read_outbox,
    review_lines,
    supplier_reply,
    supplier_workbook,
)
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
                           family="CMRT", min_version=None, checks=[], from_year=None)
    )
    return _mail_loop(folder, settings, say, now, year)


def _mail_loop(folder: pathlib.Path, s: Settings, say: Narrator, now: dt.datetime, year: int) -> int:
    import zoneinfo

    from bot import mail_wiring
    from bot.commands._common import report_options
    from bot.scheduling import outreach_config
    from cmrt.reporting.text import render
    from handlers.report import build_report
    from handlers.status import report_lines, status_report
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
        say.line(f"{actions_done(db, report.keys)}; {len(sent)} e-mail(s) written to {outbox / 'new'}:")
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
            inbox.add(supplier_reply(request, address, BOT_ADDRESS, text, workbook, filename))
            what = "with a defect (two addresses in the contact e-mail cell)" if defects else "a clean workbook"
            say.line(f"  {company} replies to {request.message_id}: {filename}, {what}")
        before = {m.path for m in sent}
        handled = MaildirSource(folder / "inbox", parts.inbound).sync()
        say.line(f"the inbox (inbox/) was read: {handled} message(s) stored, read and reviewed")
        for line in review_lines(db):
            say.line(line)
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
        say.line(actions_done(db, report.keys))

        say.heading("where the campaign stands (`cmrt-bot status`)")
        today = later.astimezone(zoneinfo.ZoneInfo(s.schedule.timezone)).date()
        with db.session() as session:
            campaign = campaigns.latest(session)
            status = status_report(session, campaign, timezone=s.schedule.timezone, tick=s.schedule.tick, now=later,
                                   max_list_age_days=s.smelters.max_list_age_days)
        for line in report_lines(status):
            say.write(line)
        say.heading("the report figures and smelter summary (`cmrt-bot report`)")
        with db.session() as session:
            campaign = campaigns.latest(session)
            assert campaign is not None
            report_text = render(build_report(session, campaign, today=today, now=later, options=report_options(s)),
                                 "txt")
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
