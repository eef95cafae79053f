"""bot.config: parsing, validation with line numbers, discovery, defaults, the example file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import re

import pytest

from bot.config import (
    ConfigError,
    Settings,
    find_config,
    format_duration,
    key_lines,
    load_config,
    parse_config,
    parse_duration,
)

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config.example.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14d", dt.timedelta(days=14)), ("36h", dt.timedelta(hours=36)), ("90m", dt.timedelta(minutes=90)),
     ("30s", dt.timedelta(seconds=30)), ("1h30m", dt.timedelta(minutes=90)), (" 2D ", dt.timedelta(days=2))],
)
def test_durations(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "14", "2w", "d", "14 days", "-1d", "1h x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("14d", "36h", "90m", "30s"):
        assert format_duration(parse_duration(text)) == text


def test_defaults_need_no_file(tmp_path: pathlib.Path) -> None:
    settings = load_config(None, environ={}, cwd=tmp_path)
    assert settings == Settings()
    assert settings.store.url == "sqlite:///cmrt-bot.db"
    assert not settings.smtp.configured and not settings.imap.configured and not settings.slack.configured


def test_example_documents_every_key_with_its_default() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    settings = parse_config(text, source=str(EXAMPLE), base_dir=ROOT)
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        if f.name in ("source", "store"):
            continue
        assert getattr(settings, f.name) == getattr(defaults, f.name), f.name
    assert settings.store.url == f"sqlite:///{ROOT / 'cmrt-bot.db'}"
    for section in dataclasses.fields(Settings):
        if section.name == "source":
            continue
        for key in dataclasses.fields(section.default_factory()):  # type: ignore[misc]
            pattern = rf"^#?\s*{key.name}\s*=|^\[{section.name}\.{key.name}\]"
            assert re.search(pattern, text, re.MULTILINE), f"{section.name}.{key.name} is not documented"


def test_issue_key_names_exist() -> None:
    required = {
        "store": ["url"],
        "smtp": ["host", "port", "security", "username", "password_env", "timeout", "tls_ca_file"],
        "imap": ["host", "port", "security", "username", "password_env", "folder", "processed_folder",
                 "quarantine_folder", "tls_ca_file"],
        "slack": ["mode", "channel", "bot_token_env", "app_token_env", "signing_secret_env", "http_host",
                  "http_port", "api_base_url", "allowed_users"],
        "outreach": ["from_address", "reply_to", "template_path", "reminder_cadence", "escalate_after_reminders"],
        "schedule": ["timezone", "business_days", "quiet_hours", "tick"],
    }
    settings = Settings()
    for section, keys in required.items():
        for key in keys:
            assert hasattr(getattr(settings, section), key), f"{section}.{key}"


def test_values_are_converted() -> None:
    settings = parse_config(
        """
[store]
url = "postgresql+psycopg://cmrt@db/cmrt"
[smtp]
host = "smtp.example.com"
security = "tls"
port = 465
username = "bot"
timeout = "1m"
[outreach]
from_address = "compliance@example.com"
reminder_cadence = ["7d", "21d", "35d"]
[schedule]
timezone = "Europe/Berlin"
business_days = ["Monday", "wed", 5]
quiet_hours = []
holidays = [2026-12-24]
tick = "30s"
[slack]
channel = "C123"
allowed_users = ["U1", "U2"]
digest = "weekly"
digest_weekday = "fri"
digest_time = "08:30"
[mail]
max_attachment_bytes = "10MiB"
[reader]
passwords = ["secret1"]
[review.overrides]
"smelter.id_invalid" = "info"
"mine.incomplete" = "disabled"
"""
    )
    assert settings.store.url == "postgresql+psycopg://cmrt@db/cmrt"
    assert settings.smtp.security == "tls" and settings.smtp.port == 465
    assert settings.smtp.timeout == dt.timedelta(minutes=1)
    assert settings.outreach.reminder_cadence == (dt.timedelta(days=7), dt.timedelta(days=21), dt.timedelta(days=35))
    assert settings.schedule.business_days == (1, 3, 5)
    assert settings.schedule.quiet_hours == ()
    assert settings.schedule.holidays == (dt.date(2026, 12, 24),)
    assert settings.slack.allowed_users == ("U1", "U2")
    assert settings.slack.digest_weekday == 5 and settings.slack.digest_time == dt.time(8, 30)
    assert settings.mail.max_attachment_bytes == 10 * 1024 * 1024
    assert settings.reader.passwords == ("secret1",)
    assert dict(settings.review.overrides) == {"smelter.id_invalid": "info", "mine.incomplete": "disabled"}


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.smtp.port = 25  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.review.overrides["x"] = "info"  # type: ignore[index]


def test_every_problem_is_reported_with_key_and_line() -> None:
    text = """# comment
[smtp]
host = "smtp.example.com"
port = "587"
hots = "x"
security = "ssl"

[outreach]
reminder_cadence = ["14d", "2 weeks"]
escalate_after_reminders = true

[imap]
host = "imap.example.com"

[bogus]
x = 1
[schedule]
timezone = "Mars/Olympus"
"""
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="bot.toml")
    problems = info.value.problems
    assert "bot.toml:4: smtp.port: expected an integer, got a string" in problems
    assert "bot.toml:5: unknown key smtp.hots (did you mean smtp.host?)" in problems
    assert any(p.startswith("bot.toml:6: smtp.security: expected one of starttls, tls, none") for p in problems)
    assert any(p.startswith("bot.toml:9: outreach.reminder_cadence: '2 weeks' is not a duration") for p in problems)
    assert "bot.toml:10: outreach.escalate_after_reminders: expected an integer, got a boolean" in problems
    assert "bot.toml:15: unknown section [bogus]" in problems
    assert any(p.startswith("bot.toml:8: outreach.from_address: required when [smtp] host is set") for p in problems)
    assert any(p.startswith("bot.toml:12: imap.username: required") for p in problems)
    assert any(p.startswith("bot.toml:18: schedule.timezone: unknown time zone") for p in problems)
    assert len(problems) == 9


def test_bad_toml_and_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 2"):
        parse_config("[smtp]\nhost = \n")
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(str(tmp_path / "nope.toml"), environ={})
    with pytest.raises(ConfigError, match=r"review.overrides: x = 'fatal'"):
        parse_config('[review.overrides]\nx = "fatal"\n')


def test_discovery_order(tmp_path: pathlib.Path) -> None:
    (tmp_path / "cmrt-bot.toml").write_text('[log]\nlevel = "DEBUG"\n')
    other = tmp_path / "other.toml"
    other.write_text('[log]\nlevel = "ERROR"\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('[log]\nlevel = "WARNING"\n')
    assert find_config(None, {}, tmp_path) == tmp_path / "cmrt-bot.toml"
    assert load_config(None, environ={}, cwd=tmp_path).log.level == "DEBUG"
    assert load_config(None, environ={"CMRT_CONFIG": str(env_file)}, cwd=tmp_path).log.level == "WARNING"
    assert load_config(str(other), environ={"CMRT_CONFIG": str(env_file)}, cwd=tmp_path).log.level == "ERROR"
    assert find_config(None, {}, tmp_path / "empty") is None


def test_store_url_environment_override_and_relative_sqlite(tmp_path: pathlib.Path) -> None:
    cfg = tmp_path / "etc" / "cmrt-bot.toml"
    cfg.parent.mkdir()
    cfg.write_text('[store]\nurl = "sqlite:///data/bot.db"\n[outreach]\ntemplate_path = "blank.xlsx"\n')
    settings = load_config(str(cfg), environ={})
    assert settings.store.url == f"sqlite:///{tmp_path / 'etc' / 'data' / 'bot.db'}"
    assert settings.outreach.template_path == str(tmp_path / "etc" / "blank.xlsx")
    override = load_config(str(cfg), environ={"CMRT_STORE_URL": "postgresql+psycopg://u@h/d"})
    assert override.store.url == "postgresql+psycopg://u@h/d"


def test_secrets_come_from_the_environment() -> None:
    settings = Settings()
    assert settings.secret(settings.smtp.password_env, {"CMRT_SMTP_PASSWORD": "s3cret"}) == "s3cret"
    assert settings.secret(settings.smtp.password_env, {}) is None
    assert settings.secret(settings.smtp.password_env, {"CMRT_SMTP_PASSWORD": ""}) is None


def test_key_lines_handles_dotted_and_inline_tables() -> None:
    lines = key_lines('[a]\nb = 1\nc.d = 2\n[e."f.g"]\nh = { i = 1, j = 2 }\n')
    assert lines["a.b"] == 2 and lines["a.c.d"] == 3 and lines["e.f.g.h"] == 5 and lines["e.f.g.h.j"] == 5


def test_ingest_keys_fetch_batch_and_reader_workers() -> None:
    """[imap] fetch_batch (default 10: the backlog peak stays under 300 MB) and [reader] workers (0: the CPU
    count) reach the IMAP watcher and the reader pool; nonsense values are refused."""
    import os

    defaults = Settings()
    assert defaults.imap.fetch_batch == 10
    assert defaults.reader.workers == 0 and defaults.reader.pool_size() == max(1, os.cpu_count() or 1)
    settings = parse_config("[imap]\nfetch_batch = 4\n[reader]\nworkers = 3\n")
    assert settings.imap.fetch_batch == 4 and settings.reader.pool_size() == 3
    with pytest.raises(ConfigError) as info:
        parse_config("[imap]\nfetch_batch = 0\n[reader]\nworkers = -1\n", source="bot.toml")
    problems = info.value.problems
    assert any("imap.fetch_batch: must be at least 1" in p for p in problems)
    assert any("reader.workers: expected a number >= 0" in p for p in problems)
