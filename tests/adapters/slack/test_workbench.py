"""The reviewer's workbench: the returned workbook in the supplier's thread (files upload v2), or not when
``[slack] upload_workbooks = false``; *All findings* and the question's *Reply* open their modals."""

from __future__ import annotations

import json

from handlers.inbound import InboundProcessor
from handlers.slack import blocks
from mail.headers import token_tag
from store.models import Contact
from tests.adapters.slack.conftest import NOW, SlackRig, action_payload
from tests.unit.mail.helpers import XLSX, inbound, small_xlsx

ADDRESS = "anna@acme-metals.test"
WORKBOOK = small_xlsx()


def _reply(rig: SlackRig, ext: str) -> bytes:
    request = rig.request_state(ext)
    with rig.db.session() as s:
        s.add(Contact(supplier_id=request.supplier_id, email=ADDRESS, name="Anna"))
    return inbound(sender=ADDRESS, subject=f"Re: CMRT {token_tag(request.token)}",
                   attachments=[("Acme CMRT.xlsx", WORKBOOK, XLSX)])  # fmt: skip


def test_the_returned_workbook_is_uploaded_into_the_suppliers_thread(slack: SlackRig) -> None:
    processor = InboundProcessor(slack.db, notifier=slack.notifier, clock=lambda: NOW)
    assert processor.process(_reply(slack, "S-001")).request_id == slack.seeded.requests["S-001"]
    steps = [m for m in slack.api.methods() if m in ("files.getUploadURLExternal", "upload",
                                                     "files.completeUploadExternal")]  # fmt: skip
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    complete = slack.api.calls_to("files.completeUploadExternal")[0]
    assert complete.args["thread_ts"] == slack.request_state("S-001").slack_ts
    assert "Acme CMRT.xlsx" in json.dumps(complete.json_arg("files"))
    assert next(iter(slack.api.uploads.values())) == WORKBOOK


def test_no_workbook_goes_to_slack_when_uploads_are_off(slack: SlackRig) -> None:
    slack.notifier.upload_workbooks = False
    processor = InboundProcessor(slack.db, notifier=slack.notifier, clock=lambda: NOW)
    processor.process(_reply(slack, "S-001"))
    assert slack.api.calls_to("files.getUploadURLExternal") == []
    assert slack.api.calls_to("chat.postMessage")  # the reply is still announced


def test_all_findings_opens_a_modal_with_every_finding_grouped(slack: SlackRig) -> None:
    from handlers.slack.actions import handle

    request_id = slack.seeded.requests["S-003"]
    body = action_payload(blocks.A_FINDINGS, str(request_id), api=slack.api)
    handle(slack.ops, "UMEMBER", body, lambda **_: None, slack.api_client())  # type: ignore[arg-type]
    modal = slack.api.wait_for("views.open")[0].json_arg("view")
    text = json.dumps(modal)
    assert modal["title"]["text"] == "All findings"
    assert "Supplier must correct (1)" in text and "Supplier must explain (1)" in text and "For us (0)" in text
    assert "`Declaration D16`" in text and "`Declaration D28`" in text


def test_change_address_send_now_and_resume_from_the_card(slack: SlackRig) -> None:
    from handlers.slack import operations
    from store import suppliers as supplier_repo
    from store.models import Request

    request_id = slack.seeded.requests["S-001"]
    with slack.db.session() as s:
        request = s.get(Request, request_id)
        assert request is not None
        s.add(Contact(supplier_id=request.supplier_id, email="old@acme.test", name="Old"))
        s.flush()
        s.refresh(request.supplier)
        supplier_repo.mark_contact_bouncing(request.supplier.contacts[0], "550 no such user")
    assert not operations.change_address(slack.ops, request_id, "UMEMBER", "not an address").ok
    assert operations.change_address(slack.ops, request_id, "UMEMBER", "New@Acme.test ").ok
    with slack.db.session() as s:
        request = s.get(Request, request_id)
        assert request is not None
        contact = supplier_repo.primary_contact(request.supplier)
        assert contact is not None and (contact.email, contact.state.value) == ("new@acme.test", "active")
    assert not operations.send_now(slack.ops, request_id, "UMEMBER").ok  # sent already
    assert not operations.resume(slack.ops, request_id, "UMEMBER").ok  # no question waiting
    with slack.db.session() as s:
        s.get(Request, slack.seeded.requests["S-001"]).state = "not_sent"  # type: ignore[union-attr]
    assert operations.send_now(slack.ops, request_id, "UMEMBER").ok
    assert slack.outreach.calls[-1][0] == "request" and slack.request_state("S-001").state.value == "sent"
