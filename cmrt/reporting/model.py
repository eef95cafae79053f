"""``Report``: everything a rendering of the Conflict Minerals Report needs, already computed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cmrt.figures import CampaignFigures
from cmrt.smelters.consolidate import Consolidation
from cmrt.smelters.rmap import DEFAULT_MAX_LIST_AGE_DAYS, list_age_days, list_label, stale_warning


@dataclass(frozen=True)
class Report:
    campaign: Mapping[str, Any]  # year, due_date, state, scope (and template_family when known)
    figures: CampaignFigures
    smelters: Consolidation
    today: dt.date  # the day the report is about (``--as-of``): list ages and "overdue" are measured on it
    generated_at: dt.datetime
    max_list_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS
    company: str = ""  # the reporting company ([outreach] company_name), named in the paragraph when set
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rmap_date(self) -> dt.date | None:
        return self.smelters.rmap_list_date if self.smelters.has_status_lists else None

    @property
    def rmap_age_days(self) -> int | None:
        return list_age_days(self.rmap_date, self.today)

    @property
    def lists_label(self) -> str:
        """``RMI's lists of 2026-08-22`` (with the age when stale), or that no status list was imported."""
        if not self.smelters.has_status_lists:
            return "no RMAP list imported"
        label = list_label(self.rmap_date, self.today, self.max_list_age_days)
        return "RMI's undated lists" if self.rmap_date is None else "RMI's " + label.replace("list of", "lists of")

    @property
    def stale_warning(self) -> str:
        """The team's warning when the RMAP status lists are older than allowed ("" when current or absent)."""
        if not self.smelters.has_status_lists:
            return ""
        return stale_warning(self.rmap_date, self.today, self.max_list_age_days)
