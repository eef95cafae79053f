"""Run the catalogue over a declaration: overrides, grade and the quality score.

Grade: any ``reject`` finding -> rejected; else any ``high_risk`` -> high_risk; else any ``clarify`` ->
needs_clarification; else accepted (``info`` findings never change the grade).

Quality score (0-100), a measure of completeness and consistency, not of sourcing risk (the grade carries
risk):

    score = max(0, 100 - sum over checks of WEIGHT[severity] * min(findings of that check, CAP))

with WEIGHT = {reject: 40, clarify: 5, high_risk: 2, info: 1} and CAP = 4, so one repeated problem (the same
issue on 30 smelter rows) costs at most four times its weight. Severities are taken after the campaign's
overrides; disabled checks cost nothing, nor do findings about the review's own limits (``limits.*``).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import replace

from cmrt.declaration import Declaration
from cmrt.review.catalogue import CATALOGUE, CATALOGUE_VERSION, CHECKS_BY_ID
from cmrt.review.model import DISABLED, TEAM, Finding, Grade, ReviewConfigError, ReviewContext, ReviewResult, Severity
from cmrt.review.registry import checker_rows, reset_facts

log = logging.getLogger("cmbot.review")

WEIGHT = {Severity.REJECT: 40, Severity.CLARIFY: 5, Severity.HIGH_RISK: 2, Severity.INFO: 1}
CAP = 4


def parse_overrides(overrides: Mapping[str, str]) -> dict[str, Severity | None]:
    """Validate a campaign's overrides: check id -> severity, or None when disabled."""
    parsed: dict[str, Severity | None] = {}
    errors: list[str] = []
    for check_id, value in overrides.items():
        if check_id not in CHECKS_BY_ID:
            errors.append(f"unknown check id {check_id!r}")
            continue
        text = str(value).strip().lower()
        if text in (DISABLED, "off", "false", "none"):
            parsed[check_id] = None
        elif CHECKS_BY_ID[check_id].audience == TEAM and text != Severity.INFO.value:
            errors.append(f"{check_id} is information for the team, never sent to a supplier: it can only be "
                          "info or disabled")
        elif text in {s.value for s in Severity}:
            parsed[check_id] = Severity(text)
        else:
            errors.append(f"{check_id}: {value!r} is not one of reject, high_risk, clarify, info, disabled")
    if errors:
        raise ReviewConfigError("review overrides: " + "; ".join(errors))
    return parsed


def merge_overrides(*layers: Mapping[str, str] | None) -> dict[str, str]:
    """The effective overrides of several layers, later layers winning per check id (None layers are skipped).

    The bot layers them as: the configuration's ``[review.overrides]``, then the configuration's
    ``[review.campaigns."YEAR"]`` table, then the campaign's own overrides (``cmrt-bot campaign set-check``).
    A layer cannot remove an earlier layer's entry; it sets the check's severity explicitly instead. Pure: no
    validation here (``parse_overrides`` does that), values are only trimmed and lower-cased.
    """
    merged: dict[str, str] = {}
    for layer in layers:
        for check_id, value in (layer or {}).items():
            merged[str(check_id).strip()] = str(value).strip().lower()
    return merged


def _place(f: Finding) -> tuple[str | None, int | str | None]:
    return (f.sheet, f.row) if f.row is not None else (f.sheet, f.cell)


def drop_superseded(findings: list[Finding]) -> list[Finding]:
    """One finding per problem per place: a finding is dropped when another check that ``supersedes`` it reports
    the same smelter row (or, outside the lists, the same cell)."""
    checks_at: dict[tuple[str | None, int | str | None], set[str]] = defaultdict(set)
    for f in findings:
        checks_at[_place(f)].add(f.check)
    kept: list[Finding] = []
    for f in findings:
        others = checks_at[_place(f)] - {f.check}
        if any(f.check in CHECKS_BY_ID[other].supersedes for other in others if other in CHECKS_BY_ID):
            continue
        kept.append(f)
    return kept


def grade_of(findings: tuple[Finding, ...] | list[Finding]) -> Grade:
    severities = {f.severity for f in findings}
    if Severity.REJECT in severities:
        return Grade.REJECTED
    if Severity.HIGH_RISK in severities:
        return Grade.HIGH_RISK
    if Severity.CLARIFY in severities:
        return Grade.NEEDS_CLARIFICATION
    return Grade.ACCEPTED


def score_of(findings: tuple[Finding, ...] | list[Finding]) -> int:
    """The quality score; findings about the review's own limits (area ``limits``) cost nothing."""
    counts: Counter[tuple[str, Severity]] = Counter(
        (f.check, f.severity) for f in findings if not f.check.startswith("limits.")
    )
    penalty = sum(WEIGHT[severity] * min(n, CAP) for (_, severity), n in counts.items())
    return max(0, 100 - penalty)


def review(declaration: Declaration, context: ReviewContext) -> ReviewResult:
    """Run every enabled check, in catalogue order; deterministic for the same inputs."""
    overrides = parse_overrides(context.overrides)
    reset_facts()
    findings: list[Finding] = []
    failed: list[str] = []
    stop = False
    ran = 0
    for spec in (*[c for c in CATALOGUE if not c.after], *[c for c in CATALOGUE if c.after]):
        if spec.id in overrides and overrides[spec.id] is None:
            continue
        if stop and spec.area != "template":
            break
        ran += 1
        severity = overrides.get(spec.id, spec.severity) or spec.severity
        if spec.audience == TEAM:  # information for the team stays info, whatever a layer of overrides says
            severity = Severity.INFO
        try:
            produced = spec.func(declaration, replace(context, prior=tuple(findings)) if spec.after else context)
        except Exception:  # a bug in one check must not lose the whole review: set it aside, carry on
            log.exception("review check %s failed; skipped (catalogue %s)", spec.id, CATALOGUE_VERSION)
            failed.append(spec.id)
            continue
        for item in produced:
            findings.append(item if item.severity is severity else replace(item, severity=severity))
        if spec.id == "template.not_reporting_template" and findings:
            stop = True  # nothing else is meaningful on a file that is not a template
    frozen = tuple(drop_superseded(findings))
    return ReviewResult(
        grade=grade_of(frozen),
        score=score_of(frozen),
        catalogue_version=CATALOGUE_VERSION,
        findings=frozen,
        reference_source=context.reference.source if context.reference is not None else None,
        reference_date=context.reference.date if context.reference is not None else None,
        rmap_date=context.rmap.list_date if context.rmap is not None else None,
        checks_run=ran,
        failed_checks=tuple(failed),
    )


def checker_counts(result: ReviewResult) -> Counter[str]:
    """The Checker rows the result's findings account for, per kind of field (``registry.checker_rows``)."""
    return checker_rows(result.findings)


def checker_remaining(result: ReviewResult) -> int:
    """How many rows of the template's own Checker sheet our findings say are still incomplete."""
    return sum(checker_counts(result).values())
