"""``cmrt-bot check`` through the real CLI: Excel-escaped control characters in a workbook (``_x001B_``, decoded by
the reader) and bidi overrides never reach the terminal."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from bot.cli import main
from cmrt.workbook.factory import build_cmrt

HOSTILE_NAME = "Evil_x001B_[2J_x001B_]0;pwned_x0007__x009B_31m Corp\u202egnp.exe"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(build_cmrt(company_name=HOSTILE_NAME, contact_name="Pat_x001B_[5m Doe"))
    return path


def test_check_prints_workbook_text_without_control_characters(
    hostile: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(hostile)]) == 0
    out = capsys.readouterr().out
    assert "Evil[2J]0;pwned31m Corpgnp.exe" in out  # the characters stay, their power goes
    assert "Pat[5m Doe" in out
    assert not CONTROL.search(out)


def test_check_json_carries_no_raw_control_characters(
    hostile: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--json", str(hostile)]) == 0
    out = capsys.readouterr().out
    assert not CONTROL.search(out)
    assert json.loads(out)[0]["company"]["name"].startswith("Evil")
