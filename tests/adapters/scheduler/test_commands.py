"""``cmrt-bot plan`` and ``cmrt-bot run`` start-up checks, in-process against SQLite."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

from bot.cli import main
from bot.scheduling import ScheduleSettingsError, outreach_config
from store import Database, campaigns, suppliers, upgrade


def _config(tmp_path: pathlib.Path, url: str, extra: str = "") -> pathlib.Path:
    path = tmp_path / "cmrt-bot.toml"
    path.write_text(
        f'[store]\nurl = "{url}"\n\n[schedule]\ntimezone = "Europe/Berlin"\ntick = "1s"\n{extra}', encoding="utf-8"
    )
    return path


def _seed(url: str, n: int = 3) -> None:
    upgrade(url)
    with Database(url) as db, db.session() as s:
        made = []
        for i in range(n):
            sup, _ = suppliers.upsert(s, suppliers.SupplierData(f"S{i}", f"Supplier {i}", f"c{i}@x.test"))
            made.append(sup)
        s.flush()
        c = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=made)
        c.created_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    monkeypatch.delenv("CMRT_CONFIG", raising=False)


def test_plan_text_and_json(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    _seed(url)
    cfg = _config(tmp_path, url)
    assert main(["--config", str(cfg), "plan", "--now", "2026-01-05T10:00"]) == 0  # Monday, Berlin time
    out = capsys.readouterr().out
    assert "Plan at 2026-01-05 10:00 Europe/Berlin" in out
    assert out.count("initial_request") == 3
    assert "the request has not been sent" in out
    assert main(["--config", str(cfg), "plan", "--now", "2026-01-04T10:00", "--json", "--campaign", "2025"]) == 0
    data = json.loads(capsys.readouterr().out)
    (campaign,) = data["campaigns"]
    assert campaign["actions"] == []
    assert sorted(h["kind"] for h in campaign["held"]) == ["digest", *["initial_request"] * 3]
    assert "Sunday is not a business day" in campaign["held"][0]["reason"]
    assert campaign["held"][0]["not_before"] == "2026-01-05T07:00:00+00:00"  # 08:00 in Berlin


def test_plan_errors(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    cfg = _config(tmp_path, url)
    assert main(["--config", str(cfg), "plan"]) == 2
    assert "cmrt-bot db upgrade" in capsys.readouterr().err
    _seed(url)
    assert main(["--config", str(cfg), "plan", "--now", "next tuesday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert main(["--config", str(cfg), "plan", "--campaign", "1999"]) == 1
    assert "no campaign for reporting year 1999" in capsys.readouterr().err


def test_run_refuses_an_outdated_schema(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    cfg = _config(tmp_path, url)
    assert main(["--config", str(cfg), "run"]) == 2
    err = capsys.readouterr().err
    assert "cmrt-bot db upgrade" in err


def test_run_refuses_bad_scheduling_keys(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f'[store]\nurl = "{url}"\n[outreach]\nreminder_cadence = ["28d", "14d"]\n', encoding="utf-8")
    assert main(["--config", str(cfg), "run"]) == 2
    assert "reminder_cadence" in capsys.readouterr().err


def test_scheduling_values_come_from_the_parsed_configuration() -> None:
    """The TOML syntax is the config's (durations, weekday names, times); the policy gets the typed values."""
    from bot.config import ConfigError, parse_config

    settings = parse_config(
        '[outreach]\nreminder_cadence = ["30s", "14d"]\nclarification_followup = ["7d"]\n'
        '[schedule]\nbusiness_days = ["sat", "sun"]\nquiet_hours = ["18:00", "08:00"]\nholidays = [2026-12-24]\n'
        '[slack]\ndigest = "weekly"\ndigest_weekday = "fri"\n'
    )
    cfg = outreach_config(settings)
    assert cfg.reminder_cadence == (dt.timedelta(seconds=30), dt.timedelta(days=14))
    assert cfg.clarification_followup == (dt.timedelta(days=7),)
    assert cfg.schedule.business_days == frozenset({6, 7})
    assert cfg.schedule.quiet_hours == (dt.time(18), dt.time(8))
    assert cfg.schedule.holidays == frozenset({dt.date(2026, 12, 24)})
    assert cfg.digest.value == "weekly" and cfg.digest_weekday == 5
    assert outreach_config(parse_config("[schedule]\nquiet_hours = []\n")).schedule.quiet_hours is None
    with pytest.raises(ConfigError, match=r"outreach\.escalate_grace: 'soon' is not a duration"):
        parse_config('[outreach]\nescalate_grace = "soon"\n')
    with pytest.raises(ConfigError, match=r"outreach\.escalate_grace"):
        parse_config('[outreach]\nescalate_grace = "2w"\n')  # one duration syntax: d, h, m, s
    with pytest.raises(ScheduleSettingsError, match="clarification_followup"):
        outreach_config(parse_config('[outreach]\nclarification_followup = ["14d", "7d"]\n'))


def test_outreach_config_from_the_settings_defaults() -> None:
    from bot.config import Settings

    cfg = outreach_config(Settings())
    assert cfg.reminder_cadence == (dt.timedelta(days=14), dt.timedelta(days=28))
    assert cfg.schedule.business_days == frozenset(range(1, 6))
    assert cfg.schedule.quiet_hours == (dt.time(18), dt.time(8))


def test_plan_lists_unfinished_actions(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    from store import actions

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    _seed(url)
    with Database(url) as db, db.session() as s:
        row = actions.claim(
            s, key="c1:r1:request", kind="initial_request", campaign_id=1, request_id=1,
            due_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), reason="x",
        )  # fmt: skip
        assert row is not None
        actions.record_attempt_failed(row, "SMTP server unreachable")
    cfg = _config(tmp_path, url)
    assert main(["--config", str(cfg), "plan", "--now", "2026-01-05T10:00"]) == 0
    out = capsys.readouterr().out
    assert "1 action(s) recorded but not finished" in out and "SMTP server unreachable" in out
    assert out.count("initial_request") == 3  # two planned, one unfinished (its key is recorded)
    assert main(["--config", str(cfg), "plan", "--now", "2026-01-05T10:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unfinished"][0]["key"] == "c1:r1:request"
