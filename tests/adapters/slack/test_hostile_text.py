"""Supplier text in Slack keeps its characters but loses its power (issue 11): mrkdwn formatting, a quote at line
start, bare links and bidi overrides from a supplier's name, an e-mail subject and a review finding, through the
real notifier and the real Bolt app (``/cmrt supplier``) against the fake Web API."""

from __future__ import annotations

import json
import re
from typing import Any

from handlers.notify import FindingSummary
from store.models import Supplier
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.test_commands import _run

HOSTILE = "*Bold* _it_ ~gone~ `code` \u202egnp.exe\u2066 visit https://evil.example/login or www.evil.example"
SUBJECT = "> quoted\n*URGENT* wire money to http://pay.evil.example now \u202e"


def _mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn text and top-level ``text`` in a Slack payload (plain_text is never formatted)."""
    out: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            out.append(value["text"])
        for key, item in value.items():
            if key == "text" and isinstance(item, str) and value.get("type") != "plain_text":
                out.append(item)
            elif key == "blocks" and isinstance(item, str):
                out += _mrkdwn_texts(json.loads(item))
            else:
                out += _mrkdwn_texts(item)
    elif isinstance(value, list):
        for item in value:
            out += _mrkdwn_texts(item)
    return out


def _assert_powerless(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert "∗Bold∗ ˍitˍ ∼gone∼ ˋcodeˋ" in joined  # the characters are there...
    for dangerous in ("*Bold*", "_it_", "~gone~", "`code`", "https://", "http://", "evil.example", "www.evil"):
        assert dangerous not in joined, dangerous  # ...their power is not
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", joined)
    assert not re.search(r"(?m)^\s*(&gt;|>)", joined)


def _rename(rig: SlackRig, ext: str, name: str) -> None:
    with rig.db.session() as s:
        supplier = s.query(Supplier).filter_by(external_id=ext).one()
        supplier.name = name


def test_notifier_messages_neutralise_supplier_mrkdwn_links_and_bidi(slack: SlackRig) -> None:
    _rename(slack, "S-003", HOSTILE)
    request_id = slack.seeded.requests["S-003"]
    slack.notifier.request_sent(request_id)
    slack.notifier.reply_received(request_id, summary=f"subject: {SUBJECT}")
    slack.notifier.review_result(request_id, grade="needs_clarification", score=60,
                                 findings=[FindingSummary("text.comment", "clarify", HOSTILE, "D20")])  # fmt: skip
    slack.notifier.unmatched_mail(7, kind="reply", subject=SUBJECT)
    slack.notifier.team_alert(f"An e-mail from {HOSTILE} bounced")
    texts = _mrkdwn_texts([c.args for c in slack.api.calls if c.method.startswith("chat.")])
    assert texts
    _assert_powerless(texts)
    assert "＞ quoted" in "\n".join(texts)


def test_supplier_card_through_the_bolt_app_is_powerless(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    _rename(rig, "S-004", HOSTILE)
    reply = _run(rig, url, "supplier S-004", "h1")
    _assert_powerless(_mrkdwn_texts(reply))
