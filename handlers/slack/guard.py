"""The three checks every interaction passes after its ack: authorised, not seen before, audited.

``admit(ops, body, client, respond, kind)`` returns the Slack user id when the interaction may go ahead. It
refuses users outside the access policy with an ephemeral message (and an audit entry), and drops an
interaction whose dedupe key was already claimed: a Slack retry (``X-Slack-Retry-Num``, a redelivered Socket
Mode envelope) or a repeated submission never acts twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.slack.access import REFUSAL
from handlers.slack.deps import ChatOps
from store import audit as store_audit
from store import runtime

log = logging.getLogger("cmbot.slack")

Respond = Callable[..., Any]


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (body.get("event") or {}).get("user")


def modal_submission(
    client: WebClient, body: dict[str, Any], view: dict[str, Any], key: str
) -> tuple[int | None, Respond]:
    """A modal submission's subject (the integer ``key`` of its private metadata; None when missing or
    malformed) and a ``respond`` that answers the submitter: ephemeral in the channel the modal was opened
    from, else a direct message."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        subject: int | None = int(meta[key])
    except (ValueError, KeyError, TypeError):
        meta, subject = {}, None
    return subject, submitter_reply(client, body, meta.get("channel"))


def submitter_reply(client: WebClient, body: dict[str, Any], channel: str | None) -> Respond:
    """Answer the user who submitted a modal: ephemeral in ``channel`` (where it was opened), else a DM."""
    user = user_of(body)

    def tell(text: str, **_: Any) -> None:
        if channel and user:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        elif user:
            client.chat_postMessage(channel=user, text=text)

    return tell


def dedupe_key(body: dict[str, Any]) -> str | None:
    """A key that is the same for a retried delivery of the same interaction and different otherwise."""
    kind = body.get("type")
    user = user_of(body) or "-"
    if body.get("command"):
        return f"command:{body.get('trigger_id') or body.get('response_url')}"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        action = actions[0]
        return f"action:{user}:{action.get('action_id')}:{action.get('action_ts')}"
    if kind == "view_submission":
        view = body.get("view") or {}
        return f"view:{view.get('id')}:{view.get('hash')}"
    if kind == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    return None


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    request_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append an audit event (``actor``: the Slack user id); the subject is the request when given."""
    store_audit.record(
        session,
        actor,
        action,
        "request" if request_id is not None else None,
        request_id,
        details or {},
        at=at,
    )


def claim(ops: ChatOps, key: str, *, kind: str, user_id: str | None) -> bool:
    """True the first time ``key`` is seen; False for every later delivery."""
    with ops.db.session() as session:
        first = runtime.claim_interaction(session, key[:255], kind=kind, user_id=user_id)
    if not first:
        log.info("ignoring a repeated Slack %s (already handled)", kind)
    return first


def admit(ops: ChatOps, body: dict[str, Any], client: WebClient, respond: Respond, kind: str) -> str | None:
    """The acting user's id when the interaction may proceed; None when it was refused or is a repeat."""
    user_id = user_of(body)
    if not ops.access.is_allowed(user_id, client):
        log.info("refused a Slack %s from a user outside the access policy", kind)
        with ops.db.session() as session:
            audit(session, actor=user_id or "unknown", action="slack_refused", details={"kind": kind}, at=ops.clock())
        try:
            respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
        except Exception:
            log.warning("could not tell a refused Slack user why", exc_info=True)
        return None
    key = dedupe_key(body)
    if key is not None and not claim(ops, key, kind=kind, user_id=user_id):
        return None
    return user_id
