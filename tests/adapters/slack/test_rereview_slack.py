"""After a review made again with newer lists: one summary in the channel (with the button), a note in each
affected thread, nothing e-mailed until the team picks suppliers in the modal (driving the real Bolt app with
signed requests and a fake Slack Web API)."""

from __future__ import annotations

import json

from cmrt.outreach.states import RequestState
from handlers.rereview import LISTS, GradeChange, RereviewResult, announce
from handlers.slack.review_blocks import A_SEND_FINDINGS, V_SEND_FINDINGS
from store import runtime
from store.models import Review
from tests.adapters.slack.conftest import CHANNEL, MEMBER, SlackRig, action_payload, interaction, post_signed

NEW = {"check": "smelter.not_conformant", "severity": "high_risk", "sheet": "Smelter List", "cell": "F7",
       "message": "'Hunan Shizhuyuan' (CID002513) is neither RMAP Conformant nor Active on RMI's lists of 2026-09-05"}


def _result(rig: SlackRig) -> RereviewResult:
    ids = rig.seeded.requests
    with rig.db.session() as s:
        accepted_review = s.query(Review).filter(Review.request_id == ids["S-005"]).one()
        accepted_review_id = accepted_review.id
    result = RereviewResult(2025, LISTS, "lists of 2026-09-05", reviewed=3, key="rereview:1:abc")
    result.changes = [
        GradeChange(ids["S-005"], "S-005", "Zeta Components", "accepted", "high_risk", accepted_review_id, new=[NEW]),
        GradeChange(ids["S-003"], "S-003", "Borealis Tantalum", "high_risk", "needs_clarification", None,
                    resolved=[NEW]),
    ]
    with rig.db.session() as s:
        runtime.set_value(s, result.key, result.to_json())
    return result


def test_summary_once_then_the_team_picks_who_gets_the_new_findings(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    result = _result(rig)
    assert announce(rig.db, result, rig.notifier)
    assert not announce(rig.db, result, rig.notifier)  # said once
    posts = rig.api.wait_for("chat.postMessage", count=3)
    summary = [p for p in posts if str(p.args["text"]).startswith("With the lists")]
    assert len(summary) == 1 and summary[0].args["text"].startswith("With the lists of 2026-09-05: 2 suppliers")
    assert "thread_ts" not in summary[0].args
    blocks = json.dumps(summary[0].json_arg("blocks"))
    assert A_SEND_FINDINGS in blocks and "Nothing was sent to the suppliers" in blocks
    notes = [p.args["text"] for p in rig.api.calls_to("chat.postMessage") if "thread_ts" in p.args]
    assert any("Reviewed again (lists of 2026-09-05): accepted → high risk" in n for n in notes)
    assert rig.outreach.calls == []  # nobody e-mailed

    status, _, _ = post_signed(url, interaction(action_payload(A_SEND_FINDINGS, result.key, api=rig.api)))
    assert status == 200
    modal = rig.api.wait_for("views.open")[0].json_arg("view")
    assert modal["callback_id"] == V_SEND_FINDINGS
    options = modal["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == [str(rig.seeded.requests["S-005"])]  # only suppliers with new findings

    view = {"id": "V1", "hash": "h", "type": "modal", "callback_id": V_SEND_FINDINGS,
            "private_metadata": modal["private_metadata"],
            "state": {"values": {"suppliers": {"picked": {"type": "multi_static_select",
                                                          "selected_options": options}}}}}  # fmt: skip
    submission = {"type": "view_submission", "team": {"id": "T1", "domain": "fake"},
                  "user": {"id": MEMBER, "username": "someone", "team_id": "T1"}, "api_app_id": "A1", "token": "x",
                  "trigger_id": "t", "view": view}  # fmt: skip
    assert post_signed(url, interaction(submission))[0] == 200
    ephemeral = rig.api.wait_for("chat.postEphemeral")[-1]
    assert ephemeral.args["channel"] == CHANNEL and "New findings sent to 1 supplier: Zeta Components" in \
        ephemeral.args["text"]  # fmt: skip
    ((kind, request_id, sent),) = rig.outreach.calls
    assert kind == "clarification" and request_id == rig.seeded.requests["S-005"]
    assert "again with the lists of 2026-09-05" in sent["body"] and "Smelter List F7: 'Hunan" in sent["body"]
    assert rig.request_state("S-005").state == RequestState.CLARIFICATION_REQUESTED  # reopened, then asked
    with rig.db.session() as s:
        assert s.get(Review, result.changes[0].review_id).supplier_notified_at is not None  # type: ignore[union-attr]
