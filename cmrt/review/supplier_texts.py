"""What a supplier reads about each check, and under which heading (the acknowledgment and clarification e-mails).

Each check that may reach a supplier has one short sentence here (English; the translations live in the mail
catalogues, ``mail/locale/<language>.po``, with the check id as message context). A finding's own detail reaches the
supplier in both languages when the check wrote it as a key and parameters (``cmrt.review.texts``, the finding's
``phrase``); a finding stored without one is shown in the supplier's language as this sentence, the minerals it
concerns and its cells. ``tests/unit/review/test_supplier_texts.py`` fails when a
check of the catalogue has no sentence here.

Headings (``section``): *correct* holds defects (invalid values, required fields missing, inconsistencies); *explain*
holds honest answers that carry a risk (covered countries, CAHRA, no policy, ...) and smelters that are not listed
or not conformant: the supplier confirms or explains, nothing is wrong with the file. Information-level findings
and findings for the team are never shown (``None``).
"""

from __future__ import annotations

from typing import Literal

from cmrt.review.model import TEAM, Severity

Section = Literal["correct", "explain"]

SUPPLIER_TEXTS: dict[str, str] = {
    "template.not_reporting_template": "The file is not an RMI reporting template.",
    "template.wrong_family": "The file is a different template from the one we asked for.",
    "template.version_too_old": "The template version is older than the one we require.",
    "template.not_english": "The template language is not English.",
    "company.required_missing": "A required company field is empty.",
    "company.email_invalid": "The e-mail address is not valid.",
    "company.placeholder": "A company field holds a placeholder instead of the real value.",
    "company.effective_date_invalid": "The effective date is not a date.",
    "company.effective_date_future": "The effective date is in the future.",
    "company.effective_date_before_period": "The effective date is before the reporting year.",
    "scope.description_missing": "The scope is 'User defined' but has no description.",
    "scope.product_list_empty": "The scope is 'Product' but the Product List has no product numbers.",
    "scope.differs_from_request": "The scope differs from the one we asked for.",
    "mineral.answer_missing": "A question is not answered.",
    "mineral.answer_invalid": "An answer is not one of the template's choices.",
    "mineral.gating_ignored": "Questions are answered for a mineral declared as not used.",
    "mineral.covered_countries": "Your answer says the mineral comes from the DRC or an adjoining country. Please "
    "confirm and send the smelters concerned and your due-diligence evidence.",
    "mineral.cahra": "Your answer says the mineral comes from conflict-affected and high-risk areas. Please confirm "
    "and describe the areas and your risk-mitigation measures.",
    "mineral.no_origin_unsupported": "Your answer says the mineral does not come from the covered countries, but "
    "not all suppliers answered or not all smelters are identified. Please explain.",
    "mineral.response_low": "Half or fewer of your relevant suppliers responded. Please tell us how you follow up "
    "the others.",
    "mineral.identified_without_full_response": "All smelters are declared identified although not all suppliers "
    "responded. Please explain.",
    "mineral.smelter_info_not_reported": "Not all smelter information is reported. Please explain.",
    "mineral.no_smelter_rows": "The mineral is declared in scope but the Smelter List has no row for it.",
    "mineral.rows_not_declared": "The Smelter List has smelters for a mineral that is not declared in scope.",
    "company_questions.answer_missing": "A company-level question is not answered.",
    "company_questions.no_policy": "Your answer says you have no responsible minerals sourcing policy. Please "
    "confirm or explain.",
    "company_questions.no_due_diligence": "Your answer says you have not implemented due-diligence measures. Please "
    "confirm or explain.",
    "company_questions.no_review": "Your answer says you do not review your suppliers' due-diligence information. "
    "Please confirm or explain.",
    "company_questions.no_corrective_action": "Your answer says your review has no corrective-action management. "
    "Please confirm or explain.",
    "company_questions.no_validated_smelters": "Your answer says you do not require audited smelters.",
    "company_questions.no_survey": "Your answer says you do not survey your suppliers. Please confirm or explain.",
    "company_questions.policy_url_missing": "The policy is public but no web address is given.",
    "company_questions.policy_url_invalid": "The policy comment is not a web address.",
    "company_questions.policy_not_public": "The policy is not public.",
    "company_questions.other_format_undescribed": "Another survey format is used but not described.",
    "smelter.metal_missing": "A smelter row has no metal.",
    "smelter.lookup_missing": "A smelter row has no Smelter Look-up value.",
    "smelter.not_yet_identified": "A smelter is marked 'not yet identified'. Please identify it or explain.",
    "smelter.not_listed_incomplete": "A smelter marked 'Smelter not listed' has no name or country.",
    "smelter.placeholder_left": "A smelter row still holds a template placeholder.",
    "smelter.not_listed": "A smelter is not on RMI's smelter list. Please confirm it is a smelter or refiner, or "
    "choose it from the list.",
    "smelter.id_missing": "A smelter has no smelter identification number.",
    "smelter.id_invalid": "A smelter id is not in the form CID plus six digits.",
    "smelter.id_input_mismatch": "The id typed in column A differs from the smelter id.",
    "smelter.id_not_in_reference": "A smelter id is not in RMI's smelter reference.",
    "smelter.lookup_inconsistent": "The look-up value or metal does not match the smelter id.",
    "smelter.name_inconsistent": "The smelter name does not match the smelter id.",
    "smelter.country_inconsistent": "The country does not match the smelter id.",
    "smelter.duplicate": "A smelter is listed more than once.",
    "smelter.few_key_fields": "A smelter row has too few of the key fields (metal, look-up, name, country, id).",
    "mine.incomplete": "A Mine List row lacks the smelter, the mine name or the country.",
    "smelter.not_conformant": "A smelter is neither RMAP Conformant nor Active. Please confirm you source from it "
    "and tell us your risk-mitigation measures.",
    "smelter.active_not_conformant": "A smelter is RMAP Active, not yet Conformant.",
    "smelter.whole_list": "The whole RMI list seems to be pasted for a metal.",
    "text.cell_too_long": "A cell is longer than the template's 255 characters.",
    "text.conflict_free_claim": "A comment claims the material is 'conflict-free', which the declaration does not "
    "support. Please explain or remove the claim.",
    "history.smelters_changed": "Smelters were added or dropped since your last declaration.",
    "history.origin_flipped": "An answer about covered countries or high-risk areas turned to No since your last "
    "declaration. Please explain what changed.",
    "history.answer_changed": "Answers changed since your last declaration.",
    "history.scope_changed": "The scope changed since your last declaration.",
    "history.policy_url_gone": "The policy address of your last declaration is no longer given.",
}

# Honest answers with a risk, and smelters to confirm: "Please confirm or explain", never "Please correct".
EXPLAIN: frozenset[str] = frozenset({
    "mineral.covered_countries", "mineral.cahra", "mineral.no_origin_unsupported", "mineral.response_low",
    "mineral.identified_without_full_response", "mineral.smelter_info_not_reported",
    "company_questions.no_policy", "company_questions.no_due_diligence", "company_questions.no_review",
    "company_questions.no_corrective_action", "company_questions.no_validated_smelters",
    "company_questions.no_survey", "company_questions.policy_not_public", "scope.differs_from_request",
    "smelter.not_yet_identified", "smelter.not_listed", "smelter.not_conformant", "smelter.active_not_conformant",
    "text.conflict_free_claim", "history.origin_flipped",
})  # fmt: skip


def section(check: str, severity: str, audience: str | None = None) -> Section | None:
    """Where a finding goes in a supplier e-mail: ``correct``, ``explain`` or None (info or team: not shown)."""
    if audience == TEAM or severity == Severity.INFO.value:
        return None
    if check in EXPLAIN or severity == Severity.HIGH_RISK.value:
        return "explain"
    return "correct"


def supplier_text(check: str) -> str | None:
    return SUPPLIER_TEXTS.get(check)
