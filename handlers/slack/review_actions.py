"""*Send new findings to suppliers…*: after a review made again with newer lists or rules, the team picks the
suppliers who get their new findings by e-mail (nothing goes out on its own).

The button opens a modal listing the suppliers with new findings; on submit each picked supplier gets one
clarification e-mail listing the new points (through the mail loop's outbox, idempotent per text), the request is
reopened when it was accepted or escalated, the review is marked as told to the supplier (so later follow-ups
may repeat it), and the thread says who sent it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from cmrt.outreach.states import InvalidTransition, RequestState
from handlers.findings import findings_text
from handlers.slack import operations
from handlers.slack.deps import ChatOps
from handlers.slack.guard import admit, audit, submitter_reply
from handlers.slack.review_blocks import V_SEND_FINDINGS, pick_modal, picked
from store import requests as request_repo
from store import reviews as review_repo
from store import runtime
from store.models import Review

log = logging.getLogger("cmbot.slack.review")

REOPEN = frozenset({RequestState.ACCEPTED, RequestState.ESCALATED})


def open_modal(ops: ChatOps, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    """The summary's button: the modal with the suppliers to pick."""
    action = (body.get("actions") or [{}])[0]
    key = str(action.get("value") or "")
    with ops.db.session() as session:
        run = runtime.get_value(session, key) if key.startswith("rereview:") else None
    if not run or not any(c.get("new_findings") for c in run.get("changes", [])):
        respond(text="There are no new findings to send for that review.", response_type="ephemeral",
                replace_original=False)  # fmt: skip
        return
    channel = (body.get("channel") or {}).get("id")
    client.views_open(trigger_id=body["trigger_id"], view=pick_modal(key, run, channel))


def body_for(run: Mapping[str, Any], change: Mapping[str, Any]) -> str:
    """The clarification text: why the review was made again, then the new points with sheet and cell."""
    return (f"We reviewed your declaration again with the {run.get('lists')} and found these new points:\n\n"
            + findings_text(change.get("new_findings") or []))  # fmt: skip


def send(ops: ChatOps, key: str, request_ids: list[int], actor: str) -> str:
    """E-mail each picked supplier its new findings; a sentence for the user who asked."""
    with ops.db.session() as session:
        run = runtime.get_value(session, key) or {}
    changes = {int(c["request_id"]): c for c in run.get("changes", []) if c.get("new_findings")}
    sent, refused = [], []
    for request_id in request_ids:
        change = changes.get(request_id)
        if change is None:
            continue
        now = ops.clock()
        with ops.db.session() as session:
            request = request_repo.get(session, request_id)
            if request is not None and RequestState(request.state) in REOPEN:
                try:
                    request_repo.transition(session, request, RequestState.RESPONDED, actor=actor, now=now,
                                            reason="new findings after a review with newer lists or rules")  # fmt: skip
                except InvalidTransition:
                    log.info("request %s stays %s", request_id, request.state)
        outcome = operations.clarify(ops, request_id, body_for(run, change), actor)
        if not outcome.ok:
            refused.append(outcome.text)
            continue
        with ops.db.session() as session:
            review = session.get(Review, change.get("review_id")) if change.get("review_id") else None
            if review is not None:
                review_repo.mark_told(review, now)
            audit(session, actor=actor, action="slack_rereview_findings_sent", request_id=request_id,
                  details={"review_id": change.get("review_id"), "findings": len(change["new_findings"])}, at=now)
        sent.append(f"{change['supplier']} ({change['supplier_id']})")
    text = f"New findings sent to {len(sent)} supplier{'s' if len(sent) != 1 else ''}"
    text += (": " + ", ".join(sent) + ".") if sent else "."
    if refused:
        text += " Not sent: " + " ".join(refused)
    return text


def register(app: App, ops: ChatOps) -> None:
    @app.view_submission(V_SEND_FINDINGS)
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        chosen = picked(view)
        if not chosen:
            ack(response_action="errors", errors={"suppliers": "Pick at least one supplier."})
            return
        ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        tell = submitter_reply(client, body, meta.get("channel"))
        user_id = admit(ops, body, client, tell, "view")
        if user_id is None:
            return
        try:
            tell(send(ops, str(meta.get("key") or ""), chosen, user_id))
        except Exception:
            log.exception("sending the new findings failed")
            tell("Something went wrong; the error is in the bot's log.")
