"""The bot's review context: campaign requirements + RMI lists from the database + validated overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cmrt.review import ReviewConfigError, review
from cmrt.smelters import RmapState, load_rmi_file
from cmrt.workbook import read_workbook
from handlers.review_context import make_context_factory
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus
TODAY = dt.date(2026, 8, 22)


def test_context_from_campaign_and_stored_lists(store_db: Any) -> None:
    from store import campaigns, smelters
    from store import suppliers as supplier_repo
    from store.suppliers import SupplierData

    factory = make_context_factory({"smelter.duplicate": "disabled"})
    with store_db.session() as s:
        supplier, _ = supplier_repo.upsert(s, SupplierData("S1", "JX Advanced Metals", "cm@jx.example"))
        campaign = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[supplier],
                                    scope="product", min_template_version="6.5")
        request = campaign.requests[0]
        ctx = factory(s, request, TODAY)
        assert ctx.rmap is None and ctx.reference is None  # nothing imported yet
        assert (ctx.required_family, ctx.min_version, ctx.requested_scope, ctx.reporting_year) == (
            "CMRT", "6.5", "product", 2025)
        for name in ("RMI_conformant_export_2026-08-22.xml", "RMI_active_export_2026-08-22.xml",
                     "RMI_smelter_reference_CMRT_export_2026-08-22.xml"):
            smelters.add_rmi_list(s, load_rmi_file(name, corpus_path("rmap", name).read_bytes()))
        ctx = factory(s, request, TODAY)  # a newer import is picked up
        assert ctx.rmap is not None and ctx.rmap.list_date == TODAY
        assert ctx.rmap.status("CID002315").state is RmapState.ACTIVE
        assert ctx.reference is not None and ctx.reference.has_id("CID002082")
        assert factory(s, request, TODAY).rmap is ctx.rmap  # cached while no new list arrives
        assert factory(s, None, TODAY).required_family is None
    declaration = read_workbook(corpus_path("returned", "CMRT_6.4_JX.xlsx").read_bytes())
    result = review(declaration, ctx)
    checks = {f.check for f in result.findings}
    assert "smelter.duplicate" not in checks  # disabled by the override
    assert {"template.version_too_old", "company.effective_date_before_period"} <= checks
    assert result.rmap_date == TODAY


def test_bad_overrides_fail_at_start_up() -> None:
    with pytest.raises(ReviewConfigError, match="unknown check id"):
        make_context_factory({"smelter.id_format": "info"})
