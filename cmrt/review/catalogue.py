"""The published, versioned catalogue: every check in a fixed order.

Bump ``CATALOGUE_VERSION`` whenever a check is added, removed, or changes id, severity or meaning; every
review result records the version it was produced with. ``docs/checks.md`` is generated from this list.
"""

from __future__ import annotations

from cmrt.review import checks_company, checks_minerals, checks_questions, checks_smelters
from cmrt.review.model import Check
from cmrt.review.registry import REGISTRY

CATALOGUE_VERSION = "2026.1"

_MODULES = (checks_company, checks_minerals, checks_questions, checks_smelters)  # import order = catalogue order
CATALOGUE: tuple[Check, ...] = tuple(REGISTRY.values())
CHECKS_BY_ID: dict[str, Check] = {c.id: c for c in CATALOGUE}
