"""The supplier's question as the team sees it: own words only, signature and quoted e-mail gone, 1,000 characters."""

from __future__ import annotations

from mail.question import question_text

ENGLISH = """Hello,

which smelters do you mean? We buy from <b>Minsur</b> & others.

Best regards,
Hans Muster
Acme GmbH | Tel +49 1234

On Mon, 5 Jan 2026, Compliance <c@x.com> wrote:
> Please send your CMRT
> by March
"""

GERMAN = """Guten Tag,

welche Schmelzen meinen Sie?

Mit freundlichen Grüßen
Hans Muster

-----Ursprüngliche Nachricht-----
Von: Compliance
Betreff: CMRT
"""


def test_quoted_text_and_signature_are_stripped() -> None:
    text = question_text(ENGLISH)
    assert text.startswith("Hello,") and "which smelters do you mean?" in text and "<b>Minsur</b> & others" in text
    assert "Hans Muster" not in text and "Please send your CMRT" not in text and "wrote:" not in text


def test_other_languages_and_the_dash_dash_signature() -> None:
    text = question_text(GERMAN)
    assert text == "Guten Tag,\n\nwelche Schmelzen meinen Sie?"
    assert question_text("Is 2024 fine?\n-- \nJane\nACME") == "Is 2024 fine?"


def test_the_first_thousand_characters() -> None:
    text = question_text("why? " * 500)
    assert len(text) == 1000 and text.endswith("…")
    assert question_text("") == ""
