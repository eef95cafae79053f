"""The languages of supplier e-mails: gettext catalogues (``mail/locale/<tag>.po``), dates, lists and the bilingual
layout's words.

Why gettext ``.po`` files (read with Babel) and not one Jinja2 template per language: every e-mail kind keeps one
template (``mail/templates``), so a change of layout or a new paragraph is made once, not ten times; translators work
on ``.po`` files with the usual tools (Poedit, Weblate) that show the English source, its context and what is
missing; and ``tests/unit/mail/test_catalogues.py`` can list every message id that has no translation. Babel also
gives each language's month names and list words ("Zinn, Tantal und Wolfram").

English is the source language (the message ids), so there is no ``en.po``. ``normalise`` (``cmrt.languages``) maps
what people type to the tags used here.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import pathlib
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from cmrt.languages import ENGLISH, LANGUAGES, babel_locale, normalise
from cmrt.review.texts import CONTEXT as REVIEW_CONTEXT

LOCALE_DIR = pathlib.Path(__file__).resolve().parent / "locale"
DOMAIN = "cmrt-bot"
CJK = frozenset({"zh-Hans", "zh-Hant", "ja", "ko"})

# The minerals as the templates name them (English names are the message ids; context "mineral")
MINERALS = ("Tin", "Tantalum", "Tungsten", "Gold", "Cobalt", "Copper", "Graphite", "Lithium", "Mica", "Nickel",
            "Aluminum", "Antimony", "Chromium", "Germanium", "Gallium", "Rare earth elements", "Silver", "Zinc")


def po_path(tag: str) -> pathlib.Path:
    return LOCALE_DIR / f"{tag}.po"


@functools.lru_cache(maxsize=len(LANGUAGES))
def translations(tag: str) -> NullTranslations:
    """The catalogue of a supported language (English: none, the message ids are English)."""
    tag = normalise(tag)
    if tag == ENGLISH:
        return NullTranslations()
    with po_path(tag).open("rb") as handle:
        catalog = read_po(handle, locale=babel_locale(tag), domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def gettext(tag: str, message: str, context: str | None = None) -> str:
    t = translations(tag)
    return str(t.pgettext(context, message) if context else t.gettext(message))


def format_date(value: dt.date | str | None, tag: str) -> str:
    """Unambiguous in every language: ISO and the month in words, ``2026-03-31 (31. März 2026)``."""
    if value is None or value == "":
        return ""
    date = dt.date.fromisoformat(value) if isinstance(value, str) else value
    words = babel_format_date(date, format="long", locale=babel_locale(tag))
    return f"{date.isoformat()} ({words})"


def join_list(items: Iterable[str], tag: str) -> str:
    """``Tin, Tantalum and Tungsten`` in the language's own words."""
    values = [str(i) for i in items]
    if not values:
        return ""
    return format_list(values, locale=babel_locale(tag))


def mineral(name: str, tag: str) -> str:
    """A mineral's name in the language (unknown names stay as written)."""
    known = {m.casefold(): m for m in MINERALS}
    key = known.get(name.strip().casefold())
    return gettext(tag, key, "mineral") if key else name


def review_text(tag: str, phrase: Mapping[str, Any], minerals: Sequence[str] = ()) -> str:
    """A finding's detail (its stored ``phrase``: a key and parameters, ``cmrt.review.texts``) in the language: the
    key and every ``term`` translated (context ``review``), each mineral named in the language, and a mineral of
    ``minerals`` (the point's, when findings for several were collapsed into one) replaced by all of them."""

    def render(value: Any) -> str:
        if isinstance(value, Mapping):
            if "metal" in value:
                name = str(value["metal"])
                names = list(minerals) if name in minerals else [name]
                return join_list([mineral(n, tag) for n in names], tag)
            params = {name: render(v) for name, v in (value.get("params") or {}).items()}
            text = gettext(tag, str(value.get("key", "")), REVIEW_CONTEXT)
            return text % params if params else text
        return str(value)

    return render(phrase)


@functools.cache
def review_keys() -> frozenset[str]:
    """Every detail key and term the review checks can write: the literal first argument of each ``txt``/``term``
    call in ``cmrt/review`` (Babel's Python extractor, as ``xgettext`` would find them)."""
    from babel.messages.extract import extract_python

    import cmrt.review

    found: set[str] = set()
    for path in sorted(pathlib.Path(cmrt.review.__file__).resolve().parent.glob("*.py")):
        with path.open("rb") as handle:
            for _line, function, message, _comments in extract_python(handle, {"txt": None, "term": None}, [], {}):
                first = message[0] if isinstance(message, tuple) else message
                if function in ("txt", "term") and isinstance(first, str):
                    found.add(first)
    return frozenset(found)


def language_name(tag: str) -> str:
    return Locale.parse(babel_locale(tag)).get_display_name() or tag


def paragraph(text: str, tag: str, width: int = 76) -> str:
    """A plain-text paragraph wrapped at ``width`` (CJK text is left as it is: it has no spaces to break at)."""
    if tag in CJK:
        return text
    return "\n".join(textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) if line else ""
                     for line in text.split("\n"))


_GREETING = re.compile(
    r"^\s*(dear|hello|hi|good (morning|afternoon|day)|sehr geehrte|liebe|guten tag|hallo|bonjour|madame|monsieur|"
    r"estimad[oa]s?|hola|prezad[oa]s?|caro|cara|gentile|egregio|buongiorno|尊敬的|您好|你好|拝啓|お世話になっております|"
    r"안녕하세요)\b.*?[,:：，!]?\s*$", re.IGNORECASE)  # fmt: skip


def starts_with_greeting(text: str) -> bool:
    """The team's own text opens with a greeting line (``Dear Ms Li,``): the e-mail then adds none of its own."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_GREETING.match(first)) and len(first) <= 80
