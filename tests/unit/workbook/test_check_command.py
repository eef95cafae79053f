"""``cmrt-bot check`` and ``cmrt-bot demo`` through the real CLI entry point."""

from __future__ import annotations

import json
import pathlib

import pytest

from bot.cli import main
from bot.commands.check import JSON_KEYS
from cmrt.workbook.factory import CmrtSpec, ProductSpec, build_cmrt


@pytest.fixture
def workbooks(tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    good = tmp_path / "supplier.xlsx"
    spec = CmrtSpec(language="zh", scope="B. Product (or List of Products)")
    spec.products = [ProductSpec("P-1", "Widget")]
    good.write_bytes(build_cmrt(spec))
    jpeg = tmp_path / "invalid_cmrt.xls"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    return {"good": good, "jpeg": jpeg, "missing": tmp_path / "nope.xlsx"}


def test_json_output_has_exactly_the_documented_keys(
    workbooks: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["check", "--json", str(workbooks["good"]), str(workbooks["jpeg"]), str(workbooks["missing"])])
    assert status == 1
    data = json.loads(capsys.readouterr().out)
    assert [list(item) for item in data] == [list(JSON_KEYS)] * 3
    good, jpeg, missing = data
    assert good["error"] is None
    assert good["template"] == {"family": "CMRT", "version": "6.5"}
    assert good["language"] == "Chinese"
    assert list(good["company"]) == [
        "name", "scope", "scope_level", "scope_raw", "scope_description", "unique_id", "unique_id_authority",
        "address", "contact", "authorizer", "effective_date",
    ]  # fmt: skip
    assert good["company"]["scope"] == "product"
    assert good["company"]["scope_level"] == "product"
    assert good["company"]["scope_raw"] == "B. Product (or List of Products)"
    assert good["company"]["effective_date"] == "2025-05-02"
    assert set(good["company"]["contact"]) == {"name", "email", "phone"}
    assert set(good["company"]["authorizer"]) == {"name", "title", "email", "phone"}
    assert good["minerals"] == ["Tantalum", "Tin", "Gold", "Tungsten"]
    assert good["answers"]["Q1"] == {"Tantalum": "Yes", "Tin": "Yes", "Gold": "Yes", "Tungsten": "Yes"}
    assert good["company_questions"]["B"] == {"answer": "Yes", "comment": "https://www.example.com/policy"}
    assert {"row", "metal", "lookup", "name", "country", "smelter_id"} <= set(good["smelters"][0])
    assert good["products"] == [
        {"row": 6, "number": "P-1", "name": "Widget", "comment": None, "requester_number": None,
         "requester_name": None}
    ]  # fmt: skip
    assert good["mines"] == [] and good["checker_remaining"] == 0 and good["warnings"] == []
    assert jpeg["error"]["code"] == "not_a_workbook" and "JPEG" in jpeg["error"]["message"]
    assert jpeg["template"] is None and jpeg["smelters"] == []
    assert missing["error"]["code"] == "file_unreadable"


def test_exit_status_zero_when_every_file_is_read(
    workbooks: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(workbooks["good"])]) == 0
    out = capsys.readouterr().out
    assert "supplier.xlsx: CMRT 6.5 (Chinese) - Example Metals Ltd." in out
    assert "smelters: 5" in out and "products: 1" in out


def test_human_output_names_the_error(workbooks: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(workbooks["jpeg"])]) == 1
    out = capsys.readouterr().out
    assert out.startswith("invalid_cmrt.xls: NOT READ (not_a_workbook)")
    assert "Traceback" not in out


def test_password_option(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(build_cmrt())).encrypt("s3cret", out)
    path = tmp_path / "locked.xlsx"
    path.write_bytes(out.getvalue())
    assert main(["check", str(path)]) == 1
    assert "encrypted_unknown_password" in capsys.readouterr().out
    assert main(["check", "--password", "s3cret", str(path)]) == 0


def test_demo_runs_on_a_fresh_machine(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    captured = capsys.readouterr()
    assert (tmp_path / "demo" / "CMRT_6.5_Example_Components.xlsx").is_file()
    assert "CMRT 6.5 (English) - Example Components Co., Ltd." in captured.out
    assert "effective date: 2025-05-02" in captured.out
    assert main(["demo", "--json", "--out", str(tmp_path / "demo")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["error"] is None and data[0]["company"]["scope"] == "product"


def test_reader_section_of_the_configuration_applies(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(build_cmrt())).encrypt("from-config", out)
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(out.getvalue())
    config = tmp_path / "cmrt-bot.toml"
    config.write_text('[reader]\npasswords = ["from-config"]\nmax_file_bytes = "1MiB"\n', encoding="utf-8")
    assert main(["check", "--config", str(config), "--json", str(locked)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["company"]["name"] == "Example Metals Ltd."
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + bytes(2 * 1024 * 1024))
    assert main(["check", "--config", str(config), str(big)]) == 1
    assert "too_large" in capsys.readouterr().out


def test_configured_review_overrides_apply_without_a_campaign(
    workbooks: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``[review.overrides]`` in the configuration shape the ad-hoc review of plain ``check`` too."""
    main(["--config", str(tmp_path / "absent.toml"), "check", "--json", str(workbooks["good"])])
    before = json.loads(capsys.readouterr().out)[0]["review"]
    fired = sorted({f["check"] for f in before["findings"]})
    assert fired, "the factory workbook should draw at least one finding"
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n\n[review.overrides]\n'
        + "".join(f'"{check}" = "disabled"\n' for check in fired),
        encoding="utf-8",
    )
    assert main(["--config", str(config), "check", "--json", str(workbooks["good"])]) == 0
    after = json.loads(capsys.readouterr().out)[0]["review"]
    assert after["findings"] == []
    assert after["grade"] == "accepted"


def test_check_previous_shows_what_changed(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check --previous FILE`: the review compares with the supplier's last accepted declaration."""
    last, now = tmp_path / "acme-2024.xlsx", tmp_path / "acme-2025.xlsx"
    answers = CmrtSpec().answers
    last.write_bytes(build_cmrt(answers={**answers, "Q3": {**answers["Q3"], "Tin": "Yes"}}))
    now.write_bytes(build_cmrt(smelters=[s for s in CmrtSpec().smelters if s.metal != "Tin"]))
    assert main(["check", "--json", "--previous", str(last), str(now)]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    history = [(f["check"], f["severity"]) for f in item["review"]["findings"] if f["check"].startswith("history.")]
    assert history == [("history.smelters_changed", "info"), ("history.origin_flipped", "clarify")]
    assert main(["check", "--previous", str(last), str(now)]) == 0
    out = capsys.readouterr().out
    assert "since the previous declaration:" in out
    assert "the previous declaration (acme-2024.xlsx)" in out
    assert main(["check", "--previous", str(tmp_path / "nope.xlsx"), str(now)]) == 2
    assert "--previous" in capsys.readouterr().err
