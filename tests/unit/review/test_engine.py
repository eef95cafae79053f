"""The engine: grade, score formula, overrides, determinism, JSON shape, Checker parity, rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from cmrt.review import (
    CATALOGUE,
    CATALOGUE_VERSION,
    Finding,
    Grade,
    ReviewConfigError,
    Severity,
    checker_remaining,
    grade_of,
    render_clarification,
    review,
    score_of,
)
from cmrt.review.checks_template import version_key
from cmrt.review.engine import CAP, WEIGHT
from cmrt.smelters import SmelterReference
from tests.unit.review.builder import (
    add_smelters,
    base,
    context,
    full_context,
    in_scope,
    reference,
    smelter,
    with_answer,
    with_company,
    with_company_question,
    with_contact,
)


def test_clean_declaration_is_accepted_with_full_score() -> None:
    result = review(base(), full_context(required_family="CMRT", min_version="6.4", reporting_year=2024,
                                         requested_scope="company"))
    assert result.findings == ()
    assert result.grade is Grade.ACCEPTED
    assert result.score == 100
    assert result.catalogue_version == CATALOGUE_VERSION
    assert result.checks_run == len(CATALOGUE)


def test_catalogue_ids_are_unique_stable_slugs() -> None:
    ids = [c.id for c in CATALOGUE]
    assert len(ids) == len(set(ids))
    for spec in CATALOGUE:
        area, _, name = spec.id.partition(".")
        assert area == spec.area and name and name.replace("_", "").isalnum()
        assert spec.title and spec.rationale and spec.message


def _f(check: str, severity: Severity) -> Finding:
    return Finding(check, severity, "m")


def test_grade_precedence() -> None:
    assert grade_of([]) is Grade.ACCEPTED
    assert grade_of([_f("a", Severity.INFO)]) is Grade.ACCEPTED
    assert grade_of([_f("a", Severity.INFO), _f("b", Severity.CLARIFY)]) is Grade.NEEDS_CLARIFICATION
    assert grade_of([_f("b", Severity.CLARIFY), _f("c", Severity.HIGH_RISK)]) is Grade.HIGH_RISK
    assert grade_of([_f("c", Severity.HIGH_RISK), _f("d", Severity.REJECT)]) is Grade.REJECTED


def test_score_formula_caps_repeats() -> None:
    assert score_of([]) == 100
    assert score_of([_f("a", Severity.CLARIFY)]) == 100 - WEIGHT[Severity.CLARIFY]
    many = [_f("a", Severity.CLARIFY)] * 30
    assert score_of(many) == 100 - WEIGHT[Severity.CLARIFY] * CAP
    assert score_of([_f("a", Severity.REJECT), _f("b", Severity.REJECT), _f("c", Severity.REJECT)]) == 0


def test_not_a_template_stops_after_template_checks() -> None:
    d = dataclasses.replace(with_contact(base(), email=None), template=dataclasses.replace(base().template,
                                                                                          family=None))
    result = review(d, context())
    assert [f.check for f in result.findings] == ["template.not_reporting_template"]
    assert result.grade is Grade.REJECTED


def test_override_changes_severity_and_grade() -> None:
    d = with_company_question(base(), "A", "No")
    assert review(d, context()).grade is Grade.NEEDS_CLARIFICATION
    result = review(d, context(overrides={"company_questions.no_policy": "high_risk"}))
    assert result.grade is Grade.HIGH_RISK
    assert result.findings[0].severity is Severity.HIGH_RISK


def test_override_disables_a_check() -> None:
    d = with_answer(base(), "Q3", "Tantalum", "Yes")
    result = review(d, context(reference=reference(), overrides={"mineral.covered_countries": "disabled"}))
    assert result.findings == ()
    assert result.grade is Grade.ACCEPTED
    assert result.checks_run == len(CATALOGUE) - 1


def test_unknown_override_is_a_clear_error() -> None:
    with pytest.raises(ReviewConfigError, match=r"unknown check id 'no\.such'"):
        review(base(), context(overrides={"no.such": "info"}))
    with pytest.raises(ReviewConfigError, match="not one of"):
        review(base(), context(overrides={"smelter.duplicate": "loud"}))


def test_review_is_deterministic_and_json_serialisable() -> None:
    d = add_smelters(with_contact(in_scope(base(), "Gold"), email="a,b@x.com"),
                     smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN"),
                     smelter(8, "Tungsten", "Hunan Chenzhou Mining Co., Ltd.", "CID000766", "CHINA"))
    first = review(d, full_context()).to_json()
    second = review(d, full_context()).to_json()
    assert first == second
    json.dumps(first)
    assert set(first) >= {"grade", "score", "catalogue_version", "findings"}
    for item in first["findings"]:
        assert set(item) >= {"check", "severity", "message", "sheet", "cell"}
    assert first["rmap_date"] == "2026-08-22"


def test_findings_follow_catalogue_order() -> None:
    d = add_smelters(with_answer(with_contact(base(), phone=None), "Q3", "Tin", "Yes"),
                     smelter(7, "Tungsten", None, "CID000004", "JAPAN"))
    order = {c.id: i for i, c in enumerate(CATALOGUE)}
    positions = [order[f.check] for f in review(d, context()).findings]
    assert positions == sorted(positions)


def test_checker_parity_counts_checker_rows() -> None:
    d = in_scope(in_scope(with_contact(base(), phone=None), "Tin"), "Gold")
    d = add_smelters(d, smelter(7, "Tin", "Smelter not listed", None, None, "A"),
                     smelter(8, "Tin", "Smelter not listed", None, None, "B"))
    result = review(d, context())
    # contact phone + gold without smelter rows + 'not listed' rows (counted once by the Checker)
    assert checker_remaining(result) == 3


def test_effective_date_text_is_parsed_leniently() -> None:
    d = with_company(base(), effective_date=None, effective_date_raw="02-May-2024")
    assert review(d, context(reference=reference(), reporting_year=2024)).findings == ()


def test_version_key_orders_like_rmi_releases() -> None:
    versions = ["2.03a", "3.01", "6.01", "6.1", "6.22", "6.31", "6.4", "6.5", "6.6.1"]
    assert sorted(versions, key=version_key) == versions


def test_clarification_names_each_cell() -> None:
    d = with_answer(with_contact(base(), email="a,b@x.com"), "Q3", "Tantalum", "Yes")
    d = with_company_question(d, "F", "Yes")
    d = add_smelters(d, smelter(7, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN"))  # duplicate: info only
    result = review(d, context())
    body = render_clarification(result, d)
    assert "Declaration D16: the contact e-mail 'a,b@x.com' is not a valid address" in body
    assert "Declaration D38: question 3 says Tantalum is sourced from the DRC" in body
    assert "Please correct or clarify:" in body and "Please explain" in body
    assert "listed 2 times" not in body  # info findings stay internal
    assert "Example Metals Co., Ltd." in body and "CMRT 6.4" in body


def test_nothing_to_clarify_renders_empty() -> None:
    assert render_clarification(review(base(), context()), base()) == ""


def test_many_similar_findings_are_summarised_in_the_email() -> None:
    rows = [smelter(10 + i, "Tungsten", None, f"CID0020{i:02d}", "CHINA") for i in range(12)]
    d = add_smelters(base(), *rows)
    body = render_clarification(review(d, context()), d)
    assert body.count("has no Smelter Look-up value") == 5
    assert ("The same problem (smelter row without a smelter look-up value) in 7 more places of the Smelter List: "
            "C15, C16, C17, C18, C19, C20, C21") in body


def test_fuzzy_match_confidence_is_reported_in_json() -> None:
    d = add_smelters(base(), smelter(7, "Tungsten", "Smelter not listed", None, "CHINA", "Xiamen Tungsten Co"))
    (item,) = [f for f in review(d, full_context()).to_json()["findings"] if f["check"] == "smelter.not_listed"]
    assert item["detail"]["candidate_id"] == "CID002082" and item["detail"]["method"] == "fuzzy"
    assert 0.85 <= item["detail"]["confidence"] <= 1.0
    assert "match confidence" in item["message"]


def test_removed_smelter_says_when_and_why() -> None:
    d = add_smelters(base(), smelter(7, "Tin", "Gold Bell Group", "CID000572", "CHINA"))
    found = {f.check: f.message for f in review(in_scope(d, "Tin"), full_context()).findings}
    assert "smelter.id_not_in_reference" not in found  # one finding for the one problem: a removed smelter
    removed = "RMI has removed it from the smelter list (2014-04-09: No longer an operating smelter / refiner)"
    assert removed in found["smelter.not_conformant"]


def test_id_on_a_status_list_is_not_reported_missing_from_the_reference() -> None:
    d = add_smelters(base(), smelter(7, "Tungsten", "Ganzhou Jiangwu", "CID002315", "CHINA"))
    ref = SmelterReference([e for e in reference().entries if e.smelter_id != "CID002315"])
    checks = {f.check for f in review(d, full_context(reference=ref)).findings}
    assert "smelter.id_not_in_reference" not in checks
    checks = {f.check for f in review(d, full_context(reference=ref, rmap=None)).findings}
    assert "smelter.id_not_in_reference" in checks


def test_row_without_lookup_or_id_gets_a_fuzzy_suggestion() -> None:
    d = add_smelters(base(), smelter(7, "Tin", None, None, "Thailand", "Thaisarco Ltd"))
    (item,) = [f for f in review(d, full_context()).findings if f.check == "smelter.lookup_missing"]
    assert "looks like RMI's 'Thaisarco', CID001898" in item.message
    assert item.detail is not None and item.detail["candidate_id"] == "CID001898"


def test_a_failing_check_is_set_aside(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from cmrt.review import engine
    from cmrt.review.model import Check

    def broken(d, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    spec = Check("smelter.broken", "Broken", Severity.CLARIFY, "smelter", "r", "m", broken)
    monkeypatch.setattr(engine, "CATALOGUE", (*engine.CATALOGUE, spec))
    d = with_company_question(base(), "A", "No")
    result = engine.review(d, context(reference=reference()))
    assert result.failed_checks == ("smelter.broken",)
    assert [f.check for f in result.findings] == ["company_questions.no_policy"]
    assert result.to_json()["failed_checks"] == ["smelter.broken"]
    assert "smelter.broken failed" in caplog.text


def test_a_possible_lapse_is_information_for_the_team_never_a_supplier_finding() -> None:
    """Xiamen Tungsten (CID002082) is on the Conformant list; its audit cycle ended on 29-May-2026."""
    d = add_smelters(base(), smelter(20, "Tungsten", "Xiamen Tungsten Co., Ltd.", "CID002082", "CHINA"))
    result = review(d, full_context())
    (lapse,) = [f for f in result.findings if f.check == "smelter.conformance_expired"]
    assert lapse.severity is Severity.INFO and lapse.audience == "team"
    assert "is RMAP Conformant (list of 2026-08-22)" in lapse.message and "expired" not in lapse.message
    assert lapse.to_json()["audience"] == "team"
    assert "CID002082" not in render_clarification(result, d)
    with pytest.raises(ReviewConfigError, match="information for the team"):
        review(d, full_context(overrides={"smelter.conformance_expired": "clarify"}))
    silenced = review(d, full_context(overrides={"smelter.conformance_expired": "disabled"}))
    assert all(f.check != "smelter.conformance_expired" for f in silenced.findings)


def test_a_stale_list_is_named_with_its_age_in_the_finding() -> None:
    d = add_smelters(base(), smelter(20, "Tin", "Unknown Tin Works", "CID000766", "CHINA"))
    current = review(d, full_context())
    (finding,) = [f for f in current.findings if f.check == "smelter.not_conformant"]
    assert "on RMI's lists of 2026-08-22;" in finding.message
    stale = review(d, full_context(today=dt.date(2026, 12, 1)))
    (finding,) = [f for f in stale.findings if f.check == "smelter.not_conformant"]
    assert "on RMI's lists of 2026-08-22, 101 days old" in finding.message
