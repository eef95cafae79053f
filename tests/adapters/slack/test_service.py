"""``bot.slack_app.SlackService`` built from the real ``[slack]`` settings, against the fakes."""

from __future__ import annotations

import json
import pathlib
import socket as sockets
import time

import pytest

from bot.config import SlackSettings, parse_config
from bot.slack_app import (
    HttpRunner,
    SlackConfigError,
    SlackService,
    SocketModeRunner,
    build_side,
    chat_ops,
    read_secrets,
)
from store import Database
from tests.adapters.slack.conftest import (
    CHANNEL,
    MEMBER,
    RecordingOutreach,
    command_payload,
    fresh_db,
    post_signed,
    seed,
)
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.socket_mode import FakeSocketModeServer

ENV = {"CMRT_SLACK_BOT_TOKEN": "xoxb-test", "CMRT_SLACK_APP_TOKEN": "xapp-test", "CMRT_SLACK_SIGNING_SECRET": "s3"}


def _settings(api: FakeSlackAPI, mode: str, port: int = 3000) -> SlackSettings:
    text = f"""
[slack]
mode = "{mode}"
channel = "{CHANNEL}"
api_base_url = "{api.base_url}"
http_host = "127.0.0.1"
http_port = {port}
allowed_users = ["UEXTRA"]
"""
    return parse_config(text).slack


def _service(settings: SlackSettings, db: Database) -> SlackService:
    """The service over the parts ``bot.wiring.build`` makes once (client, notifier, executor)."""
    side = build_side(settings, db, environ=ENV)
    return SlackService(side, chat_ops(side, db, outreach=RecordingOutreach()))


def _free_port() -> int:
    with sockets.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_missing_secrets_are_named(tmp_path: pathlib.Path) -> None:
    with FakeSlackAPI() as api:
        settings = _settings(api, "http")
        with pytest.raises(SlackConfigError, match="CMRT_SLACK_SIGNING_SECRET"):
            read_secrets(settings, {"CMRT_SLACK_BOT_TOKEN": "xoxb-1"})
        with pytest.raises(SlackConfigError, match="CMRT_SLACK_APP_TOKEN"):
            read_secrets(_settings(api, "socket"), {"CMRT_SLACK_BOT_TOKEN": "xoxb-1"})
        assert "xoxb" not in repr(read_secrets(settings, ENV))


def test_socket_mode_service_from_settings(tmp_path: pathlib.Path) -> None:
    with FakeSlackAPI() as api, FakeSocketModeServer() as server:
        api.socket_mode_url = server.url
        api.channel_members[CHANNEL] = [MEMBER]
        db = fresh_db(tmp_path)
        seed(db)
        service = _service(_settings(api, "socket"), db)
        assert isinstance(service.runner, SocketModeRunner)
        try:
            service.start()
            server.wait_connection()
            envelope = server.send_envelope("slash_commands", command_payload("status", api=api))
            assert server.wait_ack(envelope) == {"envelope_id": envelope}
            assert "Responded: 3 of 5" in json.dumps(api.wait_for("response_url")[0].args["blocks"])
            assert api.calls_to("auth.test")[0].headers["authorization"] == "Bearer xoxb-test"
            assert service.ops.access.allowed_users == frozenset({"UEXTRA"})
        finally:
            for conn in list(server.connections):
                conn.close()
            service.stop()
            service.side.close()
            db.dispose()


def test_http_service_binds_the_configured_host_and_port(tmp_path: pathlib.Path) -> None:
    port = _free_port()
    with FakeSlackAPI() as api:
        api.channel_members[CHANNEL] = [MEMBER]
        db = fresh_db(tmp_path)
        seed(db)
        service = _service(_settings(api, "http", port), db)
        assert isinstance(service.runner, HttpRunner)
        service.start()
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
            from tests.adapters.slack.conftest import form

            body = form(command_payload("help", api=api))
            assert post_signed(url, body, secret="s3")[0] == 200
            assert post_signed(url, body, secret="wrong")[0] == 401
            assert post_signed(url, body, secret="s3", timestamp=int(time.time()) - 301)[0] == 401
            api.wait_for("response_url")
        finally:
            service.stop()
            service.side.close()
            db.dispose()
