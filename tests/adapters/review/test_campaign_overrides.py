"""Per-campaign review overrides: stored on the campaign, layered over the configuration's, used by inbound
reviews and by ``cmrt-bot check --campaign``; set with ``campaign create --check`` and ``campaign set-check``."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import pathlib
from typing import Any

import pytest

from bot.cli import main as cli
from cmrt.review import Grade, ReviewConfigError, review
from handlers.review_context import effective_overrides, make_context_factory
from tests.conftest import corpus_path
from tests.unit.review.builder import base, with_answer, with_company

TODAY = dt.date(2026, 8, 22)
COVERED = "mineral.covered_countries"  # high_risk by default


def declaration() -> Any:
    d = with_company(base(), effective_date=dt.date(2026, 5, 10))  # inside both campaigns' periods
    return with_answer(d, "Q3", "Tantalum", "Yes")  # fires mineral.covered_countries once


def two_campaigns(session: Any, own_2025: dict[str, str]) -> tuple[Any, Any]:
    from store import campaigns
    from store import suppliers as supplier_repo
    from store.suppliers import SupplierData

    supplier, _ = supplier_repo.upsert(session, SupplierData("S1", "Supplier One", "cm@one.example"))
    c25 = campaigns.create(session, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier],
                           review_overrides=own_2025)
    c26 = campaigns.create(session, year=2026, due_date=dt.date(2027, 3, 31), suppliers=[supplier])
    return c25.requests[0], c26.requests[0]


def checks_of(factory: Any, session: Any, request: Any) -> dict[str, str]:
    result = review(declaration(), factory(session, request, TODAY))
    return {f.check: f.severity.value for f in result.findings} | {"grade": result.grade.value}


def test_a_campaign_that_disables_a_check_gets_no_finding_for_it(store_db: Any) -> None:
    with store_db.session() as s:
        r25, r26 = two_campaigns(s, {COVERED: "disabled"})
    with store_db.session() as s:  # the JSON column round-trips
        from store import campaigns

        assert campaigns.get_by_year(s, 2025).review_overrides == {COVERED: "disabled"}
        assert campaigns.get_by_year(s, 2026).review_overrides == {}
        factory = make_context_factory()
        r25, r26 = (s.merge(r) for r in (r25, r26))
        got25, got26 = checks_of(factory, s, r25), checks_of(factory, s, r26)
    assert COVERED not in got25 and got25["grade"] == Grade.ACCEPTED.value
    assert got26[COVERED] == "high_risk" and got26["grade"] == Grade.HIGH_RISK.value


def test_layers_global_then_config_campaign_then_campaign_row(store_db: Any) -> None:
    factory = make_context_factory(
        {COVERED: "info"},  # global: everyone gets info ...
        {"2026": {COVERED: "reject"}, "2025": {COVERED: "reject"}},  # ... 2026 and 2025 reject in the config ...
    )
    with store_db.session() as s:
        r25, r26 = two_campaigns(s, {COVERED: "clarify"})  # ... and 2025's own row says clarify
        assert checks_of(factory, s, r26)[COVERED] == "reject"
        assert checks_of(factory, s, r26)["grade"] == Grade.REJECTED.value
        got25 = checks_of(factory, s, r25)
        assert got25[COVERED] == "clarify" and got25["grade"] == Grade.NEEDS_CLARIFICATION.value
        assert checks_of(make_context_factory({COVERED: "info"}), s, None)["grade"] == Grade.ACCEPTED.value


def test_bad_overrides_are_refused_or_set_aside(store_db: Any, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ReviewConfigError, match=r'review.campaigns."2025".*unknown check id \'smelter.dupe\''):
        make_context_factory({}, {"2025": {"smelter.dupe": "info"}})
    with store_db.session() as s:
        r25, _ = two_campaigns(s, {"retired.check": "info", COVERED: "disabled"})  # e.g. an older catalogue's
        with caplog.at_level(logging.WARNING, logger="cmbot.review"):
            assert effective_overrides(None, None, r25.campaign) == {COVERED: "disabled"}
        assert "retired.check" in caplog.text
        assert COVERED not in checks_of(make_context_factory(), s, r25)


# ------------------------------------------------------------------------------------------------------ CLI
def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli(list(argv))
        except SystemExit as exc:  # argparse refusing an argument
            rc = int(exc.code or 0)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def config(store_url: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("CMRT_CONFIG", raising=False)
    monkeypatch.delenv("CMRT_STORE_URL", raising=False)
    path = tmp_path / "cmrt-bot.toml"
    path.write_text(f'[store]\nurl = "{store_url}"\n\n[review.campaigns."2025"]\n'
                    '"smelter.country_inconsistent" = "info"\n', encoding="utf-8")
    csv = tmp_path / "suppliers.csv"
    csv.write_text("Supplier_ID,Name,Contact_Email\nS1,One Ltd.,cm@one.example\nS2,Two Ltd.,cm@two.example\n",
                   encoding="utf-8")
    assert run("--config", str(path), "db", "upgrade")[0] == 0
    assert run("--config", str(path), "suppliers", "import", str(csv))[0] == 0
    return str(path)


def audit_events(config_path: str, action: str) -> list[dict[str, Any]]:
    from bot.config import load_config
    from store import Database, audit

    db = Database(load_config(config_path).store.url)
    try:
        with db.session() as s:
            return [dict(e.details) for e in audit.events(s, action=action)]
    finally:
        db.dispose()


def test_cli_create_set_check_and_list(config: str) -> None:
    rc, out, err = run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31",
                       "--check", f"{COVERED}=disabled", "--check", "mineral.cahra=Disabled")
    assert rc == 0, err
    assert f"review overrides: {COVERED}=disabled, mineral.cahra=disabled" in out
    assert audit_events(config, "campaign.create")[0]["review_overrides"] == {
        COVERED: "disabled", "mineral.cahra": "disabled"}
    rc, out, _ = run("--config", config, "campaign", "list")
    assert rc == 0 and "CHECK OVERRIDES" in out
    assert f"mineral.cahra=disabled, {COVERED}=disabled" in out

    rc, out, err = run("--config", config, "campaign", "set-check", "2025", "smelter.duplicate", "reject")
    assert rc == 0 and out.strip() == "campaign 2025: smelter.duplicate = reject", err
    rc, out, _ = run("--config", config, "campaign", "set-check", "2025", "mineral.cahra", "default")
    assert rc == 0 and "no longer overridden by the campaign (was disabled)" in out
    rc, out, _ = run("--config", config, "campaign", "list")
    assert f"{COVERED}=disabled, smelter.duplicate=reject" in out and "mineral.cahra" not in out
    events = audit_events(config, "campaign.set_check")
    assert events == [{"check": "smelter.duplicate", "from": None, "to": "reject"},
                      {"check": "mineral.cahra", "from": "disabled", "to": None}]


def test_cli_refuses_bad_ids_and_severities(config: str) -> None:
    rc, _, err = run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31",
                     "--check", "smelter.dupliate=disabled")
    assert rc == 2 and "unknown check id 'smelter.dupliate' (did you mean smelter.duplicate?)" in err
    rc, _, err = run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31",
                     "--check", "smelter.duplicate")
    assert rc == 2 and "write CHECK_ID=SEVERITY" in err
    rc, _, err = run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31",
                     "--check", "smelter.duplicate=fatal")
    assert rc == 2 and "'fatal' is not one of reject, high_risk, clarify, info, disabled" in err
    assert run("--config", config, "campaign", "list")[1].startswith("no campaigns")  # nothing was created
    assert run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31")[0] == 0
    rc, _, err = run("--config", config, "campaign", "set-check", "2025", "no.such", "info")
    assert rc == 1 and "unknown check id 'no.such'" in err
    rc, _, err = run("--config", config, "campaign", "set-check", "2025", "smelter.duplicate", "loud")
    assert rc == 1 and "'loud' is not one of" in err and "or default" in err
    rc, _, err = run("--config", config, "campaign", "set-check", "2030", "smelter.duplicate", "info")
    assert rc == 1 and "no campaign for reporting year 2030" in err
    assert audit_events(config, "campaign.set_check") == []


@pytest.mark.corpus
def test_check_with_campaign_applies_its_overrides(config: str) -> None:
    workbook = str(corpus_path("returned", "CMRT_6.4_JX.xlsx"))
    assert run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31",
               "--check", f"{COVERED}=disabled")[0] == 0

    def findings(*extra: str) -> dict[str, str]:
        rc, out, err = run("--config", config, "check", "--json", workbook, *extra)
        assert rc == 0, err
        return {f["check"]: f["severity"] for f in json.loads(out)[0]["review"]["findings"]}

    plain = findings()
    assert plain[COVERED] == "high_risk" and plain["smelter.country_inconsistent"] == "clarify"
    as_2025 = findings("--campaign", "2025")
    assert COVERED not in as_2025  # the campaign's own override
    assert as_2025["smelter.country_inconsistent"] == "info"  # the configuration's [review.campaigns."2025"]
    rc, _, err = run("--config", config, "check", workbook, "--campaign", "2031")
    assert rc == 1 and "--campaign 2031: no campaign for reporting year 2031" in err


def test_cli_create_from_an_earlier_campaign_carries_exemptions_assignees_and_checks(config: str) -> None:
    """``campaign create --from 2025``: S1 was exempt and assigned to a team member in 2025; the 2026 campaign
    starts with S1 exempt (the reason kept), the same assignee, S2's contacts as 2025 left them, and 2025's own
    check settings under its own."""
    from bot.config import load_config
    from cmrt.outreach.states import RequestState
    from store import Database, campaigns
    from store import requests as request_repo
    from store.models import Contact
    from store.states import ContactState

    rc, _, err = run("--config", config, "campaign", "create", "--year", "2025", "--due", "2026-03-31",
                     "--check", f"{COVERED}=clarify", "--check", "smelter.duplicate=disabled")  # fmt: skip
    assert rc == 0, err
    db = Database(load_config(config).store.url)
    try:
        with db.session() as s:
            c25 = campaigns.get_by_year(s, 2025)
            assert c25 is not None
            one, two = sorted(c25.requests, key=lambda r: r.supplier.external_id)
            request_repo.transition(s, one, RequestState.EXEMPT, actor="UTEAM", reason="no 3TG in our parts")
            one.assignee, two.assignee = "UANNA", "UBEN"
            # contacts learned or found bouncing during 2025 belong to the supplier, so 2026 starts with them
            two.supplier.contacts.append(Contact(email="cmrt@two.example", name="Kim Two"))
            two.supplier.contacts[0].state = ContactState.BOUNCING
        rc, out, err = run("--config", config, "campaign", "create", "--year", "2026", "--due", "2027-03-31",
                           "--from", "2025", "--check", "smelter.duplicate=info")  # fmt: skip
        assert rc == 0, err
        assert "carried over from 2025: 1 exemption(s), 2 assignment(s), 1 check setting(s)" in out
        with db.session() as s:
            c26 = campaigns.get_by_year(s, 2026)
            assert c26 is not None
            assert c26.review_overrides == {COVERED: "clarify", "smelter.duplicate": "info"}  # --check wins
            one, two = sorted(c26.requests, key=lambda r: r.supplier.external_id)
            assert (one.state, one.exception_reason) == (RequestState.EXEMPT, "exempt in 2025: no 3TG in our parts")
            assert (two.state, one.assignee, two.assignee) == (RequestState.NOT_SENT, "UANNA", "UBEN")
            assert [(c.email, c.state) for c in two.supplier.contacts] == [
                ("cm@two.example", ContactState.BOUNCING), ("cmrt@two.example", ContactState.ACTIVE)]  # fmt: skip
    finally:
        db.dispose()
    (event,) = [e for e in audit_events(config, "campaign.create") if e.get("from") == 2025]
    assert (event["exempt"], event["assigned"]) == (1, 2)
    rc, _, err = run("--config", config, "campaign", "create", "--year", "2027", "--due", "2028-03-31",
                     "--from", "2019")  # fmt: skip
    assert rc != 0 and "no campaign for reporting year 2019" in err
