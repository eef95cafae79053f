"""``/cmrt rollup [product]``: our own CMRT built from a campaign of the three real returns plus synthetic
declarations and uploaded into the channel (files upload v2); the product-level variant takes the product list
from a file attached in a modal, or answers with the CLI command. The real Bolt app is driven with signed requests
in HTTP mode against the local fake Slack Web API; the roll-up orders come from the configuration as in ``run``
(``bot.commands.rollup.orders_from``)."""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from bot.commands.rollup import orders_from
from bot.config import load_config
from bot.slack_app import HttpRunner, build_app, build_client
from cmrt.workbook import ReadLimits, read_workbook
from handlers.slack import register_all
from handlers.slack.access import AccessPolicy
from handlers.slack.deps import ChatOps
from handlers.slack.notifier import SlackNotifier
from handlers.slack.rollup import B_PRODUCTS, V_PRODUCTS
from store import Database
from store.models import AuditEvent
from tests.adapters.slack.conftest import (
    CHANNEL,
    MEMBER,
    NOW,
    SECRET,
    RecordingOutreach,
    command_payload,
    form,
    interaction,
    post_signed,
)
from tests.fakes.slack_api import Call, FakeSlackAPI
from tests.integration.test_rollup_cli import ROLLUP, setup

PRODUCTS = b"number,name,comment\nW-100,Widget,\nW-200,Gadget,spare part\n"


@dataclass
class Rig:
    api: FakeSlackAPI
    db: Database
    ops: ChatOps
    url: str
    config: pathlib.Path

    def command(self, text: str, trigger: str) -> None:
        status, body, _ = post_signed(self.url, form(command_payload(text, api=self.api, trigger=trigger)))
        assert status == 200, body

    def submit(self, view: dict[str, Any], files: list[dict[str, Any]], view_id: str) -> tuple[int, bytes]:
        payload = {
            "type": "view_submission", "team": {"id": "T1", "domain": "fake"},
            "user": {"id": MEMBER, "username": "someone", "team_id": "T1"}, "api_app_id": "A1", "token": "x",
            "trigger_id": f"view-{view_id}",
            "view": {"id": view_id, "hash": "h1", "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view["private_metadata"],
                     "state": {"values": {B_PRODUCTS: {"file": {"type": "file_input", "files": files}}}}},
        }  # fmt: skip
        status, body, _ = post_signed(self.url, interaction(payload))
        return status, body


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp_path = tmp_path_factory.mktemp("rollup-slack")
    store_url = f"sqlite:///{tmp_path / 'cmrt-bot.db'}"
    config = setup(store_url, tmp_path)  # campaign 2025: three real returns, two synthetic, one silent, one exempt
    api = FakeSlackAPI().start()
    api.channel_members[CHANNEL] = [MEMBER]
    db = Database(store_url)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-rollup")
    client = build_client("xoxb-test", api.base_url)
    ops = ChatOps(db=db, outreach=RecordingOutreach(), access=AccessPolicy(channel=CHANNEL), channel=CHANNEL,
                  notifier=SlackNotifier(client, db, CHANNEL, clock=lambda: NOW), clock=lambda: NOW,
                  executor=executor, rollup=orders_from(load_config(config)))  # fmt: skip
    app = build_app(client, signing_secret=SECRET, executor=executor)
    register_all(app, ops)
    runner = HttpRunner(app, "127.0.0.1", 0)
    runner.start()
    try:
        yield Rig(api, db, ops, runner.url, pathlib.Path(config))
    finally:
        runner.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        db.dispose()
        api.stop()


def _uploaded(rig: Rig, count: int) -> tuple[Call, bytes]:
    complete = rig.api.wait_for("files.completeUploadExternal", count=count, timeout=60)[count - 1]
    (entry,) = complete.json_arg("files")
    return complete, rig.api.uploads[entry["id"]]


def _ephemeral(rig: Rig, needle: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in rig.api.calls_to("chat.postEphemeral") + rig.api.calls_to("response_url"):
            text = str(call.args.get("text") or (json.loads(call.body).get("text") if call.body.startswith(b"{")
                                                 else ""))  # fmt: skip
            if needle in text:
                return text
        time.sleep(0.05)
    raise AssertionError(f"no ephemeral answer with {needle!r}")


def test_rollup_uploads_the_company_level_declaration_into_the_channel(rig: Rig) -> None:
    rig.command("rollup", "t-company")
    _ephemeral(rig, "Building our company-level CMRT")
    complete, data = _uploaded(rig, 1)
    assert complete.args["channel_id"] == CHANNEL
    comment = str(complete.args["initial_comment"])
    assert comment.startswith("Our own CMRT for campaign 2025 (company-level), effective 2026-11-25")
    assert "5 of 6 surveyed suppliers responded" in comment and "RMAP lists of 2026-08-22" in comment
    assert f"<@{MEMBER}>" in comment
    (entry,) = complete.json_arg("files")
    assert entry["title"] == "Our CMRT, campaign 2025 (company-level)"
    back = read_workbook(data, limits=ReadLimits(isolated=False))  # the uploaded file is our CMRT, read back
    assert back.company.name == "Example Corporation" and back.company.scope == "company"
    assert back.company.effective_date == NOW.date() and len(back.smelters) > 10 and not back.products
    with rig.db.session() as s:
        events = s.query(AuditEvent).filter(AuditEvent.action == "slack_rollup").all()
        assert [(e.actor, e.details["campaign"], e.details["scope"]) for e in events] == [(MEMBER, 2025, "company")]


def test_rollup_product_takes_the_product_list_from_a_file_attached_in_a_modal(rig: Rig) -> None:
    before = len(rig.api.calls_to("files.completeUploadExternal"))
    rig.command("rollup product 2025", "t-product")
    opened = rig.api.wait_for("views.open", timeout=10)[-1]
    assert opened.args["trigger_id"] == "t-product"
    view = opened.json_arg("view")
    assert view["callback_id"] == V_PRODUCTS
    element = next(b for b in view["blocks"] if b.get("block_id") == B_PRODUCTS)["element"]
    assert (element["type"], element["filetypes"], element["max_files"]) == ("file_input", ["csv", "xlsx"], 1)
    assert "cmrt-bot rollup --campaign 2025 --scope product --products FILE.csv" in json.dumps(view)

    status, body = rig.submit(view, [], "V-empty")  # nothing attached: the modal says so and stays open
    assert status == 200 and json.loads(body) == {
        "response_action": "errors", "errors": {B_PRODUCTS: "Attach the product list (CSV or XLSX)."}}  # fmt: skip

    file_id = rig.api.add_file("products.csv", PRODUCTS)
    status, _ = rig.submit(view, [{"id": file_id, "name": "products.csv"}], "V-products")
    assert status == 200
    complete, data = _uploaded(rig, before + 1)
    (download,) = [c for c in rig.api.calls_to("download") if c.args["file_id"] == file_id]
    assert download.headers["authorization"] == "Bearer xoxb-test"  # fetched with the bot token via files.info
    assert "(product-level, 2 product(s) from products.csv)" in str(complete.args["initial_comment"])
    back = read_workbook(data, limits=ReadLimits(isolated=False))
    assert back.company.scope_raw == "B. Product (or List of Products)"
    assert [(p.number, p.name, p.comment) for p in back.products] == [("W-100", "Widget", None),
                                                                      ("W-200", "Gadget", "spare part")]  # fmt: skip


def test_bad_product_lists_and_an_unopenable_modal_are_answered_never_uploaded(rig: Rig) -> None:
    before = len(rig.api.calls_to("files.completeUploadExternal"))
    rig.command("rollup product", "t-bad")
    view = rig.api.wait_for("views.open", timeout=10)[-1].json_arg("view")
    bad = rig.api.add_file("parts.csv", b"name,comment\nWidget,\n")
    assert rig.submit(view, [{"id": bad, "name": "parts.csv"}], "V-bad")[0] == 200
    assert "no product number column" in _ephemeral(rig, "The product list cannot be used")

    rig.api.fail_next("views.open", status=200, retry_after=None, body={"ok": False, "error": "expired_trigger_id"})
    rig.command("rollup product 2025", "t-expired")
    text = _ephemeral(rig, "The product list cannot be asked for here")
    assert "`cmrt-bot rollup --campaign 2025 --scope product --products FILE.csv --out our-cmrt.xlsx`" in text

    rig.command("rollup everything", "t-usage")
    _ephemeral(rig, "Usage: `/cmrt rollup [product] [campaign year]`")
    assert len(rig.api.calls_to("files.completeUploadExternal")) == before


def test_missing_company_values_are_named_and_nothing_is_uploaded(rig: Rig, tmp_path: pathlib.Path) -> None:
    before = len(rig.api.calls_to("files.completeUploadExternal"))
    store = rig.config.read_text(encoding="utf-8").split("[company]")[0]
    partial = tmp_path / "partial.toml"
    template = load_config(str(rig.config)).rollup.template_path
    partial.write_text(store + '[company]\nname = "Example Corporation"\n' + ROLLUP.format(template=template),
                       encoding="utf-8")  # fmt: skip
    usual, rig.ops.rollup = rig.ops.rollup, orders_from(load_config(str(partial)))
    try:
        rig.command("rollup 2025", "t-partial")
        text = _ephemeral(rig, "Missing or invalid values, nothing was built")
        assert "`company.contact_email`: required" in text and "`company.authorizer_name`: required" in text
        rig.ops.rollup = None  # a bot started without the roll-up configuration
        rig.command("rollup", "t-none")
        text = _ephemeral(rig, "started without the roll-up configuration")
        assert "`cmrt-bot rollup --campaign YEAR --out our-cmrt.xlsx`" in text
    finally:
        rig.ops.rollup = usual
    assert len(rig.api.calls_to("files.completeUploadExternal")) == before
