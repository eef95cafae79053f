"""Year over year: the new declaration against the supplier's last accepted one (``ReviewContext.previous``).

These findings are for the compliance team first: ``info`` by default, except a covered-country or CAHRA answer
turned to No without an explanation in the supply chain, which is ``clarify``. A campaign can raise or lower any of
them (``[review.overrides]``, ``[review.campaigns."YEAR"]``, ``cmrt-bot campaign set-check``).
"""

from __future__ import annotations

from cmrt.changes import DeclarationChanges, compare
from cmrt.declaration import Declaration
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import DECLARATION, SMELTER_LIST, answer_cell, check, finding, label, quote
from cmrt.review.texts import Param, Text, english, term, txt
from cmrt.review.texts import metal as metal_name
from cmrt.smelters.text import metal_key

_TOPIC_NAMES = {"covered_countries": term("covered countries"), "cahra": term("conflict-affected and high-risk areas")}


_LAST: list[tuple[Declaration, Declaration, DeclarationChanges]] = []


def _changes(d: Declaration, ctx: ReviewContext) -> DeclarationChanges | None:
    """The comparison of this review (computed once for the five checks; declarations are compared by identity)."""
    if ctx.previous is None:
        return None
    if _LAST and _LAST[0][0] is ctx.previous and _LAST[0][1] is d:
        return _LAST[0][2]
    changes = compare(ctx.previous, d)
    _LAST[:] = [(ctx.previous, d, changes)]
    return changes


def _previous(ctx: ReviewContext) -> Text:
    """"the 2024 declaration" (a campaign year), "the previous declaration (FILE)" or "the previous declaration"."""
    label = (ctx.previous_label or "").strip()
    if label.isdigit():
        return txt("the %(year)s declaration", year=label)
    return txt("the previous declaration (%(file)s)", file=label) if label else txt("the previous declaration")


def _names(keys: tuple[object, ...], limit: int = 5) -> str:
    shown = ", ".join(str(k) for k in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


@check(
    "history.smelters_changed",
    title="Smelters added or dropped since the last accepted declaration",
    severity=Severity.INFO,
    area="history",
    rationale="A smelter list that changed a lot, or smelters dropped without a word, is the first thing a "
    "compliance team looks at year over year (an entirely new list, or removals with no explanation).",
    message="{metal}: {added} smelters added, {dropped} dropped since {previous}",
    sources="AQ1; review notes §3 G36",
    needs="previous",
)
def smelters_changed(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    changes = _changes(d, ctx)
    if changes is None:
        return []
    out: list[Finding] = []
    for metal in dict.fromkeys([*changes.added, *changes.dropped]):
        added, dropped = changes.added.get(metal, ()), changes.dropped.get(metal, ())
        parts = []
        if added:
            parts.append(f"{len(added)} added ({_names(added)})")
        if dropped:
            parts.append(f"{len(dropped)} dropped ({_names(dropped)})")
        first = next((r for r in d.smelters if metal_key(r.metal) == metal_key(metal)), None)
        column = d.smelter_columns.get("metal")
        cell = f"{column}{first.row}" if first is not None and column and added else None
        out.append(finding("history.smelters_changed",
                           f"{metal} smelters since {english(_previous(ctx))}: {'; '.join(parts)}", SMELTER_LIST, cell,
                           mineral=metal, detail={"added": [str(k) for k in added],
                                                  "dropped": [str(k) for k in dropped]}))  # fmt: skip
    return out


@check(
    "history.origin_flipped",
    title="Covered-country or CAHRA answer turned to No",
    severity=Severity.CLARIFY,
    area="history",
    rationale="Last time the supplier said its smelters source the mineral from the covered countries or a "
    "conflict-affected area (Yes), or did not know (Unknown); now it says No. Yes -> No, or Unknown -> No with no "
    "new smelter for that mineral, needs an explanation of what changed in the supply chain.",
    message="{question} for {mineral} said {before} in {previous} and says No now",
    sources="AQ1 (year-over-year changes); OECD step 2",
    needs="previous",
)
def origin_flipped(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    changes = _changes(d, ctx)
    if changes is None:
        return []
    out: list[Finding] = []
    for flip in changes.origin_flips():
        assert flip.mineral is not None
        sheet, cell = answer_cell(d, flip.key, flip.mineral)
        dropped = changes.dropped.get(flip.mineral, ())
        said: dict[str, Param] = {"question": label(d, flip.key), "topic": _TOPIC_NAMES.get(flip.topic, flip.topic),
                                  "mineral": metal_name(flip.mineral), "before": quote(flip.before),
                                  "previous": _previous(ctx), "count": len(dropped)}  # fmt: skip
        if len(dropped) > 1:
            text = txt("%(question)s (%(topic)s) for %(mineral)s said %(before)s in %(previous)s and says No now; "
                       "%(count)s %(mineral)s smelters were dropped; please explain what changed in your supply "
                       "chain", **said)
        elif dropped:
            text = txt("%(question)s (%(topic)s) for %(mineral)s said %(before)s in %(previous)s and says No now; "
                       "%(count)s %(mineral)s smelter was dropped; please explain what changed in your supply chain",
                       **said)
        else:
            text = txt("%(question)s (%(topic)s) for %(mineral)s said %(before)s in %(previous)s and says No now; "
                       "no %(mineral)s smelter was added; please explain what changed in your supply chain", **said)
        out.append(finding("history.origin_flipped", text, sheet, cell, mineral=flip.mineral,
                           detail={"before": flip.before, "after": flip.after}))  # fmt: skip
    return out


@check(
    "history.answer_changed",
    title="Answers that changed since the last accepted declaration",
    severity=Severity.INFO,
    area="history",
    rationale="An answer that flipped (a policy now No, smelters no longer all identified, a response rate that "
    "fell) is worth a look even when the new answer is complete; one finding per question.",
    message="{question}: {changes} since {previous}",
    sources="AQ1; review notes §3 G36-G38",
    needs="previous",
)
def answer_changed(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    changes = _changes(d, ctx)
    if changes is None:
        return []
    explained = set(changes.origin_flips())
    per_question: dict[str, list[str]] = {}
    for flip in changes.flips:
        if flip in explained:
            continue
        text = f"{quote(flip.before)} -> {quote(flip.after)}"
        per_question.setdefault(flip.key, []).append(f"{flip.mineral}: {text}" if flip.mineral else text)
    out: list[Finding] = []
    for key, items in per_question.items():
        company = not key.startswith("Q")
        if company:
            sheet, cell = d.cell(f"company_questions.{key}.answer")
            name = f"company question {key}"
        else:
            mineral = next(f.mineral for f in changes.flips if f.key == key and f.mineral)
            sheet, cell = answer_cell(d, key, mineral)
            name = english(label(d, key))
        out.append(finding("history.answer_changed", f"{name} changed since {english(_previous(ctx))}: "
                           f"{'; '.join(items)}",
                           sheet or DECLARATION, cell))
    return out


@check(
    "history.scope_changed",
    title="Declaration scope changed",
    severity=Severity.INFO,
    area="history",
    rationale="A company-level declaration last year and a product-level one now (or another description of a "
    "user-defined scope) may no longer cover the parts we buy.",
    message="the scope was {before} in {previous} and is {after} now",
    sources="Z1; APA2; review notes §3 C12",
    needs="previous",
)
def scope_changed(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    changes = _changes(d, ctx)
    if changes is None or not changes.scope_changed:
        return []
    sheet, cell = d.cell("company.scope")
    return [finding("history.scope_changed", f"the scope was {quote(changes.scope_before, 90)} in "
                    f"{english(_previous(ctx))} "
                    f"and is {quote(changes.scope_after, 90)} now", sheet or DECLARATION, cell)]


@check(
    "history.policy_url_gone",
    title="Policy address no longer given",
    severity=Severity.INFO,
    area="history",
    rationale="Last time the supplier gave the web address of its sourcing policy; now it gives none: the policy "
    "may have been withdrawn or moved.",
    message="{previous} gave the policy address {url}; this one gives none",
    sources="OECD step 1 (policy communicated publicly)",
    needs="previous",
)
def policy_url_gone(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    changes = _changes(d, ctx)
    if changes is None or changes.policy_url_gone is None:
        return []
    letter = next((k for k, v in d.company_question_topics.items() if v.value == "policy_public"), None)
    sheet, cell = d.cell(f"company_questions.{letter}.comment") if letter else (None, None)
    return [finding("history.policy_url_gone", f"{english(_previous(ctx))} gave the policy address "
                    f"{quote(changes.policy_url_gone, 90)}; this one gives none", sheet or DECLARATION, cell)]
