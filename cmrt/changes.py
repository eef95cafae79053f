"""What changed between a supplier's previous declaration and its new one (year over year).

``compare(previous, current)`` is pure: two ``Declaration`` values in, a ``DeclarationChanges`` out. Questions are
matched by topic, never by printed number (CMRT 3.x, 6.x and the other families number them differently), and
smelters by metal and CID (by metal and look-up name when a row has no id). Compliance teams read these first:
smelters added or dropped per metal, answers that flipped (above all covered countries and CAHRA answers turning
to No), a different declaration scope, and a policy address that disappeared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cmrt.declaration import CompanyTopic, Declaration, QuestionTopic, SmelterRow
from cmrt.smelters.text import fold, metal_key, normalise_cid

#: Questions whose No says "no sourcing from these areas": a flip to No there needs an explanation.
ORIGIN_TOPICS = (QuestionTopic.COVERED_COUNTRIES, QuestionTopic.CAHRA)
_URL = re.compile(r"(https?://|www\.)\S+|\b[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class SmelterKey:
    metal: str  # as the declaration names it ("Tin")
    ident: str  # the CID, or the folded look-up/name when the row has none
    name: str  # for people: the look-up value, name or standard name

    def __str__(self) -> str:
        return f"{self.name} ({self.ident})" if self.ident.startswith("CID") else self.name


@dataclass(frozen=True)
class AnswerFlip:
    topic: str  # a QuestionTopic or CompanyTopic value
    key: str  # the printed question in the new declaration ("Q3", or "B" for a company question)
    mineral: str | None  # None for a company question
    before: str
    after: str


@dataclass(frozen=True)
class DeclarationChanges:
    added: dict[str, tuple[SmelterKey, ...]] = field(default_factory=dict)  # metal -> smelters new this time
    dropped: dict[str, tuple[SmelterKey, ...]] = field(default_factory=dict)  # metal -> smelters no longer listed
    flips: tuple[AnswerFlip, ...] = ()
    scope_before: str | None = None  # the scope as printed, when it changed
    scope_after: str | None = None
    policy_url_gone: str | None = None  # the address the previous declaration gave, when the new one gives none

    @property
    def scope_changed(self) -> bool:
        return self.scope_before is not None or self.scope_after is not None

    def origin_flips(self) -> tuple[AnswerFlip, ...]:
        """Covered-country or CAHRA answers that became No: Yes -> No, or Unknown -> No with no smelter added for
        that mineral (a new, identified smelter can explain an Unknown becoming No)."""
        return tuple(
            f for f in self.flips
            if f.topic in ORIGIN_TOPICS and f.after == "No" and f.mineral is not None
            and (f.before == "Yes" or (f.before == "Unknown" and not self.added.get(f.mineral)))
        )  # fmt: skip


def smelter_key(row: SmelterRow) -> SmelterKey | None:
    metal = row.metal or ""
    cid = normalise_cid(row.smelter_id) or normalise_cid(row.id_input)
    name = row.lookup or row.name or row.standard_name or ""
    if not metal_key(metal) or not (cid or fold(name)):
        return None
    if fold(name) in ("smelter not listed", "smelter not yet identified"):
        name = row.name or name
    return SmelterKey(metal, cid or fold(name), name or cid or "")


def _smelters(d: Declaration) -> dict[tuple[str, str], SmelterKey]:
    out: dict[tuple[str, str], SmelterKey] = {}
    for row in d.smelters:
        key = smelter_key(row)
        if key is not None:
            out.setdefault((metal_key(key.metal), key.ident), key)
    return out


def _group(keys: list[SmelterKey]) -> dict[str, tuple[SmelterKey, ...]]:
    grouped: dict[str, list[SmelterKey]] = {}
    for key in keys:
        grouped.setdefault(key.metal, []).append(key)
    return {metal: tuple(items) for metal, items in grouped.items()}


def _mineral(d: Declaration, metal: str) -> str:
    return next((m for m in d.minerals if metal_key(m) == metal_key(metal)), metal)


def _flips(previous: Declaration, current: Declaration) -> list[AnswerFlip]:
    flips: list[AnswerFlip] = []
    for topic in dict.fromkeys(current.question_topics.values()):
        before_key, key = previous.question(topic), current.question(topic)
        if before_key is None or key is None:
            continue
        for mineral in current.minerals:
            before = previous.answers.get(before_key, {}).get(_mineral(previous, mineral))
            after = current.answers.get(key, {}).get(mineral)
            if before and after and fold(before) != fold(after):
                flips.append(AnswerFlip(topic.value, key, mineral, before, after))
    for company_topic in dict.fromkeys(current.company_question_topics.values()):
        if company_topic is CompanyTopic.OTHER:
            continue
        before_letter, letter = previous.company_question(company_topic), current.company_question(company_topic)
        if before_letter is None or letter is None:
            continue
        old, new = previous.company_questions.get(before_letter), current.company_questions.get(letter)
        if old and new and old.answer and new.answer and fold(old.answer) != fold(new.answer):
            flips.append(AnswerFlip(company_topic.value, letter, None, old.answer, new.answer))
    return flips


def policy_address(d: Declaration) -> str | None:
    """The public-policy URL a declaration gives: the hyperlink behind the comment, or a web address in it."""
    letter = d.company_question(CompanyTopic.POLICY_PUBLIC)
    answer = d.company_questions.get(letter) if letter else None
    if answer is None:
        return None
    if answer.link:
        return answer.link
    match = _URL.search(answer.comment or "")
    return match.group(0) if match else None


def _scope(d: Declaration) -> tuple[str | None, str | None]:
    return d.company.scope_level, fold(d.company.scope_description) or None


def compare(previous: Declaration, current: Declaration) -> DeclarationChanges:
    before, after = _smelters(previous), _smelters(current)
    added = _group([after[k] for k in after if k not in before])
    dropped = _group([before[k] for k in before if k not in after])
    added = {_mineral(current, metal): keys for metal, keys in added.items()}
    dropped = {_mineral(current, metal): keys for metal, keys in dropped.items()}
    scope_before = scope_after = None
    old_scope, new_scope = _scope(previous), _scope(current)
    if old_scope[0] and new_scope[0] and old_scope != new_scope:
        scope_before = previous.company.scope_raw or old_scope[0]
        scope_after = current.company.scope_raw or new_scope[0]
        if old_scope[0] == new_scope[0]:  # the same level, another description
            scope_before = f"{scope_before}: {previous.company.scope_description or '(no description)'}"
            scope_after = f"{scope_after}: {current.company.scope_description or '(no description)'}"
    old_url = policy_address(previous)
    gone = old_url if old_url and not policy_address(current) else None
    return DeclarationChanges(added, dropped, tuple(_flips(previous, current)), scope_before, scope_after, gone)
