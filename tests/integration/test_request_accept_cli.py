"""``cmrt-bot request accept REQUEST_ID --reason TEXT`` (issue 17): the same operation as Slack's Accept; audited
with the reason; the acceptance e-mail is recorded in the outbox unless ``[outreach] notify_on_accept = false``;
refused without a reason or without a reviewed workbook."""

from __future__ import annotations

import pathlib

import pytest

from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundProcessor
from mail.headers import token_tag
from store import Database, audit
from store.models import OutboxItem, Request
from store.states import OutboxKind
from tests.adapters.mail.support import seed_request
from tests.integration.test_cli_foundation import run_inprocess
from tests.unit.mail.helpers import XLSX, inbound

CONFIG = """[store]
url = "sqlite:///x.db"
[outreach]
from_address = "bot@buyer.test"
company_name = "Buyer Corp"
notify_on_accept = {notify}
[mail]
outbound = "maildir"
outbound_maildir_path = "{out}"
"""


def _config(tmp_path: pathlib.Path, *, notify: bool) -> str:
    config = tmp_path / f"c{int(notify)}.toml"
    config.write_text(CONFIG.format(notify=str(notify).lower(), out=tmp_path / "out"), encoding="utf-8")
    return str(config)


def test_request_accept_from_the_command_line(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    on, off = _config(tmp_path, notify=True), _config(tmp_path, notify=False)
    assert run_inprocess("--config", on, "db", "upgrade")[0] == 0
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        first = seed_request(db, "anna@acme.test")
        second = seed_request(db, "li@mica.test", name="Mica Works", external_id="S-2")
        rc, _, err = run_inprocess("--config", on, "request", "accept", str(first.request_id), "--reason", "ok")
        assert rc == 1 and "is not sent and cannot be marked accepted" in err
        for seeded in (first, second):
            workbook = build_cmrt(company_name=seeded.supplier_name, authorizer_name=None)  # to be clarified
            raw = inbound(sender=seeded.contact, subject=f"Re: CMRT {token_tag(seeded.token)}",
                          attachments=[("cmrt.xlsx", workbook, XLSX)])  # fmt: skip
            assert InboundProcessor(db).process(raw).request_id == seeded.request_id
        rc, _, err = run_inprocess("--config", on, "request", "accept", str(first.request_id), "--reason", " ")
        assert rc == 1 and "needs a reason" in err

        rc, out, _ = run_inprocess("--config", on, "request", "accept", str(first.request_id),
                                   "--reason", "checked with the buyer")  # fmt: skip
        assert rc == 0, out
        assert "Acme Metals Ltd (S-1) is now accepted. Reason: checked with the buyer" in out
        assert "The supplier is told by e-mail." in out
        rc, out, _ = run_inprocess("--config", off, "request", "accept", str(second.request_id), "--reason", "fine")
        assert rc == 0 and "told by e-mail" not in out

        with db.session() as s:
            assert {s.get(Request, r.request_id).state.value for r in (first, second)} == {"accepted"}  # type: ignore[union-attr]
            mails = s.query(OutboxItem).filter(OutboxItem.kind == OutboxKind.ACCEPTANCE).all()
            assert [m.request_id for m in mails] == [first.request_id]  # notify_on_accept = false: none for S-2
            (event, _) = audit.events(s, action="request.accepted")
            assert event.actor.startswith("os:") and "checked with the buyer" in str(event.details)
    finally:
        db.dispose()
