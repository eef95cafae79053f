"""Checks on the company-level questions (A-H in CMRT 6.x), looked up by topic."""

from __future__ import annotations

import re

from cmrt.declaration import CompanyTopic, Declaration, Family
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import (
    DECLARATION,
    blank,
    check,
    finding,
    is_no,
    is_yes,
    minerals_in_scope,
    minerals_open,
    norm,
    quote,
)
from cmrt.review.texts import metal, term, txt


def _cell(d: Declaration, letter: str, part: str = "answer") -> tuple[str, str | None]:
    sheet, cell = d.cell(f"company_questions.{letter}.{part}")
    return sheet or DECLARATION, cell


def _answer(d: Declaration, topic: CompanyTopic) -> tuple[str | None, str | None, str | None]:
    """(letter, answer, comment) of the company question asking ``topic``."""
    letter = d.company_question(topic)
    if letter is None or letter not in d.company_questions:
        return letter, None, None
    item = d.company_questions[letter]
    return letter, item.answer, item.comment


@check(
    "company_questions.answer_missing",
    title="Company-level question unanswered",
    severity=Severity.CLARIFY,
    area="company_questions",
    rationale="The Checker requires every company question unless every mineral is declared not used "
    "(Q1 or Q2 = No).",
    message="company question {letter} is not answered",
    sources="template Checker rows 54-63; ddm B2.15",
    checker="company_question",
)
def answer_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if not minerals_open(d):
        return []
    out: list[Finding] = []
    per_mineral_rows = d.template.family is Family.EMRT  # its Checker asks for each mineral's sub-answer
    for letter in sorted(set(d.company_question_topics) | set(d.company_questions)):
        item = d.company_questions.get(letter)
        if item is not None and item.per_mineral and per_mineral_rows:
            # EMRT (question C): the Checker asks for each mineral's sub-answer of this question separately
            for mineral, value in item.per_mineral.items():
                if blank(value):
                    sheet, cell = d.cell(f"company_questions.{letter}.{mineral}")
                    out.append(finding("company_questions.answer_missing",
                                       txt("company question %(letter)s is not answered for %(mineral)s",
                                           letter=letter, mineral=metal(mineral)),
                                       sheet or DECLARATION, cell, mineral=mineral))
            continue
        if item is None or blank(item.answer):
            if item is not None and item.per_mineral and all(not blank(v) for v in item.per_mineral.values()):
                continue
            sheet, cell = _cell(d, letter)
            out.append(finding("company_questions.answer_missing",
                               txt("company question %(letter)s is not answered", letter=letter), sheet, cell))
    return out




_NO_TEXT = {
    CompanyTopic.POLICY: term("you have no responsible minerals sourcing policy"),
    CompanyTopic.DUE_DILIGENCE: term("you have not implemented due-diligence measures"),
    CompanyTopic.REVIEW: term("you do not review your suppliers' due-diligence information"),
    CompanyTopic.CORRECTIVE_ACTION: term("your review process has no corrective-action management"),
    CompanyTopic.REQUIRE_VALIDATED_SMELTERS: term("you do not require validated (audited) smelters"),
    CompanyTopic.SURVEY: term("you do not survey your suppliers"),
}


def _said_no(check_id: str, d: Declaration, topic: CompanyTopic) -> list[Finding]:
    if not minerals_in_scope(d):
        return []
    letter, answer, _ = _answer(d, topic)
    if letter and is_no(answer):
        sheet, cell = _cell(d, letter)
        return [finding(check_id, txt("company question %(letter)s says %(what)s; please tell us your plan and "
                                      "timeline", letter=letter, what=_NO_TEXT[topic]), sheet, cell)]
    return []


def _register_no(check_id: str, topic: CompanyTopic, title: str, severity: Severity, sources: str) -> None:
    def run(d: Declaration, ctx: ReviewContext) -> list[Finding]:
        return _said_no(check_id, d, topic)

    run.__name__ = check_id.replace(".", "_")
    check(
        check_id,
        title=title,
        severity=severity,
        area="company_questions",
        rationale=f"A No here means {_NO_TEXT[topic].english()}: an OECD due-diligence gap to follow up.",
        message=f"company question {{letter}} says {_NO_TEXT[topic].english()}",
        sources=sources,
    )(run)


_register_no("company_questions.no_policy", CompanyTopic.POLICY, "No sourcing policy", Severity.CLARIFY,
             "ddm B1.6/B2.15; OECD step 1; review notes §3 E21")
_register_no("company_questions.no_due_diligence", CompanyTopic.DUE_DILIGENCE, "No due-diligence measures",
             Severity.CLARIFY, "ddm B1.6/B2.15; OECD step 2; review notes §3 E21")
_register_no("company_questions.no_review", CompanyTopic.REVIEW, "No review of supplier information",
             Severity.CLARIFY, "ddm B2.15 (H); review notes §3 E21")
_register_no("company_questions.no_corrective_action", CompanyTopic.CORRECTIVE_ACTION,
             "No corrective-action management", Severity.CLARIFY, "ddm B1.6/B2.15 (I); OECD step 3")
_register_no("company_questions.no_validated_smelters", CompanyTopic.REQUIRE_VALIDATED_SMELTERS,
             "Validated smelters not required", Severity.INFO, "ddm B2.15 (D)")
_register_no("company_questions.no_survey", CompanyTopic.SURVEY, "Suppliers not surveyed", Severity.CLARIFY,
             "ddm B1.6 (F); review notes §3 E23")

_URL = re.compile(r"(https?://|www\.)\S+|\b[\w-]+(\.[\w-]+)+\.[a-z]{2,}(/\S*)?|\b[\w-]+\.[a-z]{2,}/\S*",
                  re.IGNORECASE)


@check(
    "company_questions.policy_url_missing",
    title="Public policy without a URL",
    severity=Severity.CLARIFY,
    area="company_questions",
    rationale="The template asks for the policy URL in the comment when the policy is public (its Checker: a "
    "comment of at least two characters in G77; CMRT 3.x's Checker wants 'www' in it). A hyperlinked comment "
    "counts as the address.",
    message="company question {letter} says the policy is public but gives no URL",
    sources="template Checker row 56 (3.01: row 52); ddm B1.6/B2.15; cirscn",
    checker="company_question",
    supersedes=("company_questions.policy_url_invalid",),
)
def policy_url_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    letter, answer, comment = _answer(d, CompanyTopic.POLICY_PUBLIC)
    if not letter or not is_yes(answer):
        return []
    sheet, cell = _cell(d, letter, "comment")
    text = "" if blank(comment) else str(comment).strip()
    if len(text) <= 1:
        return [finding("company_questions.policy_url_missing", txt(
            "company question %(letter)s says your sourcing policy is public but the comment gives no URL; please "
            "add the web address", letter=letter), sheet, cell)]
    version = d.template.version_tuple
    link = d.company_questions[letter].link
    if d.template.family is Family.CMRT and version and version[0] == 3 and "www" not in text.casefold() \
            and not link:  # fmt: skip
        return [finding("company_questions.policy_url_missing", txt(
            "company question %(letter)s: the comment %(value)s is not an address in the form www.companyname.com, "
            "which the template's Checker asks for; please give the URL of your policy", letter=letter,
            value=quote(text)), sheet, cell)]
    return []


@check(
    "company_questions.policy_url_invalid",
    title="Public policy comment is not a URL",
    severity=Severity.CLARIFY,
    area="company_questions",
    rationale="The Checker accepts any text; a policy title is not a link we can check. A hyperlinked comment "
    "('Our policy' behind https://...) is a web address.",
    message="company question {letter}: the comment {value} is not a web address",
    sources="template instruction 'format www.companyname.com'; review notes §3 E22",
)
def policy_url_invalid(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    letter, answer, comment = _answer(d, CompanyTopic.POLICY_PUBLIC)
    if letter and d.company_questions[letter].link:
        return []  # the comment is a hyperlink ("Our policy" -> https://...): the address is behind the text
    if letter and is_yes(answer) and not blank(comment) and not _URL.search(str(comment)):
        sheet, cell = _cell(d, letter, "comment")
        return [finding("company_questions.policy_url_invalid", txt(
            "company question %(letter)s: the comment %(value)s is not a web address; please give the URL of your "
            "policy (e.g. www.example.com/policy)", letter=letter, value=quote(comment)), sheet, cell)]
    return []


@check(
    "company_questions.policy_not_public",
    title="Policy not publicly available",
    severity=Severity.INFO,
    area="company_questions",
    rationale="OECD step 5 expects the policy to be communicated publicly.",
    message="company question {letter} says the policy is not public",
    sources="ddm B1.6 (B); OECD step 1",
)
def policy_not_public(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if not minerals_in_scope(d):
        return []
    letter, answer, _ = _answer(d, CompanyTopic.POLICY_PUBLIC)
    if letter and is_no(answer):
        sheet, cell = _cell(d, letter)
        return [finding("company_questions.policy_not_public", txt(
            "company question %(letter)s says your sourcing policy is not publicly available", letter=letter),
            sheet, cell)]
    return []


@check(
    "company_questions.other_format_undescribed",
    title="'Other format' survey without a description",
    severity=Severity.CLARIFY,
    area="company_questions",
    rationale="'Yes, using other format (describe)' asks for the format in the comment.",
    message="company question {letter} says another survey format is used but does not describe it",
    sources="cirscn; ddm B1.6 (F)",
)
def other_format_undescribed(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    letter, answer, comment = _answer(d, CompanyTopic.SURVEY)
    if letter and "other format" in norm(answer) and blank(comment):
        sheet, cell = _cell(d, letter, "comment")
        return [finding("company_questions.other_format_undescribed", txt(
            "company question %(letter)s says you survey suppliers in another format; please describe it in the "
            "comment", letter=letter), sheet, cell)]
    return []
