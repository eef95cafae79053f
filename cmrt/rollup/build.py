"""Our declaration, planned cell by cell from the campaign's facts, then written into the blank template.

``plan_rollup(form, given)`` checks every input first and raises ``RollupInputError`` with every problem (the
configuration key or option to fix) before anything is written; otherwise it returns the plan (what goes where,
and why) and the cell edits. ``write_rollup`` puts the edits into a copy of the template (``cmrt.rollup.xlsx``).

Every answer written into a drop-down cell is one of that drop-down's own values, read from the template
(``cmrt.rollup.form``); a value the template does not offer is a problem, never written.

The Smelter List is filled the way a person fills it: the metal and the look-up value, so that the template's
formulas fill in the name, country, id and address (their cached results are written too, so a tool that reads a
workbook without recalculating sees them). A smelter RMI identifies but this template's look-up does not know
(it is newer than the template) is entered as "Smelter not listed" with its name, country and RMI id. A metal
in scope with no identified smelter gets one "Smelter not yet identified" row, as the template expects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from cmrt.declaration import CompanyTopic, QuestionTopic
from cmrt.review.checks_company import email_problem, is_placeholder
from cmrt.rollup.form import Choice, LookupEntry, TemplateForm
from cmrt.rollup.model import (
    COMPANY_FIELDS,
    REQUIRED_COMPANY_FIELDS,
    RollupInput,
    RollupInputError,
    RollupPlan,
    SmelterLine,
)
from cmrt.rollup.rules import NOT_SMELTER_INFORMATION, Facts, MetalSmelters, RuleError, decide, in_scope
from cmrt.rollup.xlsx import Cached, Edit, Value, fill
from cmrt.smelters.consolidate import ConsolidatedSmelter
from cmrt.smelters.countries import country_name
from cmrt.smelters.text import clean, fold

Edits = dict[str, dict[str, Edit]]
_SCOPE_LETTERS = {"company": "A", "product": "B"}
_EPOCHS = {False: dt.date(1899, 12, 30), True: dt.date(1904, 1, 1)}
NOT_LISTED, NOT_YET_IDENTIFIED = "smelter not listed", "smelter not yet identified"


def _match(choices: tuple[Choice, ...] | None, wanted: str) -> Choice | None:
    """The drop-down value ``wanted`` names (case and spacing aside; "100%" also names the number 1)."""
    key = fold(wanted)
    for choice in choices or ():
        if fold(choice.text) == key or fold(str(choice.value)) == key:
            return choice
    return None


def _listing(choices: tuple[Choice, ...] | None) -> str:
    return ", ".join(f"'{c.text}'" for c in choices or ())


class _Planner:
    def __init__(self, form: TemplateForm, given: RollupInput) -> None:
        self.form = form
        self.given = given
        self.problems: list[tuple[str, str]] = []
        self.edits: Edits = {}
        self.plan = RollupPlan(form.version, given.scope, given.effective_date)
        self.placed: list[tuple[SmelterLine, dict[str, Edit]]] = []  # every consolidated smelter we can enter
        self.unplaceable: list[dict[str, Any]] = []  # ... and those we cannot

    def put(self, path: str, edit: Edit) -> str | None:
        where = self.form.cell(path)
        if where is None:
            return None
        sheet, ref = where
        self.edits.setdefault(sheet, {})[ref] = edit
        return f"{sheet}!{ref}"

    def put_at(self, sheet: str, ref: str, edit: Edit) -> None:
        self.edits.setdefault(sheet, {})[ref] = edit

    def choices_of(self, path: str) -> tuple[Choice, ...] | None:
        where = self.form.cell(path)
        return self.form.choices(*where) if where else None

    # ------------------------------------------------------------------ company block
    def company(self) -> None:
        for name, path in COMPANY_FIELDS:
            value = clean(getattr(self.given.company, name))
            key = f"company.{name}"
            if value is None:
                if name in REQUIRED_COMPANY_FIELDS:
                    self.problems.append((key, "required: the template's Checker asks for it"))
                continue
            if is_placeholder(value):
                self.problems.append((key, f"{value!r} is a placeholder; give the real value"))
                continue
            problem = email_problem(value) if name.endswith("_email") else None
            if problem is not None:
                self.problems.append((key, f"{value!r} is not an e-mail address ({problem.english()})"))
                continue
            cell = self.put(path, Value(value))
            if cell:
                self.plan.company[name] = {"value": value, "cell": cell}
        letter = _SCOPE_LETTERS.get(self.given.scope)
        scope = next((c for c in self.choices_of("company.scope") or () if str(c.value).startswith(f"{letter}.")),
                     None)  # fmt: skip
        if letter is None or scope is None:
            self.problems.append(("--scope", f"{self.given.scope!r}: the template offers "
                                  f"{_listing(self.choices_of('company.scope'))}"))  # fmt: skip
        else:
            cell = self.put("company.scope", Value(scope.value))
            self.plan.company["scope"] = {"value": str(scope.value), "cell": cell or ""}
        serial = (self.given.effective_date - _EPOCHS[self.form.date1904]).days
        cell = self.put("company.effective_date", Value(serial))
        self.plan.company["effective_date"] = {"value": self.given.effective_date.isoformat(), "cell": cell or ""}

    # ------------------------------------------------------------------ questions 1-8
    def _overrides(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        metals = self.form.metals
        for question, table in self.given.answers.items():
            if question not in self.form.question_topics:
                self.problems.append((f"rollup.answers.{question}", f"the template has no question {question} "
                                      f"(it has {', '.join(self.form.question_topics)})"))  # fmt: skip
                continue
            for metal, wanted in table.items():
                key = f"rollup.answers.{question}" + ("" if metal == "*" else f".{metal}")
                targets = metals if metal == "*" else [m for m in metals if m.casefold() == metal.casefold()]
                if not targets:
                    self.problems.append((key, f"the template has no metal {metal!r} ({', '.join(metals)})"))
                    continue
                choices = self.choices_of(f"answers.{question}.{targets[0]}")
                choice = _match(choices, wanted)
                if choice is None:
                    self.problems.append((key, f"{wanted!r} is not one of the template's values ({_listing(choices)})"))
                    continue
                out.setdefault(question, {})["*" if metal == "*" else targets[0]] = choice.text
        return out

    def answers(self) -> None:
        given, form = self.given, self.form
        facts = Facts(given.suppliers, given.surveyed, given.responded, self.metal_smelters())
        response_key = next((k for k, t in form.question_topics.items() if t is QuestionTopic.SUPPLIER_RESPONSE), None)
        texts = [c.text for c in self.choices_of(f"answers.{response_key}.{form.metals[0]}") or ()] if response_key \
            else []  # fmt: skip
        overrides = self._overrides()
        try:
            decisions = decide(form.question_topics, form.metals, facts, overrides, texts)
        except RuleError as exc:
            self.problems.append((f"rollup.answers.{response_key}", str(exc)))
            return
        for key, metal in ((k, m) for k, per in overrides.items() for m in per if m != "*"):
            if decisions[key][metal] is None:
                self.problems.append((f"rollup.answers.{key}.{metal}",
                                      f"{metal} is out of scope (question 1 or 2 is No), so {key} stays blank"))
        for key, per_metal in decisions.items():
            self.plan.answers[key] = {}
            for metal, decision in per_metal.items():
                if decision is None:
                    self.plan.answers[key][metal] = None
                    continue
                choices = self.choices_of(f"answers.{key}.{metal}")
                choice = _match(choices, decision.value)
                if choice is None:
                    self.problems.append((f"rollup.answers.{key}.{metal}", f"the rule gives {decision.value!r}, "
                                          f"which the template does not offer ({_listing(choices)})"))  # fmt: skip
                    continue
                cell = self.put(f"answers.{key}.{metal}", Value(choice.value))
                self.plan.answers[key][metal] = {**decision.to_json(), "value": choice.text, "cell": cell}
        self.plan.metals_in_scope = [m for m in form.metals if in_scope(decisions, form.question_topics, m)]
        rate = given.responded / given.surveyed if given.surveyed else 0.0
        self.plan.figures = {"surveyed": given.surveyed, "responded": given.responded,
                             "response_rate": round(rate, 4), "silent": facts.silent}  # fmt: skip

    # ------------------------------------------------------------------ company questions A-H
    def policy(self) -> None:
        letters = self.form.company_letters
        required = bool(self.plan.metals_in_scope)
        for letter in self.given.policy:
            if letter not in letters:
                self.problems.append((f"rollup.company_questions.{letter}",
                                      f"the template has no company question {letter} ({', '.join(letters)})"))
        for letter in letters:
            given = self.given.policy.get(letter)
            choices = self.choices_of(f"company_questions.{letter}.answer")
            key = f"rollup.company_questions.{letter}"
            answer, source = (clean(given.answer) if given else None), "config"
            if answer is None and self.form.company_topics.get(letter) is CompanyTopic.SURVEY:
                survey = next((c for c in choices or () if "ipc1755" in fold(c.text).replace(" ", "")), None)
                answer, source = (survey.text if survey else None), "default"
            comment = clean(given.comment) if given else None
            if answer is None:
                if required:
                    self.problems.append((key, f"required while a metal is in scope (one of {_listing(choices)})"))
                continue
            choice = _match(choices, answer)
            if choice is None:
                self.problems.append((key, f"{answer!r} is not one of the template's values ({_listing(choices)})"))
                continue
            if self.form.company_topics.get(letter) is CompanyTopic.POLICY_PUBLIC and fold(choice.text) == "yes" \
                    and not comment:  # fmt: skip
                self.problems.append((f"{key}.comment", "the URL of the published policy is required when the "
                                      "answer is Yes (the template's Checker asks for it)"))  # fmt: skip
                continue
            self.put(f"company_questions.{letter}.answer", Value(choice.value))
            if comment:
                self.put(f"company_questions.{letter}.comment", Value(comment))
            self.plan.policy[letter] = {"answer": choice.text, "comment": comment, "source": source}

    # ------------------------------------------------------------------ Smelter List
    def place_smelters(self) -> None:
        """Decide how each consolidated smelter goes on the Smelter List (before the answers: Q7 and Q8 count
        the smelters that cannot go on it)."""
        area = self.form.smelters
        if area is None:
            if self.given.smelters.rows:
                self.problems.append(("template", "the template has no Smelter List to fill"))
            return
        countries = _country_index(self.form.choices(area.sheet, f"{area.columns.get('country', 'E')}{area.first_row}"))
        order = {m: i for i, m in enumerate(self.form.metals)}
        for smelter in sorted(self.given.smelters.rows, key=lambda s: (order.get(s.metal, 99), fold(s.standard_name))):
            entry = self.form.lookup_entry(smelter.metal, smelter.smelter_id)
            if entry is not None:
                self.placed.append(self._listed(smelter, entry))
                continue
            country = countries.get(country_name(smelter.country) or "") or countries.get(
                country_name(smelter.reference_country) or "")
            if country is None:
                self.unplaceable.append({**_brief(smelter), "reason": "country_not_in_template",
                                         "why": "not in the template's look-up, and its country is not in the "
                                         "template's country list"})  # fmt: skip
                continue
            self.placed.append(self._not_listed(smelter, country))

    def metal_smelters(self) -> Mapping[str, MetalSmelters]:
        left_out = Counter(e.metal for e in self.given.smelters.rejected
                           if e.metal and e.reason not in NOT_SMELTER_INFORMATION)  # fmt: skip
        left_out.update(item["metal"] for item in self.unplaceable)
        placed = Counter(line.metal for line, _ in self.placed)
        return {metal: MetalSmelters(placed.get(metal, 0), left_out.get(metal, 0)) for metal in self.form.metals}

    def smelters(self) -> None:
        area = self.form.smelters
        for rejected in self.given.smelters.rejected:
            self.plan.left_out.append({**rejected.to_json(), "why": "rejected in consolidation"})
        self.plan.left_out.extend(self.unplaceable)
        if area is None:
            return
        first = f"{area.columns['metal']}{area.first_row}"
        metal_values = {fold(c.text): c.value for c in self.form.choices(area.sheet, first) or ()}
        order = {m: i for i, m in enumerate(self.form.metals)}
        scope = set(self.plan.metals_in_scope)
        lines: list[tuple[SmelterLine, dict[str, Edit]]] = []
        for line, cells in self.placed:
            if line.metal in scope:
                lines.append((line, cells))
            else:
                self.plan.left_out.append({"metal": line.metal, "smelter_id": line.smelter_id, "name": line.name,
                                           "country": line.country, "suppliers": line.suppliers,
                                           "reason": "metal_not_in_scope",
                                           "why": f"our declaration has {line.metal} out of scope"})  # fmt: skip
        covered = {line.metal for line, _ in lines}
        for metal in self.form.metals:
            if metal in scope and metal not in covered:
                alias = self.form.pseudo_alias(metal, NOT_YET_IDENTIFIED) or "Smelter not yet identified"
                lines.append((SmelterLine(0, metal, alias, "not_yet_identified"),
                              {"lookup": Value(alias)}))  # fmt: skip
        if len(lines) > area.capacity:
            self.problems.append(("template", f"the template's Smelter List holds {area.capacity} rows; the roll-up "
                                  f"needs {len(lines)}"))  # fmt: skip
            return
        lines.sort(key=lambda item: order.get(item[0].metal, 99))
        for offset, (line, cells) in enumerate(lines):
            row = area.first_row + offset
            metal_value = metal_values.get(fold(line.metal), line.metal)
            cells = {"metal": Value(metal_value), **cells}
            for field_name, edit in cells.items():
                letter = area.columns.get(field_name)
                if letter is None or (isinstance(edit, Cached) and letter not in area.formula_columns):
                    continue
                self.put_at(area.sheet, f"{letter}{row}", edit)
            self.plan.smelters.append(SmelterLine(row, line.metal, line.lookup, line.kind, line.name, line.country,
                                                  line.smelter_id, line.suppliers))  # fmt: skip

    def _listed(self, smelter: ConsolidatedSmelter, entry: LookupEntry) -> tuple[SmelterLine, dict[str, Edit]]:
        def cached(value: Any, as_text: bool = False) -> Cached:
            if value is None or value == "":
                return Cached("" if as_text else 0)
            return Cached(value if isinstance(value, int | float) and not as_text else str(value))

        cells: dict[str, Edit] = {
            "lookup": Value(entry.alias),
            "country": cached(entry.country, as_text=True),
            "smelter_id": cached(entry.smelter_id),
            "id_source": cached(entry.source),
            "street": cached(entry.street),
            "city": cached(entry.city),
            "state": cached(entry.state),
            "standard_name": cached(entry.standard_name, as_text=True),
        }
        line = SmelterLine(0, smelter.metal, entry.alias, "listed", entry.standard_name, clean(entry.country),
                           entry.smelter_id, smelter.suppliers)  # fmt: skip
        return line, cells

    def _not_listed(self, smelter: ConsolidatedSmelter, country: str) -> tuple[SmelterLine, dict[str, Edit]]:
        alias = self.form.pseudo_alias(smelter.metal, NOT_LISTED) or "Smelter not listed"
        sources = Counter(clean(e.source) for e in self.form.lookup if clean(e.source))
        source = sources.most_common(1)[0][0] if sources else "RMI"
        cells: dict[str, Edit] = {
            "lookup": Value(alias),
            "name": Value(smelter.standard_name),
            "country": Value(country),
            "smelter_id": Value(smelter.smelter_id),
            "id_source": Value(source or "RMI"),
        }
        line = SmelterLine(0, smelter.metal, alias, "not_listed", smelter.standard_name, country, smelter.smelter_id,
                           smelter.suppliers)  # fmt: skip
        return line, cells

    # ------------------------------------------------------------------ Product List
    def products(self) -> None:
        products = list(self.given.products)
        if self.given.scope != "product":
            if products:
                self.problems.append(("--products", "a product list goes with --scope product"))
            return
        area = self.form.products
        if not products:
            self.problems.append(("--products", "product scope needs the list of products (--products FILE)"))
            return
        if area is None or "number" not in area.columns:
            self.problems.append(("template", "the template has no Product List to fill"))
            return
        if len(products) > area.capacity:
            self.problems.append(("--products", f"{len(products)} products; the template's Product List holds "
                                  f"{area.capacity}"))  # fmt: skip
            return
        for offset, product in enumerate(products):
            row = area.first_row + offset
            for field_name in ("number", "name", "comment"):
                value = clean(getattr(product, field_name))
                letter = area.columns.get(field_name)
                if value is not None and letter is not None:
                    self.put_at(area.sheet, f"{letter}{row}", Value(value))
            self.plan.products.append({"row": row, "number": product.number, "name": product.name,
                                       "comment": product.comment})  # fmt: skip

    def checker(self) -> None:
        """The Checker's cached count: the plan leaves no required field empty (the handler verifies it)."""
        where = self.form.cell("checker_remaining")
        if where is not None:
            cached = self.form.value_at(*where)
            self.put("checker_remaining", Cached("0" if isinstance(cached, str) else 0))


def _brief(smelter: ConsolidatedSmelter) -> dict[str, Any]:
    return {"metal": smelter.metal, "smelter_id": smelter.smelter_id, "name": smelter.standard_name,
            "country": smelter.country, "suppliers": smelter.suppliers}  # fmt: skip


def _country_index(choices: tuple[Choice, ...] | None) -> dict[str, str]:
    """The template's country list, keyed by the canonical country name."""
    out: dict[str, str] = {}
    for choice in choices or ():
        key = country_name(choice.text) or str(choice.text).upper()
        out.setdefault(key, str(choice.value))
    return out


def plan_rollup(form: TemplateForm, given: RollupInput) -> tuple[RollupPlan, Edits]:
    """The plan and its cell edits; ``RollupInputError`` (every problem at once) when something is missing."""
    planner = _Planner(form, given)
    planner.company()
    planner.place_smelters()
    planner.answers()
    planner.policy()
    planner.smelters()
    planner.products()
    if planner.problems:
        raise RollupInputError(planner.problems)
    planner.checker()
    return planner.plan, planner.edits


def write_rollup(form: TemplateForm, edits: Edits) -> bytes:
    """The filled workbook: a copy of the template with the edits, recalculated fully when opened."""
    return fill(form.data, edits)
