"""Checks on the template itself: family, version, language."""

from __future__ import annotations

import re
from decimal import Decimal

from cmrt.declaration import Declaration, split_families
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import check, finding, norm, quote
from cmrt.review.texts import Param, txt

# ---------------------------------------------------------------- template


@check(
    "template.not_reporting_template",
    title="Not a reporting template",
    severity=Severity.REJECT,
    area="template",
    rationale="Only an RMI reporting template (CMRT, EMRT, CRT, AMRT) can be reviewed and consolidated.",
    message="the file is not an RMI reporting template (CMRT/EMRT/CRT/AMRT)",
    sources="ddm 'Report Rejected'; review notes §3 A1",
)
def not_reporting_template(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if d.template.family is None:
        return [finding("template.not_reporting_template", txt("the file is not an RMI reporting template"),
                        "Declaration")]
    return []


@check(
    "template.wrong_family",
    title="Template family differs from the campaign",
    severity=Severity.REJECT,
    area="template",
    rationale="A campaign asks for one template family; an EMRT cannot answer a 3TG (CMRT) request.",
    message="we asked for the {required} but received the {family}",
    sources="Assent 'wrong CMRT version' (A4); review notes §3 A2",
    needs="campaign",
)
def wrong_family(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if not ctx.required_family or d.template.family is None:
        return []
    families = split_families(ctx.required_family)  # a campaign may ask for several ("CMRT,EMRT")
    if d.template.family.value in families:
        return []
    required: Param = families[0]
    for name in families[1:]:
        required = txt("%(first)s or %(next)s", first=required, next=name)
    return [
        finding(
            "template.wrong_family",
            txt("we asked for the %(required)s but received the %(family)s; please send the %(required)s",
                required=required, family=d.template.family.value),
            "Declaration",
            "D2",
        )
    ]


def version_key(text: str | None) -> tuple[Decimal, ...]:
    """Template versions compare as decimals: 6.01 < 6.1 < 6.22 < 6.31 < 6.4 < 6.5 < 6.6.1; "2.03a" ~ 2.03."""
    numbers = re.findall(r"\d+", (text or "").split(" ")[0])
    if not numbers:
        return ()
    return (Decimal(numbers[0]), *(Decimal("0." + n) for n in numbers[1:]))


@check(
    "template.version_too_old",
    title="Template version older than the campaign requires",
    severity=Severity.REJECT,
    area="template",
    rationale="Old templates ask different questions and carry an outdated smelter list.",
    message="the template version {version} is older than the required {min_version}",
    sources="Assent A4; ddm version fingerprints; review notes §3 A2",
    needs="campaign",
)
def version_too_old(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if not ctx.min_version or d.template.family is None:
        return []
    wanted = version_key(ctx.min_version)
    family = d.template.family.value
    if ctx.required_family and family not in split_families(ctx.required_family):
        return []  # wrong_family already says it
    have = version_key(d.template.version)
    if not have:
        return [
            finding(
                "template.version_too_old",
                txt("the template version could not be read; please use %(family)s %(version)s or later",
                    family=family, version=ctx.min_version),
                "Declaration",
                "J3",
            )
        ]
    if have < wanted:
        return [
            finding(
                "template.version_too_old",
                txt("the template version %(version)s is older than the required %(family)s %(required)s; please copy "
                    "your answers into the current template", version=str(d.template.version), family=family,
                    required=ctx.min_version),
                "Declaration",
                "J3",
            )
        ]
    return []


@check(
    "template.not_english",
    title="Language other than English",
    severity=Severity.INFO,
    area="template",
    rationale="Answers are English constants whatever the language, but free-text comments may need translating.",
    message="the template language is set to {language}",
    sources="ddm (rejects); cm-reporting (soft warning); review notes §3 A4",
)
def not_english(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if d.language and norm(d.language) not in ("english", "en"):
        return [finding("template.not_english", txt("the template language is set to %(language)s",
                                                    language=quote(d.language)), "Declaration", "D3")]
    return []
