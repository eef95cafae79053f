"""The mail catalogues are complete: every message id of the templates, the template families, the minerals and the
checks' supplier sentences has a translation in every language, with the same placeholders; nothing is stale."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from cmrt.languages import ENGLISH, LANGUAGES, babel_locale
from cmrt.review.catalogue import CATALOGUE
from cmrt.review.model import SUPPLIER
from cmrt.review.supplier_texts import SUPPLIER_TEXTS, section
from mail.compose import catalogue_messages
from mail.i18n import po_path

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
