"""``/cmrt history SUPPLIER``: the supplier request's timeline, newest first, paged.

Everything that happened to the request, from the store: the e-mails in and out (``messages``), the reviews, and
the audit log (state changes, decisions with their reason, what the team did from Slack and who). Each page holds
``PAGE`` entries; *Older* / *Newer* buttons page through (``A_HISTORY``, value ``request_id:page``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from handlers.slack.queries import RequestView
from handlers.slack.text import MESSAGE_BLOCKS, bullet_lines, button, cap_blocks, context, esc, header, section
from store import audit
from store.models import Message, Review
from store.states import Direction

A_HISTORY = "cmrt_history"
PAGE = 15

_ACTIONS = {
    "slack_reminder_requested": "asked for a reminder",
    "slack_clarification_requested": "asked the supplier for a correction",
    "slack_snoozed": "snoozed the request",
    "slack_assigned": "took the request",
    "slack_send_now": "sent the request now",
    "slack_answer_requested": "answered the supplier's question",
    "slack_address_changed": "changed the contact address",
    "slack_rereview_findings_sent": "sent the new findings",
    "mail.answer_sent": "answer e-mailed",
    "mail.send_failed": "an e-mail was refused",
}


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    icon: str
    text: str  # mrkdwn, supplier-provided parts escaped
    actor: str | None = None  # a Slack user id, "system", an address


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _event_text(action: str, details: dict[str, Any]) -> tuple[str, str]:
    if action.startswith("request."):
        state = action.split(".", 1)[1].replace("_", " ")
        reason = details.get("reason")
        return ":arrows_counterclockwise:", f"now *{esc(state)}*" + (f": {esc(reason)}" if reason else "")
    if action in _ACTIONS:
        extra = f" ({details['days']} days)" if action == "slack_snoozed" and "days" in details else ""
        return ":bust_in_silhouette:", _ACTIONS[action] + extra
    return ":memo:", esc(action.replace("_", " "))


def timeline(session: Session, request_id: int) -> list[Entry]:
    """Every entry of the request's history, newest first."""
    entries: list[Entry] = []
    for event in audit.events(session, subject_type="request", subject_id=request_id):
        if event.action == "slack_command":
            continue
        icon, text = _event_text(event.action, dict(event.details or {}))
        entries.append(Entry(_aware(event.at), icon, text, event.actor))
    messages = session.scalars(sa.select(Message).where(Message.request_id == request_id)).all()
    for message in messages:
        at = message.received_at or message.sent_at or message.created_at
        subject = esc(message.subject, empty="(no subject)")
        if message.direction == Direction.IN:
            kind = (message.classification or "e-mail").replace("_", " ")
            entries.append(Entry(_aware(at), ":inbox_tray:", f"e-mail in ({esc(kind)}): {subject}",
                                 message.from_address))  # fmt: skip
        else:
            entries.append(Entry(_aware(at), ":outbox_tray:", f"e-mail out: {subject}", "system"))
    for review in session.scalars(sa.select(Review).where(Review.request_id == request_id)).all():
        findings = len(review.findings or [])
        entries.append(Entry(_aware(review.created_at), ":mag:", f"review ({esc(review.origin)}): "
                             f"{esc(review.grade.replace('_', ' '))}, {findings} finding(s)", "system"))  # fmt: skip
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _line(entry: Entry) -> str:
    who = ""
    if entry.actor and entry.actor.startswith(("U", "W")) and entry.actor.isalnum():
        who = f" · <@{entry.actor}>"
    elif entry.actor and entry.actor != "system":
        who = f" · {esc(entry.actor)}"
    return f"{entry.icon} `{entry.at.strftime('%Y-%m-%d %H:%M')}` {entry.text}{who}"


def history_blocks(view: RequestView, entries: list[Entry], page: int) -> list[dict[str, Any]]:
    pages = max((len(entries) + PAGE - 1) // PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PAGE : (page + 1) * PAGE]
    title = f"History: {view.supplier_name} ({view.supplier_external_id})"
    out: list[dict[str, Any]] = [header(title)]
    if shown:
        out.append(section(bullet_lines([_line(e) for e in shown], 2900)))
    else:
        out.append(section("_Nothing has happened yet._"))
    out.append(context(f"Page {page + 1} of {pages} · {len(entries)} entries, newest first · campaign "
                       f"{view.campaign_year}"))  # fmt: skip
    buttons = []
    if page > 0:
        buttons.append(button("Newer", A_HISTORY, f"{view.request_id}:{page - 1}"))
    if page + 1 < pages:
        buttons.append(button("Older", A_HISTORY, f"{view.request_id}:{page + 1}"))
    if buttons:
        out.append({"type": "actions", "block_id": f"cmrt_history_{view.request_id}", "elements": buttons})
    return cap_blocks(out, MESSAGE_BLOCKS)
