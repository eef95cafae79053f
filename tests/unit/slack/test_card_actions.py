"""The one table from a request's situation to its card's buttons, over every request state."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from cmrt.figures import RequestFacts
from cmrt.outreach.states import RequestState
from handlers.slack import blocks
from handlers.slack.card_actions import BUTTONS, CARD_ACTIONS, CardAction, Situation, situation
from handlers.slack.queries import RequestView

RS = RequestState
A = CardAction

# What the issue asks for, by situation (the table may add *Assign to me*).
EXPECTED = {
    Situation.NOT_SENT: {A.SEND_NOW, A.EXEMPT},
    Situation.WAITING: {A.REMIND, A.SNOOZE, A.EXEMPT},
    Situation.REVIEWED: {A.ACCEPT, A.CLARIFY, A.FINDINGS},
    Situation.QUESTION: {A.REPLY, A.RESUME},
    Situation.BOUNCED: {A.CHANGE_ADDRESS},
    Situation.DECIDED: set(),
}


def test_the_table_covers_every_situation_and_the_issue_rows() -> None:
    assert set(CARD_ACTIONS) == set(Situation)
    for where, wanted in EXPECTED.items():
        assert wanted <= set(CARD_ACTIONS[where]) <= wanted | {A.ASSIGN, A.EXEMPT}
    assert set(BUTTONS) == set(CardAction)
    assert len({b.action_id for b in BUTTONS.values()}) == len(BUTTONS)


@pytest.mark.parametrize("state", list(RequestState))
def test_every_state_has_a_situation_and_accept_only_after_a_review(state: RequestState) -> None:
    for reviewed, findings, bouncing in itertools.product((False, True), repeat=3):
        if findings and not reviewed:
            continue
        where = situation(state, reviewed=reviewed, findings=findings, bouncing=bouncing)
        offered = CARD_ACTIONS[where]
        if not reviewed:
            assert A.ACCEPT not in offered, (state, where)
        if state in (RS.ACCEPTED, RS.EXEMPT, RS.CLOSED):
            assert where is Situation.DECIDED
        if state == RS.AWAITING_TEAM:
            assert where is Situation.QUESTION
        if state in (RS.SENT, RS.REMINDED) and not bouncing:
            assert where is Situation.WAITING
        if state == RS.NOT_SENT and not reviewed:
            assert where is (Situation.BOUNCED if bouncing else Situation.NOT_SENT)
        if state == RS.RESPONDED and reviewed:
            assert where is (Situation.REVIEWED if findings else Situation.REVIEWED_CLEAN)


def _view(state: RequestState, *, grade: str | None = None, bouncing: bool = False) -> RequestView:
    findings = [{"check": "company.email", "severity": "clarify", "message": "m", "sheet": "Declaration",
                 "cell": "D16"}] if grade else []  # fmt: skip
    return RequestView(
        request_id=7, supplier_id=1, supplier_external_id="S-7", supplier_name="Acme", campaign_year=2025,
        due_date=dt.date(2026, 3, 31), state=state, reminder_count=0, sent_at=None, responded_at=None,
        assignee=None, snoozed_until=None, exception_reason=None, grade=grade, score=50.0 if grade else None,
        findings=findings, facts=RequestFacts(7, state.value, contact_bouncing=bouncing),
    )  # fmt: skip


def _ids(view: RequestView) -> list[str]:
    block = blocks.action_buttons(view, (3, 7))
    return [e["action_id"] for e in block["elements"]] if block else []


def test_cards_offer_what_fits_and_confirm_where_a_press_cannot_be_undone() -> None:
    assert _ids(_view(RS.NOT_SENT)) == [blocks.A_SEND_NOW, blocks.A_EXEMPT]
    assert _ids(_view(RS.ESCALATED))[:3] == [blocks.A_REMIND, blocks.A_SNOOZE, blocks.A_EXEMPT]  # nobody answered
    assert blocks.A_ACCEPT not in _ids(_view(RS.ESCALATED))
    assert _ids(_view(RS.RESPONDED, grade="needs_clarification"))[:3] == [
        blocks.A_ACCEPT, blocks.A_CLARIFY, blocks.A_FINDINGS]  # fmt: skip
    assert _ids(_view(RS.AWAITING_TEAM))[:2] == [blocks.A_REPLY, blocks.A_RESUME]
    assert _ids(_view(RS.SENT, bouncing=True))[0] == blocks.A_CHANGE_ADDRESS
    assert _ids(_view(RS.ACCEPTED, grade="accepted")) == []
    card = blocks.request_card(_view(RS.RESPONDED, grade="high_risk"), dt.date(2026, 4, 1))
    elements = {e["action_id"]: e for b in card if b["type"] == "actions" for e in b["elements"]}
    assert elements[blocks.A_ACCEPT]["confirm"]["confirm"]["text"] == "Continue"
    exempt = next(e for b in blocks.request_card(_view(RS.SENT), dt.date(2026, 4, 1)) if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"] == blocks.A_EXEMPT)  # fmt: skip
    assert exempt["confirm"]["style"] == "danger"


def test_accept_and_exempt_modals_require_a_reason() -> None:
    for modal in (blocks.accept_modal(_view(RS.RESPONDED, grade="high_risk")), blocks.exempt_modal(_view(RS.SENT))):
        reason = next(b for b in modal["blocks"] if b.get("block_id") == "reason")
        assert not reason.get("optional") and reason["element"]["min_length"] >= 1


def test_send_again_and_count_as_sent_ask_first() -> None:
    from handlers.slack import mail_blocks

    actions = next(b for b in mail_blocks.uncertain_blocks("c1:r2:reminder:1", "reminder") if b["type"] == "actions")
    dialogs = {e["action_id"]: e["confirm"] for e in actions["elements"]}
    assert set(dialogs) == {mail_blocks.A_OUTBOX_RESEND, mail_blocks.A_OUTBOX_SENT}
    assert dialogs[mail_blocks.A_OUTBOX_RESEND]["style"] == "danger"
