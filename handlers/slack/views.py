"""Modal submissions: the clarification e-mail (edited text is sent), the acceptance and the exemption with their
required reason, the answer to a supplier's question (and whether the reminders resume), a new contact address.

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


def _checked(view: dict[str, Any], block_id: str) -> bool:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    chosen = (state.get("choice") or {}).get("selected_options") or []
    return any(o.get("value") == blocks.RESUME_OPTION for o in chosen)


#: callback id -> (input block, what to say when it is empty)
REQUIRED = {
    blocks.V_CLARIFY: ("body", "The e-mail text must not be empty."),
    blocks.V_ACCEPT: ("reason", "Say why the declaration is accepted."),
    blocks.V_EXEMPT: ("reason", "Say why the supplier is exempt."),
    blocks.V_REPLY: ("body", "The answer must not be empty."),
    blocks.V_ADDRESS: ("address", "Give the new e-mail address."),
}


def register(app: App, ops: ChatOps) -> None:
    @app.view_submission(blocks.V_CLARIFY)
    @app.view_submission(blocks.V_ACCEPT)
    @app.view_submission(blocks.V_EXEMPT)
    @app.view_submission(blocks.V_REPLY)
    @app.view_submission(blocks.V_ADDRESS)
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        callback = str(view.get("callback_id"))
        block_id, missing = REQUIRED[callback]
        text = _value(view, block_id)
        if not text.strip():
            ack(response_action="errors", errors={block_id: missing})
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
            elif callback == blocks.V_ACCEPT:
                outcome = operations.accept(ops, request_id, user_id, text)
            elif callback == blocks.V_EXEMPT:
                outcome = operations.exempt(ops, request_id, user_id, text)
            elif callback == blocks.V_REPLY:
                resume = _checked(view, blocks.RESUME_BLOCK)
                outcome = operations.answer(ops, request_id, text, user_id, resume_after=resume)
            else:
                outcome = operations.change_address(ops, request_id, user_id, text)
            tell(outcome.text)
        except Exception:
            log.exception("a modal submission failed")
            tell("Something went wrong; the error is in the bot's log.")
