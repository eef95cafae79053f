"""The review engine: a versioned catalogue of checks over a parsed ``Declaration``.

``review(declaration, ReviewContext(today=...))`` returns a ``ReviewResult`` (grade, 0-100 quality score,
findings naming sheet and cell); ``render_clarification(result, declaration)`` renders the supplier-facing
e-mail body. Pure: no I/O, no clock (``today`` is passed in).
"""

from __future__ import annotations

from cmrt.review.catalogue import CATALOGUE, CATALOGUE_VERSION, CHECKS_BY_ID
from cmrt.review.engine import (
    checker_counts,
    checker_remaining,
    grade_of,
    merge_overrides,
    parse_overrides,
    review,
    score_of,
)
from cmrt.review.model import (
    DISABLED,
    Check,
    Finding,
    Grade,
    ReviewConfigError,
    ReviewContext,
    ReviewResult,
    Severity,
)
from cmrt.review.render import render_clarification

__all__ = [
    "CATALOGUE",
    "CATALOGUE_VERSION",
    "CHECKS_BY_ID",
    "DISABLED",
    "Check",
    "Finding",
    "Grade",
    "ReviewConfigError",
    "ReviewContext",
    "ReviewResult",
    "Severity",
    "checker_counts",
    "checker_remaining",
    "grade_of",
    "merge_overrides",
    "parse_overrides",
    "render_clarification",
    "review",
    "score_of",
]
