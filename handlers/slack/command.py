"""The ``/cmrt`` slash command: ``status [campaign]``, ``supplier NAME|ID``, ``remind SUPPLIER``, ``report``,
``assign REF SUPPLIER`` (an unmatched inbound e-mail), ``rollup [product] [campaign]`` (our own CMRT,
``handlers.slack.rollup``), ``help``.

The listener acks at once (empty ack) and answers through ``respond`` (ephemeral) after the ack.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.slack import blocks, digest, history, mail_actions, operations, rollup
from handlers.slack.deps import ChatOps
from handlers.slack.guard import admit, audit
from handlers.slack.queries import (
    campaign_stats,
    find_campaign,
    find_supplier_requests,
    request_view,
    sure_match,
)
from handlers.slack.text import esc

log = logging.getLogger("cmbot.slack.command")

SUBCOMMANDS = ("status", "supplier", "remind", "history", "report", "assign", "rollup", "help")


def register(app: App, ops: ChatOps) -> None:
    @app.command("/cmrt")
    def on_cmrt(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        user_id = admit(ops, body, client, respond, "command")
        if user_id is None:
            return
        try:
            run(ops, user_id, str(body.get("text") or ""), body, respond, client)
        except Exception:
            log.exception("the /cmrt command failed")
            respond(text="Something went wrong; the error is in the bot's log.", response_type="ephemeral")


def run(ops: ChatOps, user_id: str, text: str, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    words = text.split(None, 1)
    sub = words[0].lower() if words else "help"
    arg = words[1].strip() if len(words) > 1 else ""
    now = ops.clock()
    with ops.db.session() as session:
        audit(session, actor=user_id, action="slack_command", details={"subcommand": sub[:32]}, at=now)
    if sub not in SUBCOMMANDS or sub == "help":
        prefix = "" if sub == "help" else f"Unknown command “{esc(sub)}”.\n"
        respond(text=prefix + blocks.HELP, response_type="ephemeral")
        return
    if sub == "status":
        year: int | None = None
        if arg:
            if not arg.isdigit():
                respond(
                    text=f"“{esc(arg)}” is not a campaign year (e.g. `/cmrt status 2025`).", response_type="ephemeral"
                )
                return
            year = int(arg)
        with ops.db.read_session() as session:
            campaign = find_campaign(session, year)
            if campaign is None:
                which = f"for {year}" if year else "yet"
                respond(text=f"There is no campaign {which}.", response_type="ephemeral")
                return
            stats = campaign_stats(session, campaign, ops.report, now)
        respond(text=f"Campaign {stats.year} status", blocks=blocks.status_blocks(stats), response_type="ephemeral")
        return
    if sub == "report":
        channel = ops.channel or str(body.get("channel_id") or "")
        posted = digest.post_report(client, ops, channel=channel, now=now, period="on-demand", actor=user_id)
        respond(text=posted, response_type="ephemeral")
        return
    if sub == "assign":
        mail_actions.command(ops, user_id, arg, respond, client)
        return
    if sub == "rollup":
        rollup.command(ops, user_id, arg, body, respond, client)
        return
    if not arg:
        respond(text=f"Usage: `/cmrt {sub} NAME|ID`", response_type="ephemeral")
        return
    with ops.db.session() as session:
        campaign = find_campaign(session)
        if campaign is None:
            respond(text="There is no campaign yet.", response_type="ephemeral")
            return
        matches = find_supplier_requests(session, campaign, arg)
    if not matches:
        respond(text=f"No supplier in campaign {campaign.year} matches “{esc(arg)}”.", response_type="ephemeral")
        return
    chosen = sure_match(matches)
    if chosen is None:
        pick = history.A_HISTORY if sub == "history" else blocks.A_PICK
        respond(text="Several suppliers match", blocks=blocks.supplier_choices(matches, arg, pick),
                response_type="ephemeral")  # fmt: skip
        return
    if sub == "history":
        show_history(ops, chosen.request_id, 0, respond)
        return
    if sub == "remind":
        outcome = operations.remind(ops, chosen.request_id, user_id)
        respond(text=outcome.text, response_type="ephemeral")
        return
    show_card(ops, chosen.request_id, respond)


def show_history(ops: ChatOps, request_id: int, page: int, respond: Respond, *, replace_original: bool = False) -> None:
    with ops.db.session() as session:
        view = request_view(session, request_id)
        entries = history.timeline(session, request_id) if view is not None else []
    if view is None:
        respond(text="That supplier request no longer exists.", response_type="ephemeral")
        return
    respond(text=f"History of {esc(view.supplier_name)}", blocks=history.history_blocks(view, entries, page),
            response_type="ephemeral", replace_original=replace_original)  # fmt: skip


def show_card(ops: ChatOps, request_id: int, respond: Respond, *, replace_original: bool = False) -> None:
    with ops.db.session() as session:
        view = request_view(session, request_id)
    if view is None:
        respond(text="That supplier request no longer exists.", response_type="ephemeral")
        return
    card = blocks.request_card(view, ops.clock().date(), snooze_choices=ops.snooze_choices)
    respond(text=blocks.card_text(view), blocks=card, response_type="ephemeral", replace_original=replace_original)
