"""The published, versioned catalogue: every check in a fixed order.

Bump ``CATALOGUE_VERSION`` whenever a check is added, removed, or changes id, severity or meaning; every
review result records the version it was produced with. ``docs/checks.md`` is generated from this list.
"""

from __future__ import annotations

from cmrt.review import (
    checks_company,
    checks_limits,
    checks_minerals,
    checks_questions,
    checks_rmap,
    checks_smelters,
    checks_template,
    checks_text,
)
from cmrt.review.model import Check
from cmrt.review.registry import REGISTRY

CATALOGUE_VERSION = "2026.2"

# the catalogue order: by area (this tuple), then by definition order inside each module
_MODULES = (checks_template, checks_company, checks_minerals, checks_questions, checks_smelters, checks_rmap,
            checks_text, checks_limits)
CATALOGUE: tuple[Check, ...] = tuple(
    spec for module in _MODULES for spec in REGISTRY.values() if spec.func.__module__ == module.__name__
)
CHECKS_BY_ID: dict[str, Check] = {c.id: c for c in CATALOGUE}
assert len(CATALOGUE) == len(REGISTRY), "a check module is missing from _MODULES"
