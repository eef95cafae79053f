"""Review with smelter lists given as data: what ``cmrt-bot check --rmap`` and the inbound handler call.

Pure: the caller reads the files (or the database) and passes the imported lists and the workbook's bytes.
The reference is RMI's reference export when one is among ``lists``, else the workbook's own
``Smelter Look-up`` sheet; RMAP status checks run only when a Conformant or Active list is among ``lists``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from cmrt.declaration import Declaration
from cmrt.review.engine import review
from cmrt.review.model import ReviewContext, ReviewResult
from cmrt.smelters.reference import SmelterReference
from cmrt.smelters.rmap import ListKind, RmapStatus, RmiList
from cmrt.smelters.rmi import reference_from_lists
from cmrt.smelters.workbook import reference_from_workbook


def context_for(
    *,
    today: dt.date,
    lists: Sequence[RmiList] = (),
    workbook: bytes | None = None,
    reference: SmelterReference | None = None,
    required_family: str | None = None,
    min_version: str | None = None,
    requested_scope: str | None = None,
    reporting_year: int | None = None,
    overrides: Mapping[str, str] | None = None,
    previous: Declaration | None = None,
    previous_label: str | None = None,
) -> ReviewContext:
    """A ReviewContext from imported lists; ``reference`` wins over lists, lists over the workbook's sheet.
    ``previous`` is the supplier's last accepted declaration, for the year-over-year checks."""
    if reference is None:
        reference = reference_from_lists(lists)
    if reference is None and workbook is not None:
        reference = reference_from_workbook(workbook)
    status_lists = [item for item in lists if item.kind is not ListKind.REFERENCE]
    rmap = RmapStatus.from_lists(status_lists) if status_lists else None
    return ReviewContext(
        today=today,
        reference=reference,
        rmap=rmap,
        required_family=required_family,
        min_version=min_version,
        requested_scope=requested_scope,
        reporting_year=reporting_year,
        overrides=dict(overrides or {}),
        previous=previous,
        previous_label=previous_label,
    )


def review_with_lists(declaration: Declaration, **kwargs: Any) -> ReviewResult:
    return review(declaration, context_for(**kwargs))

