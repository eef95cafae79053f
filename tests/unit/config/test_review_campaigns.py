"""[review.campaigns."YEAR"]: per-campaign overrides in the configuration, validated at load with key and line."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, parse_config


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="bot.toml")
    return info.value.problems


def test_campaign_tables_are_read_and_frozen() -> None:
    settings = parse_config(
        """
[review.overrides]
"smelter.duplicate" = "info"

[review.campaigns."2025"]
"smelter.duplicate" = "disabled"
"company_questions.no_policy" = "high_risk"

[review.campaigns]
"2026" = { "mine.incomplete" = "reject" }
"""
    )
    assert dict(settings.review.overrides) == {"smelter.duplicate": "info"}
    assert {k: dict(v) for k, v in settings.review.campaigns.items()} == {
        "2025": {"smelter.duplicate": "disabled", "company_questions.no_policy": "high_risk"},
        "2026": {"mine.incomplete": "reject"},
    }
    with pytest.raises(TypeError):
        settings.review.campaigns["2025"]["x"] = "info"  # type: ignore[index]


def test_unknown_check_id_names_key_and_line() -> None:
    text = '[review.campaigns."2025"]\n"smelter.duplicate" = "info"\n"smelter.dupe" = "disabled"\n'
    assert problems(text) == [
        "bot.toml:3: review.campaigns.2025.smelter.dupe: unknown check id 'smelter.dupe' (check ids: docs/checks.md)"
    ]


def test_unknown_severity_names_key_and_line() -> None:
    text = '[review.campaigns."2025"]\n\n"smelter.duplicate" = "fatal"\n'
    (problem,) = problems(text)
    assert problem.startswith("bot.toml:3: review.campaigns.2025.smelter.duplicate: 'fatal' is not one of reject")


def test_global_overrides_are_checked_against_the_catalogue_too() -> None:
    (problem,) = problems('[review.overrides]\n"smelter.id_format" = "info"\n')
    assert problem.startswith("bot.toml:2: review.overrides.smelter.id_format: unknown check id")


def test_bad_shapes() -> None:
    (problem,) = problems("[review]\ncampaigns = 3\n")
    assert problem == ("bot.toml:2: review.campaigns: expected one table per reporting year, "
                       'e.g. [review.campaigns."2025"]')
    (problem,) = problems('[review.campaigns."2025"]\n"smelter.duplicate" = 1\n')
    assert problem == "bot.toml:1: review.campaigns: expected a table of check id = severity"
    (problem,) = problems('[review.campaigns.current]\n"smelter.duplicate" = "info"\n')
    assert problem == "bot.toml:1: review.campaigns.current: 'current' is not a reporting year (e.g. \"2025\")"
