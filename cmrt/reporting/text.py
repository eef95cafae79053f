"""The report as text: the ready-to-paste Conflict Minerals Report paragraph, then the full figures.

``render(report, "md" | "txt")`` is what ``cmrt-bot report --format`` prints; ``cmr_paragraph`` and
``smelter_lines`` are shared with the Slack report and the digest.
"""

from __future__ import annotations

from collections.abc import Sequence

from cmrt.declaration import split_families
from cmrt.figures import DEFINITIONS, percent
from cmrt.reporting.model import Report
from cmrt.smelters.consolidate import STATUS_TEXT, STATUSES, Consolidation
from cmrt.smelters.rmap import NO_LISTS_TEXT

TEMPLATES = {
    "CMRT": "the RMI Conflict Minerals Reporting Template (CMRT)",
    "EMRT": "the RMI Extended Minerals Reporting Template (EMRT)",
    "CRT": "the RMI Cobalt Reporting Template (CRT)",
    "AMRT": "the RMI Additional Minerals Reporting Template (AMRT)",
}
FORMATS = ("txt", "md")


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def totals(result: Consolidation) -> dict[str, int]:
    """Smelters over all metals, and how many have each status."""
    out = {"smelters": len(result.rows)} | {status: 0 for status in STATUSES}
    for row in result.rows:
        out[row.status] = out.get(row.status, 0) + 1
    return out


def rmap_shares(report: Report) -> tuple[float | None, float | None]:
    """(conformant share, conformant-or-active share) over all metals; None when unknown (no status list)."""
    counts = totals(report.smelters)
    if not report.smelters.has_status_lists or not counts["smelters"]:
        return None, None
    return counts["conformant"] / counts["smelters"], (counts["conformant"] + counts["active"]) / counts["smelters"]


def cmr_paragraph(report: Report) -> str:
    """One paragraph in the style of a Conflict Minerals Report, with the figures and the RMAP list date."""
    f = report.figures
    year = report.campaign.get("year", f.year)
    who = report.company.strip() or "we"
    asked = split_families(str(report.campaign.get("template_family") or "CMRT"))
    names = [TEMPLATES.get(name, TEMPLATES["CMRT"]) for name in asked]
    template = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    d = f.declarations
    scopes = [f"{d['company']} {'was' if d['company'] == 1 else 'were'} company-level", f"{d['product']} product-level"]
    if d["user_defined"]:
        scopes.append(f"{d['user_defined']} user-defined")
    scope_text = ", ".join(scopes[:-1]) + " and " + scopes[-1]
    unknown = f" ({_n(d['unknown'], 'declaration')} did not state a scope)" if d["unknown"] else ""
    parts = [
        f"For reporting year {year}, {who} conducted a reasonable country of origin inquiry by surveying "
        f"{_n(f.surveyed, 'supplier')} with {template}.",
        f"{_n(f.responded, 'supplier')} responded, a response rate of {percent(f.response_rate)}.",
    ]
    if len(asked) > 1:  # several templates asked for: each family's returns (cmrt.figures "families")
        each = [f"{name} {c['responded']} of {c['surveyed']}" for name, c in f.families.items() if name in asked]
        parts.append(f"Returned per template: {'; '.join(each)}.")
    if f.responded:
        parts.append(f"Of the declarations received, {scope_text}{unknown}.")
    counts = totals(report.smelters)
    identified = "The responding suppliers identified " + _n(counts["smelters"], "smelter or refiner",
                                                             "smelters and refiners")
    if not counts["smelters"]:
        parts.append("The responding suppliers identified no smelter or refiner.")
    elif not report.smelters.has_status_lists:
        parts.append(f"{identified}; their RMAP status is {NO_LISTS_TEXT}.")
    else:
        conformant, either = rmap_shares(report)
        parts.append(
            f"{identified}; {counts['conformant']} of them ({percent(conformant)}) were RMAP conformant and "
            f"{counts['conformant'] + counts['active']} ({percent(either)}) RMAP conformant or active, according to "
            f"{report.lists_label}."
        )
    return " ".join(parts)


def smelter_lines(result: Consolidation, *, lists_label: str | None = None) -> list[str]:
    """The consolidated smelters per metal; the first line names the lists the statuses come from (plain text)."""
    label = lists_label or ("RMAP lists imported" if result.has_status_lists else "no RMAP list imported")
    rejected = len(result.rejected)
    lines = [
        f"Smelters ({label}): {len(result.rows)} identified from {_n(result.rows_read, 'Smelter List row')} of "
        f"{_n(result.suppliers, 'declaration')}; {rejected} entr{'y' if rejected == 1 else 'ies'} rejected.",
    ]
    for metal, summary in result.by_metal.items():
        if not summary.smelters:
            lines.append(f"  {metal:<9} no smelters reported")
            continue
        if not result.has_status_lists:
            lines.append(f"  {metal:<9} {_n(summary.smelters, 'smelter')}, RMAP status {NO_LISTS_TEXT}")
            continue
        counts = ", ".join(f"{summary.statuses[s]} {STATUS_TEXT[s]}" for s in STATUSES if summary.statuses[s])
        reaudit = f"; {summary.reaudit_in_progress} re-audit in progress" if summary.reaudit_in_progress else ""
        lines.append(
            f"  {metal:<9} {_n(summary.smelters, 'smelter')}, {percent(summary.conformant_share)} conformant, "
            f"{percent(summary.conformant_or_active_share)} conformant or active ({counts}{reaudit})"
        )
    if result.countries:
        lines.append("Countries of the smelters: " + "; ".join(f"{c} {n}" for c, n in result.countries.items()) + ".")
    if result.mine_countries:
        origins = "; ".join(f"{c} {n}" for c, n in result.mine_countries.items())
        lines.append(f"Mine countries of origin declared (suppliers): {origins}.")
    reasons: dict[str, int] = {}
    for entry in result.rejected:
        reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
    if reasons:
        lines.append("Rejected: " + ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in sorted(reasons.items())) + ".")
    elapsed = sum(s.audit_cycle_elapsed for s in result.by_metal.values())
    if elapsed:
        lines.append(
            f"For the team: {_n(elapsed, 'conformant smelter')} past {'its' if elapsed == 1 else 'their'} audit cycle "
            "with no re-audit in progress on the list (a possible lapse to check on the next list; RMI still lists "
            f"{'it' if elapsed == 1 else 'them'} as conformant)."
        )
    return lines


def report_smelter_lines(report: Report) -> list[str]:
    return smelter_lines(report.smelters, lists_label=report.lists_label)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return out


def _figure_rows(report: Report) -> list[tuple[str, str]]:
    f = report.figures
    d = f.declarations
    rows = [
        ("Suppliers in the campaign", str(f.suppliers)),
        ("Surveyed", str(f.surveyed)),
        ("Responded", str(f.responded)),
        ("Response rate", percent(f.response_rate)),
        ("Company-level declarations", str(d["company"])),
        ("Product-level declarations", str(d["product"])),
        ("User-defined declarations", str(d["user_defined"])),
        ("Declarations without a scope", str(d["unknown"])),
    ]
    rows += [(f"Grade: {g.replace('_', ' ')}", str(n)) for g, n in f.grades.items()]
    rows += [
        ("Questions without a workbook", str(f.questions)),
        ("Awaiting a response", str(f.awaiting)),
        (f"Overdue (due {f.due_date.isoformat()})", str(f.overdue)),
        ("Bounced", str(f.bounced)),
        ("Not yet sent", str(f.not_sent)),
        ("Exempt", str(f.exempt)),
    ]
    return rows


def render(report: Report, fmt: str = "txt") -> str:
    """The whole report: the paragraph, a stale-list warning when due, the survey figures, the smelters."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")
    year = report.campaign.get("year", report.figures.year)
    warning = report.stale_warning
    generated = f"{report.generated_at:%Y-%m-%d %H:%M} UTC"
    if fmt == "txt":
        lines = [f"Conflict Minerals Report figures, reporting year {year}", "", cmr_paragraph(report), ""]
        if warning:
            lines += [f"WARNING: {warning}", ""]
        lines += ["Survey figures", *report.figures.lines(), "", *report_smelter_lines(report), ""]
        lines.append(f"Figures as defined in docs/figures.md; as of {report.today.isoformat()}, generated {generated}.")
        return "\n".join(lines) + "\n"
    lines = [f"# Conflict Minerals Report figures: reporting year {year}", "", cmr_paragraph(report), ""]
    if warning:
        lines += [f"> **Warning:** {warning}", ""]
    lines += ["## Survey figures", "", *_md_table(("Figure", "Value"), _figure_rows(report)), ""]
    lines += [f"## Smelters and refiners ({report.lists_label})", ""]
    result = report.smelters
    header = ("Metal", "Smelters", *(STATUS_TEXT[s].split(" (")[0] for s in STATUSES if s != "unknown"),
              "Conformant", "Conformant or active", "Re-audit in progress")  # fmt: skip
    table = []
    for metal, s in result.by_metal.items():
        table.append((metal, s.smelters, *(s.statuses[k] for k in STATUSES if k != "unknown"),
                      percent(s.conformant_share), percent(s.conformant_or_active_share), s.reaudit_in_progress))
    lines += [*_md_table(header, table), ""]
    if not result.has_status_lists:
        lines += [f"RMAP status: {NO_LISTS_TEXT}.", ""]
    lines += [f"- {line.strip()}" for line in report_smelter_lines(report)[1:] if not line.startswith("  ")]
    lines += ["", "## Definitions", ""]
    lines += [f"- **{key}**: {text}" for key, text in DEFINITIONS.items()]
    lines += ["", f"_As of {report.today.isoformat()}, generated {generated} by cmrt-bot._", ""]
    return "\n".join(lines)
