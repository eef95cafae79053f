"""Secrets stay secret (issue 11): a token pasted into a ``*_env`` key is refused without being repeated, a password
in the store URL is warned about (naming PGPASSWORD / .pgpass, not the password), ``[log] protocol`` and
``[mail] bounce_address`` are typed keys, protocol libraries are quiet, and an unreachable database is one line."""

from __future__ import annotations

import logging
import os
import pathlib
import subprocess
import sys

import pytest

from bot.config import ConfigError, Settings, apply_environment, env_name_problem, parse_config
from bot.logs import PROTOCOL_LOGGERS, ProtocolRecordFilter, apply_log_settings, configure_logging

ROOT = pathlib.Path(__file__).resolve().parents[3]
TOKENS = ("xoxb-2424242424-4242424242-AbCdEfGhIjKlMnOpQrStUvWx", "xapp-1-A0123-4567-deadbeefcafe",
          "hunter2!correct horse", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9bC1d")  # fmt: skip


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("key", ["slack.bot_token_env", "slack.app_token_env", "smtp.password_env",
                                 "imap.password_env", "slack.signing_secret_env"])  # fmt: skip
def test_a_secret_in_an_env_key_is_refused_without_being_echoed(key: str, token: str) -> None:
    section, name = key.split(".")
    with pytest.raises(ConfigError) as caught:
        parse_config(f'[{section}]\n{name} = "{token}"\n', source="cmrt-bot.toml")
    text = str(caught.value)
    assert f"cmrt-bot.toml:2: {key}:" in text and "environment variable" in text
    assert token not in text and token[:12] not in text


@pytest.mark.parametrize("name", ["CMRT_SLACK_BOT_TOKEN", "PGPASSWORD", "MY_SMTP_PASSWORD_2", "smtp_pw"])
def test_ordinary_variable_names_are_accepted(name: str) -> None:
    assert env_name_problem(name) is None
    assert parse_config(f'[smtp]\npassword_env = "{name}"\n').smtp.password_env == name


def test_a_password_in_the_store_url_is_warned_about_without_showing_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "cmbot.config")
    url = "postgresql+psycopg://cmrt:S3cr3t-Pa55@db.example.com/cmrt"
    apply_environment(Settings(), {"CMRT_STORE_URL": url})
    warnings = [r.getMessage() for r in caplog.records if r.name == "cmbot.config"]
    assert len(warnings) == 1
    assert "PGPASSWORD" in warnings[0] and ".pgpass" in warnings[0] and "S3cr3t-Pa55" not in warnings[0]
    caplog.clear()
    apply_environment(Settings(), {"CMRT_STORE_URL": "postgresql+psycopg://cmrt@db.example.com/cmrt"})
    assert not [r for r in caplog.records if r.name == "cmbot.config"]


def test_new_keys_are_typed() -> None:
    settings = parse_config('[log]\nprotocol = true\n[mail]\nbounce_address = "bounces@example.com"\n')
    assert settings.log.protocol is True and settings.mail.bounce_address == "bounces@example.com"
    assert Settings().log.protocol is False and Settings().mail.bounce_address is None
    with pytest.raises(ConfigError, match=r"log\.protocol"):
        parse_config('[log]\nprotocol = "yes"\n')
    with pytest.raises(ConfigError, match=r"mail\.bounce_address"):
        parse_config('[mail]\nbounce_address = "not an address"\n')


def test_protocol_libraries_are_quiet_unless_log_protocol() -> None:
    root = logging.getLogger()
    before = root.level
    configure_logging(2)
    root.setLevel(logging.DEBUG)  # what -vv does outside pytest (whose handlers make basicConfig a no-op)
    try:
        for name in PROTOCOL_LOGGERS:
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger("imapclient.imaplib").getEffectiveLevel() == logging.WARNING
        apply_log_settings("INFO", True, 2)
        assert logging.getLogger("imapclient").isEnabledFor(logging.DEBUG)
    finally:
        apply_log_settings("INFO", False, 2)
        root.setLevel(before)


def test_protocol_records_are_cut_short() -> None:
    body = "< * 1 FETCH (BODY[] {12345}\r\nSubject: CANARY-123\r\n" + "x" * 100_000
    record = logging.LogRecord("imapclient.imaplib", logging.DEBUG, __file__, 1, "%s", (body,), None)
    assert ProtocolRecordFilter().filter(record)
    message = record.getMessage()
    assert len(message) < 150 and "CANARY-123" not in message and "not logged" in message
    sdk = logging.LogRecord("slack_sdk.web.base_client", logging.DEBUG, __file__, 1, "%s", (
        "Sending a request - url: http://127.0.0.1/api/chat.postMessage, query_params: {}, json_body: "
        "{'text': 'CANARY-123'}",), None)
    ProtocolRecordFilter().filter(sdk)
    assert sdk.getMessage().startswith("Sending a request - url: http://127.0.0.1/api/chat.postMessage [")
    assert "CANARY" not in sdk.getMessage()
    own = logging.LogRecord("cmbot.mail", logging.INFO, __file__, 1, "%s", ("kept " * 100,), None)
    ProtocolRecordFilter().filter(own)
    assert own.getMessage() == "kept " * 100


#: Commands that need the database (``run`` and the rest): each says so in one line when it cannot reach it.
DATABASE_COMMANDS = (["run"], ["status"], ["plan"], ["report"], ["suppliers", "list"], ["campaign", "list"],
                     ["smelters", "list"], ["db", "current"], ["db", "upgrade"], ["mail", "unmatched"], ["init"],
                     ["check", "--campaign", "2025", "missing.xlsx"])  # fmt: skip


@pytest.mark.slow
def test_an_unreachable_database_is_one_line_and_exit_status_1(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "cmrt-bot.toml"
    config.write_text('[store]\nurl = "postgresql+psycopg://cmrt:pw-not-shown@127.0.0.1:1/cmrt"\n', encoding="utf-8")
    for command in DATABASE_COMMANDS:
        done = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *command], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert done.returncode == 1, (command, done.stderr)
        lines = [line for line in done.stderr.splitlines() if "WARNING cmbot.config" not in line]
        assert len(lines) == 1, done.stderr
        assert "Traceback" not in done.stderr and "pw-not-shown" not in done.stderr
        assert f"cmrt-bot {command[0]}" in lines[0] and "cannot reach the database: " in lines[0], lines[0]
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    config.write_text(f'[store]\nurl = "sqlite:///{garbage}"\n', encoding="utf-8")
    for command in (["run"], ["status"], ["plan"], ["smelters", "list"]):  # not a database: the file is the problem
        done = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *command], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 2 and done.stderr.count("\n") == 1, (command, done.stderr)
        assert "cannot open the database: file is not a database" in done.stderr
