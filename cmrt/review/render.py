"""Supplier-facing text: the clarification e-mail body, one line per finding naming its cell."""

from __future__ import annotations

from cmrt.declaration import Declaration
from cmrt.review.model import Finding, ReviewResult, Severity

PER_CHECK = 5  # findings listed one by one per check; the rest are summarised in one line

# The clarification's sections, in order: the findings of each severity under their heading.
SECTIONS = (
    (Severity.REJECT, "Please send a new file"),
    (Severity.CLARIFY, "Please correct or clarify"),
    (Severity.HIGH_RISK, "Please explain (our compliance team will review these answers)"),
)
# What follows the numbered points (the review e-mail adds the catalogue version).
POINTS_OUTRO = (
    "",
    "Please reply to this e-mail with the corrected workbook attached, or answer the points in your reply.",
)


def points_intro(reviewed: str, number: int) -> list[str]:
    """The opening of a clarification: what was reviewed (``reviewed``) and how many points need attention."""
    return [
        f"We reviewed {reviewed} and found {number} "
        f"point{'s' if number != 1 else ''} that need{'s' if number == 1 else ''} your attention.",
        "Each line names the sheet and cell of the workbook.",
        "",
    ]


def _template_name(declaration: Declaration) -> str:
    family = declaration.template.family.value if declaration.template.family else "reporting template"
    version = f" {declaration.template.version}" if declaration.template.version else ""
    return f"{family}{version}"


def render_clarification(result: ReviewResult, declaration: Declaration) -> str:
    """Plain-text body listing each actionable finding with its sheet and cell (info findings are left out).

    Returns an empty string when there is nothing to ask the supplier.
    """
    lines: list[str] = []
    company = (declaration.company.name or "").strip()
    number = 0
    for severity, heading in SECTIONS:
        items: list[Finding] = result.by_severity(severity)
        if not items:
            continue
        if lines:
            lines.append("")
        lines.append(f"{heading}:")
        shown: dict[str, int] = {}
        rest: dict[str, list[Finding]] = {}
        for item in items:
            if shown.get(item.check, 0) >= PER_CHECK:
                rest.setdefault(item.check, []).append(item)
                continue
            shown[item.check] = shown.get(item.check, 0) + 1
            number += 1
            lines.append(f"{number}. {item.text}")
        for more in rest.values():
            number += 1
            places = ", ".join(f.cell or (f"row {f.row}" if f.row else f.location) for f in more[:10])
            etc = ", ..." if len(more) > 10 else ""
            lines.append(f"{number}. The same problem ({more[0].title.lower()}) in {len(more)} more place"
                         f"{'s' if len(more) != 1 else ''} of the {more[0].sheet or 'workbook'}: {places}{etc}")
    if not lines:
        return ""
    subject = f" from {company}" if company else ""
    intro = points_intro(f"the {_template_name(declaration)}{subject}", number)
    outro = [*POINTS_OUTRO, f"(Review catalogue {result.catalogue_version}.)"]
    return "\n".join(intro + lines + outro) + "\n"
