"""Bring ``mail/locale/<language>.po`` up to date with the e-mails' message ids (``mail.compose.catalogue_messages``).

New message ids are added untranslated (``tests/unit/mail/test_catalogues.py`` then fails, naming them, until a
translator fills them in); message ids no longer used are dropped; translations are kept. Run after changing a
template's ``_()`` text or a check's supplier sentence::

    python scripts/update_mail_catalogues.py
"""

from __future__ import annotations

import datetime as dt
import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from cmrt.languages import ENGLISH, LANGUAGES, babel_locale
from mail.compose import catalogue_messages
from mail.i18n import DOMAIN, po_path

STAMP = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)  # fixed: a re-run changes nothing but the messages


def update(tag: str, seed: dict[tuple[str | None, str], str] | None = None) -> int:
    """Rewrite one catalogue; returns how many message ids have no translation."""
    path = po_path(tag)
    old: dict[tuple[str | None, str], str] = {}
    if path.exists():
        with path.open("rb") as handle:
            for message in read_po(handle, locale=babel_locale(tag), domain=DOMAIN):
                if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                    old[(message.context, message.id)] = message.string
    old.update(seed or {})
    catalog = Catalog(locale=babel_locale(tag), domain=DOMAIN, project="cmrt-bot", charset="utf-8", fuzzy=False,
                      creation_date=STAMP, revision_date=STAMP, language_team=f"{tag} (cmrt-bot)")  # fmt: skip
    missing = 0
    for context, msgid in catalogue_messages():
        text = old.get((context, msgid), "")
        missing += not text
        flags = ["python-format"] if "%(" in msgid else []
        catalog.add(msgid, text, context=context, flags=flags)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False)
    return missing


def main() -> int:
    for tag in LANGUAGES:
        if tag == ENGLISH:
            continue
        missing = update(tag)
        print(f"{po_path(tag).name}: {missing} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
