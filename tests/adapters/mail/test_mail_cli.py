"""``cmrt-bot mail unmatched | assign | release`` in-process, on SQLite and PostgreSQL.

The assignment records the acknowledgment in the outbox and sends nothing (the running bot's outbox loop does).
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from bot.cli import main
from cmrt.outreach.states import RequestState
from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundProcessor
from handlers.mail_store import StoreOutboxRepository
from mail.outbox import OutboxRecord
from store import Database, audit, campaigns, suppliers, upgrade
from store.models import Message, OutboxItem, Request, Review
from store.states import OutboxState

BOT = "bot@example.test"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CMRT_STORE_URL", "CMRT_CONFIG", "CMRT_SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def _setup(tmp_path: pathlib.Path, url: str) -> tuple[pathlib.Path, int]:
    upgrade(url)
    with Database(url) as db:
        with db.session() as s:
            made = []
            for ext, name in (("S-100", "Tantalum Works Ltd"), ("S-200", "Tantalum Workshop AG")):
                sup, _ = suppliers.upsert(s, suppliers.SupplierData(ext, name, f"{ext.lower()}@supplier.test"))
                made.append(sup)
            s.flush()
            campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=made)
            s.flush()
            for request in s.scalars(sa.select(Request)):
                request.state = RequestState.SENT
        msg = EmailMessage()
        msg["From"] = "Pat Stranger <pat@stranger.test>"
        msg["To"] = BOT
        msg["Subject"] = "Our declaration"
        msg["Message-ID"] = "<decl-cli@stranger.test>"
        msg.set_content("Attached.")
        xlsx = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        workbook = build_cmrt(company_name="Nobody Known Unrelated Ltd")
        msg.add_attachment(workbook, maintype="application", subtype=xlsx, filename="cmrt.xlsx")
        outcome = InboundProcessor(db).process(msg.as_bytes())
        assert outcome.request_id is None
        with db.session() as s:
            ref = s.scalars(sa.select(Message.id).where(Message.message_id == outcome.message_id)).one()
    cfg = tmp_path / "cmrt-bot.toml"
    cfg.write_text(
        f'[store]\nurl = "{url}"\n\n[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n\n'
        f'[outreach]\nfrom_address = "{BOT}"\ncompany_name = "Example Corp"\n\n[mail]\ninbound = "none"\n',
        encoding="utf-8",
    )
    return cfg, ref


def test_list_assign_and_refuse_a_second_assignment(
    tmp_path: pathlib.Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, ref = _setup(tmp_path, store_url)
    base = ["--config", str(cfg), "mail"]
    assert main([*base, "unmatched"]) == 0
    out = capsys.readouterr().out
    assert f"#{ref}" in out and "stranger.test" in out and "pat@" not in out
    assert main([*base, "unmatched", "--details"]) == 0
    assert "pat@stranger.test" in capsys.readouterr().out
    assert main([*base, "unmatched", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["ref"] == ref and row["sender_domain"] == "stranger.test" and "sender" not in row
    # an ambiguous name and a bad reference are refused with the reason
    assert main([*base, "assign", str(ref), "Tantalum Work"]) == 1
    assert "several suppliers match" in capsys.readouterr().err
    assert main([*base, "assign", "abc", "S-100"]) == 1
    assert "not an e-mail reference" in capsys.readouterr().err
    assert main([*base, "assign", str(ref), "S-100"]) == 0
    out = capsys.readouterr().out
    assert "assigned to Tantalum Works Ltd" in out and "outbox" in out
    with Database(store_url) as db, db.session() as s:
        request = s.scalars(sa.select(Request).where(Request.supplier.has(external_id="S-100"))).one()
        assert request.state != RequestState.SENT and request.responded_at is not None
        assert s.scalar(sa.select(sa.func.count()).select_from(Review).where(Review.request_id == request.id)) == 1
        (ack,) = s.scalars(sa.select(OutboxItem).where(OutboxItem.idempotency_key.like("ack:%"))).all()
        assert ack.state == OutboxState.PENDING and ack.request_id == request.id  # recorded, not sent
        (event,) = audit.events(s, action="mail.assigned")
        assert event.actor.startswith("os:")
    assert main([*base, "assign", f"#{ref}", "S-200"]) == 1
    assert "already assigned to Tantalum Works Ltd" in capsys.readouterr().err
    assert main([*base, "unmatched"]) == 0
    assert "No unmatched inbound e-mails" in capsys.readouterr().out


def test_release_resend_and_sent(tmp_path: pathlib.Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    cfg, _ref = _setup(tmp_path, store_url)
    with Database(store_url) as db:
        repo = StoreOutboxRepository(db, mail_from=BOT)
        for key in ("k-resend", "k-sent"):
            repo.add(OutboxRecord(key, "reminder", "s-100@supplier.test", BOT, f"<{key}@example.test>", b"raw"))
            repo.transition(key, [OutboxState.PENDING], OutboxState.SENDING)
            repo.transition(key, [OutboxState.SENDING], OutboxState.UNCERTAIN)
    base = ["--config", str(cfg), "mail", "release"]
    with pytest.raises(SystemExit) as exited:  # --resend or --sent is required
        main([*base, "k-resend"])
    assert exited.value.code == 2
    capsys.readouterr()
    assert main([*base, "k-resend", "--resend"]) == 0
    assert "queued again" in capsys.readouterr().out
    assert main([*base, "k-sent", "--sent"]) == 0
    assert "counts as sent" in capsys.readouterr().out
    assert main([*base, "k-sent", "--resend"]) == 1
    assert "not uncertain" in capsys.readouterr().err
    assert main([*base, "nope", "--sent"]) == 1
    assert "no outbox e-mail" in capsys.readouterr().err
    with Database(store_url) as db:
        repo = StoreOutboxRepository(db, mail_from=BOT)
        resent, sent = repo.get("k-resend"), repo.get("k-sent")
        assert resent is not None and resent.state is OutboxState.PENDING
        assert sent is not None and sent.state is OutboxState.SENT
        with db.session() as s:
            events = audit.events(s, action="mail.released")
            settled = sorted((e.subject_id, e.details["resend"]) for e in events)
            assert settled == [("k-resend", True), ("k-sent", False)]


def test_assign_tells_the_slack_channel_when_slack_is_configured(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from handlers.slack import mail_blocks
    from store import runtime
    from tests.fakes.slack_api import FakeSlackAPI

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    cfg, ref = _setup(tmp_path, url)
    with FakeSlackAPI() as api:
        cfg.write_text(
            cfg.read_text(encoding="utf-8") + f'\n[slack]\nchannel = "CTEAM"\napi_base_url = "{api.base_url}"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("CMRT_SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("CMRT_SLACK_APP_TOKEN", "xapp-test")
        with Database(url) as db, db.session() as s:  # the alert the running bot posted
            runtime.set_value(s, mail_blocks.alert_key(ref), {"channel": "CTEAM", "ts": "1700000000.000009"})
        assert main(["--config", str(cfg), "mail", "assign", str(ref), "S-100"]) == 0
        capsys.readouterr()
        (update,) = [c for c in api.calls_to("chat.update") if c.args.get("ts") == "1700000000.000009"]
        assert "Tantalum Works Ltd" in update.args["text"] and "command line" in json.dumps(update.json_arg("blocks"))
        threaded = [c for c in api.calls_to("chat.postMessage") if "thread_ts" in c.args]
        assert any("Review" in c.args["text"] for c in threaded)  # the request's thread shows the review


def test_retry_a_quarantined_email(tmp_path: pathlib.Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``mail retry REF``: a quarantined e-mail (a passing database error put it there) is handled again from its
    stored bytes, once; anything else is refused."""
    cfg, ref = _setup(tmp_path, store_url)
    base = ["--config", str(cfg), "mail", "retry"]
    assert main([*base, f"#{ref}"]) == 1
    assert "only a quarantined e-mail can be retried" in capsys.readouterr().err
    with Database(store_url) as db, db.session() as s:
        row = s.get(Message, ref)
        assert row is not None
        row.state, row.error = "quarantined", "OperationalError: server closed the connection unexpectedly"
    assert main([*base, str(ref)]) == 0
    assert "handled again" in capsys.readouterr().out
    with Database(store_url) as db, db.session() as s:
        row = s.get(Message, ref)
        assert row is not None and row.state == "processed" and row.error is None
        assert [e.action for e in audit.events(s)].count("mail.retried") == 1
    assert main([*base, "#999999"]) == 1
    assert "no inbound e-mail" in capsys.readouterr().err.lower()
