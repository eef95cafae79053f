"""The three real CMRT 6.4 returns, read by the real reader and reviewed against RMI's 2026-08-22 lists.

The expected findings were written by hand from the workbooks (Declaration and Smelter List read cell by cell)
and from RMI's exports (each CID looked up in the Conformant and Active lists; a listed facility is conformant on
the list date, last audit date + audit cycle is only information for the team). Reviewed on 2026-08-22, the date
of the lists, with each workbook's own Smelter Look-up sheet as the reference.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from cmrt.declaration import Declaration
from cmrt.review import Grade, ReviewResult, Severity, checker_remaining, render_clarification, review
from cmrt.review.adhoc import context_for
from cmrt.smelters import RmiList, load_rmi_file
from cmrt.workbook import read_workbook
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

TODAY = dt.date(2026, 8, 22)
RMAP_FILES = ("RMI_conformant_export_2026-08-22.xml", "RMI_active_export_2026-08-22.xml",
              "RMI_smelter_list_revisions_export_2026-08-22.xml")


@functools.cache
def _lists() -> tuple[RmiList, ...]:
    return tuple(load_rmi_file(name, corpus_path("rmap", name).read_bytes()) for name in RMAP_FILES)


@functools.cache
def _read(name: str) -> tuple[Declaration, bytes]:
    data = corpus_path("returned", name).read_bytes()
    return read_workbook(data, filename=name), data


def _review(name: str, *, rmap: bool = True, **kw: object) -> tuple[Declaration, ReviewResult]:
    declaration, data = _read(name)
    ctx = context_for(today=TODAY, lists=_lists() if rmap else (), workbook=data, **kw)  # type: ignore[arg-type]
    return declaration, review(declaration, ctx)


def _pairs(result: ReviewResult) -> list[tuple[str, str | None]]:
    return [(f.check, f.cell) for f in result.findings]


def test_central_glass() -> None:
    declaration, result = _review("CMRT_6.4_CentralGlass.xlsx")
    assert _pairs(result) == [
        ("company.email_invalid", "D16"),  # contact,person2@cgco.co.jp: a comma instead of a dot
        ("smelter.not_conformant", "F7"),  # CID002513 Hunan Shizhuyuan: on neither list
        ("smelter.conformance_expired", "F8"),  # CID002082 conformant; cycle ended 29-May-2026 (team info)
    ]
    assert result.grade is Grade.HIGH_RISK
    body = render_clarification(result, declaration)
    assert "Declaration D16: the contact e-mail 'contact,person2@cgco.co.jp' is not a valid address" in body
    assert "Smelter List F7:" in body and "Central Glass Co., Ltd." in body


def test_central_glass_without_rmap_lists_only_needs_the_email_fixed() -> None:
    _, result = _review("CMRT_6.4_CentralGlass.xlsx", rmap=False)
    assert _pairs(result) == [("company.email_invalid", "D16")]
    assert result.grade is Grade.NEEDS_CLARIFICATION and result.score == 95


def test_honeywell() -> None:
    _, result = _review("CMRT_6.4_Honeywell.xlsx")
    assert _pairs(result) == [
        # Q3 and Q4 = Yes for all four metals
        ("mineral.covered_countries", "D38"), ("mineral.covered_countries", "D39"),
        ("mineral.covered_countries", "D40"), ("mineral.covered_countries", "D41"),
        ("mineral.cahra", "D44"), ("mineral.cahra", "D45"), ("mineral.cahra", "D46"), ("mineral.cahra", "D47"),
        # tin and gold declared in scope, only tantalum and tungsten smelters listed (the Checker's 2 remaining)
        ("mineral.no_smelter_rows", "D27"), ("mineral.no_smelter_rows", "D28"),
        ("smelter.duplicate", "F7"),  # CID001522 on rows 6 and 7
        ("smelter.not_conformant", "F8"),  # CID000766 Hunan Chenzhou Mining
        ("smelter.not_conformant", "F19"),  # CID002513
        ("smelter.active_not_conformant", "F22"),  # CID002315 on the Active list
        ("smelter.conformance_expired", "F21"),  # CID002082 (29-May-2026)
        ("smelter.conformance_expired", "F25"),  # CID002842 (17-Jun-2026, no re-audit)
        # 1-year cycles elapsed with "Reaudit In Progress" = Yes
        ("smelter.reaudit_pending", "F5"), ("smelter.reaudit_pending", "F6"), ("smelter.reaudit_pending", "F9"),
        ("smelter.reaudit_pending", "F12"), ("smelter.reaudit_pending", "F17"), ("smelter.reaudit_pending", "F20"),
        ("smelter.reaudit_pending", "F26"), ("smelter.reaudit_pending", "F34"), ("smelter.reaudit_pending", "F35"),
    ]
    assert result.grade is Grade.HIGH_RISK
    # B = Yes with "Honeywell Conflict Minerals Policy" in G77: a hyperlink to the policy PDF, so no finding


def test_jx() -> None:
    _, result = _review("CMRT_6.4_JX.xlsx")
    assert _pairs(result) == [
        ("mineral.covered_countries", "D38"), ("mineral.covered_countries", "D41"),
        ("mineral.cahra", "D44"), ("mineral.cahra", "D47"),
        ("smelter.country_inconsistent", "E10"),  # row 10: Ulba (CID001969) with the country left empty
        ("smelter.duplicate", "F10"),  # CID001969 rows 9, 10
        ("smelter.duplicate", "F23"),  # CID002082 rows 22-26
        ("smelter.duplicate", "F31"),  # CID002320 rows 27, 31
        ("smelter.conformance_expired", "F22"),  # CID002082
        ("smelter.reaudit_pending", "F9"), ("smelter.reaudit_pending", "F16"), ("smelter.reaudit_pending", "F17"),
        ("smelter.reaudit_pending", "F18"),
    ]
    assert result.grade is Grade.HIGH_RISK
    duplicates = [f.message for f in result.findings if f.check == "smelter.duplicate"]
    assert "listed 5 times (rows 22, 23, 24, 25, 26)" in duplicates[1]


@pytest.mark.parametrize("name", ["CMRT_6.4_CentralGlass.xlsx", "CMRT_6.4_Honeywell.xlsx", "CMRT_6.4_JX.xlsx"])
def test_checker_parity_with_the_templates_own_checker(name: str) -> None:
    declaration, result = _review(name, rmap=False)
    assert declaration.checker_remaining is not None
    assert checker_remaining(result) == declaration.checker_remaining


@pytest.mark.parametrize("name", ["CMRT_6.4_CentralGlass.xlsx", "CMRT_6.4_Honeywell.xlsx", "CMRT_6.4_JX.xlsx"])
def test_campaign_requirements(name: str) -> None:
    _, result = _review(name, rmap=False, reporting_year=2025, requested_scope="product", required_family="CMRT",
                        min_version="6.5")
    checks = {f.check for f in result.findings}
    assert "company.effective_date_before_period" in checks  # all three are dated 2024
    assert "template.version_too_old" in checks and result.grade is Grade.REJECTED
    assert ("scope.differs_from_request" in checks) is (name != "CMRT_6.4_JX.xlsx")  # JX is product-level


BLANK_TEMPLATES = ("RMI_CMRT_6.01_zh.xlsx", "RMI_CMRT_6.1_zh.xlsx", "RMI_CMRT_6.22_zh.xlsx", "RMI_CMRT_6.4.xlsx",
                   "RMI_CMRT_6.5_zh.xlsx", "RMI_EMRT_1.3_zh.xlsx", "RMI_EMRT_2.1_zh.xlsx", "RMI_CRT_2.2_zh.xlsx",
                   "RMI_AMRT_1.3_zh.xlsx")


@pytest.mark.parametrize("name", BLANK_TEMPLATES)
def test_checker_parity_on_blank_templates(name: str) -> None:
    """A blank template: every required field the template's own Checker counts (Checker!D2) is a finding."""
    declaration = read_workbook(corpus_path("templates", name).read_bytes(), filename=name)
    result = review(declaration, context_for(today=TODAY))
    assert declaration.checker_remaining
    assert checker_remaining(result) == declaration.checker_remaining
    assert result.grade is Grade.NEEDS_CLARIFICATION


@pytest.mark.parametrize("name", ["CMRT_6.4_CentralGlass.xlsx", "CMRT_6.4_Honeywell.xlsx", "CMRT_6.4_JX.xlsx"])
@pytest.mark.parametrize("today", [TODAY, dt.date(2026, 12, 1)])  # on the list date, and with a stale list
def test_no_supplier_facing_conformance_finding_for_a_smelter_on_the_conformant_list(name: str,
                                                                                      today: dt.date) -> None:
    conformant = {e.smelter_id for item in _lists() for e in item.entries if item.kind.value == "conformant"}
    declaration, data = _read(name)
    result = review(declaration, context_for(today=today, lists=_lists(), workbook=data))
    listed_rows = {r.row for r in declaration.smelters if (r.smelter_id or "").strip().upper() in conformant}
    for finding in result.findings:
        if finding.severity is Severity.INFO or finding.audience == "team":
            continue
        about_status = any(w in finding.message.lower() for w in ("conforman", "expire", "lapse", "audit"))
        assert not (about_status and finding.row in listed_rows), finding.text
    mail = render_clarification(result, declaration).lower()
    assert "expired" not in mail and "audit cycle" not in mail
    lapses = [f for f in result.findings if f.check == "smelter.conformance_expired"]
    assert all(f.severity is Severity.INFO and f.audience == "team" for f in lapses)


def test_jx_conflict_free_claim_needs_rmis_lists_to_stand() -> None:
    """JX's question 3 and 4 comments say "Only uses approved conflict free material": with RMI's lists every JX
    smelter is on the Conformant list (test_jx has no such finding); without them the claim cannot be checked."""
    _, result = _review("CMRT_6.4_JX.xlsx", rmap=False)
    (claim,) = [f for f in result.findings if f.check == "text.conflict_free_claim"]
    assert (claim.sheet, claim.cell) == ("Declaration", "G38")
    assert "and in 3 more cells" in claim.message and "no RMI Conformant list" in claim.message
