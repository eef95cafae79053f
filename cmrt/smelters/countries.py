"""Country names as suppliers type them, recognised against ISO 3166 (pycountry) and shown in one spelling.

``country_name("Russia")`` -> ``"RUSSIAN FEDERATION"``; ``country_name("DRC")`` ->
``"CONGO, THE DEMOCRATIC REPUBLIC OF THE"``; ``country_name("Bolivia (Plurinational State of)")`` ->
``"BOLIVIA, PLURINATIONAL STATE OF"``; ``country_name("see RCOI list")`` -> None. Words are compared as a set
(case, accents, punctuation, "the"/"of"/"and" ignored), so "Democratic Republic of the Congo" and
"Congo, The Democratic Republic of the" are the same. Two-letter codes are not accepted (too many are also
words or initials); three-letter ISO codes are.
"""

from __future__ import annotations

import functools

import pycountry

from cmrt.smelters.text import country_key, name_key

_FILLER = frozenset({"the", "of", "and"})
# spellings of the RMI templates where they differ from ISO's short name
_DISPLAY = {"US": "UNITED STATES OF AMERICA", "GB": "UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND"}


def _key(text: str) -> str:
    return " ".join(sorted(w for w in name_key(text).split(" ") if w and w not in _FILLER))


@functools.cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    heads: dict[str, set[str]] = {}
    for country in pycountry.countries:
        display = _DISPLAY.get(country.alpha_2, country.name.upper())
        names = [country.name, getattr(country, "official_name", None), getattr(country, "common_name", None)]
        for name in filter(None, names):
            index.setdefault(_key(name), display)
            if "," in name:
                heads.setdefault(_key(name.split(",")[0]), set()).add(display)
        index.setdefault(_key(country.alpha_3), display)
    for head, displays in heads.items():
        if len(displays) == 1:  # "Tanzania" is unambiguous, "Korea" is not
            index.setdefault(head, next(iter(displays)))
    return index


@functools.lru_cache(maxsize=4096)
def country_name(text: object) -> str | None:
    """The canonical upper-case name of a country as typed, or None when it is not a recognisable country."""
    if text is None:
        return None
    raw = str(text).strip()
    if len(raw) < 3:
        return None
    index = _index()
    for candidate in (raw, country_key(raw)):  # country_key applies aliases: "DRC", "South Korea", "USA" ...
        found = index.get(_key(candidate))
        if found is not None:
            return found
    return None
