"""Fixtures for driving the real Bolt app against the fake Slack Web API (and fake Socket Mode server).

``slack`` gives a ``SlackRig``: a started ``FakeSlackAPI``, a migrated SQLite store seeded with one campaign
(see ``seed``), the ``ChatOps`` and a real ``slack_bolt.App`` with every listener registered. HTTP and Socket
Mode tests put a runner (``bot.slack_app.HttpRunner`` / ``SocketModeRunner``) in front of that app.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import pathlib
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.app import Parts, build_parts
from bot.config import Settings, parse_config
from bot.mail_wiring import MailParts
from bot.slack_app import HttpRunner, build_app, build_client
from cmrt.outreach.states import RequestState
from handlers.outreach_mail import MailOutreach
from handlers.report import ReportOptions
from handlers.slack import register_all
from handlers.slack.access import AccessPolicy
from handlers.slack.deps import ChatOps, OutreachResult
from handlers.slack.notifier import SlackNotifier
from store import Database, blobs, requests
from store.models import Campaign, Request, Review, Submission, Supplier
from store.models import Message as MailMessage
from store.states import Direction
from tests.fakes.slack_api import FakeSlackAPI
from tests.fixtures_store import migrated_sqlite

CHANNEL = "CTEAM"
MEMBER = "UMEMBER"
OTHER_MEMBER = "UOTHER"
OUTSIDER = "UOUTSIDER"
SECRET = "test-signing-secret"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
INJECTION = "Evil <!channel> <@U999> <https://evil.example|click> & Co"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk honours proxy variables; the fakes are on loopback."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


class RecordingOutreach:
    """Stands in for the mail loop's outreach where e-mail is not under test: records what was asked and, like
    the real ``SlackOutreach``, moves the request on (``db`` is set by ``make_rig``)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[str, Any]]] = []
        self.db: Database | None = None

    def _advance(self, request_id: int, target: RequestState, actor: str) -> None:
        if self.db is None:
            return
        with self.db.session() as s:
            request = s.get(Request, request_id)
            if request is not None:
                requests.transition(s, request, target, actor=actor, now=NOW)

    def send_reminder(self, request_id: int, *, actor: str) -> OutreachResult:
        self.calls.append(("reminder", request_id, {"actor": actor}))
        self._advance(request_id, RequestState.REMINDED, actor)
        return OutreachResult(True)

    def send_clarification(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        self.calls.append(("clarification", request_id, {"actor": actor, "body": body}))
        self._advance(request_id, RequestState.CLARIFICATION_REQUESTED, actor)
        return OutreachResult(True)

    def send_request(self, request_id: int, *, actor: str) -> OutreachResult:
        self.calls.append(("request", request_id, {"actor": actor}))
        self._advance(request_id, RequestState.SENT, actor)
        return OutreachResult(True)

    def send_answer(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        self.calls.append(("answer", request_id, {"actor": actor, "body": body}))
        return OutreachResult(True)


@dataclass
class Seeded:
    campaign_id: int
    requests: dict[str, int] = field(default_factory=dict)  # supplier external id -> request id


def seed(db: Database) -> Seeded:
    """Campaign 2025 (due 2026-03-31 is past NOW) with five suppliers in different states."""
    with db.session() as s:
        campaign = Campaign(year=2025, due_date=dt.date(2026, 3, 31))
        s.add(campaign)
        s.flush()
        out = Seeded(campaign.id)
        rows = [
            ("S-001", "Acme Metals GmbH", RequestState.SENT, None),
            ("S-002", "Acme Metal Works", RequestState.REMINDED, None),
            ("S-003", "Borealis Tantalum", RequestState.RESPONDED, "high_risk"),
            ("S-004", INJECTION, RequestState.RESPONDED, "needs_clarification"),
            ("S-005", "Zeta Components", RequestState.ACCEPTED, "accepted"),
        ]
        for index, (ext, name, state, grade) in enumerate(rows):
            supplier = Supplier(external_id=ext, name=name)
            s.add(supplier)
            s.flush()
            sent = NOW - dt.timedelta(days=60 - index)
            request = Request(
                campaign_id=campaign.id,
                supplier_id=supplier.id,
                token=f"TOK{index:05d}",
                state=state,
                sent_at=sent,
                reminder_count=1 if state == RequestState.REMINDED else 0,
                last_reminder_at=sent + dt.timedelta(days=14) if state == RequestState.REMINDED else None,
                responded_at=sent + dt.timedelta(days=20 + index) if grade else None,
                accepted_at=sent + dt.timedelta(days=30) if state == RequestState.ACCEPTED else None,
            )
            s.add(request)
            s.flush()
            out.requests[ext] = request.id
            if grade:
                message = MailMessage(
                    direction=Direction.IN,
                    message_id=f"<m{index}@supplier.test>",
                    raw_blob=blobs.put(s, b"raw"),
                    raw_sha256=hashlib.sha256(str(index).encode()).hexdigest(),
                    request_id=request.id,
                )
                s.add(message)
                s.flush()
                submission = Submission(
                    message_id=message.id, request_id=request.id, sha256="0" * 64, filename="cmrt.xlsx", size=1,
                    declaration={"company": {"name": name, "scope": "company"}, "smelters": []},
                )
                s.add(submission)
                s.flush()
                findings = [
                    {
                        "check": "company.email",
                        "severity": "clarify",
                        "message": f"the contact e-mail 'a,b@x.com' is not valid {INJECTION}",
                        "sheet": "Declaration",
                        "cell": "D16",
                    },
                    {
                        "check": "minerals.covered_countries",
                        "severity": "high_risk",
                        "message": "Tantalum is sourced from covered countries",
                        "sheet": "Declaration",
                        "cell": "D28",
                    },
                ]
                s.add(
                    Review(
                        submission_id=submission.id,
                        request_id=request.id,
                        grade=grade,
                        score=55.0,
                        catalogue_version="test",
                        findings=findings if grade != "accepted" else [],
                    )
                )
    return out


def fresh_db(tmp_path: pathlib.Path) -> Database:
    """A migrated SQLite store: the migrations run once per test session, each test gets a copy of the file."""
    return Database(migrated_sqlite(tmp_path / "slack.db"))


@dataclass
class SlackRig:
    api: FakeSlackAPI
    db: Database
    seeded: Seeded
    ops: ChatOps
    app: App
    outreach: Any
    executor: ThreadPoolExecutor
    notifier: SlackNotifier

    def api_client(self) -> WebClient:
        return self.notifier.client

    def request_state(self, ext: str) -> Request:
        with self.db.session() as s:
            request = s.get(Request, self.seeded.requests[ext])
            assert request is not None
            s.expunge(request)
            return request

    def wait_until(self, predicate: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError("condition not met in time")


def make_rig(tmp_path: pathlib.Path, outreach: Any | None = None) -> Iterator[SlackRig]:
    api = FakeSlackAPI().start()
    api.channel_members[CHANNEL] = [MEMBER, OTHER_MEMBER]
    db = fresh_db(tmp_path)
    seeded = seed(db)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-slack")
    client = build_client("xoxb-test", api.base_url)
    notifier = SlackNotifier(client, db, CHANNEL, clock=lambda: NOW)
    ops = ChatOps(
        db=db,
        outreach=outreach or RecordingOutreach(),
        access=AccessPolicy(channel=CHANNEL),
        channel=CHANNEL,
        notifier=notifier,
        clock=lambda: NOW,
        executor=executor,
    )
    if isinstance(ops.outreach, RecordingOutreach):
        ops.outreach.db = db
    app = build_app(client, signing_secret=SECRET, executor=executor)
    register_all(app, ops)
    rig = SlackRig(api, db, seeded, ops, app, ops.outreach, executor, notifier)
    try:
        yield rig
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        db.dispose()
        api.stop()


@pytest.fixture
def slack(tmp_path: pathlib.Path) -> Iterator[SlackRig]:
    yield from make_rig(tmp_path)


# -------------------------------------------------------------------------- the bot, wired as in production
BOT = "bot@example.test"
ENV = {"CMRT_SLACK_BOT_TOKEN": "xoxb-test", "CMRT_SLACK_SIGNING_SECRET": SECRET}
TomlValue = str | int | bool | list[str]


def _toml(sections: dict[str, dict[str, TomlValue]]) -> str:
    def value(v: TomlValue) -> str:
        return json.dumps(v) if not isinstance(v, bool) else str(v).lower()

    return "".join(
        f"[{name}]\n" + "".join(f"{key} = {value(v)}\n" for key, v in table.items()) + "\n"
        for name, table in sections.items()
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BotRig(SlackRig):
    """A ``SlackRig`` whose parts the production wiring built (``bot.app.build_parts``): ``url`` is the Slack
    app's events URL (HTTP mode), ``mail_parts`` the mail loop (inbound handler, outbox, outreach), ``mail`` its
    ``MailOutreach``."""

    url: str = ""
    parts: Parts | None = None

    @property
    def mail_parts(self) -> MailParts:
        assert self.parts is not None and self.parts.wiring is not None
        return self.parts.wiring.mail

    @property
    def mail(self) -> MailOutreach:
        """The mail loop's ``MailOutreach`` (what the scheduler's tick sends through)."""
        return self.mail_parts.outbound


def smtp_settings(harness: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, TomlValue]:
    """``[smtp]`` for the mail harness's relay as the bot's user (its password in the environment, as in
    production)."""
    monkeypatch.setenv("CMRT_TEST_SMTP_PASSWORD", harness.users[BOT])
    return {"host": "127.0.0.1", "port": harness.smtp_port, "security": "starttls", "username": BOT,
            "password_env": "CMRT_TEST_SMTP_PASSWORD", "tls_ca_file": str(harness.ca_path),
            "timeout": "10s"}  # fmt: skip


class Rig:
    """The ``rig`` fixture: ``rig(settings)`` builds the bot from ``settings`` through ``bot.app.build_parts`` (the
    function ``cmrt-bot run`` calls), over the seeded store and the fake Slack Web API, and starts its Slack app.
    ``rig.settings(**sections)`` gives the settings of that store and that fake (HTTP mode on a free port, e-mail
    written as .eml files, no inbox), each section's keys replaced by those given."""

    def __init__(self, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.api = FakeSlackAPI().start()
        self.api.channel_members[CHANNEL] = [MEMBER, OTHER_MEMBER]
        db = fresh_db(tmp_path)
        self.seeded = seed(db)
        self.db_url = str(db.url)
        db.dispose()
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        self._built: list[BotRig] = []

    def settings(self, **sections: dict[str, TomlValue]) -> Settings:
        base: dict[str, dict[str, TomlValue]] = {
            "store": {"url": self.db_url},
            "slack": {"mode": "http", "channel": CHANNEL, "api_base_url": self.api.base_url, "http_host": "127.0.0.1",
                      "http_port": free_port(), "digest": "off"},
            "outreach": {"from_address": BOT, "company_name": "Example Corp", "from_name": "Compliance Team",
                         "max_emails_per_hour": 0},
            "mail": {"inbound": "none", "outbound": "maildir",
                     "outbound_maildir_path": str(self.tmp_path / "sent")},
            "smelters": {"refresh": "off"},
        }  # fmt: skip
        for name, table in sections.items():
            base[name] = {**base.get(name, {}), **table}
        return parse_config(_toml(base))

    def __call__(self, settings: Settings, *, outreach: Any | None = None) -> BotRig:
        db = Database(settings.store.url)
        parts = build_parts(settings, db, threading.Event(), clock=lambda: NOW)
        assert parts.wiring is not None and parts.wiring.slack is not None
        slack = parts.wiring.slack
        if outreach is not None:  # a stand-in for the mail loop's outreach, where e-mail is not under test
            slack.ops.outreach = outreach
        slack.component.start()
        service = slack.component.service
        assert service is not None
        url = service.runner.url if isinstance(service.runner, HttpRunner) else ""
        rig = BotRig(self.api, db, self.seeded, slack.ops, service.app, slack.ops.outreach, slack.side.executor,
                     slack.side.notifier, url=url, parts=parts)  # fmt: skip
        self._built.append(rig)
        return rig

    def close(self) -> None:
        for rig in self._built:
            assert rig.parts is not None
            for component in reversed(rig.parts.components):
                if component.name == "slack":
                    component.stop(5.0)
            for close in rig.parts.closers:
                close()
            rig.executor.shutdown(wait=True, cancel_futures=True)
            rig.db.dispose()
        self.api.stop()


@pytest.fixture
def rig(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    made = Rig(tmp_path, monkeypatch)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def http(slack: SlackRig) -> Iterator[tuple[SlackRig, str]]:
    """The rig's app served in HTTP mode on 127.0.0.1 (an ephemeral port); yields (rig, events URL)."""
    from bot.slack_app import HttpRunner

    runner = HttpRunner(slack.app, "127.0.0.1", 0)
    runner.start()
    try:
        yield slack, runner.url
    finally:
        runner.stop()


# ------------------------------------------------------------------------------------------- payload builders
def command_payload(text: str, *, user: str = MEMBER, api: FakeSlackAPI, trigger: str = "1.2.3") -> dict[str, str]:
    return {
        "token": "x",
        "team_id": "T1",
        "team_domain": "fake",
        "channel_id": CHANNEL,
        "channel_name": "compliance",
        "user_id": user,
        "user_name": "someone",
        "command": "/cmrt",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": api.response_url(f"cmd-{trigger}"),
        "trigger_id": trigger,
    }


def action_payload(
    action_id: str,
    value: str,
    *,
    user: str = MEMBER,
    api: FakeSlackAPI,
    action_ts: str = "1700000100.000001",
    selected: bool = False,
) -> dict[str, Any]:
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "action_ts": action_ts}
    if selected:
        action.update(
            type="static_select", selected_option={"value": value, "text": {"type": "plain_text", "text": "x"}}
        )
    else:
        action.update(type="button", value=value, text={"type": "plain_text", "text": "x"})
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "team": {"id": "T1", "domain": "fake"},
        "channel": {"id": CHANNEL, "name": "compliance"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": CHANNEL},
        "trigger_id": f"trig-{action_ts}",
        "response_url": api.response_url(f"act-{action_ts}"),
        "actions": [action],
    }


def view_payload(
    callback_id: str,
    request_id: int,
    block_id: str,
    text: str,
    *,
    user: str = MEMBER,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A modal submission; ``extra``: more input blocks' state (block id -> element state)."""
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "fake"},
        "user": {"id": user, "username": "someone", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "view-trigger",
        "view": {
            "id": f"V-{callback_id}-{request_id}",
            "hash": "h1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": json.dumps({"request_id": request_id, "channel": CHANNEL}),
            "state": {"values": {block_id: {"text": {"type": "plain_text_input", "value": text}}, **(extra or {})}},
        },
    }


def event_payload(event: dict[str, Any], *, event_id: str = "Ev1") -> dict[str, Any]:
    return {
        "token": "x",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(NOW.timestamp()),
        "event": event,
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
    }


# ------------------------------------------------------------------------------------------- HTTP signing
def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post_signed(
    url: str,
    body: bytes,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: int | None = None,
    secret: str = SECRET,
    signature: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[int, bytes, float]:
    """POST like Slack does; returns (status, body, seconds until the response)."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature or sign(body, ts, secret),
        **(extra_headers or {}),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - started


def form(data: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(data).encode()


def interaction(payload: dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


@contextlib.contextmanager
def http_chatops(db: Any, now: dt.datetime) -> Iterator[tuple[FakeSlackAPI, ChatOps, str]]:
    """The real Bolt app over signed HTTP, on a fake Slack Web API, with a recording outreach and the clock at
    ``now``: the Slack side of the tests that compare every surface (yields the API, the ChatOps and the URL)."""
    api = FakeSlackAPI().start()
    api.channel_members[CHANNEL] = [MEMBER]
    executor = ThreadPoolExecutor(max_workers=2)
    client = build_client("xoxb-test", api.base_url)
    notifier = SlackNotifier(client, db, CHANNEL, clock=lambda: now)
    ops = ChatOps(db=db, outreach=RecordingOutreach(), access=AccessPolicy(channel=CHANNEL), channel=CHANNEL,
                  notifier=notifier, clock=lambda: now, executor=executor, report=ReportOptions())  # fmt: skip
    app = build_app(client, signing_secret=SECRET, executor=executor)
    register_all(app, ops)
    runner = HttpRunner(app, "127.0.0.1", 0)
    runner.start()
    try:
        yield api, ops, runner.url
    finally:
        runner.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        api.stop()
