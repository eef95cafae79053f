"""``cmrt-bot demo --dir PATH``: the whole loop on one machine, as a new user runs it (a subprocess, no servers)."""

from __future__ import annotations

import email
import email.policy
import os
import pathlib
import subprocess
import sys
from email.message import EmailMessage

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run(folder: pathlib.Path, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMRT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--dir", str(folder)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _outbox(folder: pathlib.Path) -> list[EmailMessage]:
    files = sorted((folder / "outbox" / "new").glob("*.eml"))
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]  # type: ignore[misc]


def _to(msg: EmailMessage) -> str:
    return str(msg["To"])


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, subprocess.CompletedProcess[str]]:
    base = tmp_path_factory.mktemp("demo")
    folder = base / "demo"
    done = _run(folder, base)
    assert done.returncode == 0, done.stderr
    return folder, done


def test_requests_go_out_as_eml_with_the_blank_template(demo: tuple[pathlib.Path, object]) -> None:
    folder, _ = demo
    requests = [m for m in _outbox(folder) if "Request for your" in str(m["Subject"])]
    assert sorted(_to(m).split("<")[1].rstrip(">") for m in requests) == [
        "alex@capacitors.example", "chris@alloys.example", "jo@connectors.example",
    ]  # fmt: skip
    for m in requests:
        assert m["Message-ID"] and m["X-CMBot-Token"] and str(m["X-CMBot-Token"]) in str(m["Subject"])
        names = [p.get_filename() for p in m.iter_attachments()]  # type: ignore[attr-defined]
        assert names == ["RMI_CMRT_6.5_blank.xlsx"]


def test_replies_are_reviewed_and_answered(demo: tuple[pathlib.Path, subprocess.CompletedProcess[str]]) -> None:
    folder, done = demo
    out = done.stdout
    assert "rejected rows:" in out and "bad e-mail address" in out  # the roster's bad row
    assert "Example Capacitors GmbH: request now accepted; review: accepted" in out
    assert "Sample Connectors Ltd.: request now clarification_requested; review: needs_clarification" in out
    assert "Declaration!D16" in out  # the finding names the cell
    mails = _outbox(folder)
    acks = [m for m in mails if "alex@" in _to(m) and "accepted" in str(m["Subject"]).lower()]
    assert len(acks) == 1 and acks[0]["In-Reply-To"]
    clar = [m for m in mails if "jo@" in _to(m) and "please review" in str(m["Subject"])]
    assert len(clar) == 1 and "D16" in _body(clar[0])
    processed = folder / "inbox" / ".Processed"
    assert len(list((processed / "new").iterdir()) + list((processed / "cur").iterdir())) == 2


def test_the_silent_supplier_is_reminded_and_status_is_shown(
    demo: tuple[pathlib.Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, done = demo
    reminders = [m for m in _outbox(folder) if str(m["Subject"]).startswith("Reminder")]
    assert [_to(m) for m in reminders] == ["Chris Demo <chris@alloys.example>"]
    out = done.stdout
    assert "requests: 3" in out and "Responded: 2 of 3 (66.7 %)." in out
    for line in ("accepted                      1", "reminded                      1",
                 "clarification_requested       1"):  # fmt: skip
        assert line in out
    assert "For reporting year" in out and "Smelters (" in out
    assert f"--config {folder / 'cmrt-bot.toml'} status" in out
    assert (folder / "cmrt-bot.db").is_file()


def test_rerun_starts_clean_and_a_foreign_folder_is_refused(
    demo: tuple[pathlib.Path, subprocess.CompletedProcess[str]], tmp_path: pathlib.Path
) -> None:
    folder, _ = demo
    count = len(_outbox(folder))
    again = _run(folder, tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(_outbox(folder)) == count
    assert "Responded: 2 of 3 (66.7 %)." in again.stdout

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    refused = _run(foreign, tmp_path)
    assert refused.returncode == 2 and "not made by `cmrt-bot demo`" in refused.stderr
    assert (foreign / "thesis.docx").read_text() == "precious"


def test_status_works_on_the_demo_config(demo: tuple[pathlib.Path, object], tmp_path: pathlib.Path) -> None:
    folder, _ = demo
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMRT_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(folder / "cmrt-bot.toml"), "status"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "requests: 3" in done.stdout
