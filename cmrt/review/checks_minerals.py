"""Per-mineral checks on the declaration questions (looked up by topic, never by printed number)."""

from __future__ import annotations

from cmrt.declaration import Declaration, Family, QuestionTopic
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import (
    GATE_TOPICS,
    answer_cell,
    blank,
    check,
    finding,
    gate_closed,
    gate_keys,
    in_scope,
    is_no,
    is_yes,
    label,
    labels,
    minerals_open,
    norm,
    question_keys,
    question_number,
    quote,
    rows_with_data,
)
from cmrt.review.texts import Text, metal, txt
from cmrt.smelters.text import metal_key

# ---------------------------------------------------------------- values


def response_full(value: object) -> bool | None:
    """Supplier response = 100 %? None when unanswered."""
    text = norm(value)
    if not text:
        return None
    return text in ("100%", "1", "1.0", "yes, 100%", "yes 100%", "yes", "1(=100%)")


_LOW = ("50% or less", "none", "less than 25%", "greater than 25%", "< 25%", "> 25%", "did not survey", "no - none")


def response_low(value: object) -> bool:
    text = norm(value)
    return bool(text) and any(part in text for part in _LOW) and "greater than 50%" not in text


_ALLOWED_STARTS = ("yes", "no")
_ALLOWED_EXTRA = frozenset(
    {"unknown", "uncertain or unknown", "not declaring", "not applicable for this declaration", "drc only",
     "india and/or madagascar only", "drc or adjoining countries only"}
)
_YES_NO_TOPICS = frozenset(GATE_TOPICS) | {
    QuestionTopic.COVERED_COUNTRIES,
    QuestionTopic.CAHRA,
    QuestionTopic.RECYCLED_SCRAP,
    QuestionTopic.SMELTERS_IDENTIFIED,
    QuestionTopic.SMELTER_INFO_REPORTED,
    QuestionTopic.SMELTERS_VALIDATED,
}


def _required_keys(d: Declaration, mineral: str) -> list[str]:
    """Checker rule: Q1 always; Q2 unless Q1 = No; the rest unless a gate question = No."""
    keys = question_keys(d)
    gates = gate_keys(d)
    if not gates:
        return keys
    required = [gates[0]]
    first = norm(d.answers.get(gates[0], {}).get(mineral))
    if first in ("no", "not declaring", "not applicable for this declaration"):
        return required
    required += [k for k in gates[1:]]
    if gate_closed(d, mineral):
        return required
    return required + [k for k in keys if k not in gates]


@check(
    "mineral.answer_missing",
    title="Declaration question unanswered",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="The Checker requires Q1 for every mineral, Q2 unless Q1 = No, and the other questions unless "
    "Q1 or Q2 = No.",
    message="{question} is not answered for {mineral}",
    sources="template Checker rows 13-52; ddm 'Invalid Data'; cirscn",
    checker="question",
    supersedes=("mineral.answer_invalid",),
)
def answer_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    required = {mineral: set(_required_keys(d, mineral)) for mineral in d.minerals}
    held = _held_back(d, required)
    for key in question_keys(d):
        asked = d.answers.get(key)
        for mineral in d.minerals:
            if asked is not None and mineral not in asked:
                continue  # not asked for this mineral (EMRT 1.x question 4 is about cobalt only)
            value = d.answers.get(key, {}).get(mineral)
            later = held.get((key, mineral), [])
            text: Text
            if key in required[mineral] and blank(value):
                text = txt("%(question)s is not answered for %(mineral)s", question=label(d, key),
                           mineral=metal(mineral))
            elif later:  # answered, but neither Yes nor No
                text = txt("%(question)s for %(mineral)s says %(value)s, not Yes or No", question=label(d, key),
                           mineral=metal(mineral), value=quote(value))
            else:
                continue
            if later:
                text = txt("%(text)s (until it says Yes or No, the template's Checker also counts %(mineral)s's "
                           "%(questions)s as missing)", text=text, mineral=metal(mineral), questions=labels(d, later))
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding("mineral.answer_missing", text, sheet, cell, mineral=mineral,
                               detail={"checker_rows": (1 if blank(value) else 0) + len(later)} if later else None))
    return out


def _held_back(d: Declaration, required: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    """CMRT 6.x's Checker reads a mineral's answer to question 2 only when question 1 says Yes, and the later
    answers only when questions 1 and 2 say Yes: an answer behind a gate question that is blank (or says
    anything but Yes or No) still counts as missing there. Returns (that gate, mineral) -> the answered
    questions it holds back."""
    version = d.template.version_tuple
    if d.template.family is not Family.CMRT or not version or version[0] < 6:
        return {}
    gates = gate_keys(d)
    keys = question_keys(d)
    numbers = {k: question_number(k) for k in keys}
    out: dict[tuple[str, str], list[str]] = {}
    for mineral in d.minerals:
        holding = next((g for g in gates if not is_yes(d.answers.get(g, {}).get(mineral))), None)
        if holding is None or is_no(d.answers.get(holding, {}).get(mineral)):
            continue  # every gate says Yes, or a gate says No (then the later questions are not asked)
        later = [k for k in keys if numbers[k] > numbers[holding] and k in required[mineral]
                 and not blank(d.answers.get(k, {}).get(mineral))]  # fmt: skip
        if later:
            out[(holding, mineral)] = later
    return out


@check(
    "mineral.answer_invalid",
    title="Answer not one of the template's values",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="A typed or pasted value the dropdown does not offer cannot be interpreted reliably.",
    message="{question} for {mineral} says {value}, which is not one of the template's answers",
    sources="ddm 'Invalid Data'; review notes §3 D13",
)
def answer_invalid(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for key in question_keys(d):
        if d.question_topics.get(key) not in _YES_NO_TOPICS:
            continue
        for mineral in d.minerals:
            value = d.answers.get(key, {}).get(mineral)
            text = norm(value)
            if blank(value) or text.startswith(_ALLOWED_STARTS) or text in _ALLOWED_EXTRA:
                continue
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding("mineral.answer_invalid", txt(
                "%(question)s for %(mineral)s says %(value)s, which is not one of the template's answers",
                question=label(d, key), mineral=metal(mineral), value=quote(value)), sheet, cell, mineral=mineral))
    return out


@check(
    "mineral.gating_ignored",
    title="Answers given for a mineral declared not used",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="When Q1 or Q2 is No the remaining questions do not apply; answering them anyway contradicts "
    "the declaration (older 6.x lists allowed it).",
    message="{question} is answered for {mineral} although {gate} says No",
    sources="template gating (6.31+); cirscn; review notes §3 D14",
)
def gating_ignored(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    gates = gate_keys(d)
    for mineral in d.minerals:
        closing = next((k for k in gates if is_no(d.answers.get(k, {}).get(mineral))), None)
        if closing is None:
            continue
        after = [k for k in question_keys(d) if k not in gates or gates.index(k) > gates.index(closing)]
        answered = [k for k in after if not blank(d.answers.get(k, {}).get(mineral))]
        if answered:
            sheet, cell = answer_cell(d, answered[0], mineral)
            out.append(finding("mineral.gating_ignored", txt(
                "%(questions)s answered for %(mineral)s although %(gate)s says No; please confirm whether "
                "%(mineral)s is used", questions=labels(d, answered), mineral=metal(mineral),
                gate=label(d, closing)), sheet, cell, mineral=mineral))
    return out




def _per_topic(d: Declaration, topic: QuestionTopic) -> list[tuple[str, str, object]]:
    key = d.question(topic)
    if key is None:
        return []
    return [(key, m, d.answers.get(key, {}).get(m)) for m in d.minerals if in_scope(d, m)]


@check(
    "mineral.covered_countries",
    title="Sourcing from the covered countries (DRC or adjoining)",
    severity=Severity.HIGH_RISK,
    area="mineral",
    rationale="Yes means smelters in the supply chain source from the DRC or an adjoining country: the OECD "
    "guidance requires enhanced due diligence.",
    message="{question}: {mineral} is sourced from the DRC or an adjoining country",
    sources="ddm 'High Risk'; OECD step 2; review notes §3 D15",
)
def covered_countries(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    return _sourced_from(d, QuestionTopic.COVERED_COUNTRIES, "mineral.covered_countries", txt(
        "%(question)s says %(mineral)s is sourced from the DRC or an adjoining country; please send the smelters "
        "concerned and your due-diligence evidence"))


@check(
    "mineral.cahra",
    title="Sourcing from conflict-affected and high-risk areas",
    severity=Severity.HIGH_RISK,
    area="mineral",
    rationale="Yes means sourcing from a CAHRA: escalate to a human reviewer (OECD step 3).",
    message="{question}: {mineral} is sourced from conflict-affected and high-risk areas",
    sources="CMRT 6.0 Q4; ddm logic; review notes §3 D15, H39",
)
def cahra(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    return _sourced_from(d, QuestionTopic.CAHRA, "mineral.cahra", txt(
        "%(question)s says %(mineral)s is sourced from conflict-affected and high-risk areas; please describe the "
        "areas and your risk-mitigation measures"))


def _sourced_from(d: Declaration, topic: QuestionTopic, check_id: str, says: Text) -> list[Finding]:
    """A finding per in-scope mineral whose ``topic`` answer is Yes (or "... only", e.g. "DRC only"); ``says``: the
    detail's key (its parameters ``question`` and ``mineral`` filled here)."""
    out: list[Finding] = []
    for key, mineral, value in _per_topic(d, topic):
        if is_yes(value) or norm(value).endswith("only"):
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding(check_id, txt(says.key, question=label(d, key), mineral=metal(mineral)),
                               sheet, cell, mineral=mineral))  # fmt: skip
    return out


@check(
    "mineral.no_origin_unsupported",
    title="'No covered-country origin' without complete information",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="Claiming no DRC-region origin needs all suppliers' answers and all smelters identified.",
    message="{question} says No for {mineral}, but not all suppliers answered or not all smelters are identified",
    sources="ddm B2.13; review notes §3 D16",
)
def no_origin_unsupported(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    resp_key = d.question(QuestionTopic.SUPPLIER_RESPONSE)
    ident_key = d.question(QuestionTopic.SMELTERS_IDENTIFIED)
    for key, mineral, value in _per_topic(d, QuestionTopic.COVERED_COUNTRIES):
        if not is_no(value):
            continue
        full = response_full(d.answers.get(resp_key, {}).get(mineral)) if resp_key else None
        ident = d.answers.get(ident_key, {}).get(mineral) if ident_key else None
        if full is False or (ident_key and is_no(ident)):
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding("mineral.no_origin_unsupported", txt(
                "%(question)s says No for %(mineral)s, but not all suppliers responded or not all smelters are "
                "identified; please explain how you know", question=label(d, key), mineral=metal(mineral)),
                sheet, cell, mineral=mineral))
    return out


@check(
    "mineral.response_low",
    title="Supplier response rate 50 % or less",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="With half the suppliers silent the smelter list is far from complete.",
    message="{question}: only {value} of relevant suppliers responded for {mineral}",
    sources="ddm B1.4/B2.11; IntegrityNext IN1; review notes §3 D17",
)
def response_low_check(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for key, mineral, value in _per_topic(d, QuestionTopic.SUPPLIER_RESPONSE):
        if response_low(value):
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding("mineral.response_low", txt(
                "%(question)s says %(value)s of relevant suppliers responded for %(mineral)s; please tell us how "
                "you follow up the others", question=label(d, key), value=quote(value), mineral=metal(mineral)),
                sheet, cell, mineral=mineral))
    return out


@check(
    "mineral.identified_without_full_response",
    title="All smelters identified while supplier response is below 100 %",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="Not every supplier answered, so the smelter list cannot be known to be complete.",
    message="{question} says all {mineral} smelters are identified, but the response rate is {value}",
    sources="ddm B1.5/B2.14; review notes §3 D18",
)
def identified_without_full_response(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    resp_key = d.question(QuestionTopic.SUPPLIER_RESPONSE)
    if resp_key is None:
        return out
    for key, mineral, value in _per_topic(d, QuestionTopic.SMELTERS_IDENTIFIED):
        response = d.answers.get(resp_key, {}).get(mineral)
        if is_yes(value) and response_full(response) is False:
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding("mineral.identified_without_full_response", txt(
                "%(question)s says all %(mineral)s smelters are identified, but %(other)s gives a response rate of "
                "%(value)s; please correct one of the two", question=label(d, key), mineral=metal(mineral),
                other=label(d, resp_key), value=quote(response)), sheet, cell, mineral=mineral))
    return out


@check(
    "mineral.smelter_info_not_reported",
    title="Not all smelter information reported",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="The supplier holds smelter information it did not put in the Smelter List.",
    message="{question} says not all {mineral} smelter information is reported",
    sources="ddm B2.12; review notes §3 D19",
)
def smelter_info_not_reported(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for key, mineral, value in _per_topic(d, QuestionTopic.SMELTER_INFO_REPORTED):
        if is_no(value):
            sheet, cell = answer_cell(d, key, mineral)
            out.append(finding("mineral.smelter_info_not_reported", txt(
                "%(question)s says not all %(mineral)s smelter information you received is reported; please add "
                "the missing smelters to the Smelter List", question=label(d, key), mineral=metal(mineral)),
                sheet, cell, mineral=mineral))
    return out


@check(
    "mineral.no_smelter_rows",
    title="Mineral in scope without smelter rows",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="Every mineral not declared unused (Q1/Q2 = No) needs at least one Smelter List row with metal and "
    "look-up filled, as the Checker requires.",
    message="{mineral} is declared in scope but the Smelter List has no {mineral} row",
    sources="template Checker rows 65-68; ddm B1.7/B2.17; cirscn",
    checker="smelter",
)
def no_smelter_rows(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    present = {metal_key(r.metal) for r in rows_with_data(d) if not blank(r.lookup)}
    out: list[Finding] = []
    gates = gate_keys(d)
    undecided_counts = d.template.family in (Family.CMRT, Family.EMRT)  # their Checker lists every open metal
    for mineral in minerals_open(d):
        if metal_key(mineral) in present or not (in_scope(d, mineral) or undecided_counts):
            continue
        sheet, cell = answer_cell(d, gates[0], mineral) if gates else ("Smelter List", None)
        if in_scope(d, mineral):
            text = txt("%(mineral)s is declared in scope but the Smelter List has no %(mineral)s smelter; please add "
                       "them (or 'Smelter not yet identified')", mineral=metal(mineral))
        else:  # undecided: the Checker still asks for smelters until Q1/Q2 say No
            text = txt("%(question)s does not say whether %(mineral)s is used, and the Smelter List has no "
                       "%(mineral)s smelter", question=label(d, gates[0]) if gates else txt("the declaration"),
                       mineral=metal(mineral))
        out.append(finding("mineral.no_smelter_rows", text, sheet, cell, mineral=mineral))
    return out


@check(
    "mineral.rows_not_declared",
    title="Smelter rows for a mineral not declared in scope",
    severity=Severity.CLARIFY,
    area="mineral",
    rationale="Smelters listed for a mineral the declaration says is not used contradict the answers.",
    message="the Smelter List has {mineral} smelters but {mineral} is not declared in scope",
    sources="ddm B2.17; cirscn; review notes §3 D20",
)
def rows_not_declared(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    by_key = {metal_key(m): m for m in d.minerals}
    first_rows: dict[str, int] = {}
    for row in rows_with_data(d):
        key = metal_key(row.metal)
        if key and key not in first_rows:
            first_rows[key] = row.row
    out: list[Finding] = []
    for key, row_number in first_rows.items():
        mineral = by_key.get(key)
        if mineral is None or not in_scope(d, mineral):
            name = mineral or key.capitalize()
            column = d.smelter_columns.get("metal")
            out.append(finding("mineral.rows_not_declared", txt(
                "the Smelter List has %(mineral)s smelters but %(mineral)s is not declared in scope on the "
                "Declaration tab; please correct the Declaration or remove the rows", mineral=metal(name)),
                               "Smelter List",
                               f"{column}{row_number}" if column else None, row=row_number, mineral=name))
    return out
