"""Checker parity, as a property over every workbook of the corpus and every factory variant (one loop).

For a workbook whose own Checker count is known (``Checker!D2``, a whole number >= 0), the review accounts for at
least as many required-field findings as that count, and for at least as many of each kind of field as the
Checker's incomplete rows (company fields, per-mineral questions, company questions, Product List, Smelter List).
The factory computes its Checker sheet from the declaration the way the CMRT 6.x template's formulas do
(``cmrt.workbook.factory_checker``), independently of the review. docs/checks.md states the rule.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from cmrt.review import checker_counts, review
from cmrt.review.adhoc import context_for
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory import VERSIONS, CmrtSpec, ProductSpec, SmelterSpec, build_cmrt, default_answers
from tests.conftest import CORPUS, IN_CI

pytestmark = pytest.mark.corpus

TODAY = dt.date(2026, 8, 22)
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")


def _answers(**changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    answers = default_answers()
    for key, per_metal in changes.items():
        answers[key] = {**answers[key], **per_metal}
    return answers


def _closed(*metals: str) -> dict[str, dict[str, Any]]:
    """Q1 = No for ``metals``, the rest of their questions left blank (as the gated 6.31+ lists force)."""
    answers = default_answers()
    for key in answers:
        for metal in metals:
            answers[key][metal] = "No" if key == "Q1" else None
    return answers


def _smelters_without(*metals: str) -> list[SmelterSpec]:
    return [s for s in CmrtSpec().smelters if s.metal not in metals]


PRODUCT = "B. Product (or List of Products)"
VARIANTS: dict[str, dict[str, Any]] = {
    "complete": {},
    "company fields missing": {"company_name": None, "contact_phone": None, "authorizer_name": None,
                               "effective_date": None},
    "e-mails without @": {"contact_email": "pat.example.com", "authorizer_email": "sam at example.com"},
    "user-defined scope without description": {"scope": "C. User defined [Specify in 'Description of scope']"},
    "product scope, empty Product List": {"scope": PRODUCT},
    "product scope, a name without a number": {"scope": PRODUCT, "version": "6.4",
                                               "products": [ProductSpec("", "Sputtering target")]},
    "product scope, numbered": {"scope": PRODUCT, "products": [ProductSpec("PN-1", "Target")]},
    "question 1 blank, later answers given": {"answers": _answers(Q1={"Tin": None})},
    "question 2 blank": {"answers": _answers(Q2={"Gold": None})},
    "question 1 neither yes nor no": {"answers": _answers(Q1={"Tin": "Unknown"})},
    "later questions blank": {"answers": _answers(Q3={"Tungsten": None}, Q6={"Tungsten": None},
                                                  Q8={"Tin": None})},
    "tin and gold not used": {"answers": _closed("Tin", "Gold"), "smelters": _smelters_without("Tin", "Gold")},
    "nothing used": {"answers": _closed(*METALS), "smelters": []},
    "company questions blank": {"company_answers": {**CmrtSpec().company_answers, "C": None, "F": None}},
    "public policy without URL": {"company_comments": {}},
    "public policy URL of one character": {"company_comments": {"B": "x"}},
    "public policy as a hyperlink": {"company_comments": {"B": "Our policy"},
                                     "company_links": {"B": "https://www.example.com/policy"}},
    "no gold smelter": {"smelters": _smelters_without("Gold")},
    "not listed without country": {"smelters": [*_smelters_without("Gold"),
                                                SmelterSpec("Gold", "Smelter not listed", name="Gold Co")]},
    "blank declaration": {"company_name": None, "scope": None, "unique_id": None, "unique_id_authority": None,
                          "address": None, "contact_name": None, "contact_email": None, "contact_phone": None,
                          "authorizer_name": None, "authorizer_title": None, "authorizer_email": None,
                          "authorizer_phone": None, "effective_date": None,
                          "answers": {k: dict.fromkeys(METALS) for k in default_answers()},
                          "company_answers": {}, "company_comments": {}, "smelters": []},
}  # fmt: skip
LANGUAGES = ("en", "zh", "fr", "de")


def _workbooks() -> Iterator[tuple[str, bytes]]:
    for index, (name, changes) in enumerate(VARIANTS.items()):
        spec = CmrtSpec(version=VERSIONS[index % len(VERSIONS)], language=LANGUAGES[index % len(LANGUAGES)])
        for key, value in changes.items():
            setattr(spec, key, value)
        yield f"factory: {name} ({spec.version}, {spec.language})", build_cmrt(spec)
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"shared corpus missing in CI: {CORPUS}")
        return
    for folder in ("templates", "returned", "legacy"):
        for path in sorted((CORPUS / folder).iterdir()):
            yield f"{folder}/{path.name}", path.read_bytes()


def test_the_review_accounts_for_every_field_the_workbooks_own_checker_counts() -> None:
    compared = 0
    for name, data in _workbooks():
        declaration = read_workbook(data, limits=ReadLimits(isolated=False))
        if declaration.checker_remaining is None:
            continue  # no usable count (CMRT 2.02 caches -1): nothing to compare
        counts = checker_counts(review(declaration, context_for(today=TODAY, workbook=data)))
        assert sum(counts.values()) >= declaration.checker_remaining, (name, counts, declaration.checker_remaining)
        for kind, number in Counter(declaration.checker_open).items():
            assert counts[kind] >= number, (name, kind, counts, declaration.checker_open)
        compared += 1
    assert compared >= len(VARIANTS)


def test_the_factory_checker_counts_what_the_spec_leaves_missing() -> None:
    """The factory's Checker (the template's formulas) on a few variants, counted by hand from those formulas."""
    cases = {
        "complete": (0, ()),
        "product scope, a name without a number": (1, ("product",)),
        "question 1 blank, later answers given": (8, ("question",) * 8),  # Q1 and Q2-Q8 for tin
        "tin and gold not used": (0, ()),
        "public policy URL of one character": (1, ("company_question",)),
        "not listed without country": (1, ("smelter",)),
    }
    for name, (count, kinds) in cases.items():
        spec = CmrtSpec()
        for key, value in VARIANTS[name].items():
            setattr(spec, key, value)
        declaration = read_workbook(build_cmrt(spec), limits=ReadLimits(isolated=False))
        assert (declaration.checker_remaining, declaration.checker_open) == (count, kinds), name
