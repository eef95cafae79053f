"""The buttons on supplier cards and escalation prompts (action ids ``cmrt_*``): one listener, ack first.

What a card offers depends on the request (``handlers.slack.card_actions``): *Send now*, *Send reminder now*,
*Snooze N days* (a select), *Ask for correction* (a modal pre-filled with the findings), *Accept* and *Mark
exempt* (each confirmed, then a modal with the required reason), *All findings* (a modal), *Reply* (a modal: the
answer to the supplier's question goes out by e-mail), *Resume reminders*, *Change address* (a modal), *Assign
to me*, and the supplier pick buttons offered when a name was ambiguous. The mail alerts' buttons (*Assign to
supplier*, *Send again*, *Count as sent*) go to ``handlers.slack.mail_actions``; *Send new findings to
suppliers…* (after a review made again with newer lists) to ``handlers.slack.review_actions``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.slack import blocks, history, mail_actions, mail_blocks, operations, review_actions, review_blocks
from handlers.slack.command import show_card, show_history
from handlers.slack.deps import ChatOps
from handlers.slack.guard import admit
from handlers.slack.queries import RequestView, latest_question, request_view
from store import suppliers as supplier_repo
from store.models import Request

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


MODALS = frozenset(
    {blocks.A_CLARIFY, blocks.A_ACCEPT, blocks.A_EXEMPT, blocks.A_REPLY, blocks.A_FINDINGS, blocks.A_CHANGE_ADDRESS}
)


def _modal(session: Session, action_id: str, view: RequestView) -> dict[str, Any]:
    if action_id == blocks.A_CLARIFY:
        return blocks.clarify_modal(view)
    if action_id == blocks.A_ACCEPT:
        return blocks.accept_modal(view)
    if action_id == blocks.A_EXEMPT:
        return blocks.exempt_modal(view)
    if action_id == blocks.A_FINDINGS:
        return blocks.findings_modal(view)
    if action_id == blocks.A_REPLY:
        question = latest_question(session, view.request_id)
        name = question.contact_name if question is not None else None
        return blocks.reply_modal(view, question.text if question else None, f"Dear {name or 'Sir or Madam'},")
    request = session.get(Request, view.request_id)
    contact = supplier_repo.primary_contact(request.supplier) if request is not None else None
    return blocks.address_modal(view, contact.email if contact is not None else None)


def _open_modal(
    ops: ChatOps, action_id: str, request_id: int, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    with ops.db.session() as session:
        view = request_view(session, request_id)
        modal = _modal(session, action_id, view) if view is not None else None
    if modal is None:
        respond(text="That supplier request no longer exists.", response_type="ephemeral", replace_original=False)
        return
    if "private_metadata" in modal:
        channel = (body.get("channel") or {}).get("id")
        meta = json.loads(modal["private_metadata"])
        modal["private_metadata"] = json.dumps({**meta, "channel": channel}, separators=(",", ":"))
    client.views_open(trigger_id=body["trigger_id"], view=modal)


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
    if action_id in MODALS:
        _open_modal(ops, action_id, request_id, body, respond, client)
        return
    if action_id == blocks.A_PICK:
        show_card(ops, request_id, respond, replace_original=True)
        return
    if action_id == history.A_HISTORY:
        show_history(ops, request_id, days or 0, respond, replace_original=True)
        return
    if action_id == blocks.A_REMIND:
        outcome = operations.remind(ops, request_id, user_id)
    elif action_id == blocks.A_SNOOZE:
        outcome = operations.snooze(ops, request_id, user_id, days or 0)
    elif action_id == blocks.A_SEND_NOW:
        outcome = operations.send_now(ops, request_id, user_id)
    elif action_id == blocks.A_RESUME:
        outcome = operations.resume(ops, request_id, user_id)
    elif action_id == blocks.A_ASSIGN:
        outcome = operations.assign(ops, request_id, user_id)
    else:
        log.warning("unknown Slack action %s", action_id)
        return
    respond(text=outcome.text, response_type="ephemeral", replace_original=False)
