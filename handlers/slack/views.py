"""Modal submissions: the clarification e-mail (edited text is sent) and the acceptance with its reason.

Validation errors are returned in the ack (``response_action: errors``); the work happens after the ack and
the outcome reaches the user as an ephemeral message in the channel where the button was pressed (or a DM).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.slack import blocks, operations
from handlers.slack.deps import ChatOps
from handlers.slack.guard import admit, modal_submission

log = logging.getLogger("cmbot.slack.views")


def _value(view: dict[str, Any], block_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    return str((state.get("text") or {}).get("value") or "")


def register(app: App, ops: ChatOps) -> None:
    @app.view_submission(blocks.V_CLARIFY)
    @app.view_submission(blocks.V_ACCEPT)
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        callback = view.get("callback_id")
        text = _value(view, "body" if callback == blocks.V_CLARIFY else "reason")
        if callback == blocks.V_CLARIFY and not text.strip():
            ack(response_action="errors", errors={"body": "The e-mail text must not be empty."})
            return
        ack()
        request_id, tell = modal_submission(client, body, view, "request_id")
        if request_id is None:
            log.warning("ignoring a modal submission without a request id")
            return
        user_id = admit(ops, body, client, tell, "view")
        if user_id is None:
            return
        try:
            if callback == blocks.V_CLARIFY:
                outcome = operations.clarify(ops, request_id, text, user_id)
            else:
                outcome = operations.accept(ops, request_id, user_id, text)
            tell(outcome.text)
        except Exception:
            log.exception("a modal submission failed")
            tell("Something went wrong; the error is in the bot's log.")
