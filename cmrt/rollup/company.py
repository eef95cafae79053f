"""Our company as our own declaration names it: one definition for the roll-up (``cmrt.rollup.model``) and the
``[company]`` configuration section (``bot.config.CompanySettings`` derives from it). Kept in a module of its own,
with no heavy imports, because the configuration loads it at every start."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompanyInfo:
    """Our company as the declaration names it (the ``[company]`` section)."""

    name: str | None = None  # legal name, no abbreviations
    unique_id: str | None = None  # e.g. a DUNS number
    unique_id_authority: str | None = None  # e.g. "DUNS"
    address: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    authorizer_name: str | None = None
    authorizer_title: str | None = None
    authorizer_email: str | None = None
    authorizer_phone: str | None = None
