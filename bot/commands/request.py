"""``cmrt-bot request accept REQUEST_ID --reason TEXT``: accept a supplier's returned declaration without Slack.

The same operation as Slack's *Accept* (``handlers.slack.operations.accept``): refused without a reason or without
a reviewed workbook; the state change and the reason are audited with the OS user (``os:<user>@<host>``); the
request's Slack thread says so when Slack is configured; the supplier gets the acceptance e-mail (in its language)
unless ``[outreach] notify_on_accept = false``. The e-mail is only recorded in the outbox: the running bot's outbox
loop sends it (this command never sends e-mail itself, so nothing goes out twice). Exit status 0 when done, 1 when
refused, 2 for configuration or database problems.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands._common import CommandError, open_database, os_actor, run_command, settings_from


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "request",
        parents=[common],
        help="act on one supplier request: accept",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="request_command", metavar="ACTION", required=True)
    acc = sub.add_parser(
        "accept", parents=[common], help="accept a returned declaration (audited; e-mails the supplier)"
    )
    acc.add_argument("request_id", metavar="REQUEST_ID", type=int, help="the request id (as in status, plan, Slack)")
    acc.add_argument("--reason", required=True, help="why it is accepted (audited, shown in the Slack thread)")
    acc.set_defaults(func=lambda a: run_command("request accept", a, do_accept))


def do_accept(args: argparse.Namespace) -> int:
    from bot.commands.mail import offline_mail
    from handlers.notify import NullNotifier
    from handlers.slack import operations
    from handlers.slack.access import AccessPolicy
    from handlers.slack.deps import ChatOps

    settings = settings_from(args)
    if not args.reason.strip():
        raise CommandError("accepting needs a reason (--reason); nothing was changed")
    with open_database(settings) as db:
        parts, slack = offline_mail(settings, db)
        try:
            ops = ChatOps(db=db, outreach=parts.outreach, access=AccessPolicy(),
                          notifier=slack.notifier if slack is not None else NullNotifier())  # fmt: skip
            outcome = operations.accept(ops, args.request_id, os_actor(), args.reason)
        finally:
            if slack is not None:
                slack.close()
    text = outcome.text.replace("*", "")  # Slack's bold marks
    if not outcome.ok:
        raise CommandError(text)
    print(text)
    if "e-mail" in text:
        print("The acceptance e-mail is queued in the outbox; the running bot sends it.")
    return 0
