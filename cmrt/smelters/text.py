"""Text normalisation shared by the smelter reference, the RMAP lists and the review checks."""

from __future__ import annotations

import functools
import re
import unicodedata

_EMPTY = {"", "0", "0.0", "#n/a", "n/a#", "none", "nan"}
_CID = re.compile(r"^CID\d{6}$")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def clean(value: object) -> str | None:
    """Strip whitespace (real files carry trailing tabs); ``0``/``#N/A``/blank become None."""
    if value is None:
        return None
    text = str(value).replace("\u00a0", " ").strip()
    if text.lower() in _EMPTY:
        return None
    return text


@functools.lru_cache(maxsize=16384)
def fold(value: object) -> str:
    """Case- and space-insensitive key: ``"Smelter Not Listed "`` -> ``"smelter not listed"``."""
    text = clean(value)
    if text is None:
        return ""
    return _SPACE.sub(" ", text).casefold()


@functools.lru_cache(maxsize=16384)
def name_key(value: object) -> str:
    """Key for fuzzy name comparison: accents, punctuation and legal-form noise removed."""
    text = unicodedata.normalize("NFKD", fold(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


_LEGAL_FORMS = frozenset(
    {"co", "ltd", "inc", "corp", "corporation", "company", "limited", "llc", "gmbh", "ag", "sa", "spa", "jsc",
     "pjsc", "ojsc", "pt", "plc", "bv", "nv", "kg", "kk", "pvt", "private", "sdn", "bhd", "oy", "ab", "srl", "sarl"}
)


@functools.lru_cache(maxsize=16384)
def match_key(value: object) -> str:
    """``name_key`` without legal-form words ("Ltd.", "Co.", "GmbH" ...): what fuzzy matching compares."""
    words = [w for w in name_key(value).split(" ") if w not in _LEGAL_FORMS]
    return " ".join(words) or name_key(value)


@functools.lru_cache(maxsize=16384)
def country_key(value: object) -> str:
    """Countries compared case- and punctuation-insensitively ("China" == "CHINA")."""
    key = name_key(value)
    return _ALIASES.get(key, key)


_ALIASES = {
    "russia": "russian federation",
    "south korea": "korea republic of",
    "korea": "korea republic of",
    "republic of korea": "korea republic of",
    "usa": "united states of america",
    "us": "united states of america",
    "united states": "united states of america",
    "vietnam": "viet nam",
    "taiwan": "taiwan province of china",
    "drc": "congo democratic republic of the",
    "uk": "united kingdom of great britain and northern ireland",
    "united kingdom": "united kingdom of great britain and northern ireland",
}


def is_cid(value: object) -> bool:
    text = clean(value)
    return bool(text) and bool(_CID.match(str(text).upper()))


def normalise_cid(value: object) -> str | None:
    """``" cid002082"`` -> ``"CID002082"``; None when empty."""
    text = clean(value)
    if text is None:
        return None
    return text.replace(" ", "").upper()


@functools.lru_cache(maxsize=16384)
def metal_key(value: object) -> str:
    """``"Gold (Au)"`` -> ``"gold"``; only the first word counts, as in every template."""
    text = fold(value)
    return text.split(" ")[0] if text else ""
