"""What a review could not check, said out loud (``info`` findings for the team; they never change the grade or
the quality score): smelters without a reference to check them against, and a workbook whose own Checker
counts more missing fields than the review found."""

from __future__ import annotations

from collections import Counter

from cmrt.declaration import Declaration
from cmrt.review.model import TEAM, Finding, ReviewContext, Severity
from cmrt.review.registry import SMELTER_LIST, check, checker_rows, finding, rows_with_data

NO_REFERENCE = "smelters were not checked against a reference"
_KIND_NAMES = {"company": "company fields", "question": "declaration questions", "company_question":
               "company-level questions", "product": "Product List", "smelter": "Smelter List"}  # fmt: skip


@check(
    "limits.no_smelter_reference",
    title="Smelters not checked against a reference",
    severity=Severity.INFO,
    area="limits",
    rationale="Without a smelter reference (no Smelter Look-up sheet in the workbook, no RMI reference "
    "imported) the smelter ids, names and countries cannot be checked and unlisted smelters get no proposed "
    "match; the review says so instead of passing them in silence.",
    message="smelters were not checked against a reference: ... the {count} Smelter List rows were checked for "
    "completeness only",
    sources="issue 15 (explicit limits)",
    audience=TEAM,
)
def no_smelter_reference(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    rows = rows_with_data(d)
    if ctx.reference is not None or not rows:
        return []
    return [finding("limits.no_smelter_reference",
                    f"{NO_REFERENCE}: the workbook has no Smelter Look-up sheet the reader could use and no RMI "
                    f"reference list is imported, so the {len(rows)} Smelter List row{'s' if len(rows) > 1 else ''} "
                    "were checked for completeness only", SMELTER_LIST)]  # fmt: skip


@check(
    "limits.checker_count",
    title="The workbook's own Checker counts more missing fields",
    severity=Severity.INFO,
    area="limits",
    rationale="The template's Checker (Checker!D2 and its rows) is RMI's own completeness test; when it counts "
    "more missing fields of a kind than the review's Checker-parity findings account for, a field was misread "
    "or a rule is missing, and a person should look.",
    message="the workbook's Checker counts {count} required fields missing; this review accounts for {found}",
    sources="template Checker; docs/checks.md 'Checker parity'",
    audience=TEAM,
    after=True,
)
def checker_count(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if d.checker_remaining is None:
        return []
    found = checker_rows(ctx.prior)
    short = {kind: n - found[kind] for kind, n in Counter(d.checker_open).items() if n > found[kind]}
    if not short and sum(found.values()) >= d.checker_remaining:
        return []
    what = "; ".join(f"{_KIND_NAMES.get(kind, kind)}: {n} more" for kind, n in short.items())
    return [finding("limits.checker_count",
                    f"the workbook's own Checker counts {d.checker_remaining} required field"
                    f"{'s' if d.checker_remaining != 1 else ''} missing, this review accounts for "
                    f"{sum(found.values())}{f' ({what})' if what else ''}; please look at the workbook",
                    "Checker", "D2", detail={"checker": d.checker_remaining, "review": sum(found.values())})]
