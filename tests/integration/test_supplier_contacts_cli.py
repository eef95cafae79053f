"""``cmrt-bot suppliers import`` with several contacts, cc_emails and language; ``suppliers set-contact``."""

from __future__ import annotations

import json
import pathlib

import pytest

from store import Database, audit
from tests.integration.test_cli_foundation import run_inprocess


def test_import_and_set_contact(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    config = tmp_path / "c.toml"
    config.write_text('[store]\nurl = "sqlite:///x.db"\n', encoding="utf-8")
    assert run_inprocess("--config", str(config), "db", "upgrade")[0] == 0
    csv = tmp_path / "s.csv"
    csv.write_text("supplier_id,name,contact_email,cc_emails,language\n"
                   'M,Müller GmbH,"anna@mueller.example, bob@mueller.example",chef@mueller.example,de\n'
                   "W,Wang Metals,wang@sz.example,,zh-CN\n", encoding="utf-8")
    rc, out, _ = run_inprocess("--config", str(config), "suppliers", "import", str(csv))
    assert rc == 0 and out.startswith("s.csv: 2 rows read; 2 added")
    rows = {r["supplier_id"]: r for r in json.loads(run_inprocess("--config", str(config), "suppliers", "list",
                                                                  "--json")[1])}
    assert rows["M"]["language"] == "de" and rows["W"]["language"] == "zh-Hans"
    assert [(c["email"], c["cc"]) for c in rows["M"]["contacts"]] == [
        ("anna@mueller.example", False), ("bob@mueller.example", False), ("chef@mueller.example", True)]

    rc, out, _ = run_inprocess("--config", str(config), "suppliers", "set-contact", "W", "li@sz.example",
                               "--cc", "boss@sz.example", "--language", "zh-Hant")
    assert rc == 0
    assert out.splitlines()[0] == "W: li@sz.example; cc boss@sz.example; language zh-Hant"
    rc, _, err = run_inprocess("--config", str(config), "suppliers", "set-contact", "W", "not-an-address")
    assert rc == 1 and "not an e-mail address" in err
    rc, _, err = run_inprocess("--config", str(config), "suppliers", "set-contact", "NOPE", "a@b.example")
    assert rc == 1 and "no supplier with id 'NOPE'" in err
    rc, _, err = run_inprocess("--config", str(config), "suppliers", "set-contact", "W", "a@b.example",
                               "--language", "zh")
    assert rc == 1 and "zh-Hans" in err
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with db.session() as s:
            (event,) = audit.events(s, action="supplier.contacts")
            assert event.subject_id == "W" and event.details["before"] == ["wang@sz.example (active)"]
    finally:
        db.dispose()


def test_campaign_create_asks_for_several_families(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    config = tmp_path / "c.toml"
    config.write_text('[store]\nurl = "sqlite:///x.db"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_inprocess("--config", str(config), "db", "upgrade")[0] == 0
    csv = tmp_path / "s.csv"
    csv.write_text("supplier_id,name,contact_email\nM,Mica Works,li@mica.example\n", encoding="utf-8")
    assert run_inprocess("--config", str(config), "suppliers", "import", str(csv))[0] == 0
    with pytest.raises(SystemExit) as refused:  # argparse: unknown family
        run_inprocess("--config", str(config), "campaign", "create", "--year", "2025", "--due", "2026-03-31",
                      "--family", "CMRT,XMRT")  # fmt: skip
    assert refused.value.code == 2
    rc, _, err = run_inprocess("--config", str(config), "campaign", "create", "--year", "2025", "--due",
                               "2026-03-31", "--family", "cmrt, emrt,CRT,AMRT")  # fmt: skip
    assert rc == 0, err
    status = json.loads(run_inprocess("--config", str(config), "status", "--json")[1])
    assert status["campaign"]["template_family"] == "CMRT,EMRT,CRT,AMRT"
    assert list(status["families"]) == ["CMRT", "EMRT", "CRT", "AMRT"]
    assert status["families"]["EMRT"] == {"asked": 1, "surveyed": 0, "responded": 0, "response_rate": 0.0,
                                          "unasked": 0, "overdue": 0}  # fmt: skip
