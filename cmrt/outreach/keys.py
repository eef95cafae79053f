"""Idempotency keys: one name for each thing the bot does at most once, whoever asks for it.

A key is recorded before its action runs (``outreach_actions`` for the scheduler's actions, ``outbox`` for every
e-mail) and a second action under a recorded key does nothing. "Never twice" therefore holds across restarts, a
second instance and a person pressing *Remind* in Slack while the scheduler sends the same reminder, but only if
every path names the same e-mail with the same key. This module is the one place that spells them:

=============================================================  ===========================================
``c{campaign}:r{request}:request``                             the initial request
``c{campaign}:r{request}:reminder:{n}``                        reminder *n* (scheduled, or sent from Slack)
``c{campaign}:r{request}:escalation:{trigger}``                an escalation to the team (``EscalationTrigger``)
``c{campaign}:r{request}:clarify:{asked}:followup:{n}``        follow-up *n* of the clarification asked at
                                                               ``{asked}`` (UTC, ``20260115T093000``)
``c{campaign}:r{request}:clarify:{asked}:escalation``          that clarification, unanswered, escalated
``c{campaign}:r{request}:clarification:{sha256-16}``           a clarification a person wrote (its text's hash)
``c{campaign}:digest:{YYYY-MM-DD}``                            the team's digest of that local day
``ack:{Message-ID}``                                           the acknowledgment of one inbound e-mail
=============================================================  ===========================================

Keys are at most 255 characters (the columns' size). The outbox derives each e-mail's Message-ID from its key
(``mail.headers.stable_message_id``). Earlier versions named the reminders and clarifications sent from Slack
``request-{request}:reminder-{n}`` and ``request-{request}:clarification-{hash}``; migration 0003 rewrites the
stored ones into this format when the database is upgraded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

_LEGACY = re.compile(r"^request-(\d+):(reminder|clarification)-([0-9A-Za-z]+)$")


def request_key(campaign_id: int, request_id: int) -> str:
    """The prefix every key of one request starts with."""
    return f"c{campaign_id}:r{request_id}"


def initial_request(campaign_id: int, request_id: int) -> str:
    return f"{request_key(campaign_id, request_id)}:request"


def reminder(campaign_id: int, request_id: int, number: int) -> str:
    return f"{request_key(campaign_id, request_id)}:reminder:{number}"


def escalation(campaign_id: int, request_id: int, trigger: str) -> str:
    return f"{request_key(campaign_id, request_id)}:escalation:{trigger}"


def clarification_round(campaign_id: int, request_id: int, asked: dt.datetime) -> str:
    """The prefix of one clarification round's follow-ups and escalation (``asked``: when it was requested)."""
    return f"{request_key(campaign_id, request_id)}:clarify:{asked.astimezone(dt.UTC):%Y%m%dT%H%M%S}"


def clarification_followups(round_key: str) -> str:
    """The prefix of that round's follow-up keys (counting them tells how many were sent)."""
    return f"{round_key}:followup:"


def clarification_followup(round_key: str, number: int) -> str:
    return f"{clarification_followups(round_key)}{number}"


def clarification_escalation(round_key: str) -> str:
    return f"{round_key}:escalation"


def clarification(campaign_id: int, request_id: int, text: str) -> str:
    """A clarification written by a person: the same text for the same request is one e-mail."""
    digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]
    return f"{request_key(campaign_id, request_id)}:clarification:{digest}"


def answer(campaign_id: int, request_id: int, question_message_id: str, text: str) -> str:
    """The team's answer to one question: the same text to the same question is one e-mail."""
    digest = hashlib.sha256(f"{question_message_id}\n{text.strip()}".encode()).hexdigest()[:16]
    return f"{request_key(campaign_id, request_id)}:answer:{digest}"


def digest(campaign_id: int, day: dt.date) -> str:
    return f"c{campaign_id}:digest:{day.isoformat()}"


def acknowledgment(message_id: str) -> str:
    return f"ack:{message_id}"


def sequence(key: str) -> int:
    """The number a reminder or follow-up key ends with (0 for other keys)."""
    tail = key.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def from_legacy(key: str, campaign_of: Callable[[int], int | None]) -> str | None:
    """The current name of a key in the earlier Slack format (``request-{id}:reminder-{n}``), or None.

    A Slack alert posted before the upgrade still carries the old name on its buttons; ``campaign_of`` looks up
    the campaign of a request id (None when the request is gone).
    """
    match = _LEGACY.match(key)
    if match is None:
        return None
    request_id = int(match.group(1))
    campaign_id = campaign_of(request_id)
    if campaign_id is None:
        return None
    return f"{request_key(campaign_id, request_id)}:{match.group(2)}:{match.group(3)}"
