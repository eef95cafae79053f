"""The published, versioned catalogue: every check in a fixed order.

Bump ``CATALOGUE_VERSION`` whenever a check is added, removed, or changes id, severity or meaning; every
review result records the version it was produced with. ``docs/checks.md`` is generated from this list.
"""

from __future__ import annotations

from cmrt.review import (
    checks_company,
    checks_history,
    checks_limits,
    checks_minerals,
    checks_questions,
    checks_rmap,
    checks_smelters,
    checks_template,
    checks_text,
)
from cmrt.review.model import Check
from cmrt.review.registry import REGISTRY

CATALOGUE_VERSION = "2026.3"

#: What changed in each catalogue version, newest first (rendered into docs/checks.md).
CHANGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("2026.3", (
        "New: `smelter.placeholder_left` ('Enter smelter details' or '!' left in a smelter row), "
        "`text.cell_too_long` (names, ids, addresses, contacts over 255 characters), `text.conflict_free_claim` "
        "('conflict-free' claims the declaration does not support).",
        "New, year over year against the supplier's last accepted declaration: `history.smelters_changed`, "
        "`history.origin_flipped` (clarify), `history.answer_changed`, `history.scope_changed`, "
        "`history.policy_url_gone`.",
        "New, the review's own limits (info, for the team, no effect on grade or score): "
        "`limits.no_smelter_reference` (smelters not checked against a reference), `limits.checker_count` (the "
        "workbook's own Checker counts more missing fields than the review accounts for).",
        "One finding per problem per row: a check may replace others on the same row or cell (see each check's "
        "'Replaces'). 'Smelter not yet identified', 'Smelter not listed' without name or country, a missing "
        "metal or look-up value are no longer also `smelter.few_key_fields`; an unknown id is no longer also "
        "`smelter.not_conformant`; a removed smelter is one `smelter.not_conformant` finding with RMI's date and "
        "reason (`smelter.id_not_in_reference` leaves it when RMAP status lists are loaded); a typed id that "
        "differs from the row's replaces the name, country and look-up findings that follow from it.",
        "`company_questions.policy_url_invalid`: a hyperlinked comment ('Our policy' behind https://...) is a "
        "web address.",
        "Checker parity: each Checker check names its kind of field and the rule is tested over every corpus "
        "workbook and factory variant. `scope.product_list_empty` now also requires product numbers (a name "
        "alone fails Product List B6, as RMI's Checker counts it); `company_questions.policy_url_missing` counts "
        "a one-character comment as missing and, for CMRT 3.x, an address without 'www'; "
        "`mineral.answer_missing` no longer reports a question not asked for a mineral (EMRT 1.x question 4 "
        "for mica) and, in CMRT 6.x, says which answered questions a blank or non-Yes/No question 1 or 2 holds "
        "back in the Checker; `company_questions.answer_missing` asks for EMRT 1.x question C per mineral.",
        "`scope.description_missing` and `scope.differs_from_request` name CMRT 2.x's division and product "
        "category levels.",
    )),
    ("2026.2", (
        "RMAP status as RMI publishes it: a facility on the Conformant list is conformant on the list's date; "
        "`smelter.conformance_expired` and `smelter.reaudit_pending` become information for the team only (info, "
        "never in a supplier e-mail; an override can only disable them); the lists are named with their date.",
    )),
    ("2026.1", ("The first published catalogue.",)),
)  # fmt: skip

# the catalogue order: by area (this tuple), then by definition order inside each module
_MODULES = (checks_template, checks_company, checks_minerals, checks_questions, checks_smelters, checks_rmap,
            checks_text, checks_history, checks_limits)
CATALOGUE: tuple[Check, ...] = tuple(
    spec for module in _MODULES for spec in REGISTRY.values() if spec.func.__module__ == module.__name__
)
CHECKS_BY_ID: dict[str, Check] = {c.id: c for c in CATALOGUE}
assert len(CATALOGUE) == len(REGISTRY), "a check module is missing from _MODULES"
