"""Acceptance for the foundation: init, suppliers import (1,000 rows, 10 bad), campaign create and status give the
same output on SQLite and PostgreSQL, with the database named by ``[store] url`` or by ``CMRT_STORE_URL``;
re-importing changes nothing; the audit log records who imported what and when."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import pathlib
import subprocess
import sys
import threading
from typing import Any, ClassVar

import pytest

from bot.cli import main as cli
from store import Database, audit, suppliers

ROOT = pathlib.Path(__file__).resolve().parents[2]


def generate_csv(path: pathlib.Path, rows: int = 1000) -> None:
    """1,000 rows; rows 52, 152, ... 952 are bad: bad e-mail, missing id, duplicate id in turn."""
    lines = ["Supplier_ID,Name,Contact_Email,contact_name,tier,tags"]
    for i in range(rows):
        sid, email = f"S{i:05d}", f"contact{i}@supplier{i}.example.com"
        if i % 100 == 50:
            kind = (i // 100) % 3
            if kind == 0:
                email = f"contact{i}-at-supplier{i}.example.com"
            elif kind == 1:
                sid = ""
            else:
                sid = "S00000"
        lines.append(f'{sid},"Supplier {i} Ltd.",{email},Contact {i},{"indirect" if i % 5 == 0 else "direct"},'
                     f'{"metals;asia" if i % 3 == 0 else "plastics"}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def supplier_csv(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("csv") / "suppliers.csv"
    generate_csv(path)
    return path


@pytest.fixture(scope="module")
def reference_outputs(tmp_path_factory: pytest.TempPathFactory, supplier_csv: pathlib.Path) -> dict[str, str]:
    """The operator flow's outputs on a plain SQLite file named in the config (computed once)."""
    config = tmp_path_factory.mktemp("reference") / "cmrt-bot.toml"
    config.write_text('[store]\nurl = "sqlite:///ref.db"\n', encoding="utf-8")
    saved = os.environ.pop("CMRT_STORE_URL", None)
    try:
        assert run_inprocess("--config", str(config), "db", "upgrade")[0] == 0
        outputs = flow(config, supplier_csv)
    finally:
        if saved is not None:
            os.environ["CMRT_STORE_URL"] = saved
    check_outputs(outputs)
    return outputs


def run_inprocess(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli(list(argv))
    return rc, out.getvalue(), err.getvalue()


def flow(config: pathlib.Path, csv_path: pathlib.Path) -> dict[str, str]:
    """The operator's sequence; returns each step's stdout (asserting success)."""
    outputs: dict[str, str] = {}
    steps = {
        "import": ("suppliers", "import", str(csv_path)),
        "reimport": ("suppliers", "import", str(csv_path)),
        "campaign": ("campaign", "create", "--year", "2025", "--due", "2026-03-31", "--suppliers", "asia"),
        "status": ("status",),
        "status_json": ("status", "--campaign", "2025", "--json"),
        "list": ("suppliers", "list", "--tag", "metals", "--json"),
    }
    for name, argv in steps.items():
        rc, out, err = run_inprocess("--config", str(config), *argv)
        assert rc == 0, (name, out, err)
        outputs[name] = out
    return outputs


def check_outputs(outputs: dict[str, str]) -> None:
    first = outputs["import"].splitlines()
    assert first[0] == "suppliers.csv: 1000 rows read; 990 added, 0 updated, 0 unchanged, 10 rejected"
    assert first[1] == "rejected rows:"
    assert first[2] == "  row 52 (S00050): bad e-mail address 'contact50-at-supplier50.example.com'"
    assert first[3] == "  row 152: missing supplier id"
    assert first[4] == "  row 252 (S00000): duplicate supplier id 'S00000' in the file (first on row 2)"
    assert len(first) == 12
    assert outputs["reimport"].splitlines()[0] == (
        "suppliers.csv: 1000 rows read; 0 added, 0 updated, 990 unchanged, 10 rejected"
    )
    assert outputs["campaign"].startswith("campaign 2025 created: 331 request(s) in state not_sent;")
    report = json.loads(outputs["status_json"])
    assert report["campaign"]["year"] == 2025 and report["campaign"]["due_date"] == "2026-03-31"
    assert report["requests"] == 331 and report["states"]["not_sent"] == 331
    assert set(report) >= {"campaign", "requests", "states", "answered", "response_rate", "overdue", "grades",
                           "components"}  # the stable keys (new ones may be added: figures, rmap_list_date, ...)
    assert report["response_rate"] == 0.0 and report["components"] == []
    assert report["grades"] == {"accepted": 0, "needs_clarification": 0, "high_risk": 0, "rejected": 0}
    assert report["figures"]["not_yet_sent"] == 331 and report["rmap_list_date"] is None
    assert len(json.loads(outputs["list"])) == 331


@pytest.mark.slow
def test_fresh_machine_flow_in_subprocesses(tmp_path: pathlib.Path, supplier_csv: pathlib.Path) -> None:
    """The real console entry point: init in an empty directory, then the operator's commands."""
    env = {k: v for k, v in os.environ.items() if k not in ("CMRT_CONFIG", "CMRT_STORE_URL")}
    env["PYTHONPATH"] = str(ROOT)

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)

    init = run("init")
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "cmrt-bot.toml").read_text() == (ROOT / "config.example.toml").read_text()
    assert (tmp_path / "cmrt-bot.db").exists()
    assert "ready (schema" in init.stdout
    imported = run("suppliers", "import", str(supplier_csv))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("suppliers.csv: 1000 rows read; 990 added, 0 updated, 0 unchanged, 10 rejected")
    assert imported.stderr == ""  # no progress bar when stderr is not a terminal
    created = run("campaign", "create", "--year", "2025", "--due", "2026-03-31")
    assert created.returncode == 0 and "990 request(s)" in created.stdout
    status = run("status")
    assert status.returncode == 0 and "requests: 990" in status.stdout
    check = run("config", "check")
    assert check.returncode == 0, check.stdout
    assert "database: OK" in check.stdout and "smtp: not configured" in check.stdout


@pytest.mark.parametrize("via", ["config", "environment"])
def test_same_output_on_every_backend(
    via: str,
    store_url: str,
    tmp_path: pathlib.Path,
    supplier_csv: pathlib.Path,
    reference_outputs: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CMRT_CONFIG", raising=False)
    config = tmp_path / "cmrt-bot.toml"
    if via == "config":
        monkeypatch.delenv("CMRT_STORE_URL", raising=False)
        config.write_text(f'[store]\nurl = "{store_url}"\n', encoding="utf-8")
    else:
        monkeypatch.setenv("CMRT_STORE_URL", store_url)
        config.write_text('[store]\nurl = "sqlite:///must-not-be-used.db"\n', encoding="utf-8")
    # a database without the schema is refused, naming the fix
    rc, _, err = run_inprocess("--config", str(config), "suppliers", "import", str(supplier_csv))
    assert rc == 2 and "cmrt-bot db upgrade" in err
    rc, out, _ = run_inprocess("init", "--config", str(config))
    assert rc == 0 and "configuration" in out and "exists, kept" in out
    assert not (tmp_path / "must-not-be-used.db").exists()
    outputs = flow(config, supplier_csv)
    check_outputs(outputs)
    # the outputs are byte-identical whatever the backend and however the database is named
    assert outputs == reference_outputs
    rc, _, err = run_inprocess("--config", str(config), "campaign", "create", "--year", "2025", "--due", "2026-04-30")
    assert rc == 1 and "a campaign for reporting year 2025 already exists" in err

    db = Database(store_url)
    try:
        with db.session() as s:
            assert suppliers.count(s) == 990
            events = audit.events(s, action="suppliers.import")
            assert len(events) == 2
            first = events[0]
            assert first.actor.startswith("os:") and first.subject_id == "suppliers.csv"
            assert first.details["rows"] == 1000 and len(first.details["added"]) == 990
            assert len(first.details["rejected"]) == 10
            assert events[1].details["added"] == [] and events[1].details["updated"] == []
            assert events[1].details["unchanged"] == 990
            assert first.at <= events[1].at
            assert [e.action for e in audit.events(s, action="campaign.create")] == ["campaign.create"]
    finally:
        db.dispose()


def test_reimport_with_changes_updates_in_place(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    config = tmp_path / "c.toml"
    config.write_text('[store]\nurl = "sqlite:///x.db"\n', encoding="utf-8")
    assert run_inprocess("--config", str(config), "db", "upgrade")[0] == 0
    csv1 = tmp_path / "a.csv"
    csv1.write_text("supplier_id,name,contact_email\nA,Alpha,a@alpha.example\nB,Beta,b@beta.example\n")
    csv2 = tmp_path / "b.csv"
    csv2.write_text("SUPPLIER_ID;NAME;CONTACT_EMAIL;TAGS\nA;Alpha AG;new@alpha.example;x\nC;Gamma;c@gamma.example;\n")
    assert run_inprocess("--config", str(config), "suppliers", "import", str(csv1))[1].startswith(
        "a.csv: 2 rows read; 2 added, 0 updated, 0 unchanged, 0 rejected")
    assert run_inprocess("--config", str(config), "suppliers", "import", str(csv2))[1].startswith(
        "b.csv: 2 rows read; 1 added, 1 updated, 0 unchanged, 0 rejected")
    rows = json.loads(run_inprocess("--config", str(config), "suppliers", "list", "--json")[1])
    assert [(r["supplier_id"], r["name"], r["contact_email"]) for r in rows] == [
        ("A", "Alpha AG", "new@alpha.example"), ("B", "Beta", "b@beta.example"), ("C", "Gamma", "c@gamma.example")]


def test_clear_errors(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    bad = tmp_path / "bad.toml"
    bad.write_text('[smtp]\nport = "x"\n')
    rc, out, _ = run_inprocess("--config", str(bad), "config", "check")
    assert rc == 2 and f"{bad}:2: smtp.port: expected an integer" in out
    rc, _, err = run_inprocess("--config", str(bad), "status")
    assert rc == 2 and "smtp.port" in err and "Traceback" not in err
    good = tmp_path / "good.toml"
    good.write_text('[store]\nurl = "sqlite:///g.db"\n')
    assert run_inprocess("--config", str(good), "db", "upgrade")[0] == 0
    (tmp_path / "x.csv").write_text("id_number,company\n1,x\n")
    rc, _, err = run_inprocess("--config", str(good), "suppliers", "import", str(tmp_path / "x.csv"))
    assert rc == 1 and "required column(s) missing: supplier_id, contact_email" in err
    rc, _, err = run_inprocess("--config", str(good), "suppliers", "import", str(tmp_path / "nope.csv"))
    assert rc == 1 and "cannot read" in err
    rc, _, err = run_inprocess("--config", str(good), "campaign", "create", "--year", "2025", "--due", "2026-03-31")
    assert rc == 1 and "no suppliers at all" in err
    rc, out, _ = run_inprocess("--config", str(good), "status")
    assert rc == 0 and out.startswith("no campaign yet")


class _FakeSlack(http.server.BaseHTTPRequestHandler):
    calls: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _FakeSlack.calls.append(self.path)
        ok = self.headers.get("Authorization") == "Bearer xoxb-good"
        body = {"ok": True, "team": "Acme", "user": "cmrt-bot"} if ok else {"ok": False, "error": "invalid_auth"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.mailserver
def test_config_check_tries_every_connection(
    tmp_path: pathlib.Path, mail_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    address, password = next(iter(mail_harness.users.items()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeSlack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///bot.db"
[smtp]
host = "127.0.0.1"
port = {mail_harness.smtp_port}
security = "starttls"
username = "{address}"
password_env = "T_SMTP_PW"
tls_ca_file = "{mail_harness.ca_path}"
timeout = "10s"
[imap]
host = "127.0.0.1"
port = {mail_harness.imaps_port}
security = "tls"
username = "{address}"
password_env = "T_IMAP_PW"
tls_ca_file = "{mail_harness.ca_path}"
timeout = "10s"
[outreach]
from_address = "{address}"
[slack]
channel = "C0123"
api_base_url = "http://127.0.0.1:{server.server_address[1]}/api/"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("T_SMTP_PW", password)
    monkeypatch.setenv("T_IMAP_PW", password)
    monkeypatch.setenv("CMRT_SLACK_BOT_TOKEN", "xoxb-good")
    monkeypatch.setenv("CMRT_SLACK_APP_TOKEN", "xapp-x")
    try:
        assert run_inprocess("--config", str(config), "db", "upgrade")[0] == 0
        rc, out, _ = run_inprocess("--config", str(config), "config", "check")
        lines = out.splitlines()
        assert rc == 0, out
        assert lines[1].startswith("database: OK")
        assert lines[2] == f"smtp: OK (127.0.0.1:{mail_harness.smtp_port} starttls as {address})"
        assert lines[3].startswith(f"imap: OK (127.0.0.1:{mail_harness.imaps_port} tls as {address}, INBOX has")
        assert lines[5] == "slack: OK (auth.test: team Acme, bot user cmrt-bot, socket mode)"
        assert password not in out
        assert _FakeSlack.calls == ["/api/auth.test"]

        monkeypatch.setenv("T_IMAP_PW", "wrong")
        monkeypatch.delenv("T_SMTP_PW")
        monkeypatch.setenv("CMRT_SLACK_BOT_TOKEN", "xoxb-bad")
        rc, out, _ = run_inprocess("--config", str(config), "config", "check")
        lines = out.splitlines()
        assert rc == 1
        assert lines[2] == "smtp: FAILED: environment variable T_SMTP_PW (smtp.password_env) is not set"
        assert lines[3].startswith("imap: FAILED: ")
        assert lines[5].startswith("slack: FAILED: ") and "invalid_auth" in lines[5]
    finally:
        server.shutdown()
        server.server_close()
