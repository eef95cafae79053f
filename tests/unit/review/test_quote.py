"""Values quoted in supplier messages are never cut mid-word."""

from __future__ import annotations

from cmrt.review.registry import quote


def test_long_names_are_cut_between_words() -> None:
    name = "Heraeus Precious Metals GmbH & Co. KG Hanau Refinery Division North Plant"
    assert quote(name) == "'Heraeus Precious Metals GmbH & Co. KG Hanau Refinery …'"
    assert quote("short name") == "'short name'"
    assert quote("x" * 80) == "'" + "x" * 80 + "'"  # one long word: kept whole
    for limit in range(5, 70):
        shown = quote(name, limit).strip("'").removesuffix(" …")
        assert name.startswith(shown) and name[len(shown):][:1] in ("", " ")
