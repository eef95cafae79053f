"""Whatever the reader hands over, the review never crashes, stays deterministic and keeps its invariants."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from cmrt.declaration import CompanyAnswer, Declaration, Family, Scope, SmelterRow, Template
from cmrt.review import Grade, Severity, grade_of, render_clarification, review, score_of
from tests.unit.review.builder import COMPANY_TOPICS, MINERALS, TOPICS, base, full_context

TEXT = st.one_of(st.none(), st.sampled_from(["Yes", "No", "Unknown", "100%", "50% or less", " yes\t", "", "0",
                                             "#N/A", "Smelter not listed", "Smelter Not Yet Identified", "same",
                                             "a,b@x.com", "CID002082", "cid000004", "1JPN058", "China", "Tungsten",
                                             "Gold (Au)"]), st.text(max_size=12))
ROWS = st.lists(
    st.builds(SmelterRow, row=st.integers(5, 2504), metal=TEXT, lookup=TEXT, name=TEXT, country=TEXT,
              smelter_id=TEXT, id_input=TEXT),
    max_size=12,
)


@st.composite
def declarations(draw: st.DrawFn) -> Declaration:
    d = base()
    answers = {key: {m: draw(TEXT) for m in MINERALS} for key in TOPICS}
    questions = {letter: CompanyAnswer(draw(TEXT), draw(TEXT)) for letter in COMPANY_TOPICS}
    company = replace(
        d.company,
        name=draw(TEXT),
        scope=draw(st.one_of(st.none(), st.sampled_from(list(Scope)))),
        scope_description=draw(TEXT),
        contact=replace(d.company.contact, email=draw(TEXT), name=draw(TEXT)),
        effective_date=draw(st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2035, 1, 1)))),
        effective_date_raw=draw(TEXT),
    )
    family = draw(st.one_of(st.none(), st.sampled_from(list(Family))))
    version = draw(st.one_of(st.none(), st.sampled_from(["2.03a", "3.01", "6.22", "6.5", "x", "6.6.1"])))
    return replace(d, template=Template(family, version), answers=answers, company_questions=questions,
                   company=company, smelters=tuple(draw(ROWS)))


@settings(max_examples=150, deadline=None)
@given(declarations(), st.sampled_from([None, "company", "product"]), st.sampled_from([None, 2023, 2026]))
def test_review_invariants(d: Declaration, scope: str | None, year: int | None) -> None:
    ctx = full_context(requested_scope=scope, reporting_year=year, required_family="CMRT", min_version="6.4")
    result = review(d, ctx)
    assert result.grade is grade_of(result.findings)
    assert result.score == score_of(result.findings) and 0 <= result.score <= 100
    assert result.to_json() == review(d, ctx).to_json()
    json.dumps(result.to_json())
    body = render_clarification(result, d)
    actionable = [f for f in result.findings if f.severity is not Severity.INFO]
    assert bool(body) == bool(actionable)
    if result.grade is Grade.ACCEPTED:
        assert not actionable
