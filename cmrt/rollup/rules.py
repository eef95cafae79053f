"""How our own declaration answers questions 1-8 for each metal, from the suppliers' declarations.

Pure: the surveyed suppliers' answers (looked up by topic, so a CMRT 3.x or 6.x return counts alike), the
campaign's response figures and what the smelter consolidation found per metal in; one ``Decision`` per
question and metal out, each with the rule applied and the facts behind it. ``RULES`` is the table
docs/rollup.md prints (``python -m cmrt.rollup.docs``): one row per question, its rule and why.

Terms:

* a *surveyed* supplier is one the campaign's figures count as surveyed; it *responded* when a workbook of it
  was read (its latest declaration is used);
* a responding supplier *uses* a metal when it answers Yes to the "intentionally added" question (or to
  "necessary" in CMRT 2.x); it has the metal *in scope* when no gate question (Q1/Q2) says No and one says Yes:
  the same test as the review's;
* *silent* suppliers are surveyed suppliers without a read declaration: we do not know what they would say.

Gating follows the template: when our Q1 for a metal is No, Q2-Q8 stay blank; when Q2 is No, Q3-Q8 do. The
gates use the final answers, overrides included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cmrt.declaration import QuestionTopic
from cmrt.review.registry import CLOSED_VALUES, GATE_TOPICS, norm

Q = QuestionTopic
YES, NO, UNKNOWN = "Yes", "No", "Unknown"
#: Consolidation reasons that carry no smelter information (nothing was left out of our list by them).
NOT_SMELTER_INFORMATION = frozenset({"not_yet_identified", "too_few_fields", "invalid_name", "missing_metal",
                                     "not_3tg"})  # fmt: skip
_USE_TOPICS = (Q.INTENTIONALLY_ADDED, Q.NECESSARY, Q.DECLARING)


class RuleError(ValueError):
    """A rule cannot give an answer the template offers (e.g. no drop-down bucket fits the response rate)."""


@dataclass(frozen=True)
class SupplierAnswers:
    """One surveyed supplier: ``answers`` by topic and metal (None when it did not respond)."""

    answers: Mapping[QuestionTopic, Mapping[str, str | None]] | None

    @property
    def responded(self) -> bool:
        return self.answers is not None

    @classmethod
    def from_declaration(
        cls,
        data: Mapping[str, Any] | None,
        shared: dict[tuple[tuple[str, str | None], ...], Mapping[str, str | None]] | None = None,
    ) -> SupplierAnswers:
        """From ``Declaration.to_json()`` (the stored declaration); None: no workbook was read. ``shared``: one
        mapping per distinct set of answers to a question, for many suppliers answering alike (read-only)."""
        if data is None:
            return cls(None)
        topics = data.get("question_topics") or {}
        by_topic: dict[QuestionTopic, Mapping[str, str | None]] = {}
        for key, values in (data.get("answers") or {}).items():
            try:
                topic = QuestionTopic(str(topics.get(key)))
            except ValueError:
                continue
            if isinstance(values, Mapping) and topic not in by_topic:
                given = {str(m): (None if v is None else str(v)) for m, v in values.items()}
                by_topic[topic] = given if shared is None else shared.setdefault(tuple(given.items()), given)
        return cls(by_topic)

    def answer(self, topic: QuestionTopic, metal: str) -> str | None:
        return (self.answers or {}).get(topic, {}).get(metal)

    def uses(self, metal: str) -> bool:
        return any(_kind(self.answer(t, metal)) == YES for t in _USE_TOPICS)

    def in_scope(self, metal: str) -> bool:
        gates = [self.answer(t, metal) for t in GATE_TOPICS if self.answers and t in self.answers]
        if any(norm(v) in CLOSED_VALUES for v in gates):
            return False
        return any(_kind(v) == YES for v in gates)


@dataclass(frozen=True)
class MetalSmelters:
    """What the consolidation found for one metal."""

    identified: int = 0  # smelters on our list
    left_out: int = 0  # reported entries with smelter information that could not be identified


@dataclass(frozen=True)
class Facts:
    suppliers: Sequence[SupplierAnswers]  # the surveyed suppliers
    surveyed: int  # the campaign figures (the same numbers as the report)
    responded: int
    smelters: Mapping[str, MetalSmelters] = field(default_factory=dict)
    _scope: dict[str, list[SupplierAnswers]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def silent(self) -> int:
        return sum(1 for s in self.suppliers if not s.responded)

    def responding(self) -> list[SupplierAnswers]:
        return [s for s in self.suppliers if s.responded]

    def in_scope(self, metal: str) -> list[SupplierAnswers]:
        if metal not in self._scope:  # asked by every rule: computed once per metal
            self._scope[metal] = [s for s in self.suppliers if s.responded and s.in_scope(metal)]
        return self._scope[metal]


@dataclass(frozen=True)
class Decision:
    value: str  # the answer as the template's drop-down spells it (Yes, No, Unknown, a percentage bucket)
    rule: str  # the question whose rule decided it ("Q3"), or "override"
    reason: str  # the facts behind it, in a sentence (never names a supplier)

    def to_json(self) -> dict[str, str]:
        return {"value": self.value, "rule": self.rule, "reason": self.reason}


def _kind(value: str | None) -> str | None:
    """A supplier's answer as Yes / No / Unknown (None: blank)."""
    text = norm(value)
    if text in ("", "0", "#n/a"):
        return None
    if text.startswith("yes") or text in ("100%", "1", "1.0"):
        return YES
    if text == "no" or text.startswith("no,") or text == "not declaring":
        return NO
    return UNKNOWN


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _declaring(n: int, noun: str, qualifier: str = "") -> str:
    """"2 suppliers with Gold in scope declare", "1 supplier ... declares"."""
    return " ".join(filter(None, (_plural(n, noun), qualifier, _verb(n, "declares", "declare"))))


def _each(n: int) -> str:
    return "the one supplier" if n == 1 else f"all {n} suppliers"


def _count(suppliers: Sequence[SupplierAnswers], topic: QuestionTopic, metal: str) -> dict[str | None, int]:
    counts: dict[str | None, int] = {}
    for s in suppliers:
        kind = _kind(s.answer(topic, metal))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


# ------------------------------------------------------------------------------------------- the rules
def _q1(metal: str, f: Facts) -> tuple[str, str]:
    users = sum(1 for s in f.responding() if s.uses(metal))
    if users:
        return YES, (f"{_plural(users, 'responding supplier')} of {len(f.responding())} "
                     f"{_verb(users, 'declares', 'declare')} {metal} intentionally added")
    return NO, f"none of the {len(f.responding())} responding suppliers declares {metal} intentionally added"


def _q2(metal: str, f: Facts) -> tuple[str, str]:
    scope = len(f.in_scope(metal))
    if scope:
        return YES, f"{_declaring(scope, 'responding supplier')} {metal} remaining in the product"
    return NO, f"no responding supplier declares {metal} remaining in the product"


def _sourcing(topic: QuestionTopic) -> Callable[[str, Facts], tuple[str, str]]:
    def decide(metal: str, f: Facts) -> tuple[str, str]:
        scope = f.in_scope(metal)
        counts = _count(scope, topic, metal)
        if counts.get(YES):
            return YES, f"{_declaring(counts[YES], 'supplier', f'with {metal} in scope')} Yes"
        doubts = counts.get(UNKNOWN, 0) + counts.get(None, 0)
        if not scope:
            return UNKNOWN, f"no responding supplier declares {metal} in scope, so nothing is known of its origin"
        if doubts or f.silent:
            parts = []
            if doubts:
                parts.append(f"{_plural(doubts, 'supplier')} with {metal} in scope "
                             f"{_verb(doubts, 'answers', 'answer')} Unknown or leave{_verb(doubts, 's', '')} it blank")
            if f.silent:
                parts.append(f"{_plural(f.silent, 'surveyed supplier')} did not respond")
            return UNKNOWN, "; ".join(parts)
        return NO, (f"{_each(len(scope))} with {metal} in scope {_verb(len(scope), 'declares', 'declare')} No and "
                    "every surveyed supplier responded")

    return decide


def _all_yes(topic: QuestionTopic, what: str) -> Callable[[str, Facts], tuple[str, str]]:
    def decide(metal: str, f: Facts) -> tuple[str, str]:
        scope = f.in_scope(metal)
        counts = _count(scope, topic, metal)
        if not scope:
            return UNKNOWN, f"no responding supplier declares {metal} in scope"
        if counts.get(NO):
            return NO, f"{_declaring(counts[NO], 'supplier', f'with {metal} in scope')} No"
        if f.silent == 0 and counts.get(YES, 0) == len(scope):
            return YES, (f"every surveyed supplier responded and {_each(len(scope))} with {metal} in scope "
                         f"{_verb(len(scope), 'declares', 'declare')} {what}")
        gaps = len(scope) - counts.get(YES, 0)
        parts = [f"{_plural(gaps, 'supplier')} with {metal} in scope {_verb(gaps, 'answers', 'answer')} Unknown or "
                 f"leave{_verb(gaps, 's', '')} it blank"] if gaps else []
        if f.silent:
            parts.append(f"{_plural(f.silent, 'surveyed supplier')} did not respond")
        return UNKNOWN, "; ".join(parts)

    return decide


def _q7(metal: str, f: Facts) -> tuple[str, str]:
    scope = f.in_scope(metal)
    counts = _count(scope, Q.SMELTERS_IDENTIFIED, metal)
    found = f.smelters.get(metal, MetalSmelters())
    problems = []
    if f.silent:
        problems.append(f"{_plural(f.silent, 'surveyed supplier')} did not respond")
    if not scope or counts.get(YES, 0) < len(scope):
        gaps = len(scope) - counts.get(YES, 0)
        problems.append(f"{_plural(gaps, 'supplier')} with {metal} in scope {_verb(gaps, 'has', 'have')} not "
                        "identified all its smelters" if gaps == 1 else f"{_plural(gaps, 'supplier')} with {metal} "
                        "in scope have not identified all their smelters")
    if found.left_out:
        problems.append(f"{_plural(found.left_out, 'reported smelter entry')} could not be identified")
    if not found.identified:
        problems.append(f"no {metal} smelter is identified")
    if problems:
        return NO, "; ".join(problems)
    return YES, (f"every surveyed supplier responded, {_each(len(scope))} with {metal} in scope identified all "
                 f"smelters, and every reported {metal} smelter is identified ({found.identified})")


def _q8(metal: str, f: Facts) -> tuple[str, str]:
    found = f.smelters.get(metal, MetalSmelters())
    if found.left_out:
        return NO, (f"{_plural(found.left_out, 'reported entry')} for {metal} could not be identified and "
                    "is not on our Smelter List")  # fmt: skip
    return YES, f"every {metal} smelter our suppliers reported is on our Smelter List ({found.identified})"


def _q6(metal: str, f: Facts) -> tuple[str, str]:  # the bucket itself is chosen by response_bucket
    rate = Fraction(f.responded, f.surveyed) if f.surveyed else Fraction(0)
    return f"{float(rate) * 100:.1f} %", f"{f.responded} of {f.surveyed} surveyed suppliers responded"


@dataclass(frozen=True)
class Rule:
    question: str  # the printed number in CMRT 6.x
    topic: QuestionTopic
    rule: str
    why: str
    decide: Callable[[str, Facts], tuple[str, str]]


RULES: tuple[Rule, ...] = (
    Rule("Q1", Q.INTENTIONALLY_ADDED,
         "Yes when any responding supplier declares the metal intentionally added (Q1 Yes; CMRT 2.x: "
         "'necessary'); otherwise No.",
         "If one part we buy contains the metal on purpose, so does our product; a supplier that does not use "
         "it contributes nothing. Silent suppliers cannot make it Yes: the template offers only Yes or No.",
         _q1),
    Rule("Q2", Q.REMAINS_IN_PRODUCT,
         "Asked when Q1 is Yes. Yes when any responding supplier has the metal in scope (no gate question No, "
         "one Yes: the review's test); otherwise No.",
         "The metal remains in our product when it remains in any part of it.",
         _q2),
    Rule("Q3", Q.COVERED_COUNTRIES,
         "Asked when Q1 and Q2 are Yes. Yes when any supplier with the metal in scope declares Yes. Otherwise "
         "Unknown when any of them answers Unknown or leaves it blank, when a surveyed supplier did not "
         "respond, or when no supplier has the metal in scope (Q1/Q2 overridden). Otherwise No.",
         "One covered-country source in our supply chain makes ours Yes. 'No' is a claim about every source, "
         "so it needs every supplier's answer; a gap is Unknown, never No.",
         _sourcing(Q.COVERED_COUNTRIES)),
    Rule("Q4", Q.CAHRA,
         "As Q3, for conflict-affected and high-risk areas.",
         "As Q3: one CAHRA source makes ours Yes; 'No' needs every answer.",
         _sourcing(Q.CAHRA)),
    Rule("Q5", Q.RECYCLED_SCRAP,
         "Asked when Q1 and Q2 are Yes. Yes only when every surveyed supplier responded and every supplier with "
         "the metal in scope declares Yes. No when any of them declares No. Otherwise Unknown.",
         "100 % recycled is a claim about all of our metal: one No disproves it, a gap leaves it open.",
         _all_yes(Q.RECYCLED_SCRAP, "100 % recycled or scrap")),
    Rule("Q6", Q.SUPPLIER_RESPONSE,
         "Asked when Q1 and Q2 are Yes. The template's own bucket for our response rate (responded / surveyed, "
         "the report's figures): 100% when all responded, None when none did, else the highest 'Greater than "
         "N%' below the rate, else 'N% or less'.",
         "The question asks for our survey's response rate; the same figure as `cmrt-bot report`, in the "
         "drop-down's wording (computed exactly: 9 of 10 is not 'Greater than 90%').",
         _q6),
    Rule("Q7", Q.SMELTERS_IDENTIFIED,
         "Asked when Q1 and Q2 are Yes. Yes only when every surveyed supplier responded, every supplier with "
         "the metal in scope declares Yes, no reported entry of the metal was left out of our Smelter List, "
         "and at least one smelter is identified. Otherwise No.",
         "We have identified all smelters only if every supplier has, and we could place every entry they "
         "reported.",
         _q7),
    Rule("Q8", Q.SMELTER_INFO_REPORTED,
         "Asked when Q1 and Q2 are Yes. Yes when every reported entry of the metal carrying smelter "
         "information is on our Smelter List; No when any was left out (an entry that could not be identified: "
         "no match, an id not on RMI's list, another metal's id).",
         "Entries without smelter information ('Smelter not yet identified', no id and no name) leave nothing "
         "out; an unidentifiable name or id is information we received and did not report.",
         _q8),
)  # fmt: skip
RULES_BY_TOPIC = {rule.topic: rule for rule in RULES}
_GATES = (Q.INTENTIONALLY_ADDED, Q.REMAINS_IN_PRODUCT)


_BUCKET = re.compile(r"^(greater than|more than)\s*(\d+(?:\.\d+)?)\s*%$|^(\d+(?:\.\d+)?)\s*%\s*or less$", re.I)


def response_bucket(responded: int, surveyed: int, texts: Sequence[str]) -> str:
    """The drop-down value (one of ``texts``, the template's own wording) for ``responded / surveyed``."""
    rate = Fraction(responded, surveyed) if surveyed else Fraction(0)
    greater: list[tuple[Fraction, str]] = []
    at_most: list[tuple[Fraction, str]] = []
    full = none = None
    for text in texts:
        key = norm(text)
        match = _BUCKET.match(key)
        if key in ("100%", "yes, 100%"):
            full = text
        elif key == "none":
            none = text
        elif match and match.group(2):
            greater.append((Fraction(match.group(2)) / 100, text))
        elif match and match.group(3):
            at_most.append((Fraction(match.group(3)) / 100, text))
    if rate >= 1 and full is not None:
        return full
    if rate == 0 and none is not None:
        return none
    for bound, text in sorted(greater, reverse=True):
        if rate > bound:
            return text
    for bound, text in sorted(at_most):
        if rate <= bound:
            return text
    raise RuleError(f"no drop-down value fits a response rate of {float(rate):.1%} (values: {', '.join(texts)})")


def decide(
    questions: Mapping[str, QuestionTopic],
    metals: Sequence[str],
    facts: Facts,
    overrides: Mapping[str, Mapping[str, str]],
    response_texts: Sequence[str] = (),
) -> dict[str, dict[str, Decision | None]]:
    """Every question (printed key -> topic, as the template numbers them) for every metal.

    ``overrides``: question key -> metal (or ``"*"`` for every metal) -> the value to write instead of the
    rule's. A gated question (Q1 or Q2 No) is None. ``response_texts``: the template's drop-down values for the
    response-rate question."""
    keys = sorted(questions, key=lambda k: int("".join(ch for ch in k if ch.isdigit()) or 0))
    out: dict[str, dict[str, Decision | None]] = {key: {} for key in keys}
    for metal in metals:
        open_gate = True
        for key in keys:
            topic = questions[key]
            if not open_gate:
                out[key][metal] = None
                continue
            chosen = overrides.get(key, {})
            value = chosen.get(metal, chosen.get("*"))
            if value is not None:
                scope = "for this metal" if metal in chosen else "for every metal"
                out[key][metal] = Decision(value, "override", f"set in [rollup.answers] {key} {scope}")
            else:
                rule = RULES_BY_TOPIC.get(topic)
                if rule is None:
                    out[key][metal] = None
                    continue
                answer, reason = rule.decide(metal, facts)
                if topic is Q.SUPPLIER_RESPONSE:
                    answer = response_bucket(facts.responded, facts.surveyed, response_texts)
                out[key][metal] = Decision(answer, rule.question, reason)
            decision = out[key][metal]
            if topic in _GATES and decision is not None and norm(decision.value) in CLOSED_VALUES:
                open_gate = False
    return out


def in_scope(decisions: Mapping[str, Mapping[str, Decision | None]], questions: Mapping[str, QuestionTopic],
             metal: str) -> bool:  # fmt: skip
    """Our declaration has ``metal`` in scope: every gate question answered, none No."""
    gates = [decisions.get(k, {}).get(metal) for k, t in questions.items() if t in _GATES]
    return bool(gates) and all(d is not None and norm(d.value) not in CLOSED_VALUES for d in gates)
