"""The languages the bot writes to suppliers in (BCP 47 tags) and how a typed tag is read.

Every e-mail to a supplier is written in the supplier's language with the English text below it; ``en`` alone
for English suppliers. A supplier without a language gets the configured default (``[outreach] language``).
"""

from __future__ import annotations

import re

ENGLISH = "en"
LANGUAGES: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant", "ja", "ko", "de", "fr", "es", "pt", "it")

# Native names, for people picking a language (Slack, CLI help)
NAMES: dict[str, str] = {
    "en": "English",
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "ja": "日本語",
    "ko": "한국어",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "it": "Italiano",
}

_BY_KEY = {tag.casefold(): tag for tag in LANGUAGES}
# Region-qualified Chinese tags name the script by custom: mainland and Singapore write simplified characters,
# Taiwan, Hong Kong and Macao traditional ones.
_CHINESE_REGIONS = {"cn": "zh-Hans", "sg": "zh-Hans", "my": "zh-Hans", "tw": "zh-Hant", "hk": "zh-Hant",
                    "mo": "zh-Hant"}  # fmt: skip


class UnknownLanguage(ValueError):
    """A language tag the bot has no texts for."""


def normalise(tag: str) -> str:
    """The supported tag for ``tag`` (``de-DE`` -> ``de``, ``zh_CN`` -> ``zh-Hans``, ``ZH-hant-TW`` -> ``zh-Hant``).

    Raises ``UnknownLanguage`` (naming the supported tags) for anything else, including a bare ``zh``: the
    script must be chosen, since a supplier in Taipei does not read simplified characters.
    """
    text = tag.strip().replace("_", "-")
    if not text:
        raise UnknownLanguage("empty language tag")
    key = text.casefold()
    if key in _BY_KEY:
        return _BY_KEY[key]
    parts = [p for p in re.split(r"-", key) if p]
    primary = parts[0]
    if primary == "zh":
        for part in parts[1:]:
            if part in ("hans", "hant"):
                return "zh-Hans" if part == "hans" else "zh-Hant"
        for part in parts[1:]:
            if part in _CHINESE_REGIONS:
                return _CHINESE_REGIONS[part]
        raise UnknownLanguage(f"{tag!r}: say which script, zh-Hans (simplified) or zh-Hant (traditional)")
    if primary in _BY_KEY:
        return _BY_KEY[primary]
    raise UnknownLanguage(f"{tag!r} is not a supported language (use one of {', '.join(LANGUAGES)})")


def babel_locale(tag: str) -> str:
    """The Babel/CLDR locale identifier for a supported tag (``zh-Hans`` -> ``zh_Hans``)."""
    return normalise(tag).replace("-", "_")
