"""Golden files: every e-mail kind in every language, plain text and HTML, exactly as the supplier gets them.

A change of wording or layout shows up here as a diff to read. After a deliberate change, rewrite the files with
``pytest tests/unit/mail/test_golden.py --regenerate-golden`` and review ``git diff tests/unit/mail/golden``.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

import cmrt.review.catalogue  # noqa: F401  (registers the checks ``finding`` looks up)
from cmrt.languages import LANGUAGES
from cmrt.review.registry import finding
from cmrt.review.texts import metal, term, txt
from handlers.findings import supplier_points
from mail.compose import MailTemplates

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
TEMPLATES = MailTemplates()

BASE: dict[str, Any] = {
    "supplier_name": "Müller Metallwerk GmbH",
    "contact_name": "Anna Schmidt",
    "campaign_year": 2025,
    "due_date": "2026-03-31",
    "token": "R7K2QX9M",
    "sender_name": "Pat Doe",
    "sender_company": "Example Corp",
}
def _points() -> list[dict[str, Any]]:
    """The points of an acknowledgment as the review writes them: real findings (``txt`` keys and parameters, so
    the supplier's language carries the same detail) through ``handlers.findings.supplier_points``."""
    question = txt("question %(number)s", number=2)
    findings = [
        finding("mineral.answer_missing", txt("%(question)s is not answered for %(mineral)s", question=question,
                                              mineral=metal(m)), "Declaration", cell, mineral=m)
        for m, cell in (("Tin", "E24"), ("Tantalum", "F24"), ("Tungsten", "G24"))
    ] + [
        finding("company.email_invalid", txt("the %(field)s %(value)s is not a valid address (%(problem)s)",
                                             field=term("contact e-mail"), value="'anna@'",
                                             problem=term("please check the spelling")), "Declaration", "D16"),
        finding("mineral.covered_countries", txt(
            "%(question)s says %(mineral)s is sourced from the DRC or an adjoining country; please send the smelters "
            "concerned and your due-diligence evidence", question=txt("question %(number)s", number=3),
            mineral=metal("Tungsten")), "Declaration", "G25", mineral="Tungsten"),
        finding("smelter.not_listed", txt(
            "%(name)s is not on the RMI smelter list; please confirm it is a smelter or refiner (not a trader) and "
            "give its address", name="'Heraeus Precious Metals GmbH & Co. KG Hanau Refinery Division'"),
            "Smelter List", "D14", mineral="Gold"),
    ]
    return supplier_points([f.to_json() for f in findings])


POINTS = _points()
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "request": ("request", {"min_version": "6.4", "attachment_names": ["CMRT_blank.xlsx"]}),
    "request_emrt": ("request", {"families": ("EMRT",), "attachment_names": ["EMRT_blank.xlsx"],
                                 "sender_company": ""}),
    "reminder": ("reminder", {"reminder_number": 2, "attachment_names": ["CMRT_blank.xlsx"]}),
    "reminder_missing_emrt": ("reminder", {"families": ("EMRT",), "received_families": ("CMRT",),
                                           "attachment_names": ["EMRT_blank.xlsx"]}),
    "clarification": ("clarification", {"points": POINTS}),
    "clarification_followup": ("clarification", {"points": POINTS[:1], "reminder_number": 1, "followup": True}),
    "clarification_from_slack": ("clarification", {
        "clarification_text": "Dear Ms Schmidt,\n\nplease check the smelter in row 14 again.\n\nBest, Pat"}),
    "acknowledgment": ("acknowledgment", {"filenames": ["CMRT_Mueller_2025.xlsx"], "points": POINTS}),
    "acknowledgment_accepted": ("acknowledgment", {"filenames": ["CMRT_Mueller_2025.xlsx"], "accepted": True,
                                                   "contact_name": ""}),
    "acknowledgment_emrt_expected": ("acknowledgment", {"families": ("CMRT",), "accepted": True,
                                                        "filenames": ["CMRT_Mueller_2025.xlsx"],
                                                        "still_expected": ("EMRT",)}),
    "acceptance": ("acceptance", {}),
    "answer": ("answer", {"question_subject": "Which products does this concern?", "answer_text":
                          "Dear Ms Schmidt,\n\nit concerns every product you deliver to us.\n\nBest regards,\nPat"}),
    "answer_without_greeting": ("answer", {"answer_text": "It concerns every product you deliver to us."}),
    "already_received": ("already_received", {"filenames": ["CMRT_Mueller_2025.xlsx"],
                                              "received_at": "2026-01-15"}),
}  # fmt: skip


def _render(case: str, language: str) -> tuple[str, str]:
    kind, extra = CASES[case]
    rendered = TEMPLATES.render(kind, {**BASE, **extra}, language)
    assert rendered.html is not None
    return f"Subject: {rendered.subject}\n\n{rendered.text}", rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str, language: str, request: pytest.FixtureRequest) -> None:
    text, html = _render(case, language)
    for suffix, content in ((".txt", text), (".html", html)):
        path = GOLDEN / f"{case}.{language}{suffix}"
        if request.config.getoption("--regenerate-golden"):
            path.write_text(content, encoding="utf-8")
        assert path.exists(), f"{path.name} missing: run pytest {__file__} --regenerate-golden"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} differs (see the module docstring)"


def _words(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<title>.*?</title>", "", html))
    for entity, char in (("&amp;", "&"), ("&#39;", "'"), ("&#34;", '"'), ("&quot;", '"'), ("&lt;", "<"),
                         ("&gt;", ">")):  # fmt: skip
        text = text.replace(entity, char)
    return " ".join(text.split())


@pytest.mark.parametrize("language", ["en", "de", "ja"])
@pytest.mark.parametrize("case", list(CASES))
def test_html_and_plain_text_say_the_same(case: str, language: str) -> None:
    text, html = _render(case, language)
    body = text.split("\n\n", 1)[1]
    plain = " ".join(body.replace("-------- English --------", "English").split())
    plain = re.sub(r"\s*\d+\. ", " ", plain)  # list numbers: <ol> in HTML
    words = re.sub(r"\s*\d+\. ", " ", _words(html))
    assert " ".join(plain.split()) == " ".join(words.split())


@pytest.mark.parametrize("case", list(CASES))
def test_one_greeting_sentence_case_and_no_empty_company_prefix(case: str) -> None:
    text, _html = _render(case, "en")
    greetings = [line for line in text.splitlines() if line.startswith("Dear ")]
    assert len(greetings) == 1, greetings
    team_words = CASES[case][1].get("clarification_text", "") + CASES[case][1].get("answer_text", "")
    paragraphs = [p.strip() for p in text.split("\n\n")[1:] if p.strip() and p.strip() not in team_words]
    assert [p for p in paragraphs if p[0].islower()] == []
    points = [line.strip() for line in text.splitlines() if re.match(r"^  \d+\. ", line)]
    assert [p for p in points if p.split(" ", 1)[1][0].islower()] == []
    assert not text.startswith("Subject: :")
    assert "graded" not in text and "score" not in text  # [outreach] show_grade_to_supplier is off by default
