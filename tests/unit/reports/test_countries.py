"""Country names as typed by suppliers, recognised and shown in one spelling."""

from __future__ import annotations

import pytest

from cmrt.smelters.countries import country_name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Russia", "RUSSIAN FEDERATION"),
        ("russian federation", "RUSSIAN FEDERATION"),
        ("DRC", "CONGO, THE DEMOCRATIC REPUBLIC OF THE"),
        ("Democratic Republic of the Congo", "CONGO, THE DEMOCRATIC REPUBLIC OF THE"),
        ("Bolivia (Plurinational State of)", "BOLIVIA, PLURINATIONAL STATE OF"),
        ("South Korea", "KOREA, REPUBLIC OF"),
        ("USA", "UNITED STATES OF AMERICA"),
        ("United States of America", "UNITED STATES OF AMERICA"),
        ("Vietnam", "VIET NAM"),
        ("Tanzania", "TANZANIA, UNITED REPUBLIC OF"),
        ("CHN", "CHINA"),
        ("Cote d Ivoire", "CÔTE D'IVOIRE"),
    ],
)
def test_recognised(typed: str, expected: str) -> None:
    assert country_name(typed) == expected


@pytest.mark.parametrize(
    "typed", [None, "", "HR", "unknown", "Recycled or scrap", "see RCOI list", "RUSSIANF EDERATION"]
)
def test_not_a_country(typed: str | None) -> None:
    assert country_name(typed) is None
