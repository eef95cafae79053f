"""What a person at a terminal sees, in a real pseudo-terminal: ``check`` of several files draws a progress bar
(with colour, or without under ``NO_COLOR``); the same command piped, or with ``--json``, prints no bar."""

from __future__ import annotations

import os
import pathlib
import pty
import re
import subprocess
import sys

import pytest

from cmrt.workbook.factory import build_cmrt

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;[25];[0-9;]+)m")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("returns")
    paths = []
    for index, name in enumerate(("Alpha Metals", "东莞市精密五金", "Gamma Tin")):
        path = folder / f"CMRT_{index}.xlsx"
        path.write_bytes(build_cmrt(company_name=name))
        paths.append(str(path))
    return paths


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CMRT_CONFIG", "TERM")}
    return env | {"TERM": "xterm-256color", "COLUMNS": "120"} | extra


def on_terminal(*args: str, **env: str) -> tuple[int, str]:
    """Run ``python -m bot ARGS`` with stdout and stderr on a pseudo-terminal; its exit status and what it drew."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=_env(**env), stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower)  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def piped(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=_env(**env), capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_check_of_several_files_shows_a_bar_on_a_terminal_only(workbooks: list[str]) -> None:
    status, drawn = on_terminal("check", *workbooks)
    assert status == 0, drawn
    assert "checking" in drawn and "━" in drawn  # the bar, on stderr
    assert "东莞市精密五金" in drawn  # and the summaries

    proc = piped("check", *workbooks)
    assert proc.returncode == 0, proc.stderr
    assert "━" not in proc.stdout + proc.stderr and "checking" not in proc.stderr
    assert "\x1b[" not in proc.stdout + proc.stderr

    status, drawn = on_terminal("check", "--json", *workbooks)
    assert status == 0 and "━" not in drawn and "checking" not in drawn


def test_no_color_keeps_the_bar_without_colour(workbooks: list[str]) -> None:
    status, coloured = on_terminal("check", *workbooks)
    assert status == 0 and COLOUR.search(coloured), coloured[:500]
    status, plain = on_terminal("check", *workbooks, NO_COLOR="1")
    assert status == 0 and "━" in plain
    assert not COLOUR.search(plain), plain[:500]
