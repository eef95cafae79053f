"""The buttons on supplier cards and escalation prompts (action ids ``cmrt_*``): one listener, ack first.

*Send reminder now*, *Request clarification* (opens a modal pre-filled with the findings), *Accept* (opens a
modal for an optional exception reason), *Snooze N days* (a select), *Mark exempt*, *Assign to me*, and the
supplier pick buttons offered when a name was ambiguous. The mail alerts' buttons (*Assign to supplier*, *Send
again*, *Count as sent*) go to ``handlers.slack.mail_actions``; *Send new findings to suppliers…* (after a review
made again with newer lists) to ``handlers.slack.review_actions``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.slack import blocks, mail_actions, mail_blocks, operations, review_actions, review_blocks
from handlers.slack.command import show_card
from handlers.slack.deps import ChatOps
from handlers.slack.guard import admit
from handlers.slack.queries import request_view

log = logging.getLogger("cmbot.slack.actions")


def register(app: App, ops: ChatOps) -> None:
    @app.action(re.compile(r"^cmrt_"))
    def on_action(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        user_id = admit(ops, body, client, respond, "action")
        if user_id is None:
            return
        try:
            handle(ops, user_id, body, respond, client)
        except Exception:
            log.exception("a Slack button failed")
            respond(
                text="Something went wrong; the error is in the bot's log.",
                response_type="ephemeral",
                replace_original=False,
            )


def _parse(action: dict[str, Any]) -> tuple[int, int | None]:
    raw = str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    head, _, tail = raw.partition(":")
    return int(head), (int(tail) if tail else None)


def handle(ops: ChatOps, user_id: str, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    action = (body.get("actions") or [{}])[0]
    action_id = str(action.get("action_id"))
    if action_id in mail_blocks.MAIL_ACTIONS:
        mail_actions.handle_action(ops, user_id, body, respond, client)
        return
    if action_id == review_blocks.A_SEND_FINDINGS:
        review_actions.open_modal(ops, body, respond, client)
        return
    try:
        request_id, days = _parse(action)
    except ValueError:
        log.warning("ignoring a Slack action with a malformed value (%s)", action_id)
        return
    if action_id in (blocks.A_CLARIFY, blocks.A_ACCEPT):
        with ops.db.session() as session:
            view = request_view(session, request_id)
        if view is None:
            respond(text="That supplier request no longer exists.", response_type="ephemeral", replace_original=False)
            return
        modal = blocks.clarify_modal(view) if action_id == blocks.A_CLARIFY else blocks.accept_modal(view)
        channel = (body.get("channel") or {}).get("id")
        meta = json.loads(modal["private_metadata"])
        modal["private_metadata"] = json.dumps({**meta, "channel": channel}, separators=(",", ":"))
        client.views_open(trigger_id=body["trigger_id"], view=modal)
        return
    if action_id == blocks.A_PICK:
        show_card(ops, request_id, respond, replace_original=True)
        return
    if action_id == blocks.A_REMIND:
        outcome = operations.remind(ops, request_id, user_id)
    elif action_id == blocks.A_SNOOZE:
        outcome = operations.snooze(ops, request_id, user_id, days or 0)
    elif action_id == blocks.A_EXEMPT:
        outcome = operations.exempt(ops, request_id, user_id)
    elif action_id == blocks.A_ASSIGN:
        outcome = operations.assign(ops, request_id, user_id)
    else:
        log.warning("unknown Slack action %s", action_id)
        return
    respond(text=outcome.text, response_type="ephemeral", replace_original=False)
