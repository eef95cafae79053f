"""The mail catalogues are complete: every message id of the templates, the template families, the minerals and the
checks' supplier sentences has a translation in every language, with the same placeholders; nothing is stale."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from babel.messages.pofile import read_po

from cmrt.languages import ENGLISH, LANGUAGES, babel_locale
from cmrt.review.catalogue import CATALOGUE, CHECKS_BY_ID
from cmrt.review.model import SUPPLIER
from cmrt.review.registry import finding
from cmrt.review.supplier_texts import SUPPLIER_TEXTS, section
from cmrt.review.texts import metal, txt
from handlers.findings import supplier_points
from mail.compose import catalogue_messages, point_text
from mail.i18n import po_path, review_keys, review_text

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("language", [tag for tag in LANGUAGES if tag != ENGLISH])
def test_every_message_is_translated(language: str) -> None:
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=babel_locale(language))
    wanted = catalogue_messages()
    missing, fuzzy, placeholders = [], [], []
    for context, msgid in wanted:
        message = catalog.get(msgid, context=context)
        if message is None or not message.string:
            missing.append(f"{context or ''}|{msgid}")
            continue
        if message.fuzzy:
            fuzzy.append(msgid)
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(str(message.string))):
            placeholders.append(msgid)
    stale = [m.id for m in catalog if m.id and (m.context, m.id) not in set(wanted)]
    assert missing == [], f"{po_path(language).name}: untranslated (run scripts/update_mail_catalogues.py)"
    assert fuzzy == [] and placeholders == [] and stale == []


def test_every_check_a_supplier_may_see_has_a_sentence() -> None:
    supplier_checks = {c.id for c in CATALOGUE if c.audience == SUPPLIER}
    assert sorted(supplier_checks - set(SUPPLIER_TEXTS)) == []
    assert sorted(set(SUPPLIER_TEXTS) - {c.id for c in CATALOGUE}) == []


def test_sections() -> None:
    assert section("mineral.answer_missing", "clarify") == "correct"
    assert section("company.email_invalid", "clarify") == "correct"
    assert section("template.wrong_family", "reject") == "correct"
    assert section("mineral.covered_countries", "high_risk") == "explain"  # Q3 "Yes" is honest, not an error
    assert section("mineral.cahra", "clarify") == "explain"  # an override changes the severity, not the meaning
    assert section("smelter.not_listed", "clarify") == "explain"
    assert section("smelter.duplicate", "info") is None
    assert section("smelter.conformance_expired", "info", "team") is None


# Info-level year-over-year notes for the team (a campaign may raise them): their detail stays English, and a
# supplier reads the check's translated sentence instead.
ENGLISH_ONLY = frozenset({"history.smelters_changed", "history.answer_changed", "history.scope_changed",
                          "history.policy_url_gone"})  # fmt: skip


def _keys(phrase: Mapping[str, Any]) -> list[str]:
    found = [str(phrase["key"])]
    for value in (phrase.get("params") or {}).values():
        if isinstance(value, Mapping) and "key" in value:
            found += _keys(value)
    return found


@pytest.mark.parametrize("check_id", sorted(c.id for c in CATALOGUE if c.audience == SUPPLIER))
def test_every_supplier_finding_carries_its_detail_as_a_key(check_id: str) -> None:
    """What a supplier reads in their language is built from a key and parameters (cmrt.review.texts), every key
    is one the catalogues translate, and the English message is exactly the key filled in."""
    from tests.unit.review.test_checks import CASES

    fires, _, ctx = CASES[check_id]
    findings = CHECKS_BY_ID[check_id].func(fires(), ctx())
    assert findings
    for item in findings:
        if check_id in ENGLISH_ONLY:
            assert item.phrase is None
            continue
        assert item.phrase is not None, f"{check_id}: the finding has no phrase (use txt(KEY, **params))"
        assert item.phrase.english() == item.message
        assert set(_keys(item.phrase.to_json())) <= review_keys(), f"{check_id}: a key is not a literal txt()"


def test_a_detail_reads_in_the_suppliers_language_with_the_minerals_collapsed() -> None:
    points = supplier_points([
        finding("mineral.answer_missing", txt("%(question)s is not answered for %(mineral)s",
                                              question=txt("question %(number)s", number=2), mineral=metal(m)),
                "Declaration", cell, mineral=m).to_json()
        for m, cell in (("Tin", "E24"), ("Tungsten", "G24"))
    ])  # fmt: skip
    (point,) = points
    assert point_text(point, "en") == "Question 2 is not answered for Tin and Tungsten"
    assert point_text(point, "de") == "Frage 2 ist für Zinn und Wolfram nicht beantwortet"
    assert point_text(point, "ja") == "スズ、タングステンについての質問2が未回答です"
    assert review_text("fr", {"key": "the smelter row has no metal; please select one", "params": {}}) == (
        "La ligne de fonderie n'a pas de métal ; merci d'en sélectionner un")
    # a review stored before the details had keys: the check's translated sentence, as before
    old = {k: v for k, v in point.items() if k != "phrase"}
    assert point_text(old, "de").startswith("Zinn und Wolfram: ")
