"""The report as text (the Conflict Minerals Report paragraph first) and as an XLSX workbook."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import openpyxl

from cmrt.figures import campaign_figures
from cmrt.reporting import Report
from cmrt.reporting.text import cmr_paragraph, render
from cmrt.reporting.xlsx import workbook_bytes
from cmrt.smelters.consolidate import consolidate
from tests.unit.reports.test_consolidate import REFERENCE, _rmap, suppliers
from tests.unit.reports.test_figures import AFTER, DUE, all_states

NOW = dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC)


def report(*, lists: bool = True, today: dt.date = dt.date(2026, 9, 1)) -> Report:
    result = consolidate(suppliers(), today=today, reference=REFERENCE, rmap=_rmap() if lists else None)
    campaign = {"year": 2025, "due_date": "2026-03-31", "state": "active", "scope": "company",
                "template_family": "CMRT"}  # fmt: skip
    return Report(campaign, campaign_figures(2025, DUE, AFTER, all_states()), result, today, NOW,
                  company="Example Corp.")  # fmt: skip


def test_the_paragraph_a_compliance_officer_pastes() -> None:
    text = cmr_paragraph(report())
    assert text == (
        "For reporting year 2025, Example Corp. conducted a reasonable country of origin inquiry by surveying 8 "
        "suppliers with the RMI Conflict Minerals Reporting Template (CMRT). 4 suppliers responded, a response rate "
        "of 50.0 %. Of the declarations received, 1 was company-level, 1 product-level and 1 user-defined "
        "(1 declaration did not state a scope). The responding suppliers identified 5 smelters and refiners; "
        "3 of them (60.0 %) were RMAP conformant and 4 (80.0 %) RMAP conformant or active, according to RMI's lists "
        "of 2026-08-22."
    )
    stale = cmr_paragraph(report(today=dt.date(2026, 11, 1)))
    assert "according to RMI's lists of 2026-08-22, 71 days old." in stale


def test_a_campaign_asking_for_several_templates_names_each_and_counts_each() -> None:
    r = report()
    campaign = dict(r.campaign) | {"template_family": "CMRT,EMRT"}
    facts = [replace(f, asked=("CMRT", "EMRT"), returned=frozenset({"CMRT"}) if f.workbook_read else frozenset())
             for f in all_states()]  # fmt: skip
    text = cmr_paragraph(replace(r, campaign=campaign, figures=campaign_figures(2025, DUE, AFTER, facts)))
    assert "with the RMI Conflict Minerals Reporting Template (CMRT) and the RMI Extended Minerals Reporting " \
        "Template (EMRT)." in text
    assert "Returned per template: CMRT 4 of 8; EMRT 0 of 8." in text


def test_without_status_lists_the_status_is_unknown_never_zero_percent() -> None:
    r = report(lists=False)
    assert "their RMAP status is unknown (no RMAP list imported)." in cmr_paragraph(r)
    for fmt in ("txt", "md"):
        text = render(r, fmt)
        assert "0.0 % conformant" not in text and "unknown (no RMAP list imported)" in text
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(r)))
    summary = book["Summary by metal"]
    header = [c.value for c in summary[1]]
    gold = dict(zip(header, [c.value for c in summary[2]], strict=True))
    assert gold["Conformant"] == "unknown (no RMAP list imported)"


def test_text_formats_open_with_the_paragraph_and_warn_of_stale_lists() -> None:
    md = render(report(today=dt.date(2026, 11, 1)), "md")
    lines = md.splitlines()
    assert lines[0] == "# Conflict Minerals Report figures: reporting year 2025"
    assert lines[2].startswith("For reporting year 2025, Example Corp.")
    assert "> **Warning:** The RMAP status lists are of 2026-08-22, 71 days old" in md
    assert "| Response rate | 50.0 % |" in md and "## Smelters and refiners (RMI's lists of 2026-08-22, 71 days" in md
    txt = render(report(), "txt")
    assert txt.splitlines()[2].startswith("For reporting year 2025") and "WARNING" not in txt
    assert "Responded: 4 of 8 (50.0 %)." in txt


def test_xlsx_has_human_headers_formats_filters_and_a_read_me() -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report())))
    assert book.sheetnames == ["Read me", "Survey figures", "Consolidated smelters", "Rejected entries",
                               "Summary by metal", "Mine countries"]  # fmt: skip
    readme = {row[0]: row[1] for row in book["Read me"].iter_rows(values_only=True)}
    assert readme["RMAP status lists"] == dt.datetime(2026, 8, 22)
    assert readme["Exported at"] == dt.datetime(2026, 9, 1, 8, 30) and "surveyed" in readme
    assert readme["For the report"].startswith("For reporting year 2025")
    smelters = book["Consolidated smelters"]
    header = [c.value for c in smelters[1]]
    assert header[:3] == ["Metal", "Smelter ID", "Standard smelter name"] and "supplier" not in " ".join(header)
    assert smelters.freeze_panes == "A2" and smelters.auto_filter.ref == f"A1:N{smelters.max_row}"
    assert smelters.column_dimensions["C"].width > 15
    dates = header.index("RMAP list date") + 1
    assert smelters.cell(row=2, column=dates).number_format == "yyyy-mm-dd"
    survey = book["Survey figures"]
    rate = next(r for r in survey.iter_rows(min_row=2) if r[0].value == "Response rate")[1]
    assert rate.value == 0.5 and rate.number_format == "0.0%"
    summary = book["Summary by metal"]
    tin = next(r for r in summary.iter_rows(min_row=2) if r[0].value == "Tin")
    share = [c for c in tin if c.number_format == "0.0%"]
    assert [c.value for c in share] == [0.5, 1.0]
