"""A supplier's question (a reply without a workbook that reads as a question): the request waits for the team.

``hold_for_team`` moves a chased request to ``awaiting_team`` (the outreach policy holds its reminders and
escalations, ``cmrt-bot plan`` says why) and returns the supplier's own words (``mail.question.question_text``: no
quoted e-mail, no signature, at most 1,000 characters) for the team's thread (``handlers.notify.tell_question``).
The team answers from Slack (*Reply*: an e-mail in the question's thread) and resumes the chasing when it says so.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from cmrt.outreach.states import InvalidTransition, RequestState
from mail.question import question_text
from store import requests as request_repo
from store.models import Request

log = logging.getLogger("cmbot.inbound.question")


def hold_for_team(session: Session, request: Request, body: str, now: dt.datetime) -> str:
    """Move ``request`` to ``awaiting_team`` when its state allows (a decided request stays as it is); the
    question's text for the team."""
    if request.state != RequestState.AWAITING_TEAM:
        try:
            request_repo.transition(session, request, RequestState.AWAITING_TEAM, now=now,
                                    reason="the supplier asked a question")  # fmt: skip
            request.next_due_at = None
        except InvalidTransition:
            log.info("request %s stays %s after a question", request.id, request.state.value)
    return question_text(body)
