"""``cmrt-bot mail unmatched | assign REF SUPPLIER_ID | release KEY --resend|--sent | retry REF``: settle mail
problems without Slack.

* ``unmatched``: the inbound e-mails no supplier request was found for (reference, date, sender domain, kind;
  ``--details`` adds the sender address and the subject, for the operator's screen only).
* ``assign REF SUPPLIER_ID``: assign e-mail ``REF`` to the supplier's request in the active campaign (supplier id,
  or a name that matches one supplier clearly). The workbooks are reviewed and the request moves as if the e-mail
  had been matched; the acknowledgment is recorded in the outbox, and the running bot's outbox loop sends it
  (this command never sends e-mail itself, so nothing goes out twice). A second assignment is refused.
* ``release KEY --resend|--sent``: an e-mail left *uncertain* (the bot stopped while handing it to the mail
  server) is queued again, or counted as sent.
* ``retry REF``: a quarantined inbound e-mail (``REF`` from its alert) is handled again from the stored bytes, after
  the cause was fixed; as with ``assign``, an acknowledgment is only queued for the running bot.

Every change is audited with the OS user (``os:<user>@<host>``). Exit status 0 when done, 1 when refused, 2 for
configuration or database problems.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import TYPE_CHECKING, Any

from bot.commands._common import CommandError, open_database, os_actor, run_command, settings_from

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.mail_wiring import MailParts
    from bot.slack_app import SlackSide
    from store import Database

log = logging.getLogger("cmbot.cli.mail")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "mail",
        parents=[common],
        help="unmatched, quarantined inbound e-mails and uncertain deliveries: list, assign, retry, release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="mail_command", metavar="ACTION", required=True)
    lst = sub.add_parser("unmatched", parents=[common], help="list inbound e-mails not matched to a supplier")
    lst.add_argument("--details", action="store_true", help="also print the sender address and the subject")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=lambda a: run_command("mail unmatched", a, do_unmatched))
    asg = sub.add_parser("assign", parents=[common], help="assign an unmatched e-mail to a supplier's request")
    asg.add_argument("ref", metavar="REF", help="the e-mail's reference (from `mail unmatched` or the Slack alert)")
    asg.add_argument("supplier", metavar="SUPPLIER_ID", help="the supplier id (or an unambiguous name)")
    asg.set_defaults(func=lambda a: run_command("mail assign", a, do_assign))
    rel = sub.add_parser("release", parents=[common], help="settle an e-mail whose delivery is uncertain")
    rel.add_argument("key", metavar="KEY", help="the outbox key (from the alert)")
    how = rel.add_mutually_exclusive_group(required=True)
    how.add_argument("--resend", action="store_true", help="queue it again: the running bot sends it")
    how.add_argument("--sent", action="store_true", help="count it as sent: it is never sent again")
    rel.set_defaults(func=lambda a: run_command("mail release", a, do_release))
    rty = sub.add_parser("retry", parents=[common], help="handle a quarantined inbound e-mail again")
    rty.add_argument("ref", metavar="REF", help="the e-mail's reference (from the quarantine alert)")
    rty.set_defaults(func=lambda a: run_command("mail retry", a, do_retry))


def do_unmatched(args: argparse.Namespace) -> int:
    from handlers import mailroom

    settings = settings_from(args)
    with open_database(settings) as db, db.session() as session:
        items = mailroom.unmatched(session)
    if args.json:
        rows = [
            {
                "ref": i.ref,
                "received_at": i.received_at.isoformat() if i.received_at else None,
                "sender_domain": i.sender_domain,
                "kind": i.kind,
                "attachments": i.attachments,
                **({"sender": i.sender, "subject": i.subject} if args.details else {}),
            }
            for i in items
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not items:
        print("No unmatched inbound e-mails.")
        return 0
    print(f"{'REF':>6}  {'RECEIVED (UTC)':16}  {'SENDER DOMAIN':28}  {'KIND':20}  FILES")
    for i in items:
        when = i.received_at.strftime("%Y-%m-%d %H:%M") if i.received_at else "-"
        kind = (i.kind or "-").replace("_", " ")
        domain = (i.sender_domain or "-")[:28]
        print(f"{mailroom.ref_text(i.ref):>6}  {when:16}  {domain:28}  {kind[:20]:20}  {i.attachments}")
        if args.details:
            print(f"        from {i.sender or '-'}: {i.subject}")
    return 0


def _slack(settings: Settings, db: Database) -> SlackSide | None:
    """The team's Slack channel when Slack is configured (the request's thread shows the review), else None."""
    if not settings.slack.channel:
        return None
    try:
        from bot.slack_app import build_side

        return build_side(settings.slack, db, workers=1)
    except Exception as exc:  # Slack is optional here: the assignment is recorded either way
        log.warning("Slack is not reachable from the CLI (%s); the team is not notified", type(exc).__name__)
        return None


def offline_mail(settings: Settings, db: Database) -> tuple[MailParts, SlackSide | None]:
    """The mail loop as the CLI uses it (e-mails only recorded in the outbox), telling the team's Slack channel
    when Slack is configured; close the returned side when done."""
    from bot import mail_wiring
    from handlers.notify import NullNotifier

    slack = _slack(settings, db)
    try:
        return mail_wiring.build(settings, db, slack.notifier if slack else NullNotifier(), offline=True), slack
    except ValueError as exc:
        if slack is not None:
            slack.close()
        raise CommandError(str(exc), 2) from None


def _ref(args: argparse.Namespace) -> int:
    """The stored e-mail ``args.ref`` names (``42``, ``#42``, ``M42``)."""
    from handlers import mailroom

    try:
        return mailroom.parse_ref(args.ref)
    except mailroom.BadReference as exc:
        raise CommandError(str(exc)) from None


def _print_result(text: str) -> int:
    print(text)
    print("Any acknowledgment e-mail is queued in the outbox; the running bot sends it.")
    return 0


def do_assign(args: argparse.Namespace) -> int:
    from handlers import mailroom

    settings = settings_from(args)
    ref = _ref(args)
    from handlers.slack.queries import find_campaign, find_supplier_requests, sure_match

    with open_database(settings) as db:
        with db.session() as session:
            campaign = find_campaign(session)
            if campaign is None:
                raise CommandError("there is no campaign yet")
            matches = find_supplier_requests(session, campaign, args.supplier)
        chosen = sure_match(matches)
        if chosen is None:
            if not matches:
                raise CommandError(f"no supplier in campaign {campaign.year} matches {args.supplier!r}")
            names = ", ".join(f"{m.supplier_name} ({m.supplier_external_id})" for m in matches[:5])
            raise CommandError(f"several suppliers match {args.supplier!r}: {names}; give the supplier id")
        parts, slack = offline_mail(settings, db)
        actor = os_actor()
        result = mailroom.assign(db, parts.inbound, ref, chosen.request_id, actor=actor)
        if result.ok and slack is not None:  # the Slack alert loses its button
            from handlers.slack.mail_actions import settle_alert
            from handlers.slack.text import esc

            settle_alert(db, slack.client, ref, esc(result.text), f"`{esc(actor)}` (command line)")
        if slack is not None:
            slack.close()
    if not result.ok:
        raise CommandError(result.text)
    return _print_result(result.text)


def do_release(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    from bot.mail_wiring import bounce_base
    from handlers import mailroom
    from handlers.mail_store import StoreOutboxRepository
    from mail.outbox import Outbox
    from mail.smtp import SmtpSender, SmtpServer
    from store.states import OutboxState

    with open_database(settings) as db:
        repo = StoreOutboxRepository(db, mail_from=bounce_base(settings))
        record = repo.get(args.key)
        if record is None:
            raise CommandError(f"no outbox e-mail has the key {args.key!r}")
        if record.state is not OutboxState.UNCERTAIN:
            raise CommandError(f"the e-mail {args.key!r} is {record.state.value}, not uncertain; nothing to settle")
        outbox = Outbox(repo, SmtpSender(SmtpServer(host="unused")))  # release never sends
        result = mailroom.release(db, outbox, args.key, resend=bool(args.resend), actor=os_actor())
    if not result.ok:
        raise CommandError(result.text)
    print(result.text.replace("within a minute", "from its outbox loop"))
    return 0


def do_retry(args: argparse.Namespace) -> int:
    from handlers import mailroom

    settings = settings_from(args)
    ref = _ref(args)
    with open_database(settings) as db:
        parts, slack = offline_mail(settings, db)
        result = mailroom.retry(db, parts.inbound, ref, actor=os_actor())
        if slack is not None:
            slack.close()
    if not result.ok:
        raise CommandError(result.text)
    return _print_result(result.text)
