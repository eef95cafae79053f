"""A finding's detail as a message key and parameters, so the supplier can read it in their own language.

A check writes its precise detail ("question 2 is not answered for Tin") as ``txt(KEY, **params)``: ``KEY`` is
the English sentence with ``%(name)s`` placeholders, and it is the gettext message id (context ``review``) of the mail
catalogues (``mail/locale/<language>.po``). The parameters are

* verbatim values: cell references, numbers, the supplier's own values (``quote``d), dates, template names;
* ``term(KEY)``: a fragment of our own wording (a field name, "question 3"), translated like a key;
* ``metal(name)``: a mineral's name, which the mail side puts in the language (and which several findings that
  differ only in it share: "question 2 is not answered for Tin, Tantalum and Tungsten").

``Text.english()`` is the finding's ``message``, exactly as before; ``Text.to_json()`` is stored with the finding
(``phrase``) and ``mail.i18n.review_text`` renders it in another language. The keys are literal strings in the
``txt``/``term`` calls of ``cmrt/review``; ``mail.i18n.review_keys()`` extracts them with Babel's Python
extractor, the way ``xgettext`` would, and ``tests/unit/mail/test_catalogues.py`` fails when one lacks a
translation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

CONTEXT = "review"  # the message context of every detail key in the catalogues


@dataclass(frozen=True)
class Metal:
    """A mineral's name as a parameter (translated by the mail side)."""

    name: str


Param = Union[str, int, float, dt.date, None, "Text", Metal]  # None and dates as the f-strings printed them


@dataclass(frozen=True)
class Text:
    key: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def english(self) -> str:
        return self.key % {name: english(value) for name, value in self.params.items()} if self.params else self.key

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "params": {name: _param_json(value) for name, value in self.params.items()}}


def txt(key: str, **params: Param) -> Text:
    return Text(key, params)


def term(key: str) -> Text:
    """A fragment of our own wording, translated like a detail key ("contact e-mail", "question %(number)s")."""
    return Text(key)


def metal(name: str) -> Metal:
    return Metal(name)


def and_joined(items: Sequence[Param]) -> Param:
    """Several parameters as one: "smelter name and country" (the first alone when there is one)."""
    out = items[0]
    for item in items[1:]:
        out = txt("%(first)s and %(next)s", first=out, next=item)
    return out


def english(value: Param) -> str:
    if isinstance(value, Text):
        return value.english()
    if isinstance(value, Metal):
        return value.name
    return str(value)


def _param_json(value: Param) -> Any:
    if isinstance(value, Text):
        return value.to_json()
    if isinstance(value, Metal):
        return {"metal": value.name}
    return str(value) if isinstance(value, dt.date) else value
